"""The replayer tells a divergence when there is one: an implementation that lacks the check the model
names lets the attack through under "recommended"; a target that answers otherwise than the trace
says is caught at that step. Some traces here are the model's with one step added on purpose (said
so in each test): they exercise the clock and offboarding, which no catalogue trace needs yet.

The mutants of the catalogue (``spec/mutants.yaml``: ``recommended`` with one check removed) give
counterexamples that the implementation, which keeps every check, must stop at that check. They are
searched with interconnection and CAPIF-8 off (the implementation is one CAPIF provider without an
authorization function): under ``recommended`` the shortest counterexample may otherwise go through a
CAPIF-6/6e or CAPIF-8 step."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from impl.settings import MismatchIndication, Settings
from model.catalogue import Catalogue, load_catalogue
from model.system import Removal
from replay import LocalTargets, Mode, Status, StepOutcome, TraceReplay, replay_on
from replay.judge import DOCUMENTED_REFUSALS
from replay.run import Recommended, replay_locally

Trace = dict[str, Any]
SPEC = Path(__file__).resolve().parents[2] / "spec"
ONE_PROVIDER = {"interconnection": "not-supported", "capif8": "not-supported"}


def _explain(replay: TraceReplay) -> str:
    return "\n".join(replay.lines() + [f"{s.n}. {s.action}: {s.outcome}: {s.observed}" for s in replay.steps])


def _with_step(trace: Trace, before: str, action: str, args: dict[str, str], text: str) -> Trace:
    """``trace`` with one honest step inserted before the first step of action ``before``."""
    edited = copy.deepcopy(trace)
    steps = edited["steps"]
    index = next(i for i, step in enumerate(steps) if step["action"] == before)
    steps.insert(
        index,
        {
            **copy.deepcopy(steps[index]),
            "action": action,
            "actor": "honest",
            "via": "-",
            "args": args,
            "text": text,
            "checks_passed": [],
            "checks_missing": [],
            "options_in_play": [],
        },
    )
    for number, step in enumerate(steps, start=1):
        step["n"] = number
    return edited


def _first_refused(replay: TraceReplay) -> tuple[str, str]:
    step = next(step for step in replay.steps if step.outcome is StepOutcome.REFUSED)
    return step.action, step.observed


def test_an_attack_that_goes_through_under_recommended_is_a_divergence(
    counterexample: Callable[..., Trace], targets: LocalTargets
) -> None:
    trace = counterexample("opencapif-observed", "token-subject")
    weak = targets.get(Settings.from_options(trace["options"], ignore_unknown=True, allow_unsafe=True))
    replay = replay_on(trace, weak, Mode.RECOMMENDED)
    assert replay.status is Status.DIVERGED, _explain(replay)
    assert "the attack is not stopped" in replay.reason


def test_a_missing_mismatch_indication_is_a_divergence_of_the_update_witness(
    witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    trace = witness("cr-method-update", "method-update-recovery")
    profile = Settings.from_options(trace["options"], ignore_unknown=True, allow_unsafe=True)
    silent = targets.get(replace(profile, mismatch_indication=MismatchIndication.OFF))
    replay = replay_on(trace, silent, Mode.AS_PROFILE)
    assert replay.status is Status.DIVERGED, _explain(replay)
    mismatch = next(step["n"] for step in trace["steps"] if step["action"] == "mismatch-failure")
    assert replay.reason.startswith(f"step {mismatch} (mismatch-failure)"), replay.reason
    assert "expected the mismatch failure" in replay.reason


def test_an_expired_token_is_refused_and_the_next_trace_gets_a_fresh_deployment(
    witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Edited on purpose: the OAUTH witness with its token expiring before it is used."""
    trace = witness("ts33122-rel18", "oauth-one-provider")
    token = next(step["args"]["t"] for step in trace["steps"] if step["action"] == "oauth-invoke")
    expired = _with_step(trace, "oauth-invoke", "token-expires", {"t": token}, f"{token} expires")
    replay = replay_locally(expired, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.DIVERGED, _explain(replay)
    assert _first_refused(replay)[0] == "oauth-invoke"
    assert _first_refused(replay)[1].startswith("401 CREDENTIAL_INVALID")
    again = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert again.status is Status.REPLAYED, _explain(again)


@pytest.mark.parametrize("mode", list(Mode))
def test_an_offboarded_invoker_is_refused_on_its_open_psk_session(
    mode: Mode, witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Edited on purpose: the PSK witness with the invoker offboarded between session and invocation."""
    trace = witness("ts33122-rel18", "psk-one-provider")
    session = next(step for step in trace["steps"] if step["action"] == "psk-session")
    invoker = session["args"]["i"]
    ccf = next(step["args"]["c"] for step in trace["steps"] if step["action"] == "onboard")
    edited = _with_step(trace, "invoke", "offboard", {"i": invoker, "c": ccf}, f"{invoker} is offboarded")
    replay = replay_locally(edited, mode, targets, recommended)
    assert replay.status is Status.DIVERGED, _explain(replay)
    action, observed = _first_refused(replay)
    assert action == "invoke"
    assert any(observed.startswith(refusal) for refusal in DOCUMENTED_REFUSALS["aef-revocation"]), observed


@pytest.mark.parametrize("mutant_id", list(load_catalogue(SPEC).mutants))
def test_the_implementation_stops_every_mutant_counterexample_at_the_removed_check(
    mutant_id: str,
    catalogue: Catalogue,
    counterexample: Callable[..., Trace],
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    """Each mutant of the catalogue removes one check from ``recommended``; its counterexample, on the
    providers it needs (CCFs, ROFs and AEFs the attacker controls included), is not replayable
    as-profile (no setting removes a check) and stopped under the recommended settings at a step that
    lists the removed check, with a refusal documented for it."""
    mutant = catalogue.mutants[mutant_id]
    trace = counterexample(mutant.profile, mutant.breaks, (Removal(mutant.check, mutant.action),))
    assert replay_locally(trace, Mode.AS_PROFILE, targets, recommended).status is Status.NOT_REPLAYABLE
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    stop = next(step for step in replay.steps if step.outcome is StepOutcome.REFUSED)
    assert mutant.check in stop.checks_missing, _explain(replay)
    documented = DOCUMENTED_REFUSALS[mutant.check]
    assert any(refusal in stop.observed for refusal in documented), _explain(replay)


def test_the_implementation_stops_the_policy_mutant_at_the_policy_check(
    catalogue: Catalogue,
    counterexample: Callable[..., Trace],
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    """The invoker authenticates (it negotiated for the AEF, naming an API there the steps do not use
    if the policy grants it none they use), and the AEF refuses the API the policy does not grant it:
    403 API_INVOKER_NOT_AUTHORIZED on the invocation, not earlier."""
    mutant = catalogue.mutants["aef-skips-policy"]
    removal = (Removal(mutant.check, mutant.action),)
    trace = counterexample(mutant.profile, mutant.breaks, removal, ONE_PROVIDER)
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    action, observed = _first_refused(replay)
    assert action in ("invoke", "invoke-attacker", "oauth-invoke", "oauth-invoke-attacker"), _explain(replay)
    assert observed.startswith("403 API_INVOKER_NOT_AUTHORIZED"), observed


def test_a_certificate_fetch_without_pki_negotiated_is_refused_at_check_authentication(
    witness: Callable[[str, str], Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Edited on purpose: the PKI witness with its invoker negotiating OAUTH instead, so that its
    certificate fetch lists ``pki-negotiated`` as missing (what a mutant without that check gives):
    the CCF has no certificate information of the invoker for the AEF, and the AEF refuses it at
    check-authentication on its PKI interface."""
    trace = copy.deepcopy(witness("recommended", "pki-one-provider"))
    for step in trace["steps"]:
        if step["action"] == "negotiate":
            step["args"]["m"] = "OAUTH"
            invoker, aef = step["args"]["i"], step["args"]["a"]
        if step["action"] == "aef-fetch-certificate":
            step["checks_missing"] = [{"check": "pki-negotiated", "because": "edited on purpose"}]
    # The witness's deployment has only what PKI needs: the invoker now prefers OAUTH, which the AEF offers.
    for entry in trace["topology"]["invokers"]:
        if entry["id"] == invoker:
            entry["prefers"] = ["OAUTH"]
    for entry in trace["topology"]["aefs"]:
        if entry["id"] == aef:
            entry["methods"] = sorted({*entry["methods"], "OAUTH"})
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert _first_refused(replay) == (
        "aef-fetch-certificate",
        "check-authentication: 403 API_INVOKER_NOT_AUTHORIZED"
        " (the API invoker is not authorized for this interface; negotiate with the CAPIF core function)",
    )


def test_garbled_arguments_end_in_a_verdict_never_an_exception(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """Edited on purpose: each argument of each step in turn replaced by a name no step creates."""
    trace = counterexample("opencapif-observed", "invoker-authentication")
    for index, step in enumerate(trace["steps"]):
        for parameter in step["args"]:
            garbled = copy.deepcopy(trace)
            garbled["steps"][index]["args"][parameter] = "nobody"
            replay = replay_locally(garbled, Mode.AS_PROFILE, targets, recommended)
            assert replay.status in (Status.REPLAYED, Status.DIVERGED, Status.NOT_REPLAYABLE)
            assert replay.reason
