"""A bounded wait for each thing a replay asks of a target: a target that does not answer a step is a
divergence at that step, reported like any other, never a replay that hangs.

The work runs in a daemon thread; when it is still running at the deadline the replay gives up on it
(:class:`NoAnswerError`) and the caller stops using the target. The thread is left to end when the target
is stopped, or with the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

STEP_SECONDS = 60.0
"""How long one step (or bringing a target to a trace's start, or starting the reference
implementation's deployment) may take. A step of the reference implementation takes well under a
second, even on a busy machine; every network wait inside it is bounded by 10 s already."""

T = TypeVar("T")


class NoAnswerError(Exception):
    """The work was still running at its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:.0f} s")
        self.seconds = seconds


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``, or :class:`NoAnswerError` when it has not returned after ``seconds``; an exception it
    raises is raised here."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed to the waiting thread as it is
            failure.append(error)

    worker = threading.Thread(target=run, name="replay-step", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise NoAnswerError(seconds)
    if failure:
        raise failure[0]
    return outcome[0]
