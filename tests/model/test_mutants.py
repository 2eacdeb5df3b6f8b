"""Every property can fail: each mutant (one check removed) yields a counterexample to its property,
and a property that no mutant breaks is a defect of the model. (That the unmutated profile proves
each of these properties is a cell of the expected-verdict table.)"""

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


@pytest.mark.parametrize("mutant_id", MUTANTS)
def test_mutant_yields_a_counterexample(catalogue: Catalogue, mutant_id: str) -> None:
    mutant = catalogue.mutants[mutant_id]
    verifier = ProfileVerifier(catalogue, mutant.profile, removals=(Removal(mutant.check, mutant.action),))
    trace = verifier.counterexample(mutant.breaks)
    assert trace is not None, f"removing {mutant.check} does not break {mutant.breaks}"
    assert trace["mutant"] == [{"check": mutant.check, "action": mutant.action}]
    missing = {m["check"] for step in trace["steps"] for m in step["checks_missing"]}
    assert mutant.check in missing
