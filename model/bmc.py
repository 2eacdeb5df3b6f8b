"""Bounded model checking on small concrete deployments: shortest counterexamples and witnesses.

Each sort gets at most ``bound`` elements (a closed universe of named constants). The run is unrolled
one step at a time: at step ``d`` exactly one action fires with its own parameters; each relation that
some action updates gets a new symbol defined from the previous one. Goals are checked at every depth
in increasing order, so the first run found is a shortest one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import z3

from model.concrete import ConcreteRun, Step, Structure, initialise, simulate
from model.encode import Environment, Interpretation, State, Translator
from model.solver import SolverSettings, is_sat, new_solver
from model.syntax import Formula
from model.system import System, update_variables


@dataclass(frozen=True)
class _Step:
    """The constraints of one step, from ``pre`` to ``post`` symbols, under ``selector`` and
    ``parameters`` (one mapping per action)."""

    pre: State
    post: Mapping[str, z3.FuncDeclRef]
    selector: z3.ArithRef
    parameters: list[dict[str, z3.ExprRef]]
    constraints: Sequence[z3.BoolRef]


class Unrolling:
    """An incremental unrolling of ``system`` for bounded search.

    The first step is translated from the initial state; every later step is an instance, by
    substitution of symbols, of one step translated once over generic ``@pre``/``@post`` symbols
    (translating each guard and update again at every depth costs far more)."""

    def __init__(
        self,
        system: System,
        translator: Translator,
        bounds: Mapping[str, int],
        settings: SolverSettings,
        honest_only: bool = False,
    ) -> None:
        """``honest_only``: runs of honest parties only (witnesses); no attacker action can fire."""
        self.system = system
        self.translator = translator
        self.solver = new_solver(settings, translator.context)
        self.actions = [a for a in system.actions if not (honest_only and a.action.actor == "attacker")]
        relations = list(system.catalogue.relations.values())
        static_relations = [r for r in relations if r.kind == "static"]
        static = translator.symbolic_state("", static_relations)
        self.universe = self._close_universe(bounds)
        self.solver.add(*[translator.formula(axiom, {}, static) for axiom in system.axioms])
        initial = translator.initial_state(system, static, "@0")
        self.updated = [system.catalogue.relations[r] for r in system.updated_relations()]
        self.states: list[State] = [initial]
        self.selectors: list[z3.ArithRef] = []
        self.parameters: list[list[dict[str, z3.ExprRef]]] = []
        self._goals = itertools.count()
        self._generic: _Step | None = None

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

    def _translate_step(self, pre: State, tag: str, post_tag: str) -> _Step:
        """One step from ``pre``: the selector and parameters tagged ``tag``, the post-state symbols
        ``post_tag``; action ``selector`` fires with its guard, and each updated relation follows it."""
        selector = z3.Int(f"action{tag}", self.translator.context)
        parameters = [self.translator.parameters(action, tag) for action in self.actions]
        constraints: list[z3.BoolRef] = [selector >= 0, selector < len(self.actions)]
        for index, action in enumerate(self.actions):
            guard = self.translator.formula(action.guard_formula(), parameters[index], pre)
            constraints.append(z3.Implies(selector == index, guard))
        post = {}
        for relation in self.updated:
            post[relation.id] = self.translator.symbol(relation, post_tag)
            variables = [self.translator.constant(f"u{n}", sort) for n, sort in enumerate(relation.sorts)]
            value: z3.BoolRef = pre[relation.id](variables)
            for index, action in reversed(list(enumerate(self.actions))):
                update = action.updates.get(relation.id)
                if update is None:
                    continue
                env: Environment = {
                    **parameters[index],
                    **dict(zip(update_variables(relation), variables, strict=True)),
                }
                value = z3.If(selector == index, self.translator.formula(update, env, pre), value)
            constraints.append(z3.ForAll(variables, post[relation.id](*variables) == value))
        return _Step(pre, post, selector, parameters, constraints)

    def _instance(self, depth: int) -> _Step:
        """The generic step with its symbols renamed to those of ``depth`` (at least 1)."""
        if self._generic is None:
            pre = dict(self.states[0])
            pre.update((r.id, _applier(self.translator.symbol(r, "@pre"))) for r in self.updated)
            self._generic = self._translate_step(pre, "@step", "@post")
        generic = self._generic
        tag = f"@{depth}"
        parameters = [self.translator.parameters(action, tag) for action in self.actions]
        selector = z3.Int(f"action{tag}", self.translator.context)
        functions, post = [], {}
        for relation in self.updated:
            arguments = [z3.Var(n, self.translator.sort(sort)) for n, sort in enumerate(relation.sorts)]
            before = self.translator.symbol(relation, tag)
            post[relation.id] = self.translator.symbol(relation, f"@{depth + 1}")
            functions.append((self.translator.symbol(relation, "@pre"), before(*arguments)))
            functions.append((generic.post[relation.id], post[relation.id](*arguments)))
        constants = [(generic.selector, selector)]
        for before_names, after_names in zip(generic.parameters, parameters, strict=True):
            constants.extend((before_names[name], after_names[name]) for name in before_names)
        # One substitution of the whole conjunction, split again: the solver looks for macros (the
        # post-state definitions) among top-level assertions only.
        renamed = z3.substitute(z3.substitute_funs(z3.And(generic.constraints), *functions), *constants)
        return _Step(self.states[depth], post, selector, parameters, renamed.children())

    def extend(self) -> None:
        """Add one step."""
        depth = self.depth
        step = self._translate_step(self.states[0], "@0", "@1") if depth == 0 else self._instance(depth)
        self.solver.add(*step.constraints)
        post = dict(step.pre)
        post.update((relation, _applier(symbol)) for relation, symbol in step.post.items())
        self.states.append(post)
        self.selectors.append(step.selector)
        self.parameters.append(step.parameters)

    def search(self, goal: Formula, max_depth: int) -> ConcreteRun | None:
        """A shortest run (up to ``max_depth`` steps) ending in a state where ``goal`` holds."""
        for depth in range(max_depth + 1):
            run = self.search_at(goal, depth)
            if run is not None:
                return run
        return None

    def search_at(self, goal: Formula, depth: int) -> ConcreteRun | None:
        """A run of exactly ``depth`` steps ending where ``goal`` holds (unrolls as needed)."""
        while self.depth < depth:
            self.extend()
        literal = self.translator.boolean(f"goal#{next(self._goals)}")
        self.solver.add(z3.Implies(literal, self.translator.formula(goal, {}, self.states[depth])))
        return self._run(depth) if is_sat(self.solver, [literal]) else None

    def _run(self, depth: int) -> ConcreteRun:
        """The run of the current model, extracted and re-executed by the simulator."""
        model = self.solver.model()

        def value(term: z3.ExprRef) -> str:
            return str(model.eval(term, model_completion=True))

        representatives: dict[str, dict[str, z3.ExprRef]] = {}
        for sort, constants in self.universe.items():
            representatives[sort] = {}
            for constant in constants:
                representatives[sort].setdefault(value(constant), constant)
        names = {
            (sort, element): f"{sort}#{index}"
            for sort, elements in representatives.items()
            for index, element in enumerate(elements)
        }
        terms: dict[str, list[tuple[str, z3.ExprRef]]] = {
            sort: [(names[(sort, element)], term) for element, term in elements.items()]
            for sort, elements in representatives.items()
        }
        for enum in self.system.catalogue.enums.values():
            terms[enum.id] = [(v, self.translator.symbols.constants[v]) for v in enum.values]
        universe = {sort: tuple(name for name, _ in pairs) for sort, pairs in terms.items()}
        relations: dict[str, frozenset[tuple[str, ...]]] = {}
        for relation in self.system.catalogue.relations.values():
            if relation.kind == "state" and relation.init != "any":
                continue
            interpretation = self.states[0][relation.id]
            relations[relation.id] = frozenset(
                tuple(name for name, _ in combination)
                for combination in itertools.product(*(terms[sort] for sort in relation.sorts))
                if z3.is_true(
                    model.eval(interpretation([term for _, term in combination]), model_completion=True)
                )
            )
        initial = initialise(self.system, Structure(universe, relations))

        def argument(sort: str, term: z3.ExprRef) -> str:
            return names.get((sort, value(term)), value(term))

        steps = []
        for step in range(depth):
            index = model.eval(self.selectors[step]).as_long()
            action = self.actions[index]
            params = self.parameters[step][index]
            steps.append(Step(action.id, {p: argument(sort, params[p]) for p, sort in action.action.params}))
        return simulate(self.system, initial, tuple(steps))


def _applier(symbol: z3.FuncDecl) -> Interpretation:
    def apply(args: Sequence[z3.ExprRef]) -> z3.BoolRef:
        return symbol(*args)

    return apply
