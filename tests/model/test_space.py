"""The design space of a property: the minimal sets of option values under which it holds whatever the
other options are. A listed set comes with a certificate that the independent checker accepts for
every design agreeing with it (and, asked design by design, in the profiles' designs under it); every
set with one value less has a design where the ordinary verifier finds a counterexample."""

from __future__ import annotations

from typing import Any

import pytest

from model.catalogue import Catalogue
from model.checker import CertificateRejectedError, check, check_region, region_forms
from model.designs import Designs
from model.encode import Translator
from model.regions import action_form
from model.space import PropertySpace, SpaceSearch
from model.system import compile_system
from model.verify import ProfileVerifier
from tests.conftest import SPACE_PROPERTIES

SCOPE_CHECK = {"aef-scope-check": "aef-and-api"}


@pytest.fixture(scope="module")
def search(catalogue: Catalogue) -> SpaceSearch:
    return SpaceSearch(Designs(catalogue), "token-scope", 1, Translator(catalogue))


@pytest.fixture(scope="module")
def token_scope(search: SpaceSearch) -> PropertySpace:
    return search.run()


@pytest.mark.parametrize("profile", ["opencapif-observed", "cr-interconnect", "sol2-capif8"])
def test_the_forms_of_a_condition_are_those_of_every_design_that_agrees(
    catalogue: Catalogue, search: SpaceSearch, profile: str
) -> None:
    forms = {action_form(a) for a, _ in region_forms(catalogue, SCOPE_CHECK, search.designs.forms.reads)}
    design = compile_system(catalogue, {**catalogue.profiles[profile].options, **SCOPE_CHECK})
    assert {action_form(a) for a in design.actions} <= forms
    other = compile_system(catalogue, {**catalogue.profiles[profile].options, "aef-scope-check": "none"})
    assert not {action_form(a) for a in other.actions} <= forms


def test_token_scope_holds_exactly_where_the_aef_checks_its_own_id_and_the_api(
    token_scope: PropertySpace,
) -> None:
    assert token_scope.conditions == (tuple(SCOPE_CHECK.items()),)
    assert token_scope.vacuous == ()
    assert token_scope.undecided == ()


def test_a_listed_set_proves_the_property_in_every_design_that_agrees(
    catalogue: Catalogue, search: SpaceSearch, token_scope: PropertySpace
) -> None:
    formula = catalogue.properties["token-scope"].formula
    settings = search.designs.settings
    for condition in token_scope.conditions:
        decision = search.decide(dict(condition))
        assert decision.kind == "sufficient" and decision.certificate
        check_region(catalogue, dict(condition), decision.certificate, formula, settings=settings)
        for profile in catalogue.profiles.values():
            options = {**profile.options, **dict(condition)}
            goal = compile_system(catalogue, options).expand(formula)
            check(catalogue, options, (), decision.certificate, goal, settings=settings)
        # the same certificate for the designs that do not agree: the checker refuses it
        with pytest.raises(CertificateRejectedError):
            check_region(catalogue, {}, decision.certificate, formula, settings=settings)


def test_dropping_a_value_from_a_listed_set_leaves_a_design_with_a_counterexample(
    catalogue: Catalogue, search: SpaceSearch, token_scope: PropertySpace
) -> None:
    for condition in token_scope.conditions:
        for dropped in condition:
            smaller = {option: value for option, value in condition if (option, value) != dropped}
            decision = search.decide(smaller)
            assert decision.kind == "refuted" and decision.design is not None
            assert all(decision.design[option] == value for option, value in smaller.items())
            verifier = ProfileVerifier(catalogue, "recommended", overrides=decision.design)
            assert verifier.counterexample("token-scope") is not None, decision.design


def test_a_property_that_holds_everywhere_needs_no_option(catalogue_fixes: dict[str, Any]) -> None:
    spaces = {entry["property"]: entry for entry in catalogue_fixes["design_space"]}
    assert list(spaces) == list(SPACE_PROPERTIES)
    assert spaces["revocation-origin"]["minimal_conditions"] == [{"values": {}, "certificate_clauses": 1}]
    assert spaces["token-scope"]["minimal_conditions"][0]["values"] == SCOPE_CHECK
