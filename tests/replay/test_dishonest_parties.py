"""Dishonest parties are played by real instances whose keys the attacker holds, over the same wire as
the honest ones; the honest parties stay the unmodified implementation.

An AEF the attacker controls is an AEF of a further provider, registered at the CCF and serving its
interfaces like any other; the attacker holds its CCF-issued CAPIF-3 certificate and key and asks the
CCF itself. The traces of that part are the model's PSK witness edited on purpose (said so in each
test): its AEF marked as the attacker's, as the model's honest invokers talking to dishonest AEFs do.

A CCF the attacker controls is the CCF of a further provider, run as the implementation has it and
interconnected as the trace says; the attacker holds its certificate, CA and token key, speaks on
CAPIF-6/6e with the implementation's client, and answers its peers through an endpoint of its own.
Those traces are the model's counterexamples: each attack works as its profile and is stopped under
the recommended settings where the model says."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from impl.settings import Settings
from replay import LocalTarget, LocalTargets, Mode, Status, StepOutcome, TraceReplay, replay_on
from replay.plan import plan_trace
from replay.run import Recommended, replay_locally
from tests.replay.traces import with_dishonest_aef

Trace = dict[str, Any]


@pytest.fixture(scope="module")
def local(targets: LocalTargets) -> LocalTarget:
    return targets.get(Settings())


def _other_aef(trace: Trace, aef: str) -> dict[str, Any]:
    """Another AEF of the trace's topology; when the model's run needed only ``aef``, a copy of its
    entry under another name, added for the purpose (which AEFs a run lists is the solver's choice)."""
    entries = trace["topology"]["aefs"]
    other = next((entry for entry in entries if entry["id"] != aef), None)
    if other is None:
        other = {**copy.deepcopy(next(entry for entry in entries if entry["id"] == aef)), "id": "aef-other"}
        entries.append(other)
    return other


def _explain(replay: TraceReplay) -> str:
    return "\n".join(replay.lines() + [f"{s.n}. {s.action}: {s.outcome}: {s.observed}" for s in replay.steps])


def test_an_aef_the_attacker_controls_gets_the_aefpsk_of_an_invoker_negotiating_with_it(
    witness: Callable[[str, str], Trace], local: LocalTarget
) -> None:
    trace = with_dishonest_aef(witness("ts33122-rel18", "psk-one-provider"))
    aef = trace["steps"][-1]["args"]["a"]
    plan = plan_trace(trace, local)
    held = plan.attacker_aefs[aef]
    honest_ids = {entry.aef_id for entry in local.aefs(local.provider.name, 1)}
    assert held.aef.aef_id not in honest_ids
    for mode in Mode:
        replay = replay_on(trace, local, mode)
        assert replay.status is Status.REPLAYED, _explain(replay)
        fetched = replay.steps[-1]
        assert fetched.outcome is StepOutcome.ACCEPTED
        assert f"gave {held.aef.aef_id}, whose keys the attacker holds, the AEFPSK of" in fetched.observed


def test_the_key_the_dishonest_aef_got_opens_no_session_at_an_honest_aef(
    witness: Callable[[str, str], Trace], local: LocalTarget
) -> None:
    """Edited on purpose, further: the attacker then tries the AEFPSK it got at an honest AEF, as the
    invoker. The model has no such step (AEFPSK is bound to the AEF's interface, TS 33.122 Annex
    A.1), so the replay must diverge there: the honest AEF refuses the handshake. (The trace's other
    AEF is made an honest PSK AEF of the same CCF for the purpose.)"""
    trace = with_dishonest_aef(witness("ts33122-rel18", "psk-one-provider"))
    fetch = trace["steps"][-1]
    other = _other_aef(trace, fetch["args"]["a"])
    other.update(ccf=fetch["args"]["c"], honest=True, methods=["PSK"])
    honest = other["id"]
    attempt = {
        **copy.deepcopy(fetch),
        "n": fetch["n"] + 1,
        "action": "psk-session-attacker",
        "via": "CAPIF-2e",
        "args": {"a": honest, "i": fetch["args"]["i"], "k": fetch["args"]["k"]},
        "text": "the attacker opens TLS-PSK to an honest AEF with the key the dishonest AEF got",
    }
    trace["steps"].append(attempt)
    replay = replay_on(trace, local, Mode.AS_PROFILE)
    assert replay.status is Status.DIVERGED, _explain(replay)
    assert replay.steps[-2].outcome is StepOutcome.ACCEPTED
    assert replay.steps[-1].outcome is StepOutcome.REFUSED
    assert replay.steps[-1].observed.startswith("TLS handshake refused"), _explain(replay)


def test_a_dishonest_aef_asking_for_another_aefs_key_has_no_rest_form(
    witness: Callable[[str, str], Trace], local: LocalTarget
) -> None:
    trace = with_dishonest_aef(witness("ts33122-rel18", "psk-one-provider"))
    fetch = trace["steps"][-1]
    other = _other_aef(trace, fetch["args"]["a"])
    other.update(ccf=fetch["args"]["c"])
    fetch["args"]["b"] = other["id"]
    replay = replay_on(trace, local, Mode.RECOMMENDED)
    assert replay.status is Status.NOT_REPLAYABLE
    assert "GET trustedInvokers names no AEF" in replay.reason


ATTACKER_CCF_STEPS = ("release-to-attacker", "token-relayed-by-attacker", "fetch-from-attacker")


@pytest.mark.parametrize(
    ("profile", "property_id"),
    [
        ("cr-interconnect", "psk-secrecy"),
        ("cr-interconnect", "token-subject"),
        ("sol13-psk", "invoker-authentication"),
    ],
)
def test_a_ccf_the_attacker_controls_carries_the_attack_as_its_profile_and_is_stopped_under_recommended(
    profile: str,
    property_id: str,
    counterexample: Callable[..., Trace],
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    trace = counterexample(profile, property_id)
    dishonest = next(step for step in trace["steps"] if step["action"] in ATTACKER_CCF_STEPS)
    as_profile = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert as_profile.status is Status.REPLAYED, _explain(as_profile)
    played = next(step for step in as_profile.steps if step.n == dishonest["n"])
    assert played.outcome is StepOutcome.ACCEPTED, _explain(as_profile)
    under_recommended = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert under_recommended.status is Status.REPLAYED, _explain(under_recommended)
    assert under_recommended.reason.startswith("stopped at step"), under_recommended.reason
