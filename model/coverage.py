"""What a generated test suite must exercise under one profile, and what a trace exercises.

Under a profile every action of the compiled system must *occur* (as a step, accepted or refused), and
every named check guarding some action (``spec/checks.yaml``) must be seen *passing* (an accepted step
of an action it guards) and *refusing* (a refused step it is among the ``refused_by`` of). Each is an
:class:`Obligation`; a trace meets the ones its steps show (:func:`met_by`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from model.outcome import checks_of
from model.system import System


class Need(StrEnum):
    OCCURS = "occurs"
    PASSES = "passes"
    REFUSED = "refused"


@dataclass(frozen=True)
class Obligation:
    """``need`` of ``subject``: an action that occurs, a check that passes or refuses."""

    need: Need
    subject: str

    def __str__(self) -> str:
        return f"{self.subject} {self.need}"

    @property
    def about_action(self) -> bool:
        return self.need is Need.OCCURS


def obligations(system: System) -> list[Obligation]:
    """Every obligation of the profile compiled into ``system``: its actions, in catalogue order, then
    the checks guarding them, in the order of ``spec/checks.yaml``, passing and refusing."""
    guarded = {check for action in system.actions for check in checks_of(action)}
    checks = [check for check in system.catalogue.checks if check in guarded]
    return [
        *(Obligation(Need.OCCURS, action.id) for action in system.actions),
        *(Obligation(need, check) for check in checks for need in (Need.PASSES, Need.REFUSED)),
    ]


def met_by(trace: Mapping[str, Any]) -> set[Obligation]:
    """The obligations a trace's steps meet: each step's action occurs; an accepted step passes its
    ``checks_passed``; a refused step is refused by its ``refused_by``."""
    met: set[Obligation] = set()
    for step in trace["steps"]:
        met.add(Obligation(Need.OCCURS, step["action"]))
        if step["expect"] == "accepted":
            met.update(Obligation(Need.PASSES, check) for check in step["checks_passed"])
        else:
            met.update(Obligation(Need.REFUSED, check) for check in step["refused_by"])
    return met


@dataclass(frozen=True)
class Figures:
    """How many obligations of each kind a profile has and how many are covered."""

    actions: tuple[int, int]
    checks_passed: tuple[int, int]
    checks_refused: tuple[int, int]

    @staticmethod
    def of(wanted: Iterable[Obligation], covered: set[Obligation]) -> Figures:
        def count(need: Need) -> tuple[int, int]:
            of_need = [obligation for obligation in wanted if obligation.need is need]
            return sum(1 for obligation in of_need if obligation in covered), len(of_need)

        return Figures(count(Need.OCCURS), count(Need.PASSES), count(Need.REFUSED))

    @property
    def complete(self) -> bool:
        return all(done == total for done, total in (self.actions, self.checks_passed, self.checks_refused))

    def to_json(self) -> dict[str, dict[str, int]]:
        return {
            name: {"covered": done, "total": total}
            for name, (done, total) in (
                ("actions", self.actions),
                ("checks_passed", self.checks_passed),
                ("checks_refused", self.checks_refused),
            )
        }
