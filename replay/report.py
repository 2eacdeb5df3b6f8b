"""The results of replaying traces: per step, per trace and mode, and their summary per profile."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from replay.judge import Mode, Status


class StepOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    FOLDED = "folded"
    NOT_RUN = "not run"
    NO_ANSWER = "no answer"


@dataclass(frozen=True)
class StepReplay:
    """One step: what the trace says, what the target did."""

    n: int
    action: str
    text: str
    outcome: StepOutcome
    observed: str
    checks_missing: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "action": self.action,
            "outcome": str(self.outcome),
            "observed": self.observed,
            "checks_missing": list(self.checks_missing),
        }


@dataclass(frozen=True)
class TraceReplay:
    """One trace replayed in one mode."""

    profile: str
    kind: str
    subject: str
    mode: Mode
    status: Status
    reason: str
    steps: tuple[StepReplay, ...]
    seconds: float
    hung: bool = False
    """the target gave no answer in time (:mod:`replay.deadline`): do not use it again"""

    @property
    def title(self) -> str:
        return f"{self.profile} / {self.kind} {self.subject} [{self.mode}]"

    def lines(self) -> list[str]:
        """The verdict, and for a divergence every step with what the target did."""
        lines = [f"{self.title}: {self.status}: {self.reason}"]
        if self.status is Status.DIVERGED:
            for step in self.steps:
                missing = f"  [missing: {', '.join(step.checks_missing)}]" if step.checks_missing else ""
                lines.append(f"  {step.n}. {step.text}{missing}")
                lines.append(f"     -> {step.outcome}: {step.observed}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "kind": self.kind,
            "subject": self.subject,
            "mode": str(self.mode),
            "status": str(self.status),
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class ReplayReport:
    """Every trace replayed, in order."""

    replays: tuple[TraceReplay, ...]
    seconds: float

    @property
    def diverged(self) -> list[TraceReplay]:
        return [replay for replay in self.replays if replay.status is Status.DIVERGED]

    def summary(self) -> dict[tuple[str, str], Counter[str]]:
        """(profile, mode) -> how many traces replayed, diverged, were not replayable."""
        counts: dict[tuple[str, str], Counter[str]] = {}
        for replay in self.replays:
            counts.setdefault((replay.profile, str(replay.mode)), Counter())[str(replay.status)] += 1
        return counts

    def totals(self) -> dict[str, int]:
        """How many replays, and how many ended in each verdict (``not replayable`` as
        ``not_replayable``)."""
        counts = Counter(str(replay.status) for replay in self.replays)
        return {"replays": len(self.replays)} | {
            status.replace(" ", "_"): counts[status] for status in map(str, Status)
        }

    def summary_lines(self) -> list[str]:
        statuses = [str(status) for status in Status]
        lines = [f"{'profile':<22}{'mode':<13}" + "".join(f"{status:>16}" for status in statuses)]
        for (profile, mode), counts in self.summary().items():
            lines.append(f"{profile:<22}{mode:<13}" + "".join(f"{counts[status]:>16}" for status in statuses))
        total = Counter(str(replay.status) for replay in self.replays)
        lines.append(
            f"{len(self.replays)} replays in {self.seconds:.1f} s: "
            + ", ".join(f"{total[status]} {status}" for status in statuses)
        )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "replays": [replay.to_json() for replay in self.replays],
            "summary": [
                {"profile": profile, "mode": mode, **{status: counts[status] for status in map(str, Status)}}
                for (profile, mode), counts in self.summary().items()
            ],
            "totals": self.totals(),
            "seconds": round(self.seconds, 3),
        }
