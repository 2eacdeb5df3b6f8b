"""The catalogue's single-provider traces replay on the reference implementation in both modes:
witnesses run in both (under the recommended settings, one that relies on a check its profile lacks
is stopped there); the OpenCAPIF-observed attacks work as-profile and are refused under the
recommended settings at the step that lists the missing check, with the refusal the implementation
documents for it. The interconnection witnesses run on two providers whose CCFs are interconnected over
CAPIF-6/6e; a witness relying on a procedure ``recommended`` does not have (the home CCF selecting and
the policy fallback of contribution 000) is stopped by the recommended variant.

Of several equally short traces the model may write any one; the tests assert what every one of them
must show (where a replay stops, and by which check), not a step number the trace does not fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from model.catalogue import Catalogue
from model.verify import ProfileVerifier
from replay import LocalTargets, Mode, Status, StepOutcome, StepReplay, TraceReplay
from replay.judge import DOCUMENTED_REFUSALS
from replay.run import Recommended, replay_locally

Trace = dict[str, Any]
WITNESSES = [
    ("ts33122-rel18", "psk-one-provider"),
    ("ts33122-rel18", "pki-one-provider"),
    ("ts33122-rel18", "oauth-one-provider"),
    ("cr-method-update", "method-update-recovery"),
    ("opencapif-observed", "oauth-one-provider"),
    ("recommended", "pki-one-provider"),
    ("recommended", "psk-interconnected"),
    ("recommended", "pki-interconnected"),
    ("recommended", "oauth-interconnected"),
    ("ki2-conclusion", "psk-interconnected"),
    ("sol2-capif8", "resource-owner-token"),
]
ATTACKS = [
    ("opencapif-observed", "token-subject"),
    ("opencapif-observed", "token-scope"),
    ("opencapif-observed", "invoker-authentication"),
    ("opencapif-observed", "provider-policy"),
]


def _explain(replay: TraceReplay) -> str:
    return "\n".join(replay.lines() + [f"{s.n}. {s.action}: {s.outcome}: {s.observed}" for s in replay.steps])


def _stopped_where_documented(trace: Trace, replay: TraceReplay) -> StepReplay:
    """The one refused step: it lists a missing check, the refusal is one documented for it, and
    nothing after it ran."""
    refused = [step for step in replay.steps if step.outcome is StepOutcome.REFUSED]
    assert len(refused) == 1, _explain(replay)
    stop = refused[0]
    assert stop.checks_missing, _explain(replay)
    documented = set().union(*(DOCUMENTED_REFUSALS[check] for check in stop.checks_missing))
    assert any(refusal in stop.observed for refusal in documented), _explain(replay)
    after = replay.steps[replay.steps.index(stop) + 1 :]
    assert all(step.outcome is StepOutcome.NOT_RUN for step in after)
    assert len(replay.steps) == len(trace["steps"])
    return stop


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(("profile", "witness_id"), WITNESSES)
def test_a_witness_runs_in_both_modes(
    profile: str,
    witness_id: str,
    mode: Mode,
    *,
    witness: Callable[[str, str], Trace],
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    trace = witness(profile, witness_id)
    replay = replay_locally(trace, mode, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert [step.n for step in replay.steps] == [step["n"] for step in trace["steps"]]
    if mode is Mode.RECOMMENDED and any(step["checks_missing"] for step in trace["steps"]):
        _stopped_where_documented(trace, replay)
        return
    if mode is Mode.RECOMMENDED and profile != "recommended" and "stopped at" in replay.reason:
        assert "whose procedure differs under recommended" in replay.reason, _explain(replay)
        return
    assert all(step.outcome in (StepOutcome.ACCEPTED, StepOutcome.FOLDED) for step in replay.steps)
    assert replay.steps[-1].outcome is StepOutcome.ACCEPTED, _explain(replay)


def test_the_method_update_witness_meets_the_mismatch_failure(
    witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Whichever old method the witness withdraws, and whether or not the AEF fetched the invoker's
    security information before: contribution 004's mismatch failure."""
    trace = witness("cr-method-update", "method-update-recovery")
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    mismatch = next(step for step in replay.steps if step.action == "mismatch-failure")
    assert mismatch.outcome is StepOutcome.ACCEPTED
    assert "403 SECURITY_METHOD_MISMATCH" in mismatch.observed, mismatch.observed


@pytest.mark.parametrize(("profile", "property_id"), ATTACKS)
def test_an_opencapif_attack_works_as_profile(
    profile: str,
    property_id: str,
    counterexample: Callable[..., Trace],
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    trace = counterexample(profile, property_id)
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert all(step.outcome is not StepOutcome.REFUSED for step in replay.steps)
    assert any(step["checks_missing"] for step in trace["steps"])


@pytest.mark.parametrize(("profile", "property_id"), ATTACKS)
def test_an_opencapif_attack_is_refused_under_recommended_where_the_check_is_missing(
    profile: str,
    property_id: str,
    counterexample: Callable[..., Trace],
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    trace = counterexample(profile, property_id)
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    _stopped_where_documented(trace, replay)


def test_token_subject_stops_at_the_token_endpoint_with_invalid_client(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    trace = counterexample("opencapif-observed", "token-subject")
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    stop = next(step for step in replay.steps if step.outcome is StepOutcome.REFUSED)
    assert (stop.action, stop.checks_missing) == ("token-request", ("token-client-binding",))
    assert stop.observed.startswith("401 invalid_client")


def test_the_update_witness_recovers_once_the_aef_knew_the_old_method(
    witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Edited on purpose: the witness with an ``aef-fetch-policy`` of the invoker inserted after its
    first negotiation (a step the model allows at any time, whose effect only ``invoke`` reads), so
    that the AEF holds the invoker's security information before the method changes."""
    trace = copy.deepcopy(witness("cr-method-update", "method-update-recovery"))
    steps = trace["steps"]
    index = next(i for i, step in enumerate(steps) if step["action"] == "negotiate")
    args = steps[index]["args"]
    fetch = {
        **copy.deepcopy(steps[index]),
        "action": "aef-fetch-policy",
        "procedure": "security-information",
        "via": "CAPIF-3",
        "args": {"a": args["a"], "c": args["h"], "i": args["i"]},
        "text": f"{args['a']} asks {args['h']} for the access control policy that applies to {args['i']}",
        "checks_passed": [],
        "checks_missing": [],
        "options_in_play": [],
    }
    steps.insert(index + 1, fetch)
    for number, step in enumerate(steps, start=1):
        step["n"] = number
    for mode in Mode:
        replay = replay_locally(trace, mode, targets, recommended)
        mismatch = next(step for step in replay.steps if step.action == "mismatch-failure")
        assert mismatch.outcome is StepOutcome.ACCEPTED, _explain(replay)
        assert "403 SECURITY_METHOD_MISMATCH" in mismatch.observed, mismatch.observed
        assert replay.status is Status.REPLAYED, _explain(replay)


def test_a_psk_selection_withdrawn_before_any_fetch_meets_the_mismatch_failure(
    witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Edited on purpose: the PSK witness cut after its negotiation, followed by the APF withdrawing
    PSK and the invoker trying it: the AEF never fetched the invoker's security information and the
    invoker holds no token, yet contribution 004's mismatch failure comes (the CCF still shows the AEF
    the withdrawn selection)."""
    trace = copy.deepcopy(witness("cr-method-update", "psk-one-provider"))
    steps = trace["steps"]
    index = next(i for i, step in enumerate(steps) if step["action"] == "negotiate")
    negotiate = steps[index]
    aef, ccf, name = negotiate["args"]["a"], negotiate["args"]["h"], negotiate["args"]["i"]
    template = {**negotiate, "checks_passed": [], "checks_missing": [], "options_in_play": []}
    withdrawal = {**template, "action": "method-disable", "args": {"a": aef, "c": ccf, "m": "PSK"}}
    mismatch = {**template, "action": "mismatch-failure", "args": {"i": name, "a": aef, "m": "PSK"}}
    trace["steps"] = [*steps[: index + 1], withdrawal, mismatch]
    for number, step in enumerate(trace["steps"], start=1):
        step["n"] = number
    entry = next(entry for entry in trace["topology"]["aefs"] if entry["id"] == aef)
    entry["methods"] = sorted({*entry["methods"], "PKI"})  # the AEF keeps a method after the withdrawal
    for mode in Mode:
        replay = replay_locally(trace, mode, targets, recommended)
        assert replay.status is Status.REPLAYED, _explain(replay)
        assert "check-authentication: 403 SECURITY_METHOD_MISMATCH" in replay.steps[-1].observed


def test_a_method_update_that_reaches_the_ccf_later_meets_the_mismatch_failure(
    catalogue: Catalogue, targets: LocalTargets, recommended: Recommended
) -> None:
    """The update witness under ``method-update-propagation = delayed``: the AEF withdraws a method
    its CCF still publishes (``aef-method-disable``); the invoker still meets the AEF's mismatch
    failure and recovers. Under recommended the same step informs the CCF at once (its variant)."""
    overrides = {"method-update-propagation": "delayed"}
    verifier = ProfileVerifier(catalogue, "cr-method-update", overrides=overrides)
    trace = verifier.witness("method-update-recovery").trace
    assert trace is not None
    assert "aef-method-disable" in [step["action"] for step in trace["steps"]]
    for mode in Mode:
        replay = replay_locally(trace, mode, targets, recommended)
        assert replay.status is Status.REPLAYED, _explain(replay)
        mismatch = next(step for step in replay.steps if step.action == "mismatch-failure")
        assert "403 SECURITY_METHOD_MISMATCH" in mismatch.observed, _explain(replay)
