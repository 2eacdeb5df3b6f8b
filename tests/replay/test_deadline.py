"""A target that does not answer a step is a divergence at that step, reported in bounded time, and
the reference implementation's deployment it happened on is not used again (``replay.deadline``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from impl.settings import Settings
from replay import LocalTarget, LocalTargets, Mode, Status, StepOutcome, replay_on
from replay.deadline import NoAnswerError, within

Trace = dict[str, Any]
STEP_SECONDS = 20.0


class _Stalled(LocalTarget):
    """The reference implementation whose operator never hands out an onboarding secret until
    ``release`` is set: the first onboarding step waits for it."""

    def __init__(self, data_dir: Path, release: threading.Event) -> None:
        super().__init__(data_dir, Settings())
        self.release = release

    def onboarding_secret(self, provider: str) -> str:
        self.release.wait()
        return super().onboarding_secret(provider)


@pytest.fixture
def stalled(tmp_path: Path) -> Iterator[_Stalled]:
    release = threading.Event()
    target = _Stalled(tmp_path, release)
    with target:
        yield target
        release.set()


def test_a_step_without_an_answer_is_a_divergence_at_that_step(
    witness: Callable[[str, str], Trace], stalled: _Stalled
) -> None:
    """The deadline also covers bringing the target to the trace's start (about 1 s of TLS work on a quiet
    machine), so it is generous: at 1 s a loaded machine hung the replay there instead of at step 1."""
    trace = witness("ts33122-rel18", "psk-one-provider")
    start = time.perf_counter()
    replay = replay_on(trace, stalled, Mode.AS_PROFILE, step_seconds=STEP_SECONDS)
    assert time.perf_counter() - start < 10 * STEP_SECONDS  # cut off, not waiting for the release
    assert replay.status is Status.DIVERGED
    assert replay.hung
    first = trace["steps"][0]
    assert first["action"] == "onboard"
    assert replay.reason == "the target gave no answer within 20 s at step 1; it hangs there"
    assert [step.outcome for step in replay.steps] == [StepOutcome.NO_ANSWER] + [StepOutcome.NOT_RUN] * (
        len(trace["steps"]) - 1
    )


def test_the_wait_is_bounded_and_passes_answers_and_errors_on() -> None:
    never = threading.Event()
    with pytest.raises(NoAnswerError, match="no answer within 0 s"):
        within(0.2, never.wait)
    never.set()
    assert within(5.0, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within(5.0, lambda: 1 // 0)


def test_a_discarded_deployment_is_replaced_on_next_use(tmp_path: Path) -> None:
    with LocalTargets(tmp_path) as targets:
        first = targets.get(Settings())
        assert targets.get(Settings()) is first
        targets.discard(Settings())
        assert targets.get(Settings()) is not first
