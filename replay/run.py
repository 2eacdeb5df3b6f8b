"""Replaying traces: one trace on one target (:func:`replay_on`), or on the reference implementation
started for the purpose (:func:`replay_trace`, :func:`replay_all`), in the modes of
:mod:`replay.judge`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impl.catalogue_profiles import ProfileError, settings_for_profile
from impl.deployment import DeploymentError
from impl.settings import Settings, SettingsError
from replay.catalogue import ActionConditions
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
    )


def _drive(
    driver: StepDriver, trace: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], Observation | None]]:
    """Run the steps until the first that is not accepted."""
    driver.prepare()
    observed: list[tuple[Mapping[str, Any], Observation | None]] = []
    for step in trace["steps"]:
        seen = driver.run(step)
        observed.append((step, seen))
        if seen is not None and not seen.accepted:
            break
    return observed


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
    trace: Mapping[str, Any], target: Target, mode: Mode, recommended: Recommended | None = None
) -> TraceReplay:
    """Replay a checked trace on ``target``, which is configured as ``mode`` says (``recommended``:
    the profile, read from the installed catalogue unless given)."""
    start = time.perf_counter()
    if mode is Mode.AS_PROFILE and "mutant" in trace:
        removed = ", ".join(
            f"{entry['check']} ({entry['action'] or 'every action'})" for entry in trace["mutant"]
        )
        reason = f"a mutant trace (checks removed on purpose: {removed}); no setting removes a check"
        return _result(trace, mode, Status.NOT_REPLAYABLE, reason, start=start)
    try:
        plan = plan_trace(trace, target)
        driver = StepDriver(target, plan)
        try:
            observed = _drive(driver, trace)
        finally:
            driver.close()
    except NotReplayableError as error:
        return _result(trace, mode, Status.NOT_REPLAYABLE, error.reason, start=start)
    except TargetLacksError as error:
        return _result(trace, mode, Status.TARGET_LACKS, error.reason, start=start)
    except TargetError as error:
        return _result(trace, mode, Status.DIVERGED, f"the target failed: {error}", start=start)
    steps = [
        _step(step, StepOutcome.FOLDED, "folded into the invoker's next check-authentication at that AEF")
        if seen is None
        else _step(step, StepOutcome.ACCEPTED if seen.accepted else StepOutcome.REFUSED, seen.summary)
        for step, seen in observed
    ]
    steps += [_step(step, StepOutcome.NOT_RUN, "") for step in trace["steps"][len(observed) :]]
    variants: frozenset[int] = frozenset()
    if mode is Mode.RECOMMENDED:
        procedures = (recommended or recommended_profile()).procedures
        variants = frozenset(step["n"] for step in trace["steps"] if not procedures.enabled(step["action"]))
    status, reason = judge(trace, mode, observed, variants)
    return _result(trace, mode, status, reason, start=start, steps=steps)


def replay_locally(
    trace: Mapping[str, Any], mode: Mode, targets: LocalTargets, recommended: Recommended
) -> TraceReplay:
    """Replay a checked trace on the reference implementation from ``targets``: configured with the
    trace's options (``as-profile``) or with ``recommended``."""
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
        target = targets.get(settings, layout)
    except (DeploymentError, OSError) as error:
        return _result(trace, mode, Status.DIVERGED, f"the deployment failed to start: {error}", start=start)
    return replay_on(trace, target, mode, recommended)


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
