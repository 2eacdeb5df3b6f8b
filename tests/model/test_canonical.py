"""Every counterexample of the default catalogue is an attack a delegate can paste (issue 7, items 6
and 8), checked for every violated cell of the whole catalogue:

* it is canonical: the same trace, byte for byte, from the whole catalogue in worker processes, from
  one profile alone and from one property alone, with another Z3 seed;
* every invoker has exactly one home CCF and every AEF one CCF;
* the violated instance names honest victims where the property protects them, and it is the one the
  steps reach: the last step breaks it (it held in the state before);
* the attacker is minimal: making any of its entities honest, the same steps no longer run or no
  longer break the property.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from model.catalogue import Catalogue
from model.concrete import ConcreteRun, SimulationError, Structure, evaluate, simulate
from model.solver import SolverSettings
from model.syntax import Atom, Implies, Not, Quant, conjuncts
from model.system import split_universal
from model.verify import ProfileReport, ProfileVerifier, Verdict

from .test_verdicts import PROFILES, TABLE

HONESTY = {"ccf": "honest_ccf", "aef": "honest_aef", "invoker": "honest_inv", "rof": "honest_rof"}
VIOLATED_PROFILES = sorted(
    {p for row in TABLE.values() for p, v in zip(PROFILES, row.split(), strict=True) if v == "V"}
)


def _text(trace: dict[str, Any]) -> str:
    return json.dumps(trace, indent=2)


def _violated(report: ProfileReport) -> list[tuple[str, dict[str, Any]]]:
    return [(r.property, r.trace) for r in report.properties if r.verdict == Verdict.VIOLATED and r.trace]


@pytest.mark.parametrize("profile", VIOLATED_PROFILES)
def test_a_cell_gives_the_same_trace_however_it_is_asked(
    catalogue: Catalogue, full_run: dict[str, ProfileReport], profile: str
) -> None:
    cells = _violated(full_run[profile])
    assert cells
    other_seed = ProfileVerifier(catalogue, profile, settings=SolverSettings(seed=1234))
    alone = ProfileVerifier(catalogue, profile).run([cells[-1][0]])
    assert _text(alone.properties[0].trace or {}) == _text(cells[-1][1])
    for prop, trace in reversed(cells):
        assert _text(other_seed.counterexample(prop) or {}) == _text(trace), f"{profile}/{prop}"


def _run_of(verifier: ProfileVerifier, prop: str, trace: dict[str, Any]) -> ConcreteRun:
    """The canonical run behind ``trace`` (the same search and choice the verifier made)."""
    goal = Not(verifier.system.expand(verifier.catalogue.properties[prop].formula))
    return verifier.searcher().canonical(goal, len(trace["steps"]))


def _with_honest(structure: Structure, sort: str, element: str) -> Structure:
    relation = HONESTY[sort]
    relations = dict(structure.relations)
    relations[relation] = structure.relations[relation] | {(element,)}
    return Structure(structure.universe, relations)


def _still_breaks(verifier: ProfileVerifier, run: ConcreteRun, initial: Structure, formula: Any) -> bool:
    try:
        final = simulate(verifier.system, initial, run.steps).final
    except SimulationError:
        return False
    return not evaluate(formula, final, {})


@pytest.mark.parametrize("profile", VIOLATED_PROFILES)
def test_every_counterexample_is_an_attack_on_honest_parties(
    catalogue: Catalogue, full_run: dict[str, ProfileReport], profile: str
) -> None:
    verifier = ProfileVerifier(catalogue, profile)
    for prop, trace in _violated(full_run[profile]):
        where = f"{profile}/{prop}"
        topology = trace["topology"]
        assert all(entry["home"] for entry in topology["invokers"]), where
        assert all(entry["ccf"] for entry in topology["aefs"]), where
        run = _run_of(verifier, prop, trace)
        formula = verifier.system.expand(catalogue.properties[prop].formula)
        # The attacker is minimal: each entity it controls is needed by the steps.
        for sort, relation in HONESTY.items():
            for element in run.states[0].universe[sort]:
                if not run.states[0].holds(relation, (element,)):
                    honest = _with_honest(run.states[0], sort, element)
                    assert not _still_breaks(verifier, run, honest, formula), (
                        f"{where}: {element} need not be dishonest"
                    )
        # The violated instance: false at the end, true before the last step, its victims honest.
        names = {name: element for element, name in verifier.traces.names(run).items()}
        instance = {
            variable: names.get(value, value) for variable, value in trace["violation"]["instance"].items()
        }
        piece = next(p for p in split_universal(formula) if not _holds_for(p, run.final, instance))
        assert _holds_for(piece, run.states[-2], instance), f"{where}: the last step does not break it"
        premise = _body(piece)
        for atom in conjuncts(premise.left if isinstance(premise, Implies) else premise):
            if isinstance(atom, Atom) and atom.relation in HONESTY.values():
                assert run.final.holds(atom.relation, (instance[atom.args[0].name],)), (
                    f"{where}: dishonest victim"
                )


def _body(formula: Any) -> Any:
    while isinstance(formula, Quant) and formula.universal:
        formula = formula.body
    return formula


def _holds_for(piece: Any, structure: Structure, instance: dict[str, str]) -> bool:
    return evaluate(_body(piece), structure, instance)
