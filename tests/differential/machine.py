"""The differential test as a Hypothesis state machine: Hypothesis chooses a profile, a deployment and
a sequence of requests (honest and attacker actions); the model predicts the outcome of each
(:class:`~tests.differential.runs.ModelRun`); at the end the run is replayed on the reference
implementation, which must agree step by step.

The comparison has one named mode, ``outcomes``: every step the model accepts is accepted, and a step
it refuses is refused with a refusal documented for one of its ``refused_by`` checks
(:func:`replay.judge.judge`, ``as-profile``). On a mismatch the full input is printed (the trace and
what the implementation did at each step), and the shrunk trace is written as a regression case
(:data:`REGRESSIONS`), replayed by ``test_regressions.py`` from then on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from model.catalogue import Catalogue
from replay import LocalTargets, Mode, Status, TraceReplay
from replay.documents import TraceChecker
from replay.run import Recommended, replay_locally
from tests.differential.runs import ModelRun, deployments

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
MAX_STEPS = 8
COMPARISON = "outcomes"


@dataclass(frozen=True)
class Harness:
    """What every example shares: the catalogue, the profiles to choose from, the running targets."""

    catalogue: Catalogue
    profiles: tuple[str, ...]
    targets: LocalTargets
    recommended: Recommended
    checker: TraceChecker
    regressions: Path = REGRESSIONS


def explain(trace: dict[str, Any], replay: TraceReplay) -> str:
    """The full input and what the implementation did, for a mismatch."""
    steps = "\n".join(f"  {s.n}. {s.action}: {s.outcome}: {s.observed}" for s in replay.steps)
    return (
        f"comparison '{COMPARISON}' failed: {replay.status}: {replay.reason}\n"
        f"what the implementation did:\n{steps}\n"
        f"the trace:\n{json.dumps(trace, indent=2)}"
    )


def keep_as_regression(trace: dict[str, Any], folder: Path) -> Path:
    """Write the (shrunk) trace of a mismatch under ``folder``, named after its content."""
    text = json.dumps(trace, indent=2) + "\n"
    path = folder / f"{trace['profile']}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def machine(harness: Harness) -> type[RuleBasedStateMachine]:
    """The state machine class for ``harness`` (Hypothesis instantiates it once per example)."""

    class Differential(RuleBasedStateMachine):
        run: ModelRun | None = None

        @initialize(data=st.data())
        def deploy(self, data: st.DataObject) -> None:
            profile = data.draw(st.sampled_from(harness.profiles), label="profile")
            initial = data.draw(deployments(harness.catalogue, profile), label="deployment")
            self.run = ModelRun(harness.catalogue, profile, initial)

        @rule(data=st.data())
        def request(self, data: st.DataObject) -> None:
            """The next request; nothing once a request was refused (the implementation stops there)."""
            assert self.run is not None
            if self.run.refused or len(self.run.steps) >= MAX_STEPS:
                return
            possible = self.run.requests()
            if not possible:
                return
            chosen = data.draw(st.sampled_from(possible), label="request")
            note(str(chosen))
            self.run.take(chosen)

        def teardown(self) -> None:
            if self.run is None or not self.run.steps:
                return
            trace = harness.checker.check(self.run.trace(), "the differential trace")
            replay = replay_locally(trace, Mode.AS_PROFILE, harness.targets, harness.recommended)
            if replay.status in (Status.REPLAYED, Status.NOT_REPLAYABLE, Status.TARGET_LACKS):
                note(f"{replay.status}: {replay.reason}")
                return
            if current_build_context().is_final:
                note(f"kept as {keep_as_regression(trace, harness.regressions)}")
            raise AssertionError(explain(trace, replay))

    return Differential
