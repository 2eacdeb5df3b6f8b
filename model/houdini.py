"""Houdini: the largest inductive subset of a set of candidate invariants.

Starting from all candidates, drop those false in some initial state, then repeatedly drop those that
some action can falsify from a state satisfying all remaining candidates, until none is dropped. What
remains is an inductive invariant (checked in the EPR fragment, where Z3 is complete); a property is
proved when the invariant implies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

import z3

from model.encode import State, Translator
from model.solver import SolverSettings, assert_all, is_sat, new_solver
from model.syntax import Formula, relations_used
from model.system import System
from model.templates import Candidate


@dataclass(frozen=True)
class Invariant:
    """The inductive candidates Houdini kept, and how many it dropped."""

    kept: tuple[Candidate, ...]
    dropped: int


class _Houdini:
    """One Houdini run: a solver for the initial state and one per action, reused across rounds."""

    def __init__(
        self,
        system: System,
        translator: Translator,
        candidates: Sequence[Candidate],
        settings: SolverSettings,
    ) -> None:
        self.system = system
        self.translator = translator
        self.candidates = list(candidates)
        self.settings = settings
        self.pre = translator.symbolic_state("", list(system.catalogue.relations.values()))
        self.axioms = [translator.formula(axiom, {}, self.pre) for axiom in system.axioms]
        self.active = set(range(len(self.candidates)))
        self.activation = [translator.boolean(f"active[{index}]") for index in range(len(self.candidates))]
        self.hypotheses = [
            z3.Implies(literal, self._holds(candidate.formula, self.pre))
            for literal, candidate in zip(self.activation, self.candidates, strict=True)
        ]
        self.relations = [relations_used(candidate.formula) for candidate in self.candidates]
        self._rounds = count()

    def _holds(self, formula: Formula, state: State) -> z3.BoolRef:
        return self.translator.formula(formula, {}, state)

    def drop_initially_false(self) -> None:
        static = {
            r.id: self.pre[r.id] for r in self.system.catalogue.relations.values() if r.kind == "static"
        }
        initial = self.translator.initial_state(self.system, static, "@init")
        solver = new_solver(self.settings, self.translator.context)
        solver.add(*self.axioms)
        broken = self._broken_literals(solver, initial, set(self.active))
        self.drop(solver, broken, set(self.active), hypotheses=False)

    def action_check(self, index: int) -> tuple[z3.Solver, dict[int, z3.BoolRef]] | None:
        """A solver for one action over the pre-state, with a broken-literal for each candidate it touches."""
        action = self.system.actions[index]
        touched = {c for c in range(len(self.candidates)) if self.relations[c] & action.updates.keys()}
        if not touched:
            return None
        solver = new_solver(self.settings, self.translator.context)
        assert_all(solver, [*self.axioms, *self.hypotheses])
        params = self.translator.parameters(action, "")
        solver.add(self.translator.formula(action.guard_formula(), params, self.pre))
        post = self.translator.post_state(action, params, self.pre)
        return solver, self._broken_literals(solver, post, touched)

    def _broken_literals(
        self, solver: z3.Solver, state: State, candidates: set[int]
    ) -> dict[int, z3.BoolRef]:
        """A literal per candidate that implies the candidate is false in ``state``."""
        broken = {c: self.translator.boolean(f"broken[{next(self._rounds)}]") for c in candidates}
        for c, literal in broken.items():
            solver.add(z3.Implies(literal, z3.Not(self._holds(self.candidates[c].formula, state))))
        return broken

    def drop(
        self, solver: z3.Solver, broken: dict[int, z3.BoolRef], suspects: set[int], hypotheses: bool
    ) -> bool:
        """Drop every suspect a model of ``solver`` shows broken; True when any was dropped."""
        suspects = suspects & self.active
        any_dropped = False
        while suspects:
            selector = self.translator.boolean(f"round[{next(self._rounds)}]")
            solver.add(z3.Implies(selector, z3.Or([broken[c] for c in suspects])))
            assumptions = [selector, *(self.activation[c] for c in self.active)] if hypotheses else [selector]
            if not is_sat(solver, assumptions):
                break
            model = solver.model()
            falsified = {c for c in suspects if z3.is_true(model.eval(broken[c]))}
            suspects -= falsified
            self.active -= falsified
            any_dropped = True
        return any_dropped


def houdini(
    system: System, translator: Translator, candidates: Sequence[Candidate], settings: SolverSettings
) -> Invariant:
    """The largest subset of ``candidates`` that is inductive for ``system``."""
    run = _Houdini(system, translator, candidates, settings)
    run.drop_initially_false()
    checks = [check for check in map(run.action_check, range(len(system.actions))) if check is not None]
    changed = True
    while changed:
        changed = False
        for solver, broken in checks:
            changed |= run.drop(solver, broken, set(broken), hypotheses=True)
    kept = tuple(candidate for index, candidate in enumerate(candidates) if index in run.active)
    return Invariant(kept, len(candidates) - len(kept))


class Prover:
    """Answers "does the invariant imply this formula?" for many formulas with one solver."""

    def __init__(
        self, system: System, translator: Translator, invariant: Invariant, settings: SolverSettings
    ) -> None:
        self.translator = translator
        self.state = translator.symbolic_state("", list(system.catalogue.relations.values()))
        self.solver = new_solver(settings, translator.context)
        self.solver.add(*[translator.formula(axiom, {}, self.state) for axiom in system.axioms])
        self.solver.add(
            *[translator.formula(candidate.formula, {}, self.state) for candidate in invariant.kept]
        )
        self._queries = count()

    def implies(self, formula: Formula) -> bool:
        """Whether the axioms and the invariant imply ``formula`` in every state."""
        literal = self.translator.boolean(f"query[{next(self._queries)}]")
        self.solver.add(z3.Implies(literal, z3.Not(self.translator.formula(formula, {}, self.state))))
        return not is_sat(self.solver, [literal])
