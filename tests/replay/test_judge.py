"""The verdict rules of :func:`replay.judge.judge`, on a counterexample and a witness of the model and
observations made up for each rule (no deployment here)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from model.catalogue import Catalogue
from replay import Mode, Status
from replay.actions import PARAMETERS
from replay.judge import DOCUMENTED_REFUSALS, judge
from replay.observation import HANDSHAKE_REFUSED, Observation, accepted, failed, refused

Trace = dict[str, Any]
OK = accepted("200 OK")


@pytest.fixture(scope="module")
def attack(counterexample: Callable[..., Trace]) -> Trace:
    """token-subject under opencapif-observed: its token request lists token-client-binding."""
    return counterexample("opencapif-observed", "token-subject")


def _stop_index(trace: Trace) -> int:
    return next(i for i, step in enumerate(trace["steps"]) if step["checks_missing"])


def _observed(trace: Trace, last: Observation, at: int) -> Sequence[tuple[Trace, Observation | None]]:
    return [(step, OK) for step in trace["steps"][:at]] + [(trace["steps"][at], last)]


def test_as_profile_every_step_accepted_is_replayed(attack: Trace) -> None:
    observed = [(step, OK) for step in attack["steps"]]
    assert judge(attack, Mode.AS_PROFILE, observed) == (Status.REPLAYED, "every step accepted")


def test_as_profile_a_refusal_is_a_divergence_naming_the_step(attack: Trace) -> None:
    at = _stop_index(attack)
    status, reason = judge(attack, Mode.AS_PROFILE, _observed(attack, refused("401 invalid_client"), at))
    assert status is Status.DIVERGED
    assert reason.startswith(f"step {attack['steps'][at]['n']} ({attack['steps'][at]['action']})")
    assert "401 invalid_client" in reason


def test_recommended_the_documented_refusal_where_the_check_is_missing_is_replayed(attack: Trace) -> None:
    at = _stop_index(attack)
    check = attack["steps"][at]["checks_missing"][0]["check"]
    documented = sorted(DOCUMENTED_REFUSALS[check])[0]
    status, reason = judge(attack, Mode.RECOMMENDED, _observed(attack, refused(documented), at))
    assert status is Status.REPLAYED
    assert check in reason and documented in reason


def test_recommended_an_attack_that_goes_through_is_a_divergence(attack: Trace) -> None:
    status, reason = judge(attack, Mode.RECOMMENDED, [(step, OK) for step in attack["steps"]])
    assert status is Status.DIVERGED
    assert "not stopped" in reason


def test_recommended_another_refusal_than_documented_is_a_divergence(attack: Trace) -> None:
    at = _stop_index(attack)
    status, reason = judge(attack, Mode.RECOMMENDED, _observed(attack, refused(HANDSHAKE_REFUSED), at))
    assert status is Status.DIVERGED
    assert "is documented as" in reason


def test_recommended_a_failure_without_a_refusal_is_a_divergence(attack: Trace) -> None:
    at = _stop_index(attack)
    status, _ = judge(attack, Mode.RECOMMENDED, _observed(attack, failed("no answer"), at))
    assert status is Status.DIVERGED


def test_recommended_a_refusal_before_the_missing_check_is_a_divergence(attack: Trace) -> None:
    at = _stop_index(attack)
    assert at > 0
    check = attack["steps"][at]["checks_missing"][0]["check"]
    early = refused(sorted(DOCUMENTED_REFUSALS[check])[0])
    status, reason = judge(attack, Mode.RECOMMENDED, _observed(attack, early, 0))
    assert status is Status.DIVERGED
    assert "lists no missing check" in reason


def test_a_witness_must_run_under_recommended_too(witness: Callable[[str, str], Trace]) -> None:
    trace = witness("ts33122-rel18", "oauth-one-provider")
    assert judge(trace, Mode.RECOMMENDED, [(step, OK) for step in trace["steps"]])[0] is Status.REPLAYED
    last = len(trace["steps"]) - 1
    status, _ = judge(trace, Mode.RECOMMENDED, _observed(trace, refused("401 CREDENTIAL_INVALID"), last))
    assert status is Status.DIVERGED


def test_folded_steps_neither_pass_nor_fail(witness: Callable[[str, str], Trace]) -> None:
    trace = witness("ts33122-rel18", "oauth-one-provider")
    observed = [(step, None if index == 0 else OK) for index, step in enumerate(trace["steps"])]
    assert judge(trace, Mode.AS_PROFILE, observed)[0] is Status.REPLAYED


def test_every_check_a_single_provider_step_can_miss_has_a_documented_refusal(catalogue: Catalogue) -> None:
    """Every check guarding an action the replayer drives is in the table (else no counterexample
    stopped there could ever count as replayed)."""
    guarded = {
        guard.check
        for action_id in PARAMETERS
        for guard in catalogue.actions[action_id].guards
        if guard.check is not None
    }
    assert guarded <= set(DOCUMENTED_REFUSALS), guarded - set(DOCUMENTED_REFUSALS)


def test_a_witness_relying_on_a_missing_check_is_judged_like_a_counterexample(
    witness: Callable[[str, str], Trace],
) -> None:
    """Edited on purpose: the OAUTH witness with its invocation marked as relying on a check its
    profile lacks (as a witness of a profile without the AEF's scope check may)."""
    trace = copy.deepcopy(witness("ts33122-rel18", "oauth-one-provider"))
    last = len(trace["steps"]) - 1
    trace["steps"][last]["checks_missing"] = [
        {"check": "aef-checks-scope", "because": "aef-scope-check = none"}
    ]
    stopped = judge(trace, Mode.RECOMMENDED, _observed(trace, refused("401 CREDENTIAL_INVALID"), last))
    assert stopped[0] is Status.REPLAYED and "aef-checks-scope" in stopped[1]
    status, reason = judge(trace, Mode.RECOMMENDED, [(step, OK) for step in trace["steps"]])
    assert status is Status.DIVERGED and "nothing refused what the profile lacks" in reason
    assert judge(trace, Mode.AS_PROFILE, [(step, OK) for step in trace["steps"]])[0] is Status.REPLAYED
