"""Replays model traces against a CAPIF deployment through the TS 29.222 REST APIs.

    replay_trace(trace, mode=Mode.AS_PROFILE, workdir=...) -> TraceReplay
    replay_all(traces, workdir) -> ReplayReport
    replay_on(trace, target, mode) -> TraceReplay        (any Target, e.g. ExternalTarget)
    main(argv) -> int                                     (capifsec replay)

A trace is replayed ``as-profile`` (on an implementation configured with the trace's options: every
step must be accepted) and ``recommended`` (with the recommended settings: a witness still runs, a
counterexample is refused at a step whose missing check the trace names). ``docs/replay.md`` has the
mapping of each action to REST calls.
"""

from replay.cli import main
from replay.errors import NotReplayableError, TargetLacksError, TraceError
from replay.external import ExternalProvider, ExternalTarget
from replay.judge import Mode, Status
from replay.local import LocalTarget, LocalTargets
from replay.report import ReplayReport, StepOutcome, StepReplay, TraceReplay
from replay.run import replay_all, replay_on, replay_trace
from replay.target import (
    Capability,
    Target,
    TargetAef,
    TargetApi,
    TargetError,
    TargetInterface,
    TargetProvider,
)

__all__ = [
    "Capability",
    "ExternalProvider",
    "ExternalTarget",
    "LocalTarget",
    "LocalTargets",
    "Mode",
    "NotReplayableError",
    "ReplayReport",
    "Status",
    "StepOutcome",
    "StepReplay",
    "Target",
    "TargetAef",
    "TargetApi",
    "TargetError",
    "TargetInterface",
    "TargetLacksError",
    "TargetProvider",
    "TraceError",
    "TraceReplay",
    "main",
    "replay_all",
    "replay_on",
    "replay_trace",
]
