"""A home CCF relaying a security method negotiation to a CCF the attacker controls
(``negotiate-relayed-to-attacker``, contribution 001 6.X.2): the attacker's CCF answers the relayed
request with the trace's method, the home CCF passes it on, and the judge compares what the
unmodified implementation did with what the model says.

The traces are the generated suite's (``docs/test-suite.md``), each the model's canonical run for
its coverage obligation, generated here alone as the suite generates it. Where the model's home CCF
relays what the implementation's does not (a negotiation for an AEF of a CCF it has no agreement
with), the replay diverges at that step and says why."""

from __future__ import annotations

from typing import Any

import pytest

from model.catalogue import Catalogue
from model.coverage import Need, Obligation
from model.suite import _Generator, _goals, _never_meets
from model.syntax import parse_formula
from model.verify import ProfileVerifier
from replay import LocalTargets, Mode, Status, StepOutcome, TraceReplay
from replay.run import Recommended, replay_locally

Trace = dict[str, Any]
ACTION = "negotiate-relayed-to-attacker"


def _coverage_trace(catalogue: Catalogue, profile: str, obligation: Obligation) -> Trace:
    """The suite's coverage trace for ``obligation`` under ``profile`` (the search does not depend on
    the suite's other traces, only on which obligation it is run for)."""
    generator = _Generator(ProfileVerifier(catalogue, profile))
    live = [
        (goal, check)
        for goal, check in _goals(obligation, generator.verifier.system.actions)
        if not _never_meets(goal, check)
    ]
    found = generator.search([goal for goal, _ in live])
    assert found is not None, obligation
    run, goal = found
    prefer = next(check for candidate, check in live if candidate is goal)
    extended = generator.extend(run, goal, prefer=prefer)
    generator.build(extended, "coverage", obligation.subject, str(obligation.need), str(obligation))
    return generator.traces[0].trace


def _explain(replay: TraceReplay) -> str:
    return "\n".join(replay.lines() + [f"{s.n}. {s.action}: {s.outcome}: {s.observed}" for s in replay.steps])


def _played(replay: TraceReplay, trace: Trace) -> tuple[dict[str, Any], StepOutcome, str]:
    step = next(step for step in trace["steps"] if step["action"] == ACTION)
    played = next(outcome for outcome in replay.steps if outcome.n == step["n"])
    return step, played.outcome, played.observed


@pytest.mark.parametrize(
    ("profile", "obligation"),
    [
        ("cr-interconnect", Obligation(Need.OCCURS, ACTION)),
        ("recommended", Obligation(Need.OCCURS, ACTION)),
        ("recommended", Obligation(Need.PASSES, "requester-hosts-aef")),
    ],
    ids=str,
)
def test_the_suites_relayed_negotiations_replay_as_the_model_says(
    profile: str,
    obligation: Obligation,
    catalogue: Catalogue,
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    trace = _coverage_trace(catalogue, profile, obligation)
    for mode in Mode:
        replay = replay_locally(trace, mode, targets, recommended)
        assert replay.status is Status.REPLAYED, _explain(replay)
        _check_played(trace, replay)


def _check_played(trace: Trace, replay: TraceReplay) -> None:
    """The step was played as the model says: refused where it expects a refusal, else the attacker's
    CCF's answer passed on and the security information it then asks for released."""
    step, outcome, observed = _played(replay, trace)
    if step["expect"] == "refused":  # an invoker that never onboarded: its home CCF relays nothing
        assert step["refused_by"] == ["ccf-authenticates-invoker"]
        assert outcome is StepOutcome.REFUSED and observed.startswith("401 CREDENTIAL_MISSING"), observed
        return
    method, invoker = step["args"]["m"], step["args"]["i"]
    prefers = next(entry["prefers"] for entry in trace["topology"]["invokers"] if entry["id"] == invoker)
    assert method not in prefers, "the attacker's CCF answers a method the invoker does not prefer"
    assert outcome is StepOutcome.ACCEPTED and observed.startswith(f"selected {method}"), _explain(replay)
    assert trace["steps"][-1]["action"] == "release-to-attacker"
    assert replay.steps[-1].outcome is StepOutcome.ACCEPTED, _explain(replay)


def test_a_relay_for_an_aef_the_home_ccf_does_not_know_diverges_saying_why(
    catalogue: Catalogue, targets: LocalTargets, recommended: Recommended
) -> None:
    """Under ``negotiation-routing = invoker-supplied`` the model's home CCF relays to the CCF the
    attacker controls a negotiation for an AEF registered elsewhere (``test_fidelity``'s run of 001
    6.X.2), here at a CCF without an agreement with the home CCF, which therefore knows no such AEF:
    the implementation's home CCF does not relay it, and the replay says so at that step."""
    verifier = ProfileVerifier(catalogue, "cr-interconnect")
    goal = verifier.system.expand(
        parse_formula(
            "exists h:ccf, d:ccf, i:invoker, a:aef, m:method. selected(h, i, a, m) & home(i, h)"
            " & acted6(h, d) & !aef_at(a, d)"
        )
    )
    searcher = verifier.searcher("attack")
    length = searcher.shortest(goal, 4)
    assert length is not None
    run = searcher.canonical(goal, length)
    trace = verifier.traces.build(
        run, profile="cr-interconnect", kind="counterexample", subject="relay", statement="", goal=None
    )
    step = next(step for step in trace["steps"] if step["action"] == ACTION)
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.DIVERGED, _explain(replay)
    _, outcome, observed = _played(replay, trace)
    assert outcome is StepOutcome.REFUSED
    home, aef = step["args"]["h"], step["args"]["a"]
    assert f"{home} knows no AEF {aef}" in observed, observed
    assert "it relays only for an AEF a peer published to it" in observed
