"""Runs over a closed finite universe as a propositional problem, and the canonical run of a goal.

Every sort gets exactly its bound of elements (``ccf#0``, ``ccf#1``, ...); every fact of the
deployment (static relations, and state relations whose initial value is ``any``) is a Boolean
variable; each step chooses an action and its parameters, one Boolean per option; quantifiers are
expanded over the universe. Z3 then decides runs as a propositional problem, where a query that fixes
most of a run is answered in milliseconds and the facts that a partial run forces come out of one
query. That makes the canonical run affordable: of all runs of a given depth that reach a goal, the
one with

1. the least action, then the least parameters, step after step (actions in catalogue order,
   elements in universe order);
2. then, for those steps, the most honest entities and the most permissive policies: a fact of a
   relation with ``prefer: true`` is true unless the steps need it false (no entity is dishonest
   unless a step needs it), in the catalogue's order of relations and the universe's order of
   elements;
3. then the least deployment: every other fact false unless the steps need it.

Entities are interchangeable, so only runs whose steps use the elements of each sort in order
(``ccf#1`` only after ``ccf#0``) are considered: a run and its renamings are one canonical run. The
result is a function of the system, the goal and the depth alone, never of the solver's seed, of
earlier queries, or of which process asks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3
from z3 import z3core, z3types

from model.concrete import ConcreteRun, Step, Structure, evaluate, initialise, simulate
from model.solver import SolverSettings, is_sat, new_finite_domain_solver
from model.syntax import And, Atom, Const, Eq, Formula, Iff, Implies, Not, Or, Quant, relations_used
from model.system import System, update_variables

Value = Any
"""A truth value while a formula is unfolded: a Python ``bool`` when known, else a Z3 Boolean."""
Table = dict[tuple[str, ...], Value]
"""The value of each tuple of one relation in one state."""


class GroundError(RuntimeError):
    """The propositional unrolling disagrees with the rest of the model (a defect, never a verdict)."""


@dataclass(frozen=True)
class _Element:
    """A choice among ``options`` (an action, or a parameter's value): exactly one of ``literals``."""

    options: tuple[str, ...]
    literals: tuple[Any, ...]

    def equals(self, element: str) -> Value:
        for option, literal in zip(self.options, self.literals, strict=True):
            if option == element:
                return literal
        return False


Term = str | _Element


class _Formulas:
    """Unfolds catalogue formulas over the universe, folding what is known as it goes."""

    def __init__(self, universe: Mapping[str, tuple[str, ...]], context: z3.Context) -> None:
        self.universe = universe
        self.context = context
        self.ref = context.ref()

    # --- Boolean connectives, built through Z3's C API (the Python wrappers cost far more) ---------

    def conjunction(self, parts: Sequence[Value]) -> Value:
        kept = []
        for part in parts:
            if part is False:
                return False
            if part is not True:
                kept.append(part)
        if not kept:
            return True
        if len(kept) == 1:
            return kept[0]
        array = (z3types.Ast * len(kept))(*(part.as_ast() for part in kept))
        return z3.BoolRef(z3core.Z3_mk_and(self.ref, len(kept), array), self.context)

    def disjunction(self, parts: Sequence[Value]) -> Value:
        kept = []
        for part in parts:
            if part is True:
                return True
            if part is not False:
                kept.append(part)
        if not kept:
            return False
        if len(kept) == 1:
            return kept[0]
        array = (z3types.Ast * len(kept))(*(part.as_ast() for part in kept))
        return z3.BoolRef(z3core.Z3_mk_or(self.ref, len(kept), array), self.context)

    def negation(self, value: Value) -> Value:
        if isinstance(value, bool):
            return not value
        return z3.BoolRef(z3core.Z3_mk_not(self.ref, value.as_ast()), self.context)

    def choice(self, condition: Any, then: Value, otherwise: Value) -> Value:
        if then is otherwise or (
            isinstance(then, bool) and isinstance(otherwise, bool) and then == otherwise
        ):
            return then
        return z3.If(condition, self.boolean(then), self.boolean(otherwise))

    def boolean(self, value: Value) -> Any:
        return z3.BoolVal(value, self.context) if isinstance(value, bool) else value

    # --- terms and formulas -----------------------------------------------------------------------

    def equal(self, left: Term, right: Term) -> Value:
        if isinstance(left, str) and isinstance(right, str):
            return left == right
        if isinstance(left, str):
            left, right = right, left
        assert isinstance(left, _Element)
        if isinstance(right, str):
            return left.equals(right)
        return self.disjunction(
            [
                self.conjunction([literal, right.equals(option)])
                for option, literal in zip(left.options, left.literals, strict=True)
            ]
        )

    def atom(self, table: Table, args: Sequence[Term]) -> Value:
        symbolic = [(position, arg) for position, arg in enumerate(args) if isinstance(arg, _Element)]
        if not symbolic:
            return table[tuple(args)]  # type: ignore[arg-type]
        cases = []
        concrete = list(args)
        for combination in itertools.product(*(arg.options for _, arg in symbolic)):
            conditions = []
            for (position, arg), option in zip(symbolic, combination, strict=True):
                concrete[position] = option
                conditions.append(arg.equals(option))
            value = table[tuple(concrete)]  # type: ignore[arg-type]
            if value is not False:
                cases.append(self.conjunction([*conditions, value]))
        return self.disjunction(cases)

    def value(self, formula: Formula, env: Mapping[str, Term], state: Mapping[str, Table]) -> Value:
        match formula:
            case Atom(relation=relation, args=args):
                return self.atom(state[relation], [env.get(arg.name, arg.name) for arg in args])
            case Eq(left=left, right=right):
                return self.equal(env.get(left.name, left.name), env.get(right.name, right.name))
            case Not(body=body):
                return self.negation(self.value(body, env, state))
            case And(parts=parts):
                values = []
                for part in parts:
                    value = self.value(part, env, state)
                    if value is False:
                        return False
                    values.append(value)
                return self.conjunction(values)
            case Or(parts=parts):
                values = []
                for part in parts:
                    value = self.value(part, env, state)
                    if value is True:
                        return True
                    values.append(value)
                return self.disjunction(values)
            case Implies(left=left, right=right):
                premise = self.value(left, env, state)
                if premise is False:
                    return True
                return self.disjunction([self.negation(premise), self.value(right, env, state)])
            case Iff(left=left, right=right):
                first, second = self.value(left, env, state), self.value(right, env, state)
                return self.conjunction(
                    [
                        self.disjunction([self.negation(first), second]),
                        self.disjunction([first, self.negation(second)]),
                    ]
                )
            case Quant(universal=universal, binders=binders, body=body):
                names = [name for name, _ in binders]
                values = []
                for elements in itertools.product(*(self.universe[sort] for _, sort in binders)):
                    value = self.value(body, {**env, **dict(zip(names, elements, strict=True))}, state)
                    if value is (not universal):
                        return value
                    values.append(value)
                return self.conjunction(values) if universal else self.disjunction(values)
            case Const(value=value):
                return value
        raise TypeError(f"not a formula: {formula!r}")


@dataclass(frozen=True)
class _GenericStep:
    """One step over symbolic pre-state facts: the action chosen, its parameters, the post-state, the
    counters of used elements after it, and the constraints that tie them together."""

    selector: _Element
    parameters: list[dict[str, _Element]]
    post: dict[str, Table]
    used: dict[str, tuple[Value, ...]]
    constraints: list[Value]


class GroundUnrolling:
    """Runs of ``system`` over exactly ``sizes[sort]`` elements of each sort, one step at a time.

    One step is unfolded once over symbolic pre-state facts; each depth is an instance of it by
    substitution. Queries for witnesses exclude the attacker's actions by assumption.
    """

    def __init__(self, system: System, sizes: Mapping[str, int], settings: SolverSettings) -> None:
        self.system = system
        self.catalogue = system.catalogue
        self.context = z3.Context()
        self.solver = new_finite_domain_solver(settings, self.context)
        self.universe: dict[str, tuple[str, ...]] = {
            sort: tuple(f"{sort}#{n}" for n in range(sizes[sort])) for sort in self.catalogue.sorts
        }
        self.universe.update({enum.id: enum.values for enum in self.catalogue.enums.values()})
        self.formulas = _Formulas(self.universe, self.context)
        self.actions = system.actions
        self.honest_only = z3.Bool("honest-only", self.context)
        self.facts: list[tuple[str, tuple[str, ...], Any]] = []
        """(relation, tuple, its variable) for every fact of the deployment, in canonical order"""
        initial = self._initial_state()
        for axiom in system.axioms:
            self._add(self.formulas.value(axiom, {}, initial))
        self.updated = [self.catalogue.relations[r] for r in system.updated_relations()]
        self.states: list[dict[str, Table]] = [initial]
        self.used: list[dict[str, tuple[Value, ...]]] = [
            {sort: (False,) * len(self.universe[sort]) for sort in self.catalogue.sorts}
        ]
        self.selectors: list[_Element] = []
        self.parameters: list[list[dict[str, _Element]]] = []
        self._generic: _GenericStep | None = None
        self._generic_constraints: Any = None
        self._pre_facts: list[tuple[str, tuple[str, ...], Any]] = []
        self._pre_used: dict[str, tuple[Any, ...]] = {}
        self._goal_literals: dict[tuple[Formula, int], Any] = {}
        self._last: tuple[list[Any], z3.ModelRef] | None = None
        self.settings = settings

    def _add(self, value: Value) -> None:
        if value is False:
            raise GroundError("the axioms and the initial state contradict each other")
        if value is not True:
            self.solver.add(value)

    def _tuples(self, sorts: Sequence[str]) -> Iterator[tuple[str, ...]]:
        return itertools.product(*(self.universe[sort] for sort in sorts))

    def _initial_state(self) -> dict[str, Table]:
        state: dict[str, Table] = {}
        for relation in self.catalogue.relations.values():
            if relation.kind == "static" or relation.init == "any":
                table = {}
                for elements in self._tuples(relation.sorts):
                    variable = z3.Bool(f"{relation.id}({', '.join(elements)})", self.context)
                    self.facts.append((relation.id, elements, variable))
                    # A preferred-true fact is the negation of its variable: the solver tries variables
                    # false first, so its runs already lean towards the canonical one.
                    table[elements] = self.formulas.negation(variable) if relation.prefer else variable
                state[relation.id] = table
        pending = [r for r in self.system.state_relations if r.id not in state]
        while pending:
            waiting = []
            for relation in pending:
                init = relation.init
                assert init is not None and init != "any"
                if not state.keys() >= relations_used(init) - {relation.id}:
                    waiting.append(relation)
                    continue
                names = [name for name, _ in relation.args]
                state[relation.id] = {
                    elements: self.formulas.value(init, dict(zip(names, elements, strict=True)), state)
                    for elements in self._tuples(relation.sorts)
                }
            if len(waiting) == len(pending):
                raise GroundError(f"initial values depend on each other: {[r.id for r in waiting]}")
            pending = waiting
        return state

    @property
    def depth(self) -> int:
        return len(self.selectors)

    def _element(self, name: str, options: tuple[str, ...]) -> _Element:
        return _Element(options, tuple(z3.Bool(f"{name}={option}", self.context) for option in options))

    def _exactly_one(self, element: _Element) -> list[Value]:
        formulas = self.formulas
        constraints = [formulas.disjunction(list(element.literals))]
        for first, second in itertools.combinations(element.literals, 2):
            constraints.append(formulas.disjunction([formulas.negation(first), formulas.negation(second)]))
        return constraints

    def _step(
        self, tag: str, pre: Mapping[str, Table], used: Mapping[str, tuple[Value, ...]]
    ) -> _GenericStep:
        """One step from ``pre``: which action fires, with which parameters, and the post-state.

        ``used[sort][n]`` says that at least ``n + 1`` elements of the sort appear in earlier steps; a
        step may use element ``n`` only if ``n`` elements were used before (the elements of a sort are
        interchangeable, so every run has a renaming that uses them in order)."""
        formulas = self.formulas
        selector = self._element(f"action{tag}", tuple(action.id for action in self.actions))
        constraints: list[Value] = self._exactly_one(selector)
        honest = [
            literal
            for literal, action in zip(selector.literals, self.actions, strict=True)
            if action.action.actor == "honest"
        ]
        constraints.append(formulas.disjunction([formulas.negation(self.honest_only), *honest]))
        parameters: list[dict[str, _Element]] = []
        after: dict[str, list[Value]] = {sort: list(flags) for sort, flags in used.items()}
        for index, action in enumerate(self.actions):
            chosen = selector.literals[index]
            params = {}
            counters: dict[str, tuple[Value, ...]] = dict(used)
            for name, sort in action.action.params:
                element = self._element(f"{action.id}.{name}{tag}", self.universe[sort])
                params[name] = element
                constraints.extend(self._exactly_one(element))
                if sort not in self.catalogue.sorts:
                    continue
                flags = counters[sort]
                for n, literal in enumerate(element.literals[1:], start=1):
                    constraints.append(
                        formulas.disjunction(
                            [formulas.negation(chosen), formulas.negation(literal), flags[n - 1]]
                        )
                    )
                counters[sort] = tuple(
                    formulas.disjunction([flags[n], *element.literals[n:]]) for n in range(len(flags))
                )
            for sort, flags in counters.items():
                if flags is not used[sort]:
                    after[sort] = [
                        formulas.choice(chosen, new, old) for new, old in zip(flags, after[sort], strict=True)
                    ]
            parameters.append(params)
            guard = formulas.value(action.guard_formula(), params, pre)
            constraints.append(formulas.disjunction([formulas.negation(chosen), guard]))
        post: dict[str, Table] = dict(pre)
        for relation in self.updated:
            variables = update_variables(relation)
            table: Table = {}
            for elements in self._tuples(relation.sorts):
                value = pre[relation.id][elements]
                bound = dict(zip(variables, elements, strict=True))
                for index in reversed(range(len(self.actions))):
                    update = self.actions[index].updates.get(relation.id)
                    if update is not None:
                        new = formulas.value(update, {**parameters[index], **bound}, pre)
                        value = formulas.choice(selector.literals[index], new, value)
                table[elements] = value
            post[relation.id] = table
        used_after = {sort: tuple(flags) for sort, flags in after.items()}
        return _GenericStep(selector, parameters, post, used_after, constraints)

    def _make_generic(self) -> _GenericStep:
        pre: dict[str, Table] = dict(self.states[0])
        for relation in self.updated:
            table = {}
            for elements in self._tuples(relation.sorts):
                fact = z3.Bool(f"{relation.id}@pre({', '.join(elements)})", self.context)
                table[elements] = fact
                self._pre_facts.append((relation.id, elements, fact))
            pre[relation.id] = table
        self._pre_used = {
            sort: tuple(
                z3.Bool(f"used-{sort}>{n}@pre", self.context) for n in range(len(self.universe[sort]))
            )
            for sort in self.catalogue.sorts
        }
        generic = self._step("@step", pre, self._pre_used)
        self._generic_constraints = self.formulas.boolean(self.formulas.conjunction(generic.constraints))
        return generic

    def extend(self) -> None:
        """Add one step: an instance of the generic step, renamed to this depth."""
        if self._generic is None:
            self._generic = self._make_generic()
        generic = self._generic
        depth = self.depth
        tag = f"@{depth}"
        previous = self.states[-1]
        boolean = self.formulas.boolean
        pairs = [
            (fact, boolean(previous[relation][elements])) for relation, elements, fact in self._pre_facts
        ]
        for sort, flags in self._pre_used.items():
            pairs.extend(
                (flag, boolean(value)) for flag, value in zip(flags, self.used[-1][sort], strict=True)
            )
        selector = self._element(f"action{tag}", generic.selector.options)
        pairs.extend(zip(generic.selector.literals, selector.literals, strict=True))
        parameters = []
        for action, params in zip(self.actions, generic.parameters, strict=True):
            renamed = {}
            for name, element in params.items():
                renamed[name] = self._element(f"{action.id}.{name}{tag}", element.options)
                pairs.extend(zip(element.literals, renamed[name].literals, strict=True))
            parameters.append(renamed)
        definitions = []

        def fresh(name: str, value: Value) -> Value:
            if isinstance(value, bool):
                return value
            variable = z3.Bool(name, self.context)
            definitions.append(variable == value)
            return variable

        post: dict[str, Table] = dict(previous)
        for relation in self.updated:
            post[relation.id] = {
                elements: fresh(f"{relation.id}@{depth + 1}({', '.join(elements)})", value)
                for elements, value in generic.post[relation.id].items()
            }
        used = {
            sort: tuple(fresh(f"used-{sort}>{n}@{depth + 1}", flag) for n, flag in enumerate(flags))
            for sort, flags in generic.used.items()
        }
        # z3.substitute, without its sort check of every pair in Python (the pairs rename Booleans)
        generic_step = z3.And(self._generic_constraints, *definitions)
        sources = (z3types.Ast * len(pairs))(*(source.as_ast() for source, _ in pairs))
        targets = (z3types.Ast * len(pairs))(*(target.as_ast() for _, target in pairs))
        step = z3core.Z3_substitute(self.formulas.ref, generic_step.as_ast(), len(pairs), sources, targets)
        self.solver.add(z3.BoolRef(step, self.context))
        self.states.append(post)
        self.used.append(used)
        self.selectors.append(selector)
        self.parameters.append(parameters)

    def _goal(self, goal: Formula, depth: int, honest_only: bool) -> list[Any]:
        """Assumptions that ask for a run of exactly ``depth`` steps ending where ``goal`` holds."""
        while self.depth < depth:
            self.extend()
        key = (goal, depth)
        literal = self._goal_literals.get(key)
        if literal is None:
            literal = z3.Bool(f"goal#{len(self._goal_literals)}", self.context)
            value = self.formulas.value(goal, {}, self.states[depth])
            self.solver.add(z3.Implies(literal, self.formulas.boolean(value)))
            self._goal_literals[key] = literal
        return [literal, self.honest_only if honest_only else z3.Not(self.honest_only)]

    def reaches(self, goal: Formula, depth: int, honest_only: bool = False) -> bool:
        """Whether a run of exactly ``depth`` steps ends where ``goal`` holds."""
        assumptions = self._goal(goal, depth, honest_only)
        found = is_sat(self.solver, assumptions)
        self._last = (assumptions, self.solver.model()) if found else None
        return found

    def reaches_within(self, goal: Formula, max_depth: int, honest_only: bool = False) -> bool:
        """Whether a run of at most ``max_depth`` steps ends where ``goal`` holds (one query)."""
        literals = [self._goal(goal, depth, honest_only) for depth in range(max_depth + 1)]
        assumptions = [z3.Or([literal for literal, _ in literals]), literals[0][1]]
        return is_sat(self.solver, assumptions)

    def shortest(self, goal: Formula, max_depth: int, honest_only: bool = False) -> int | None:
        """The least depth (up to ``max_depth``) at which a run reaches ``goal``."""
        for depth in range(max_depth + 1):
            if self.reaches(goal, depth, honest_only):
                return depth
        return None

    def canonical(self, goal: Formula, depth: int, honest_only: bool = False) -> ConcreteRun:
        """The canonical run of ``depth`` steps reaching ``goal`` (module docstring); it must exist.

        The steps are decided on the whole unrolling; who is honest and the rest of the deployment on
        the small problem that the chosen steps leave (their guards, the goal and the axioms)."""
        fixed = self._goal(goal, depth, honest_only)
        if self._last is not None and [str(a) for a in self._last[0]] == [str(a) for a in fixed]:
            model = self._last[1]
        elif is_sat(self.solver, fixed):
            model = self.solver.model()
        else:
            raise GroundError(f"no run of {depth} steps reaches the goal over the closed universe")
        steps = []
        for step in range(depth):
            selector = self.selectors[step]
            model = self._decide(self.solver, selector.literals, fixed, model)
            index = self._index(model, selector)
            arguments = {}
            for name, element in self.parameters[step][index].items():
                model = self._decide(self.solver, element.literals, fixed, model)
                arguments[name] = element.options[self._index(model, element)]
            steps.append(Step(self.actions[index].id, arguments))
        return self._least_deployment(goal, tuple(steps))

    def _least_deployment(self, goal: Formula, steps: tuple[Step, ...]) -> ConcreteRun:
        """The run of ``steps`` on the least deployment under which they execute and reach ``goal``:
        the most honest entities first, then the fewest other facts (in the order of ``facts``)."""
        formulas = self.formulas
        solver = new_finite_domain_solver(self.settings, self.context)
        state = self.states[0]
        constraints = [formulas.value(axiom, {}, state) for axiom in self.system.axioms]
        actions = {action.id: action for action in self.actions}
        for step in steps:
            action = actions[step.action]
            constraints.append(formulas.value(action.guard_formula(), step.arguments, state))
            post = dict(state)
            for relation_id, update in action.updates.items():
                variables = update_variables(self.catalogue.relations[relation_id])
                post[relation_id] = {
                    elements: formulas.value(
                        update, {**step.arguments, **dict(zip(variables, elements, strict=True))}, state
                    )
                    for elements in state[relation_id]
                }
            state = post
        constraints.append(formulas.value(goal, {}, state))
        if any(constraint is False for constraint in constraints):
            raise GroundError("the chosen steps cannot run on any deployment")
        solver.add(*[constraint for constraint in constraints if constraint is not True])
        fixed: list[Any] = []
        if not is_sat(solver, fixed):
            raise GroundError("the chosen steps cannot run on any deployment")
        model = solver.model()
        honesty = [v for relation, _, v in self.facts if self.catalogue.relations[relation].prefer]
        others = [v for relation, _, v in self.facts if not self.catalogue.relations[relation].prefer]
        for group in (honesty, others):
            answer, implications = solver.consequences(fixed, group)
            if answer != z3.sat:
                raise GroundError(f"no consequences for the deployment of a canonical run ({answer})")
            forced = {}
            for implication in implications:
                literal = implication.arg(1)
                forced[literal.arg(0) if z3.is_not(literal) else literal] = literal
            for variable in group:
                if variable in forced:
                    fixed.append(forced[variable])
                else:
                    model = self._decide(solver, (z3.Not(variable), variable), fixed, model)
        return self._run(model, goal, steps)

    def _decide(
        self, solver: z3.Solver, options: Sequence[Any], fixed: list[Any], model: z3.ModelRef
    ) -> z3.ModelRef:
        """Fix the most preferred of ``options`` (one of them holds) that ``solver`` allows with
        ``fixed``; ``model`` satisfies ``fixed``, and the model returned satisfies the choice too."""
        current = self._holding(model, options)
        while current > 0 and is_sat(solver, [*fixed, z3.Or(list(options[:current]))]):
            model = solver.model()
            current = self._holding(model, options)
        fixed.append(options[current])
        return model

    @staticmethod
    def _holding(model: z3.ModelRef, options: Sequence[Any]) -> int:
        return next(k for k, option in enumerate(options) if z3.is_true(model.eval(option, True)))

    def _index(self, model: z3.ModelRef, element: _Element) -> int:
        return self._holding(model, element.literals)

    def _run(self, model: z3.ModelRef, goal: Formula, steps: tuple[Step, ...]) -> ConcreteRun:
        relations: dict[str, set[tuple[str, ...]]] = {}
        for relation_id, elements, variable in self.facts:
            holds = z3.is_true(model.eval(variable, True)) != self.catalogue.relations[relation_id].prefer
            facts = relations.setdefault(relation_id, set())
            if holds:
                facts.add(elements)
        structure = Structure(self.universe, {r: frozenset(facts) for r, facts in relations.items()})
        run = simulate(self.system, initialise(self.system, structure), steps)
        if not evaluate(goal, run.final, {}):
            raise GroundError("the canonical run does not reach its goal when simulated")
        return run
