"""Compile the catalogue, under one profile's option values, into a transition system.

Options are compile-time: an action, guard, effect or definition case whose ``when`` does not hold is
left out. The result is still in the catalogue's formula language; :mod:`model.encode` takes it to Z3.
Each action's effects become, per updated relation ``R``, one formula ``R'(u1..un) := phi`` over the
pre-state (effects on the same relation compose in order; different relations update simultaneously).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count

from model.catalogue import Action, Catalogue, Effect, Guard, Relation, holds
from model.syntax import (
    WILDCARD,
    And,
    Atom,
    Const,
    Eq,
    Formula,
    Iff,
    Implies,
    Name,
    Not,
    Or,
    Quant,
    conjuncts,
    substitute,
)


def update_variables(relation: Relation) -> tuple[str, ...]:
    """The names of the argument variables in an update formula of ``relation``."""
    return tuple(f"_{relation.id}_{position}" for position in range(len(relation.args)))


@dataclass(frozen=True)
class Removal:
    """A check taken out of the system (a mutant): everywhere, or in one action."""

    check: str
    action: str | None = None

    def applies(self, action: Action, guard: Guard) -> bool:
        return guard.check == self.check and self.action in (None, action.id)


@dataclass(frozen=True)
class CompiledAction:
    """An action under the profile: its active guards, the checks it leaves out, its updates."""

    action: Action
    guards: tuple[Guard, ...]
    omitted: tuple[Guard, ...]
    """guards with a check that the profile's options or a mutant leave out (for the trace)"""
    updates: Mapping[str, Formula]
    """relation id -> new value over ``update_variables(relation)`` and the action's parameters"""

    @property
    def id(self) -> str:
        return self.action.id

    def guard_formula(self) -> Formula:
        return And(tuple(guard.formula for guard in self.guards))


@dataclass(frozen=True)
class System:
    """A transition system over the catalogue's vocabulary, with definitions expanded."""

    catalogue: Catalogue
    options: Mapping[str, str]
    actions: tuple[CompiledAction, ...]
    axioms: tuple[Formula, ...]
    removals: tuple[Removal, ...] = field(default=())

    @property
    def state_relations(self) -> tuple[Relation, ...]:
        return tuple(r for r in self.catalogue.relations.values() if r.kind == "state")

    def updated_relations(self) -> tuple[str, ...]:
        """Relations some action updates, in catalogue order (solver input must not depend on hashing)."""
        updated = {relation for action in self.actions for relation in action.updates}
        return tuple(relation for relation in self.catalogue.relations if relation in updated)

    def can_become_true(self) -> frozenset[str]:
        """Relations that may hold of some tuple in some reachable state (an over-approximation).

        A relation qualifies if it is static, starts non-empty, or is inserted by an action whose
        positive top-level guard and ``where`` atoms all name relations that qualify.
        """
        possible = {
            r.id for r in self.catalogue.relations.values() if r.kind == "static" or r.init != Const(False)
        }
        changed = True
        while changed:
            changed = False
            for action in self.actions:
                guard_atoms = {
                    p.relation for g in action.guards for p in conjuncts(g.formula) if isinstance(p, Atom)
                }
                if not guard_atoms <= possible:
                    continue
                for effect in action.action.effects:
                    if (
                        not effect.insert
                        or effect.relation in possible
                        or not holds(effect.when, self.options)
                    ):
                        continue
                    where = conjuncts(effect.where) if effect.where is not None else ()
                    if {p.relation for p in where if isinstance(p, Atom)} <= possible:
                        possible.add(effect.relation)
                        changed = True
        return frozenset(possible)

    def expand(self, formula: Formula) -> Formula:
        """``formula`` with every definition replaced by its case for this profile's options."""
        return expand_definitions(formula, self.catalogue, self.options)


def compile_system(
    catalogue: Catalogue, options: Mapping[str, str], removals: tuple[Removal, ...] = ()
) -> System:
    """The transition system of ``catalogue`` under ``options`` (with ``removals`` for a mutant)."""
    compiled = (compile_action(catalogue, action, options, removals) for action in catalogue.actions.values())
    actions = tuple(action for action in compiled if action is not None)
    axioms = tuple(
        expand_definitions(axiom.formula, catalogue, options) for axiom in catalogue.axioms.values()
    )
    return System(catalogue, dict(options), actions, axioms, removals)


def compile_action(
    catalogue: Catalogue, action: Action, options: Mapping[str, str], removals: tuple[Removal, ...] = ()
) -> CompiledAction | None:
    """``action`` under ``options``: None when its ``when`` leaves it out of the system."""
    if not holds(action.when, options):
        return None
    guards, omitted = [], []
    for guard in action.guards:
        removed = any(removal.applies(action, guard) for removal in removals)
        if removed or not holds(guard.when, options):
            if guard.check is not None:
                omitted.append(guard)
            continue
        guards.append(
            Guard(expand_definitions(guard.formula, catalogue, options), guard.source, guard.check, ())
        )
    effects = [effect for effect in action.effects if holds(effect.when, options)]
    updates = _updates(catalogue, action, effects, options)
    return CompiledAction(action, tuple(guards), tuple(omitted), updates)


def _updates(
    catalogue: Catalogue, action: Action, effects: list[Effect], options: Mapping[str, str]
) -> dict[str, Formula]:
    parameters = frozenset(name for name, _ in action.params)
    updates: dict[str, Formula] = {}
    for effect in effects:
        relation = catalogue.relations[effect.relation]
        variables = update_variables(relation)
        current = updates.get(relation.id, Atom(relation.id, tuple(Name(v) for v in variables)))
        matched = _matches(effect, variables, parameters, catalogue, options)
        updates[relation.id] = Or((current, matched)) if effect.insert else And((current, Not(matched)))
    return updates


def _matches(
    effect: Effect,
    variables: tuple[str, ...],
    parameters: frozenset[str],
    catalogue: Catalogue,
    options: Mapping[str, str],
) -> Formula:
    """The condition on ``variables`` under which the tuple is one the effect inserts or deletes."""
    equalities: list[Formula] = []
    renaming: dict[str, str] = {}
    constants = catalogue.vocabulary.constants
    for variable, entry in zip(variables, effect.pattern, strict=True):
        if entry == WILDCARD:
            continue
        if entry in parameters or entry in constants:
            equalities.append(Eq(Name(variable), Name(entry)))
        else:
            renaming[entry] = variable
    if effect.where is not None:
        equalities.append(expand_definitions(substitute(effect.where, renaming), catalogue, options))
    return And(tuple(equalities)) if equalities else Const(True)


def expand_definitions(formula: Formula, catalogue: Catalogue, options: Mapping[str, str]) -> Formula:
    """Replace applications of definitions by their body for ``options`` (bound names made fresh)."""
    fresh = count()

    def body_for(name: str) -> tuple[tuple[str, ...], Formula]:
        definition = catalogue.definitions[name]
        for case in definition.cases:
            if holds(case.when, options):
                return tuple(param for param, _ in definition.params), case.formula
        raise ValueError(f"definition '{name}' has no case for the profile's options")

    def rename_bound(node: Formula) -> Formula:
        if isinstance(node, Quant):
            mapping = {variable: f"{variable}__{next(fresh)}" for variable, _ in node.binders}
            binders = tuple((mapping[variable], sort) for variable, sort in node.binders)
            return Quant(node.universal, binders, rename_bound(substitute(node.body, mapping)))
        return _map_children(node, rename_bound)

    def expand(node: Formula) -> Formula:
        if isinstance(node, Atom) and node.relation in catalogue.definitions:
            params, body = body_for(node.relation)
            instance = substitute(
                rename_bound(body), dict(zip(params, (arg.name for arg in node.args), strict=True))
            )
            return expand(instance)
        return _map_children(node, expand)

    return expand(formula)


def _map_children(node: Formula, transform: Callable[[Formula], Formula]) -> Formula:
    match node:
        case Not(body=body):
            return Not(transform(body))
        case And(parts=parts):
            return And(tuple(transform(part) for part in parts))
        case Or(parts=parts):
            return Or(tuple(transform(part) for part in parts))
        case Implies(left=left, right=right):
            return Implies(transform(left), transform(right))
        case Iff(left=left, right=right):
            return Iff(transform(left), transform(right))
        case Quant(universal=universal, binders=binders, body=body):
            return Quant(universal, binders, transform(body))
        case _:
            return node


def preimage(formula: Formula, action: CompiledAction, catalogue: Catalogue) -> Formula:
    """``formula``, a statement about the state after ``action``, as one about the state before it
    (each atom of a relation the action updates replaced by its update; bound names must not clash
    with the action's parameters)."""
    match formula:
        case Atom(relation=relation, args=args):
            update = action.updates.get(relation)
            if update is None:
                return formula
            variables = update_variables(catalogue.relations[relation])
            return substitute(update, dict(zip(variables, (arg.name for arg in args), strict=True)))
        case Quant(universal=universal, binders=binders, body=body):
            return Quant(universal, binders, preimage(body, action, catalogue))
        case _:
            return _map_children(formula, lambda part: preimage(part, action, catalogue))


def split_universal(formula: Formula) -> Iterator[Formula]:
    """Split ``forall x. A -> (B & C)`` and top-level conjunctions into separate formulas."""
    match formula:
        case And(parts=parts):
            for part in parts:
                yield from split_universal(part)
        case Quant(universal=True, binders=binders, body=body):
            for piece in split_universal(body):
                yield Quant(True, binders, piece)
        case Implies(left=left, right=And(parts=parts)):
            for part in parts:
                for piece in split_universal(part):
                    yield Implies(left, piece)
        case Implies(left=left, right=Quant(universal=True, binders=binders, body=body)):
            for piece in split_universal(body):
                yield Quant(True, binders, Implies(left, piece))
        case _:
            yield formula
