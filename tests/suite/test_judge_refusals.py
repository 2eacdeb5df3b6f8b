"""The verdict on a trace that ends in a step the model expects refused (:func:`replay.judge.judge`),
on a generated trace and observations made up for each rule (no deployment here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replay import Mode, Status
from replay.judge import judge
from replay.observation import Observation, accepted, refused
from tests.suite.conftest import PROFILE, read

OK = accepted("200 OK")


@pytest.fixture(scope="module")
def trace(suite_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = read(suite_dir / PROFILE / "coverage" / "aef-checks-expiry" / "refused.json")
    return document


def _observed(trace: dict[str, Any], last: Observation | None) -> list[tuple[Any, Observation | None]]:
    return [(step, OK) for step in trace["steps"][:-1]] + [(trace["steps"][-1], last)]


def test_the_documented_refusal_at_the_refused_step_is_replayed(trace: dict[str, Any]) -> None:
    status, reason = judge(trace, Mode.AS_PROFILE, _observed(trace, refused("401 CREDENTIAL_INVALID")))
    assert status is Status.REPLAYED
    assert "aef-checks-expiry" in reason


@pytest.mark.parametrize(
    ("last", "status"),
    [
        (refused("403 API_INVOKER_NOT_AUTHORIZED"), Status.DIVERGED),
        (OK, Status.DIVERGED),
        (None, Status.NOT_REPLAYABLE),
    ],
)
def test_another_refusal_an_acceptance_or_a_folded_step(
    trace: dict[str, Any], last: Observation | None, status: Status
) -> None:
    assert judge(trace, Mode.AS_PROFILE, _observed(trace, last))[0] is status


def test_a_refusal_before_the_refused_step_is_a_divergence_there(trace: dict[str, Any]) -> None:
    first = trace["steps"][0]
    status, reason = judge(trace, Mode.AS_PROFILE, [(first, refused("401 CREDENTIAL_INVALID"))])
    assert status is Status.DIVERGED
    assert reason.startswith(f"step {first['n']} ({first['action']})")
