"""Replaying traces: one trace on one target (:func:`replay_on`), or on the reference implementation
started for the purpose (:func:`replay_trace`, :func:`replay_all`), in the modes of
:mod:`replay.judge`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from impl.catalogue_profiles import ProfileError, settings_for_profile
from impl.deployment import DeploymentError
from impl.settings import Settings, SettingsError
from replay.catalogue import ActionConditions
from replay.deadline import STEP_SECONDS, NoAnswerError, within
from replay.documents import TraceChecker
from replay.errors import NotReplayableError, TargetLacksError, TraceError
from replay.judge import Mode, Status, judge
from replay.local import ONE_PROVIDER, LocalTargets
from replay.observation import Observation
from replay.plan import layout_of, plan_trace
from replay.report import ReplayReport, StepOutcome, StepReplay, TraceReplay
from replay.target import Target, TargetError
from replay.wire import StepDriver

BOTH_MODES = (Mode.AS_PROFILE, Mode.RECOMMENDED)
RECOMMENDED_PROFILE = "recommended"


def _step(step: Mapping[str, Any], outcome: StepOutcome, observed: str) -> StepReplay:
    return StepReplay(
        n=step["n"],
        action=step["action"],
        text=step["text"],
        outcome=outcome,
        observed=observed,
        checks_missing=tuple(entry["check"] for entry in step["checks_missing"]),
    )


def _result(
    trace: Mapping[str, Any],
    mode: Mode,
    status: Status,
    reason: str,
    *,
    start: float,
    steps: Sequence[StepReplay] = (),
    hung: bool = False,
) -> TraceReplay:
    return TraceReplay(
        profile=trace["profile"],
        kind=trace["kind"],
        subject=trace["subject"],
        mode=mode,
        status=status,
        reason=reason,
        steps=tuple(steps),
        seconds=time.perf_counter() - start,
        hung=hung,
    )


Observed = list[tuple[Mapping[str, Any], Observation | None]]


class _HungError(Exception):
    """The target did not answer ``step`` (None: bringing it to the trace's start) in time."""

    def __init__(self, observed: Observed, step: Mapping[str, Any] | None, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:.0f} s")
        self.observed = observed
        self.step = step
        self.seconds = seconds


def _drive(driver: StepDriver, trace: Mapping[str, Any], step_seconds: float) -> Observed:
    """Run the steps until the first that is not accepted; each within ``step_seconds``."""
    try:
        within(step_seconds, driver.prepare)
    except NoAnswerError as late:
        raise _HungError([], None, late.seconds) from None
    observed: Observed = []
    for step in trace["steps"]:
        try:
            seen = within(step_seconds, partial(driver.run, step))
        except NoAnswerError as late:
            raise _HungError(observed, step, late.seconds) from None
        observed.append((step, seen))
        if seen is not None and not seen.accepted:
            break
    return observed


def _hung(trace: Mapping[str, Any], mode: Mode, hang: _HungError, start: float) -> TraceReplay:
    """A target that did not answer a step: a divergence at that step (the model expects an answer,
    accepted or refused, at every step)."""
    where = "bringing the target to the trace's start" if hang.step is None else f"step {hang.step['n']}"
    reason = f"the target gave no answer within {hang.seconds:.0f} s at {where}; it hangs there"
    steps = [_observed_step(step, seen) for step, seen in hang.observed]
    if hang.step is not None:
        steps.append(_step(hang.step, StepOutcome.NO_ANSWER, f"no answer within {hang.seconds:.0f} s"))
    steps += [_step(step, StepOutcome.NOT_RUN, "") for step in trace["steps"][len(steps) :]]
    return _result(trace, mode, Status.DIVERGED, reason, start=start, steps=steps, hung=True)


def _observed_step(step: Mapping[str, Any], seen: Observation | None) -> StepReplay:
    if seen is None:
        folded = "folded into the invoker's next check-authentication at that AEF"
        return _step(step, StepOutcome.FOLDED, folded)
    return _step(step, StepOutcome.ACCEPTED if seen.accepted else StepOutcome.REFUSED, seen.summary)


@dataclass(frozen=True)
class Recommended:
    """The ``recommended`` profile as the replayer uses it: the implementation's settings, and which
    actions are procedures of it."""

    settings: Settings
    procedures: ActionConditions


def recommended_profile(spec_dir: Path | None = None) -> Recommended:
    """The catalogue's ``recommended`` profile (:class:`TraceError` when it cannot be read)."""
    try:
        settings = settings_for_profile(RECOMMENDED_PROFILE, spec_dir)
    except ProfileError as error:
        raise TraceError(f"cannot read the {RECOMMENDED_PROFILE} profile: {error}") from None
    return Recommended(settings, ActionConditions(RECOMMENDED_PROFILE, spec_dir))


def replay_on(
    trace: Mapping[str, Any],
    target: Target,
    mode: Mode,
    recommended: Recommended | None = None,
    step_seconds: float = STEP_SECONDS,
) -> TraceReplay:
    """Replay a checked trace on ``target``, which is configured as ``mode`` says (``recommended``:
    the profile, read from the installed catalogue unless given). A step (or bringing the target to
    the trace's start) not answered within ``step_seconds`` is a divergence there; the result says
    ``hung`` and the target should not be used again."""
    start = time.perf_counter()
    if mode is Mode.AS_PROFILE and "mutant" in trace:
        removed = ", ".join(
            f"{entry['check']} ({entry['action'] or 'every action'})" for entry in trace["mutant"]
        )
        reason = f"a mutant trace (checks removed on purpose: {removed}); no setting removes a check"
        return _result(trace, mode, Status.NOT_REPLAYABLE, reason, start=start)
    try:
        plan = within(step_seconds, partial(plan_trace, trace, target))
        driver = StepDriver(target, plan)
        try:
            observed = _drive(driver, trace, step_seconds)
        finally:
            with contextlib.suppress(NoAnswerError):
                within(step_seconds, driver.close)
    except NoAnswerError as late:
        return _hung(trace, mode, _HungError([], None, late.seconds), start)
    except _HungError as hang:
        return _hung(trace, mode, hang, start)
    except NotReplayableError as error:
        return _result(trace, mode, Status.NOT_REPLAYABLE, error.reason, start=start)
    except TargetLacksError as error:
        return _result(trace, mode, Status.TARGET_LACKS, error.reason, start=start)
    except TargetError as error:
        return _result(trace, mode, Status.DIVERGED, f"the target failed: {error}", start=start)
    steps = [_observed_step(step, seen) for step, seen in observed]
    steps += [_step(step, StepOutcome.NOT_RUN, "") for step in trace["steps"][len(observed) :]]
    variants: frozenset[int] = frozenset()
    if mode is Mode.RECOMMENDED:
        procedures = (recommended or recommended_profile()).procedures
        variants = frozenset(step["n"] for step in trace["steps"] if not procedures.enabled(step["action"]))
    status, reason = judge(trace, mode, observed, variants)
    return _result(trace, mode, status, reason, start=start, steps=steps)


def replay_locally(
    trace: Mapping[str, Any],
    mode: Mode,
    targets: LocalTargets,
    recommended: Recommended,
    step_seconds: float = STEP_SECONDS,
) -> TraceReplay:
    """Replay a checked trace on the reference implementation from ``targets``: configured with the
    trace's options (``as-profile``) or with ``recommended``. A deployment that does not start, or
    does not answer a step, within ``step_seconds`` is a divergence, and ``targets`` drops it."""
    start = time.perf_counter()
    try:
        settings = (
            recommended.settings
            if mode is Mode.RECOMMENDED
            else Settings.from_options(trace["options"], ignore_unknown=True, allow_unsafe=True)
        )
    except SettingsError as error:
        return _result(trace, mode, Status.NOT_REPLAYABLE, f"the trace's options: {error}", start=start)
    try:
        layout = layout_of(trace)
    except NotReplayableError:
        layout = ONE_PROVIDER  # replay_on says why, after what a mutant trace must say first
    try:
        target = within(step_seconds, partial(targets.get, settings, layout))
    except (DeploymentError, OSError) as error:
        return _result(trace, mode, Status.DIVERGED, f"the deployment failed to start: {error}", start=start)
    except NoAnswerError as late:
        targets.discard(settings, layout)
        reason = f"the deployment did not start within {late.seconds:.0f} s"
        return _result(trace, mode, Status.DIVERGED, reason, start=start, hung=True)
    replayed = replay_on(trace, target, mode, recommended, step_seconds)
    if replayed.hung:
        targets.discard(settings, layout)
    return replayed


def replay_trace(
    trace: dict[str, Any], *, mode: Mode, workdir: Path, recommended: Recommended | None = None
) -> TraceReplay:
    """Replay one trace on the reference implementation, started in ``workdir`` and stopped after:
    configured with the trace's options (``as-profile``) or the recommended settings."""
    checked = TraceChecker().check(trace, "the trace")
    with LocalTargets(workdir) as targets:
        return replay_locally(checked, mode, targets, recommended or recommended_profile())


def replay_all(
    traces: Iterable[dict[str, Any]],
    workdir: Path,
    *,
    modes: Sequence[Mode] = BOTH_MODES,
    recommended: Recommended | None = None,
) -> ReplayReport:
    """Replay every trace in every mode; the traces with the same settings share one deployment."""
    start = time.perf_counter()
    checker = TraceChecker()
    checked = [checker.check(trace, f"trace {index + 1}") for index, trace in enumerate(traces)]
    reference = recommended or recommended_profile()
    with LocalTargets(workdir) as targets:
        replays = tuple(
            replay_locally(trace, mode, targets, reference) for trace in checked for mode in modes
        )
    return ReplayReport(replays, time.perf_counter() - start)
