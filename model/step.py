"""One step of the transition system as a single solver, for questions about candidate invariants.

The solver holds the axioms, a base invariant taken as given, and one step of any action: an integer
selector picks the action, whose guard must hold over the pre-state; each relation an action updates
gets a post-state symbol defined from the pre-state (a macro Z3 inlines). Candidate clauses are added
as hypotheses switched by activation literals, so many questions share one solver:

* :meth:`Step.counterexample` — a pre-state satisfying the active hypotheses from which some action
  leads out of a formula (a counterexample to induction, CTI);
* :meth:`Step.core` — which literals of a cube keep its negation inductive (one unsat core);
* :meth:`Step.support` — which hypotheses a formula's preservation needs (one unsat core);
* :meth:`Step.entails` — whether some hypotheses imply a formula, in the same state or after a step.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import z3

from model.catalogue import holds
from model.cubes import Cube, Literal
from model.encode import Interpretation, State, Translator, applier
from model.solver import SolverSettings, assert_all, is_sat, new_solver
from model.syntax import Formula, relations_used, strip_universal
from model.system import System


@dataclass(frozen=True)
class Cti:
    """A counterexample to induction: the model, the action that fired (index into the system's
    actions), its parameters, the values of the formula's variables, and the post-state."""

    model: z3.ModelRef
    action: int
    params: Mapping[str, z3.ExprRef]
    skolems: Mapping[str, z3.ExprRef]
    post: State


class Step:
    """A solver for one step of any action of ``system`` over a symbolic pre-state."""

    def __init__(
        self, system: System, translator: Translator, base: Sequence[Formula], settings: SolverSettings
    ) -> None:
        self.system = system
        self.translator = translator
        relations = list(system.catalogue.relations.values())
        self.pre = translator.symbolic_state("", relations)
        axioms = [translator.formula(axiom, {}, self.pre) for axiom in system.axioms]
        static = {r.id: self.pre[r.id] for r in relations if r.kind == "static"}
        self.initial = translator.initial_state(system, static, "@init")
        self.init_solver = new_solver(settings, translator.context)
        self.init_solver.add(*axioms)
        self.solver = new_solver(settings, translator.context)
        assert_all(self.solver, [*axioms, *(translator.formula(f, {}, self.pre) for f in base)])
        self.selector = z3.Int("action", translator.context)
        self.solver.add(self.selector >= 0, self.selector < len(system.actions))
        self.params = [translator.parameters(action, "") for action in system.actions]
        self.posts = []
        for index, action in enumerate(system.actions):
            guard = translator.formula(action.guard_formula(), self.params[index], self.pre)
            self.solver.add(z3.Implies(self.selector == index, guard))
            self.posts.append(translator.post_state(action, self.params[index], self.pre))
        self.post: dict[str, Interpretation] = dict(self.pre)
        for relation in relations:
            updating = [i for i, action in enumerate(system.actions) if relation.id in action.updates]
            if not updating:
                continue
            symbol = translator.symbol(relation, "'")
            variables = [translator.constant(f"u{n}", sort) for n, sort in enumerate(relation.sorts)]
            value = self.pre[relation.id](variables)
            for index in reversed(updating):
                value = z3.If(self.selector == index, self.posts[index][relation.id](variables), value)
            definition = symbol(*variables) == value
            self.solver.add(z3.ForAll(variables, definition) if variables else definition)
            self.post[relation.id] = applier(symbol)
        self._makers: dict[tuple[str, bool], set[int]] = {}
        for index, action in enumerate(system.actions):
            for effect in action.action.effects:
                if holds(effect.when, system.options) and effect.relation in action.updates:
                    self._makers.setdefault((effect.relation, effect.insert), set()).add(index)
        self._fresh = itertools.count()

    def making(self, cube: Cube) -> list[int]:
        """The actions that can make a literal of ``cube`` true."""
        found: set[int] = set()
        for literal in cube.literals:
            if literal.relation is not None:
                found |= self._makers.get((literal.relation, literal.positive), set())
        return sorted(found)

    def changing(self, formula: Formula) -> list[int]:
        """The actions that update a relation ``formula`` uses."""
        relations = relations_used(formula)
        return [
            index for index, action in enumerate(self.system.actions) if relations & action.updates.keys()
        ]

    def hypothesis(self, formula: Formula) -> z3.BoolRef:
        """Add ``formula`` (about the pre-state) under a new activation literal, which is returned."""
        literal = self.translator.boolean(f"hypothesis[{next(self._fresh)}]")
        self.solver.add(z3.Implies(literal, self.translator.formula(formula, {}, self.pre)))
        return literal

    def _skolems(self, binders: Sequence[tuple[str, str]]) -> dict[str, z3.ExprRef]:
        n = next(self._fresh)
        return {variable: self.translator.constant(f"sk{n}.{variable}", sort) for variable, sort in binders}

    def initially_false(self, formula: Formula) -> bool:
        """Whether some initial state falsifies the closed universal ``formula``."""
        binders, body = strip_universal(formula)
        skolems = self._skolems(binders)
        self.init_solver.push()
        try:
            self.init_solver.add(z3.Not(self.translator.formula(body, skolems, self.initial)))
            return is_sat(self.init_solver)
        finally:
            self.init_solver.pop()

    def _among(self, actions: Sequence[int]) -> z3.BoolRef:
        if not actions:
            return z3.BoolVal(False, self.translator.context)
        return z3.Or([self.selector == index for index in actions])

    def counterexample(
        self, formula: Formula, actions: Sequence[int], active: Sequence[z3.BoolRef], assume: bool
    ) -> Cti | None:
        """A pre-state of the active hypotheses (and of ``formula`` too when ``assume``) from which
        one of ``actions`` leads to a state that falsifies the closed universal ``formula``."""
        if not actions:
            return None
        binders, body = strip_universal(formula)
        skolems = self._skolems(binders)
        self.solver.push()
        try:
            if assume:
                self.solver.add(self.translator.formula(formula, {}, self.pre))
            self.solver.add(self._among(actions))
            self.solver.add(z3.Not(self.translator.formula(body, skolems, self.post)))
            if not is_sat(self.solver, active):
                return None
            model = self.solver.model()
            index = model.eval(self.selector).as_long()
            return Cti(model, index, self.params[index], skolems, self.posts[index])
        finally:
            self.solver.pop()

    def core(
        self, cube: Cube, actions: Sequence[int], active: Sequence[z3.BoolRef], keep: frozenset[Literal]
    ) -> frozenset[Literal] | None:
        """The literals of a sub-cube of ``cube`` (containing ``keep``) whose negation is inductive
        relative to the active hypotheses for ``actions``; None when the negation of ``cube`` is not.

        Each literal is switched by a tracking literal in both the pre-state hypothesis (the negated
        cube holds everywhere) and the post-state (the cube holds at some elements), so an unsat core
        over the tracking literals is itself a cube whose negation is inductive. The core is shrunk by
        taking cores of cores, then by dropping literals one at a time."""
        n = next(self._fresh)
        tracked = {self.translator.boolean(f"literal[{n}.{i}]"): lit for i, lit in enumerate(cube.literals)}
        bound = {v: self.translator.constant(f"x{n}.{v}", s) for v, s in cube.variables}
        skolems = self._skolems(cube.variables)
        self.solver.push()
        try:
            inside = z3.And(
                [
                    z3.Implies(t, self.translator.formula(lit.formula(), bound, self.pre))
                    for t, lit in tracked.items()
                ]
            )
            self.solver.add(z3.ForAll(list(bound.values()), z3.Not(inside)) if bound else z3.Not(inside))
            self.solver.add(self._among(actions))
            for t, lit in tracked.items():
                self.solver.add(z3.Implies(t, self.translator.formula(lit.formula(), skolems, self.post)))
            chosen = list(tracked)
            if is_sat(self.solver, [*active, *chosen]):
                return None
            for _ in range(3):
                named = {t.get_id() for t in self.solver.unsat_core()}
                smaller = [t for t in chosen if t.get_id() in named or tracked[t] in keep]
                if len(smaller) == len(chosen) or is_sat(self.solver, [*active, *smaller]):
                    break
                chosen = smaller
            for t in list(chosen):
                if tracked[t] in keep or len(chosen) == 1:
                    continue
                trial = [u for u in chosen if u is not t]
                if not is_sat(self.solver, [*active, *trial]):
                    chosen = trial
            return frozenset(tracked[t] for t in chosen)
        finally:
            self.solver.pop()

    def support(
        self, formula: Formula, hypotheses: Sequence[z3.BoolRef], after: bool
    ) -> frozenset[z3.BoolRef] | None:
        """Which of ``hypotheses`` (activation literals, about the pre-state) imply the closed
        universal ``formula`` after every step (``after``) or in the same state; None when all of them
        together do not."""
        binders, body = strip_universal(formula)
        skolems = self._skolems(binders)
        actions = self.changing(formula) if after else []
        if after and not actions:
            return frozenset()
        self.solver.push()
        try:
            if after:
                self.solver.add(self._among(actions))
            self.solver.add(z3.Not(self.translator.formula(body, skolems, self.post if after else self.pre)))
            if is_sat(self.solver, list(hypotheses)):
                return None
            chosen = list(hypotheses)
            for _ in range(3):
                named = {t.get_id() for t in self.solver.unsat_core()}
                smaller = [t for t in chosen if t.get_id() in named]
                if len(smaller) == len(chosen) or is_sat(self.solver, smaller):
                    break
                chosen = smaller
            return frozenset(chosen)
        finally:
            self.solver.pop()

    def entails(self, formula: Formula, hypotheses: Sequence[z3.BoolRef], after: bool) -> bool:
        """Whether ``hypotheses`` (activation literals, about the pre-state) imply the closed
        universal ``formula`` after every step (``after``) or in the same state."""
        binders, body = strip_universal(formula)
        actions = self.changing(formula) if after else []
        if after and not actions:
            return True
        self.solver.push()
        try:
            if after:
                self.solver.add(self._among(actions))
            state = self.post if after else self.pre
            self.solver.add(z3.Not(self.translator.formula(body, self._skolems(binders), state)))
            return not is_sat(self.solver, hypotheses)
        finally:
            self.solver.pop()
