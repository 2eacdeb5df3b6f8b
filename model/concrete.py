"""Concrete runs: finite structures, formula evaluation and step-by-step simulation in Python.

A run found by the solver is turned into a :class:`ConcreteRun` (its initial structure and its steps)
and then re-executed here, action by action, checking every guard: a solver run that does not
simulate is a defect and raises :class:`SimulationError`. The same simulator tries a run found under
one profile against another profile's system, which is how witnesses are shared between profiles.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from model.syntax import And, Atom, Const, Eq, Formula, Iff, Implies, Not, Or, Quant, relations_used
from model.system import CompiledAction, System, update_variables

Tuple = tuple[str, ...]


class SimulationError(RuntimeError):
    """A run that does not execute: an action is missing or a guard is false."""


@dataclass(frozen=True)
class Structure:
    """A finite structure: the elements of every sort and the tuples in every relation."""

    universe: Mapping[str, tuple[str, ...]]
    relations: Mapping[str, frozenset[Tuple]]

    def holds(self, relation: str, args: Tuple) -> bool:
        return args in self.relations[relation]

    def tuples(self, sorts: tuple[str, ...]) -> Iterator[Tuple]:
        return itertools.product(*(self.universe[sort] for sort in sorts))


@dataclass(frozen=True)
class Step:
    action: str
    arguments: Mapping[str, str]


@dataclass(frozen=True)
class ConcreteRun:
    """A run: the structures it goes through (``states[0]`` is initial) and the steps between them."""

    states: tuple[Structure, ...]
    steps: tuple[Step, ...]

    @property
    def final(self) -> Structure:
        return self.states[-1]


def evaluate(formula: Formula, structure: Structure, env: Mapping[str, str]) -> bool:
    """The truth of ``formula`` in ``structure`` (enum constants denote themselves)."""
    match formula:
        case Atom(relation=relation, args=args):
            return structure.holds(relation, tuple(env.get(arg.name, arg.name) for arg in args))
        case Eq(left=left, right=right):
            return env.get(left.name, left.name) == env.get(right.name, right.name)
        case Not(body=body):
            return not evaluate(body, structure, env)
        case And(parts=parts):
            return all(evaluate(part, structure, env) for part in parts)
        case Or(parts=parts):
            return any(evaluate(part, structure, env) for part in parts)
        case Implies(left=left, right=right):
            return not evaluate(left, structure, env) or evaluate(right, structure, env)
        case Iff(left=left, right=right):
            return evaluate(left, structure, env) == evaluate(right, structure, env)
        case Quant(universal=universal, binders=binders, body=body):
            names = [name for name, _ in binders]
            assignments = structure.tuples(tuple(sort for _, sort in binders))
            results = (
                evaluate(body, structure, {**env, **dict(zip(names, values, strict=True))})
                for values in assignments
            )
            return all(results) if universal else any(results)
        case Const(value=value):
            return value
    raise TypeError(f"not a formula: {formula!r}")


def apply(
    system: System, action: CompiledAction, structure: Structure, arguments: Mapping[str, str]
) -> Structure:
    """The structure after ``action`` with ``arguments``; raises if a guard is false."""
    for guard in action.guards:
        if not evaluate(guard.formula, structure, arguments):
            raise SimulationError(f"{action.id}: guard {guard.source!r} is false")
    relations = dict(structure.relations)
    for relation_id, update in action.updates.items():
        relation = system.catalogue.relations[relation_id]
        variables = update_variables(relation)
        relations[relation_id] = frozenset(
            values
            for values in structure.tuples(relation.sorts)
            if evaluate(update, structure, {**arguments, **dict(zip(variables, values, strict=True))})
        )
    return Structure(structure.universe, relations)


def simulate(system: System, initial: Structure, steps: tuple[Step, ...]) -> ConcreteRun:
    """Execute ``steps`` from ``initial`` in ``system``; :class:`SimulationError` if one cannot fire."""
    actions = {action.id: action for action in system.actions}
    states = [initial]
    for step in steps:
        action = actions.get(step.action)
        if action is None:
            raise SimulationError(f"{step.action}: no such action under this profile")
        states.append(apply(system, action, states[-1], step.arguments))
    return ConcreteRun(tuple(states), steps)


def initialise(system: System, given: Structure) -> Structure:
    """Complete ``given`` (static relations and those with ``init: any``) with the other initial values."""
    relations = dict(given.relations)
    pending = [r for r in system.state_relations if r.id not in relations]
    while pending:
        waiting = []
        for relation in pending:
            init = relation.init
            assert init is not None and init != "any"
            if not relations.keys() >= (relations_used(init) - {relation.id}):
                waiting.append(relation)
                continue
            names = tuple(name for name, _ in relation.args)
            partial = Structure(given.universe, relations)
            relations[relation.id] = frozenset(
                values
                for values in partial.tuples(relation.sorts)
                if evaluate(init, partial, dict(zip(names, values, strict=True)))
            )
        if len(waiting) == len(pending):
            raise SimulationError(f"initial values depend on each other: {[r.id for r in waiting]}")
        pending = waiting
    return Structure(given.universe, relations)
