"""Bounded model checking on small concrete deployments: shortest counterexamples and witnesses.

Each sort gets at most ``bound`` elements (a closed universe of named constants). The run is unrolled
one step at a time: at step ``d`` exactly one action fires with its own parameters; each relation that
some action updates gets a new symbol defined from the previous one. Goals are checked at every depth
in increasing order, so the first run found is a shortest one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import z3

from model.encode import Environment, Interpretation, State, Translator
from model.solver import SolverSettings, is_sat, new_solver
from model.syntax import Formula
from model.system import CompiledAction, System, update_variables


@dataclass(frozen=True)
class Step:
    """One fired action with the universe elements its parameters took."""

    action: CompiledAction
    arguments: Mapping[str, z3.ExprRef]


@dataclass(frozen=True)
class Run:
    """A run found by the solver: its model, its steps and the states it went through."""

    model: z3.ModelRef
    steps: tuple[Step, ...]
    states: tuple[State, ...]
    universe: Mapping[str, tuple[z3.ExprRef, ...]]


class Unrolling:
    """An incremental unrolling of ``system`` for bounded search."""

    def __init__(
        self,
        system: System,
        translator: Translator,
        bounds: Mapping[str, int],
        settings: SolverSettings,
        allowed_actors: frozenset[str] = frozenset({"honest", "attacker"}),
    ) -> None:
        self.system = system
        self.translator = translator
        self.solver = new_solver(settings, translator.context)
        self.actions = [a for a in system.actions if a.action.actor in allowed_actors]
        relations = list(system.catalogue.relations.values())
        static_relations = [r for r in relations if r.kind == "static"]
        static = translator.symbolic_state("", static_relations)
        self.universe = self._close_universe(bounds)
        self.solver.add(*[translator.formula(axiom, {}, static) for axiom in system.axioms])
        initial = translator.initial_state(system, static, "@0")
        self.states: list[State] = [initial]
        self.selectors: list[z3.ArithRef] = []
        self.parameters: list[list[dict[str, z3.ExprRef]]] = []

    def _close_universe(self, bounds: Mapping[str, int]) -> dict[str, tuple[z3.ExprRef, ...]]:
        universe = {}
        for sort, bound in bounds.items():
            elements = tuple(self.translator.constant(f"{sort}#{n}", sort) for n in range(bound))
            x = self.translator.constant(f"any-{sort}", sort)
            self.solver.add(z3.ForAll([x], z3.Or([x == element for element in elements])))
            universe[sort] = elements
        return universe

    @property
    def depth(self) -> int:
        return len(self.selectors)

    def extend(self) -> None:
        """Add one step."""
        depth = self.depth
        pre = self.states[-1]
        selector = z3.Int(f"action@{depth}", self.translator.context)
        self.solver.add(selector >= 0, selector < len(self.actions))
        step_params: list[dict[str, z3.ExprRef]] = []
        posts = []
        for index, action in enumerate(self.actions):
            params = self.translator.parameters(action, f"@{depth}")
            step_params.append(params)
            guard = self.translator.formula(action.guard_formula(), params, pre)
            self.solver.add(z3.Implies(selector == index, guard))
            posts.append(params)
        post: dict[str, Interpretation] = dict(pre)
        for relation_id in self.system.updated_relations():
            relation = self.system.catalogue.relations[relation_id]
            symbol = self.translator.symbol(relation, f"@{depth + 1}")
            variables = [self.translator.constant(f"u{n}", sort) for n, sort in enumerate(relation.sorts)]
            value: z3.BoolRef = pre[relation_id](variables)
            for index, action in reversed(list(enumerate(self.actions))):
                update = action.updates.get(relation_id)
                if update is None:
                    continue
                env: Environment = {**posts[index], **dict(zip(update_variables(relation), variables, strict=True))}
                value = z3.If(selector == index, self.translator.formula(update, env, pre), value)
            self.solver.add(z3.ForAll(variables, symbol(*variables) == value))
            post[relation_id] = _applier(symbol)
        self.states.append(post)
        self.selectors.append(selector)
        self.parameters.append(step_params)

    def search(self, goal: Formula, max_depth: int) -> Run | None:
        """A shortest run (up to ``max_depth`` steps) ending in a state where ``goal`` holds."""
        for depth in range(max_depth + 1):
            run = self.search_at(goal, depth)
            if run is not None:
                return run
        return None

    def search_at(self, goal: Formula, depth: int) -> Run | None:
        """A run of exactly ``depth`` steps ending where ``goal`` holds (unrolls as needed)."""
        while self.depth < depth:
            self.extend()
        self.solver.push()
        self.solver.add(self.translator.formula(goal, {}, self.states[depth]))
        run = self._run(depth) if is_sat(self.solver) else None
        self.solver.pop()
        return run

    def _run(self, depth: int) -> Run:
        model = self.solver.model()
        steps = []
        for step in range(depth):
            index = model.eval(self.selectors[step]).as_long()
            params = self.parameters[step][index]
            arguments = {name: model.eval(value, model_completion=True) for name, value in params.items()}
            steps.append(Step(self.actions[index], arguments))
        universe = {sort: tuple(model.eval(e, model_completion=True) for e in elements) for sort, elements in self.universe.items()}
        return Run(model, tuple(steps), tuple(self.states[: depth + 1]), universe)


def _applier(symbol: z3.FuncDecl) -> Interpretation:
    def apply(args: Sequence[z3.ExprRef]) -> z3.BoolRef:
        return symbol(*args)

    return apply
