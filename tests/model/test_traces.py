"""Counterexamples and witnesses as traces: valid against the trace schema, shortest, readable, and
re-executable by the simulator."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from model.bmc import Unrolling
from model.catalogue import Catalogue
from model.concrete import SimulationError, Step, simulate
from model.syntax import Not
from model.verify import ProfileReport, ProfileVerifier, Verdict

from .conftest import SPEC

SCHEMA = json.loads((SPEC / "schema" / "trace.schema.json").read_text(encoding="utf-8"))
NAME = re.compile(
    r"^(ccf-[A-Z]+|aef-\d+(@provider-[A-Z]+)?|invoker-\d+(@provider-[A-Z]+)?|api-\d+|psk-\d+|token-\d+|cert-\d+|rof-\d+|PSK|PKI|OAUTH)$"
)


def _traces(full_run: dict[str, ProfileReport]) -> list[dict[str, Any]]:
    traces = [r.trace for report in full_run.values() for r in report.properties if r.trace]
    traces += [w.trace for report in full_run.values() for w in report.witnesses if w.trace]
    return [t for t in traces if t is not None]


def test_traces_follow_the_schema(full_run: dict[str, ProfileReport]) -> None:
    traces = _traces(full_run)
    assert len(traces) > 40
    for trace in traces:
        jsonschema.validate(trace, SCHEMA)


def test_traces_name_entities_in_domain_terms(full_run: dict[str, ProfileReport]) -> None:
    for trace in _traces(full_run):
        for step in trace["steps"]:
            for value in step["args"].values():
                assert NAME.match(value), value
            assert "#" not in step["text"] and "{" not in step["text"]


@pytest.mark.parametrize(
    ("profile", "prop"),
    [
        ("cr-interconnect", "home-ccf-binding"),
        ("sol13-psk", "invoker-authentication"),
        ("ki2-conclusion", "revocation"),
    ],
)
def test_counterexamples_are_shortest(
    catalogue: Catalogue, full_run: dict[str, ProfileReport], profile: str, prop: str
) -> None:
    """The quantified bounded search (:mod:`model.bmc`, a second encoding) agrees that no shorter run
    breaks the property and that one of this length does."""
    result = next(r for r in full_run[profile].properties if r.property == prop)
    assert result.verdict == Verdict.VIOLATED and result.trace is not None
    length = len(result.trace["steps"])
    verifier = ProfileVerifier(catalogue, profile)
    goal = Not(verifier.system.expand(catalogue.properties[prop].formula))
    searcher = Unrolling(
        verifier.system, verifier.translator, verifier.bounds.sizes(catalogue), verifier.settings
    )
    assert searcher.search(goal, length - 1) is None
    assert searcher.search_at(goal, length) is not None


def test_witness_runs_replay_under_the_simulator(
    catalogue: Catalogue, full_run: dict[str, ProfileReport]
) -> None:
    verifier = ProfileVerifier(catalogue, "recommended")
    report = full_run["recommended"]
    found = report.runs["psk-interconnected"]
    run = simulate(verifier.system, found.states[0], found.steps)
    assert run.final == found.final
    broken = (
        *found.steps[:-1],
        Step(found.steps[-1].action, {**found.steps[-1].arguments, "i": "invoker#9"}),
    )
    with pytest.raises(SimulationError):
        simulate(verifier.system, found.states[0], broken)
