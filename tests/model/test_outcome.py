"""What the model expects of one request (:mod:`model.outcome`), on a deployment written out here:
one honest CCF, one AEF registered there, one invoker onboarding there."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from model.catalogue import Catalogue
from model.concrete import Structure, apply, initialise
from model.outcome import (
    ASKED_FOR_AN_INVOKER,
    SEEN_THROUGH,
    SETTLED,
    Outcome,
    acceptance_goal,
    checks_of,
    choice_parameters,
    outcome,
    refusal_goal,
    request_parameters,
)
from model.syntax import conjuncts, parse_formula
from model.system import CompiledAction, System, compile_system
from model.typecheck import typecheck

CCF, AEF, INVOKER, API, CERT = "ccf#0", "aef#0", "invoker#0", "api#0", "cert#0"


@pytest.fixture(scope="module")
def system(catalogue: Catalogue) -> System:
    return compile_system(catalogue, catalogue.profiles["ts33122-rel18"].options)


def _deployment(system: System, prefers: set[str], supports: set[str]) -> Structure:
    """The deployment: the invoker prefers ``prefers``, the AEF supports ``supports``, the CCF's policy
    lets the invoker use the API there; every entity honest."""
    catalogue = system.catalogue
    universe = {sort: (f"{sort}#0",) for sort in catalogue.sorts} | {
        enum.id: enum.values for enum in catalogue.enums.values()
    }
    facts: dict[str, set[tuple[str, ...]]] = {
        "honest_ccf": {(CCF,)},
        "honest_aef": {(AEF,)},
        "honest_inv": {(INVOKER,)},
        "honest_rof": {("rof#0",)},
        "home": {(INVOKER, CCF)},
        "aef_at": {(AEF, CCF)},
        "exposes": {(AEF, API)},
        "allows": {(CCF, INVOKER, AEF, API)},
        "prefers": {(INVOKER, method) for method in prefers},
        "supports": {(AEF, method) for method in supports},
    }
    given = {
        relation.id: frozenset(facts.get(relation.id, set()))
        for relation in catalogue.relations.values()
        if relation.kind == "static" or relation.init == "any"
    }
    return initialise(system, Structure(universe, given))


def _action(system: System, action_id: str) -> CompiledAction:
    return next(action for action in system.actions if action.id == action_id)


def _onboarded(system: System, state: Structure) -> Structure:
    return apply(system, _action(system, "onboard"), state, {"i": INVOKER, "c": CCF, "ct": CERT})


def _negotiation(system: System, prefers: set[str], supports: set[str]) -> Outcome | None:
    state = _onboarded(system, _deployment(system, prefers, supports))
    return outcome(_action(system, "negotiate"), state, {"i": INVOKER, "h": CCF, "a": AEF})


def test_the_ccf_selects_a_method_in_both_and_the_request_names_none(system: System) -> None:
    negotiate = _action(system, "negotiate")
    assert [name for name, _ in request_parameters(negotiate)] == ["i", "h", "a"]
    assert [name for name, _ in choice_parameters(negotiate)] == ["m", "k"]
    expected = _negotiation(system, {"PSK", "PKI"}, {"PKI", "OAUTH"})
    assert expected is not None and expected.accepted
    assert expected.arguments["m"] == "PKI"


def test_an_empty_intersection_is_refused_by_selection(system: System) -> None:
    expected = _negotiation(system, {"PSK"}, {"PKI"})
    assert expected is not None and not expected.accepted
    assert expected.refused_by == ("selection-in-aef-methods",)
    assert expected.arguments["m"] == "PSK"


def test_a_request_before_onboarding_is_refused_by_authentication_too(system: System) -> None:
    state = _deployment(system, {"PSK"}, {"PSK"})
    expected = outcome(_action(system, "negotiate"), state, {"i": INVOKER, "h": CCF, "a": AEF})
    assert expected is not None and expected.refused_by == ("ccf-authenticates-invoker",)


def test_a_step_whose_other_guards_fail_is_no_request(system: System) -> None:
    """A TLS-PSK session of an invoker that negotiated nothing: no AEFPSK exists to open it with."""
    state = _onboarded(system, _deployment(system, {"PSK"}, {"PSK"}))
    assert outcome(_action(system, "psk-session"), state, {"a": AEF, "i": INVOKER}) is None


@pytest.mark.parametrize(
    ("prefers", "supports", "holds"), [({"PSK"}, {"PKI"}, True), ({"PSK"}, {"PSK"}, False)]
)
def test_the_refusal_goal_holds_where_the_check_alone_refuses(
    system: System, prefers: set[str], supports: set[str], holds: bool
) -> None:
    state: Structure = _onboarded(system, _deployment(system, prefers, supports))
    goal = refusal_goal(_action(system, "negotiate"), "selection-in-aef-methods")
    request: Mapping[str, str] | None = goal.request_in(state)
    assert (request is not None) == holds


def test_the_extra_conditions_are_well_sorted_for_every_action_they_apply_to(catalogue: Catalogue) -> None:
    """What a refusal by a fetched-information check also needs (:data:`SETTLED`), what a fetch
    refusal is about (:data:`ASKED_FOR_AN_INVOKER`) and what a request made inside another needs
    (:data:`SEEN_THROUGH`) type-check against every action they apply to, so that a changed relation in
    ``spec/state.yaml`` fails here rather than in the solver."""
    for profile in ("recommended", "ts33122-rel18"):
        for action in compile_system(catalogue, catalogue.profiles[profile].options).actions:
            scope = dict(action.action.params)
            applying = [SETTLED[check] for check in checks_of(action) if check in SETTLED]
            applying += [ASKED_FOR_AN_INVOKER[action.id]] if action.id in ASKED_FOR_AN_INVOKER else []
            applying += [SEEN_THROUGH[action.id]] if action.id in SEEN_THROUGH else []
            for text in applying:
                typecheck(parse_formula(text), scope, catalogue.vocabulary)


def test_a_fetch_from_the_attackers_ccf_is_sought_where_the_aef_offers_the_method(
    catalogue: Catalogue,
) -> None:
    """The AEF's CCF asks the home CCF when the invoker comes to the AEF at an interface of the method,
    so both goals of ``fetch-from-attacker`` ask for the AEF to offer it (:data:`SEEN_THROUGH`)."""
    recommended = compile_system(catalogue, catalogue.profiles["recommended"].options)
    action = _action(recommended, "fetch-from-attacker")
    wanted = parse_formula(SEEN_THROUGH["fetch-from-attacker"])
    for goal in (acceptance_goal(action), refusal_goal(action, "agreement-peer")):
        assert wanted in conjuncts(goal.body)
