"""Every property can fail and every check protects something: each mutant (one check removed) yields a
counterexample to its property, every property is broken by a mutant, and every check is removed by
one. A property no mutant breaks, or a check no property needs, is a defect of the model. (That the
unmutated profile proves each of these properties is a cell of the expected-verdict table.)"""

from __future__ import annotations

import pytest

from model.catalogue import Catalogue, load_catalogue
from model.system import Removal
from model.verify import ProfileVerifier

from .conftest import SPEC

MUTANTS = sorted(load_catalogue(SPEC).mutants)


def test_every_property_has_a_mutant(catalogue: Catalogue) -> None:
    broken = {mutant.breaks for mutant in catalogue.mutants.values()}
    assert broken == set(catalogue.properties)


def test_every_check_protects_something(catalogue: Catalogue) -> None:
    """A check that no property needs is a guard of the procedure, not a security check: each check
    has a mutant, and (below) removing it under its profile breaks a property with a counterexample."""
    removed = {mutant.check for mutant in catalogue.mutants.values()}
    assert set(catalogue.checks) <= removed, set(catalogue.checks) - removed


@pytest.mark.parametrize("mutant_id", MUTANTS)
def test_mutant_yields_a_counterexample(catalogue: Catalogue, mutant_id: str) -> None:
    mutant = catalogue.mutants[mutant_id]
    verifier = ProfileVerifier(catalogue, mutant.profile, removals=(Removal(mutant.check, mutant.action),))
    trace = verifier.counterexample(mutant.breaks)
    assert trace is not None, f"removing {mutant.check} does not break {mutant.breaks}"
    assert trace["mutant"] == [{"check": mutant.check, "action": mutant.action}]
    missing = {m["check"] for step in trace["steps"] for m in step["checks_missing"]}
    assert mutant.check in missing
