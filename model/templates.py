"""Candidate invariants for Houdini, generated from the transition system itself.

A property is rarely inductive alone. The candidates here are cheap, well-known shapes over the
relations that the actions' guards and effects mention (BRIEF section 5):

* the properties and the spec's lemmas, split into their conjuncts;
* emptiness: a relation that no action of the profile inserts into stays empty;
* freshness: everything that mentions a fresh element (a key, token, certificate) was made after it;
* uniqueness: the facts that define a fresh element, written as it is made (a token's signer,
  subject and scope), agree on their other arguments.

Houdini then keeps the largest subset that is inductive; a candidate that is not simply drops out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from model.catalogue import Effect, Relation, holds
from model.syntax import (
    And,
    Atom,
    Const,
    Eq,
    Formula,
    Implies,
    Name,
    Not,
    Quant,
    conjuncts,
)
from model.system import CompiledAction, System, split_universal


@dataclass(frozen=True)
class Candidate:
    """A closed, universally quantified formula Houdini may keep."""

    name: str
    formula: Formula


def candidates(system: System, *, hints: bool = True) -> list[Candidate]:
    """All candidates for ``system``, without duplicates, properties and lemmas (with ``hints``) first."""
    found: dict[Formula, Candidate] = {}

    def add(name: str, formula: Formula) -> None:
        found.setdefault(formula, Candidate(f"{name} [{len(found)}]", formula))

    catalogue = system.catalogue
    for prop in catalogue.properties.values():
        for index, piece in enumerate(split_universal(system.expand(prop.formula))):
            add(f"property {prop.id} #{index}", piece)
    for lemma in catalogue.lemmas.values() if hints else ():
        for index, piece in enumerate(split_universal(system.expand(lemma.formula))):
            add(f"lemma {lemma.id} #{index}", piece)
    for name, formula in _never_inserted(system):
        add(name, formula)
    fresh = fresh_relations(system)
    for name, formula in _freshness(system, fresh):
        add(name, formula)
    for name, formula in _uniqueness(system, fresh):
        add(name, formula)
    return list(found.values())


def fresh_relations(system: System) -> dict[str, str]:
    """Unary state relations that mark elements as made (sort -> relation id).

    A relation ``U`` qualifies when it starts empty, no action deletes from it, and an action both
    requires ``!U(p)`` and inserts ``U(p)`` for a parameter ``p`` (the key, token or certificate the
    action makes).
    """
    deleted = {
        effect.relation
        for action in system.actions
        for effect in _active_effects(system, action)
        if not effect.insert
    }
    fresh: dict[str, str] = {}
    for action in system.actions:
        required = {
            part.body.relation
            for guard in action.guards
            for part in conjuncts(guard.formula)
            if isinstance(part, Not) and isinstance(part.body, Atom) and len(part.body.args) == 1
        }
        for effect in _active_effects(system, action):
            relation = system.catalogue.relations[effect.relation]
            if effect.insert and relation.id in required - deleted and _starts_empty(relation):
                fresh[relation.sorts[0]] = relation.id
    return fresh


def _starts_empty(relation: Relation) -> bool:
    return relation.kind == "state" and relation.init == Const(False)


def _active_effects(system: System, action: CompiledAction) -> list[Effect]:
    return [effect for effect in action.action.effects if holds(effect.when, system.options)]


def _never_inserted(system: System) -> Iterator[tuple[str, Formula]]:
    """A relation that starts empty and that no action of the profile inserts into stays empty."""
    inserted = {
        effect.relation
        for action in system.actions
        for effect in _active_effects(system, action)
        if effect.insert
    }
    for relation in system.state_relations:
        if _starts_empty(relation) and relation.id not in inserted:
            names = _variables(relation, "x")
            binders = [(name.name, sort) for name, sort in zip(names, relation.sorts, strict=True)]
            yield f"empty {relation.id}", _forall(binders, Not(Atom(relation.id, names)))


def _variables(relation: Relation, prefix: str) -> tuple[Name, ...]:
    return tuple(Name(f"{prefix}{position}") for position in range(len(relation.args)))


def _forall(binders: list[tuple[str, str]], body: Formula) -> Formula:
    return Quant(True, tuple(binders), body) if binders else body


def _freshness(system: System, fresh: dict[str, str]) -> Iterator[tuple[str, Formula]]:
    for sort, marker in fresh.items():
        for relation in system.state_relations:
            if relation.id == marker or not _starts_empty(relation):
                continue
            names = _variables(relation, "x")
            for position, argument_sort in enumerate(relation.sorts):
                if argument_sort != sort:
                    continue
                body = Implies(Atom(relation.id, names), Atom(marker, (names[position],)))
                binders = [(name.name, s) for name, s in zip(names, relation.sorts, strict=True)]
                yield f"fresh {relation.id}[{position}] made", _forall(binders, body)


def _defined_when_made(system: System, sort: str, marker: str) -> set[tuple[str, int]]:
    """(relation, position) pairs that only ever receive an element of ``sort`` as it is made.

    Such a fact is part of the element's definition (a token's signer, subject, scope), written once
    by the action that makes it; a fact copied later (a key installed at an AEF) is not.
    """
    defined: set[tuple[str, int]] = set()
    copied: set[tuple[str, int]] = set()
    for action in system.actions:
        params = dict(action.action.params)
        made = {
            part.body.args[0].name
            for guard in action.guards
            for part in conjuncts(guard.formula)
            if isinstance(part, Not) and isinstance(part.body, Atom) and part.body.relation == marker
        }
        for effect in _active_effects(system, action):
            if not effect.insert:
                continue
            for position, entry in enumerate(effect.pattern):
                if system.catalogue.relations[effect.relation].sorts[position] != sort:
                    continue
                target = defined if entry in made and params.get(entry) == sort else copied
                target.add((effect.relation, position))
    return defined - copied


def _uniqueness(system: System, fresh: dict[str, str]) -> Iterator[tuple[str, Formula]]:
    relations = [r for r in system.state_relations if _starts_empty(r) and r.id not in fresh.values()]
    for sort, marker in fresh.items():
        defined = _defined_when_made(system, sort, marker)
        holders = [
            (r, j) for r in relations for j, s in enumerate(r.sorts) if s == sort and (r.id, j) in defined
        ]
        for index, (left, j) in enumerate(holders):
            for right, k in holders[index:]:
                for p, left_sort in enumerate(left.sorts):
                    for q, right_sort in enumerate(right.sorts):
                        if p == j or q == k or left_sort != right_sort or (left is right and p != q):
                            continue
                        xs, ys = list(_variables(left, "x")), list(_variables(right, "y"))
                        ys[k] = xs[j]
                        binders = [(x.name, s) for x, s in zip(xs, left.sorts, strict=True)]
                        binders += [
                            (y.name, s) for y, s in zip(ys, right.sorts, strict=True) if y.name[0] == "y"
                        ]
                        body = Implies(
                            And((Atom(left.id, tuple(xs)), Atom(right.id, tuple(ys)))), Eq(xs[p], ys[q])
                        )
                        yield f"unique {left.id}[{j}]/{right.id}[{k}]: {p}={q}", _forall(binders, body)
