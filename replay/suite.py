"""Replaying a generated test suite (``capifsec traces --out DIR``; ``docs/test-suite.md``).

A suite is a folder of traces laid out as ``<profile>/<kind>/<subject>/<case>.json`` with an
``index.json`` naming, per profile, the obligations (actions that occur, checks seen passing and
refusing) and the traces that meet each. Counterexamples and witnesses are replayed in the modes asked
for (both by default); coverage and boundary traces, whose outcome the model computed for their own
profile, ``as-profile`` only. Per trace the verdict is *agree* (every replay replayed), *disagree* (a
replay diverged) or *not replayable* (otherwise: not replayable, or the target lacks something); the
coverage counts the obligations met by agreeing traces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replay.documents import TraceChecker, read_json
from replay.errors import TraceError
from replay.judge import Mode, Status
from replay.report import TraceReplay

INDEX = "index.json"
SUITE_FORMAT = "capifsec-suite/1"
TRACE_GLOB = "*/*/*/*.json"
AS_PROFILE_ONLY = frozenset({"coverage", "boundary"})
NEEDS = ("occurs", "passes", "refused")
FIGURES = {"occurs": "actions", "passes": "checks_passed", "refused": "checks_refused"}


@dataclass(frozen=True)
class SuiteTrace:
    """A trace of a suite and its path relative to the suite's folder."""

    path: str
    trace: dict[str, Any]


@dataclass(frozen=True)
class Suite:
    """A generated suite: its traces (sorted by path) and its index."""

    folder: Path
    traces: tuple[SuiteTrace, ...]
    index: Mapping[str, Any]

    @classmethod
    def read(cls, folder: Path, checker: TraceChecker, profiles: Sequence[str] = ()) -> Suite:
        """The suite in ``folder`` (only ``profiles`` when given); :class:`TraceError` when it is none."""
        index = read_json(folder / INDEX)
        if not isinstance(index, dict) or index.get("format") != SUITE_FORMAT:
            raise TraceError(f"{folder / INDEX} is not the index of a capifsec test suite ({SUITE_FORMAT})")
        known = index.get("profiles")
        if not isinstance(known, dict):
            raise TraceError(f"{folder / INDEX} lists no profiles")
        unknown = [profile for profile in profiles if profile not in known]
        if unknown:
            raise TraceError(f"the suite has no profile {', '.join(unknown)}; it has {', '.join(known)}")
        traces = []
        for path in sorted(folder.glob(TRACE_GLOB)):
            relative = path.relative_to(folder).as_posix()
            if profiles and relative.split("/")[0] not in profiles:
                continue
            traces.append(SuiteTrace(relative, checker.check(read_json(path), relative)))
        if not traces:
            raise TraceError(f"{folder} holds no traces ({TRACE_GLOB})")
        return cls(folder, tuple(traces), index)


def modes_for(trace: Mapping[str, Any], modes: Sequence[Mode]) -> tuple[Mode, ...]:
    """The modes ``trace`` is replayed in when ``modes`` are asked for."""
    if trace["kind"] in AS_PROFILE_ONLY:
        return (Mode.AS_PROFILE,) if Mode.AS_PROFILE in modes else ()
    return tuple(modes)


def verdict(replays: Iterable[TraceReplay]) -> str:
    """``agree``, ``disagree`` or ``not_replayable`` for the replays of one trace."""
    statuses = [replay.status for replay in replays]
    if Status.DIVERGED in statuses:
        return "disagree"
    if statuses and all(status is Status.REPLAYED for status in statuses):
        return "agree"
    return "not_replayable"


@dataclass(frozen=True)
class SuiteReport:
    """The replays of a suite, per trace, with the coverage met by the traces that agree."""

    suite: Suite
    replays: Mapping[str, tuple[TraceReplay, ...]]
    seconds: float

    def verdicts(self) -> dict[str, str]:
        return {trace.path: verdict(self.replays.get(trace.path, ())) for trace in self.suite.traces}

    def coverage(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per profile replayed: per figure, the obligations met by agreeing traces, of all."""
        agreeing = {path for path, result in self.verdicts().items() if result == "agree"}
        profiles = {trace.path.split("/")[0] for trace in self.suite.traces}
        figures: dict[str, dict[str, dict[str, int]]] = {}
        for profile, entry in self.suite.index["profiles"].items():
            if profile not in profiles:
                continue
            counts = {FIGURES[need]: {"agreeing": 0, "total": 0} for need in NEEDS}
            for obligation in entry["obligations"]:
                if "impossible" in obligation:
                    continue
                figure = counts[FIGURES[obligation["need"]]]
                figure["total"] += 1
                figure["agreeing"] += any(path in agreeing for path in obligation["traces"])
            figures[profile] = counts
        return figures

    def to_json(self) -> dict[str, Any]:
        verdicts = self.verdicts()
        counted = {key: sum(1 for v in verdicts.values() if v == key) for key in FIGURE_KEYS}
        return {
            "traces": len(verdicts),
            **counted,
            "coverage": self.coverage(),
            "seconds": round(self.seconds, 3),
            "results": [
                {
                    "path": path,
                    "verdict": verdicts[path],
                    "replays": [replay.to_json() for replay in self.replays.get(path, ())],
                }
                for path in verdicts
            ],
        }

    def summary_lines(self) -> list[str]:
        verdicts = self.verdicts()
        lines = [f"{'profile':<22}" + "".join(f"{key:>16}" for key in FIGURE_KEYS)]
        for profile in dict.fromkeys(path.split("/")[0] for path in verdicts):
            mine = [v for path, v in verdicts.items() if path.split("/")[0] == profile]
            lines.append(f"{profile:<22}" + "".join(f"{mine.count(key):>16}" for key in FIGURE_KEYS))
        counted = [f"{sum(1 for v in verdicts.values() if v == key)} {key}" for key in FIGURE_KEYS]
        lines.append(f"{len(verdicts)} traces in {self.seconds:.1f} s: " + ", ".join(counted))
        for profile, figures in self.coverage().items():
            shown = ", ".join(
                f"{name} {figure['agreeing']}/{figure['total']}" for name, figure in figures.items()
            )
            lines.append(f"coverage by agreeing traces, {profile}: {shown}")
        return lines


FIGURE_KEYS = ("agree", "disagree", "not_replayable")


def replay_suite(
    suite: Suite,
    modes: Sequence[Mode],
    replay: Callable[[Mapping[str, Any], Mode], TraceReplay],
    seconds: Callable[[], float],
) -> SuiteReport:
    """Replay every trace of ``suite`` in :func:`modes_for` with ``replay``."""
    start = seconds()
    replays = {
        trace.path: tuple(replay(trace.trace, mode) for mode in modes_for(trace.trace, modes))
        for trace in suite.traces
    }
    return SuiteReport(suite, replays, seconds() - start)
