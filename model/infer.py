"""Inference of the inductive invariant that proves a property, from counterexamples to induction.

A property is rarely inductive on its own. When it is not implied by the invariant Houdini finds
among the generated candidates (:mod:`model.templates`), :class:`Inference` strengthens it in the
manner of IC3/PDR on a single frame (Bradley's IC3; mypyvy's UPDR for universal invariants):

1. Ask the step solver for a counterexample to induction (CTI) of a goal clause: a state satisfying
   everything known or assumed from which some action leads out of the clause.
2. Read the CTI's pre-state as a cube over the elements the action and the clause name: the
   literals of the action's guard and of the clause's negation after the action
   (:func:`model.cubes.implicant`). Every state of that cube leaves the goal in one step, so no
   reachable state may be in it.
3. Exclude the cube: if its negation is already inductive relative to what is known, generalise it
   by one unsat core over literals that switch both the assumption and the conclusion
   (:meth:`model.step.Step.core`) and learn the resulting clause. Otherwise a CTI of the cube's
   negation shows a predecessor: first try the weaker cube without the literals that the CTI's
   action made true (those literals are why it is not inductive), then exclude the predecessor's
   cube and try again.
4. A cube that meets an initial state means the goal may be violated: inference gives up and
   bounded model checking decides.

Clauses learned while proving one property are kept (as hypotheses) for the next; clauses learned in
a failed attempt are dropped, since they may rest on the false goal. Everything learned is only a
candidate until Houdini and the independent checker (:mod:`model.checker`) confirm the invariant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import z3

from model.cubes import Cube, Literal, implicant, value
from model.solver import SolverError
from model.step import Cti, Step
from model.syntax import (
    Const,
    Formula,
    Not,
    negation_normal_form,
    rename_bound,
    strip_universal,
)
from model.system import preimage


@dataclass(frozen=True)
class Budget:
    """How far inference goes for one property: solver queries in all, and predecessors in a chain."""

    queries: int = 1600
    depth: int = 8
    query_work: int = 10_000_000
    """the most one query of the step solver may cost, in Z3's own count of work (the same on every
    machine, however busy): a dearer query is an error, and inference fails, so that bounded search
    decides. Without lemmas, no query of inference in the catalogue costs more than about 1 M (0.35 s);
    the queries that try to block states of a property violated in 5 steps cost 100 to 250 M (a
    minute each), far more than the search that finds the violation (about 1 s)"""


class Outcome(StrEnum):
    PROVED = "proved"
    FAILED = "failed"
    """a cube inference had to exclude meets an initial state, or the budget is spent"""
    PAUSED = "paused"
    """the queries granted for now are spent; asking again resumes"""


@dataclass
class _Attempt:
    """Inference for one set of goals: what it has learned so far, and the cubes it found reachable."""

    goals: list[z3.BoolRef]
    learned: list[tuple[z3.BoolRef, Cube]] = field(default_factory=list)
    reached: list[frozenset[Literal]] = field(default_factory=list)
    spent: int = 0


class _PauseError(Exception):
    pass


class _FailError(Exception):
    pass


class Inference:
    """Strengthens properties of one system into inductive invariants, learning clauses as it goes."""

    def __init__(self, step: Step, known: Sequence[z3.BoolRef], budget: Budget | None = None) -> None:
        """``known``: activation literals of the step's hypotheses that hold (an invariant)."""
        self.system = step.system
        self.translator = step.translator
        self.step = step
        self.known = list(known)
        self.budget = budget or Budget()
        self.learned: list[tuple[z3.BoolRef, Cube]] = []
        """clauses learned for proved properties (their activation literal and cube)"""
        self._attempts: dict[tuple[Formula, ...], _Attempt] = {}
        self._now = _Attempt([])
        self._granted = 0
        self._starts_empty = {r.id for r in self.system.state_relations if r.init == Const(False)}

    def prove(
        self, goals: Sequence[Formula], queries: int
    ) -> tuple[Outcome, list[tuple[z3.BoolRef, Formula]]]:
        """Try to make ``goals`` (closed universal formulas) inductive with what is known and learned,
        spending at most ``queries`` solver queries now (asking again for the same goals resumes).
        When proved, also the clauses learned for them and the goals, each with its activation literal
        in the step; the goals become known."""
        key = tuple(goals)
        if key not in self._attempts:
            self._attempts[key] = _Attempt([self.step.hypothesis(goal) for goal in goals])
        attempt = self._now = self._attempts[key]
        self._granted = attempt.spent + queries
        try:
            if any(self.step.initially_false(goal) for goal in goals):
                raise _FailError
            while True:
                found = self._goal_cti(goals)
                if found is None:
                    break
                goal, cti = found
                if not self._block(self._obligation(goal, cti), 0):
                    raise _FailError
        except _PauseError:
            return Outcome.PAUSED, []
        except (_FailError, SolverError):
            attempt.spent = self.budget.queries
            return Outcome.FAILED, []
        finally:
            self._now = _Attempt([])
        self.learned.extend(attempt.learned)
        self.known.extend(attempt.goals)
        proved = [(literal, cube.clause()) for literal, cube in attempt.learned]
        return Outcome.PROVED, proved + list(zip(attempt.goals, goals, strict=True))

    # --- queries ----------------------------------------------------------------------------------

    def _active(self) -> list[z3.BoolRef]:
        return [
            *self.known,
            *self._now.goals,
            *(lit for lit, _ in self.learned),
            *(lit for lit, _ in self._now.learned),
        ]

    def _spend(self) -> None:
        self._now.spent += 1
        if self._now.spent > self.budget.queries:
            raise _FailError
        if self._now.spent > self._granted:
            raise _PauseError

    def _goal_cti(self, goals: Sequence[Formula]) -> tuple[Formula, Cti] | None:
        for goal in goals:
            self._spend()
            cti = self.step.counterexample(goal, self.step.changing(goal), self._active(), assume=False)
            if cti is not None:
                return goal, cti
        return None

    def _initially_excluded(self, cube: Cube) -> bool:
        if any(lit.positive and lit.relation in self._starts_empty for lit in cube.literals):
            return True
        self._spend()
        return not self.step.initially_false(cube.clause())

    def _cti(self, cube: Cube) -> Cti | None:
        self._spend()
        return self.step.counterexample(cube.clause(), self.step.making(cube), self._active(), assume=True)

    # --- blocking ---------------------------------------------------------------------------------

    def _obligation(self, clause: Formula, cti: Cti) -> Cube:
        """The cube of the CTI's pre-state: the guard of its action and the clause's negation after it."""
        action = self.system.actions[cti.action]
        binders, body = strip_universal(rename_bound(clause, "'"))
        env = {**cti.params, **{f"{v}'": t for v, t in cti.skolems.items()}}
        sorts = {**dict(action.action.params), **dict(binders)}
        leaves = negation_normal_form(Not(preimage(body, action, self.system.catalogue)))
        guard = negation_normal_form(action.guard_formula())
        return implicant(self.translator, cti.model, self.step.pre, [leaves, guard], env=env, sorts=sorts)[-1]

    def _block(self, cube: Cube, depth: int, weaken: bool = True) -> bool:
        """Learn a clause that excludes ``cube``; False when the cube seems reachable (then every
        sub-cube is too, and is not tried again). With ``weaken``, a counterexample to induction first
        suggests the weaker cube without the literals its action made true."""
        literals = frozenset(cube.literals)
        if any(literals <= reached for reached in self._now.reached):
            return False
        while True:
            if not self._initially_excluded(cube):
                self._now.reached.append(literals)
                return False
            cti = self._cti(cube)
            if cti is None:
                self._learn(cube)
                return True
            if depth >= self.budget.depth:
                return False
            changed = frozenset(
                lit
                for lit in cube.literals
                if not value(self.translator, cti.model, lit, cti.skolems, self.step.pre)
                and value(self.translator, cti.model, lit, cti.skolems, cti.post)
            )
            weaker = cube.without(changed)
            if weaken and changed and weaker.literals and self._block(weaker, depth + 1):
                return True
            if not self._block(self._obligation(cube.clause(), cti), depth + 1):
                self._now.reached.append(literals)
                return False

    def _learn(self, cube: Cube) -> None:
        """Generalise ``cube`` (whose negation is inductive relative to what is known) and keep it."""
        keep = next(
            (
                frozenset((lit,))
                for lit in cube.literals
                if lit.positive and lit.relation in self._starts_empty
            ),
            frozenset(),
        )
        self._spend()
        core = self.step.core(cube, self.step.making(cube), self._active(), keep)
        general = cube if core is None else cube.keeping(core)
        if not keep and len(general.literals) < len(cube.literals) and not self._initially_excluded(general):
            general = cube
        self._now.learned.append((self.step.hypothesis(general.clause()), general))
