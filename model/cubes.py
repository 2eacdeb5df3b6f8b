"""Cubes: existentially closed conjunctions of literals, the states an invariant clause excludes.

A clause of an inferred invariant is the negation of a cube: ``forall x. !(l1 & ... & ln)``. Cubes
are read off a counterexample to induction (a Z3 model) by :func:`implicant`: the literals, over the
model's elements that the formula names, that make the formula true there.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import z3

from model.encode import State, Translator
from model.syntax import (
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
    negation_normal_form,
    strip_universal,
)


@dataclass(frozen=True)
class Literal:
    """An atom or an equality, or its negation."""

    positive: bool
    atom: Atom | Eq

    def formula(self) -> Formula:
        return self.atom if self.positive else Not(self.atom)

    def names(self) -> frozenset[str]:
        if isinstance(self.atom, Atom):
            return frozenset(arg.name for arg in self.atom.args)
        return frozenset((self.atom.left.name, self.atom.right.name))

    @property
    def relation(self) -> str | None:
        return self.atom.relation if isinstance(self.atom, Atom) else None


@dataclass(frozen=True)
class Cube:
    """``exists variables. literals``; its negation is a universally quantified clause."""

    variables: tuple[tuple[str, str], ...]
    literals: tuple[Literal, ...]

    def without(self, dropped: Sequence[Literal] | frozenset[Literal]) -> Cube:
        """The cube without ``dropped`` (and without the variables no literal uses any more)."""
        literals = tuple(literal for literal in self.literals if literal not in dropped)
        used = frozenset().union(*(literal.names() for literal in literals))
        return Cube(tuple((v, sort) for v, sort in self.variables if v in used), literals)

    def keeping(self, kept: frozenset[Literal]) -> Cube:
        return self.without([literal for literal in self.literals if literal not in kept])

    def clause(self) -> Formula:
        """The negation: ``forall variables. !(literals)``."""
        body: Formula = Not(And(tuple(literal.formula() for literal in self.literals)))
        return Quant(True, self.variables, body) if self.variables else body

    def subsumes(self, other: Cube) -> bool:
        """Whether every state in ``other`` is in this cube, because some mapping of this cube's
        variables to ``other``'s (sort by sort) turns each of its literals into one of ``other``'s:
        then this cube's clause implies ``other``'s."""
        sorts, targets = dict(self.variables), dict(other.variables)

        def bind(
            mine: Sequence[Name], theirs: Sequence[Name], mapping: dict[str, str]
        ) -> dict[str, str] | None:
            extended = dict(mapping)
            for name, target in zip(mine, theirs, strict=True):
                if name.name not in sorts:
                    fits = name.name == target.name
                else:
                    fits = targets.get(target.name) == sorts[name.name]
                    fits = fits and extended.setdefault(name.name, target.name) == target.name
                if not fits:
                    return None
            return extended

        def search(index: int, mapping: dict[str, str]) -> bool:
            if index == len(self.literals):
                return True
            mine = self.literals[index]
            for theirs in other.literals:
                for args in _implying(mine, theirs, sorts, targets):
                    extended = bind(_orientations(mine)[0], args, mapping)
                    if extended is not None and search(index + 1, extended):
                        return True
            return False

        return search(0, {})


def _implying(
    mine: Literal, theirs: Literal, sorts: Mapping[str, str], targets: Mapping[str, str]
) -> list[tuple[Name, ...]]:
    """The arguments ``theirs`` gives ``mine`` where it implies it: the same relation or equality with
    the same sign (an equality either way round), or ``x = A`` where ``mine`` is ``x != B`` for two
    values ``A`` and ``B`` of an enumeration (names that are neither cube's variables)."""
    if (theirs.positive, theirs.relation, type(theirs.atom)) == (
        mine.positive,
        mine.relation,
        type(mine.atom),
    ):
        return _orientations(theirs)
    if (
        mine.positive
        or not theirs.positive
        or not isinstance(mine.atom, Eq)
        or not isinstance(theirs.atom, Eq)
    ):
        return []
    variable, value = _variable_and_value(mine.atom, sorts)
    found, other = _variable_and_value(theirs.atom, targets)
    if variable is None or found is None or value.name == other.name:
        return []
    return [(found, value)] if mine.atom.left == variable else [(value, found)]


def _variable_and_value(equality: Eq, variables: Mapping[str, str]) -> tuple[Name | None, Name]:
    """The variable and the constant of an equality between one of ``variables`` and a constant;
    (None, _) for any other equality."""
    left, right = equality.left, equality.right
    if left.name in variables and right.name not in variables:
        return left, right
    if right.name in variables and left.name not in variables:
        return right, left
    return None, left


def _orientations(literal: Literal) -> list[tuple[Name, ...]]:
    """The arguments of an atom; both orders of an equality's sides."""
    if isinstance(literal.atom, Atom):
        return [literal.atom.args]
    left, right = literal.atom.left, literal.atom.right
    return [(left, right), (right, left)]


def clause_cube(clause: Formula) -> Cube | None:
    """The cube whose negation is the closed universal ``clause``, when its negated body is a
    conjunction of literals (an atom or an equality, or its negation); else None."""
    binders, body = strip_universal(clause)
    parts, literals = [negation_normal_form(body, positive=False)], []
    while parts:
        match parts.pop(0):
            case And(parts=inner):
                parts[:0] = inner
            case Atom() | Eq() as atom:
                literals.append(Literal(True, atom))
            case Not(body=Atom() | Eq() as atom):
                literals.append(Literal(False, atom))
            case _:
                return None
    return Cube(binders, tuple(dict.fromkeys(literals)))


def implicant(
    translator: Translator,
    model: z3.ModelRef,
    state: State,
    formulas: Sequence[Formula],
    *,
    env: Mapping[str, z3.ExprRef],
    sorts: Mapping[str, str],
) -> list[Cube]:
    """For each of ``formulas`` (in negation normal form, true in ``model`` over ``state`` with the
    free names bound by ``env``), literals over the model's elements that imply it there. All cubes
    share one naming of elements (variables named after their sort and numbered); each one extends
    the cube before it. A universal is instantiated at the elements already named (at least one)."""
    reader = _Reader(translator, model, state)
    cubes = []
    for formula in formulas:
        reader.add(formula, dict(env), dict(sorts))
        cubes.append(reader.finish())
    return cubes


class _Reader:
    def __init__(self, translator: Translator, model: z3.ModelRef, state: State) -> None:
        self.translator = translator
        self.model = model
        self.state = state
        self.enums = set(translator.catalogue.enums)
        self.names: dict[str, tuple[str, str]] = {}
        self.literals: dict[Literal, None] = {}
        self.deferred: list[tuple[Quant, dict[str, z3.ExprRef], dict[str, str]]] = []

    def _holds(self, formula: Formula, env: Mapping[str, z3.ExprRef]) -> bool:
        """The truth of ``formula`` in the model, quantifiers expanded over its finite universes."""
        match formula:
            case Quant(universal=universal, binders=binders, body=body):
                assignments = itertools.product(*(self._elements(sort, False) for _, sort in binders))
                results = (
                    self._holds(body, {**env, **{v: e for (v, _), e in zip(binders, values, strict=True)}})
                    for values in assignments
                )
                return all(results) if universal else any(results)
            case Not(body=body):
                return not self._holds(body, env)
            case And(parts=parts):
                return all(self._holds(part, env) for part in parts)
            case Or(parts=parts):
                return any(self._holds(part, env) for part in parts)
            case Implies(left=left, right=right):
                return not self._holds(left, env) or self._holds(right, env)
            case Iff(left=left, right=right):
                return self._holds(left, env) == self._holds(right, env)
        term = self.translator.formula(formula, env, self.state)
        return bool(z3.is_true(self.model.eval(term, model_completion=True)))

    def _key(self, term: z3.ExprRef) -> str:
        return str(self.model.eval(term, model_completion=True))

    def _variable(self, term: z3.ExprRef, sort: str) -> str:
        key = self._key(term)
        if key not in self.names:
            name = f"{sort}{sum(1 for _, s in self.names.values() if s == sort)}"
            self.names[key] = (name, sort)
            if sort in self.enums:
                self.literals.setdefault(Literal(True, Eq(Name(name), Name(key))))
        return self.names[key][0]

    def _elements(self, sort: str, named_only: bool) -> list[z3.ExprRef]:
        if sort in self.enums:
            values = self.translator.catalogue.enums[sort].values
            return [self.translator.symbols.constants[value] for value in values]
        universe = list(self.model.get_universe(self.translator.sort(sort)) or [])
        if not named_only:
            return universe
        named = [element for element in universe if self._key(element) in self.names]
        return named or universe[:1]

    def _term(self, name: str, env: Mapping[str, z3.ExprRef]) -> z3.ExprRef:
        return env[name] if name in env else self.translator.symbols.constants[name]

    def _sort(self, name: str, sorts: Mapping[str, str]) -> str:
        return sorts[name] if name in sorts else self.translator.catalogue.vocabulary.constants[name]

    def _name(self, arg: Name, env: Mapping[str, z3.ExprRef], sorts: Mapping[str, str]) -> Name:
        return Name(self._variable(self._term(arg.name, env), self._sort(arg.name, sorts)))

    def add(self, formula: Formula, env: dict[str, z3.ExprRef], sorts: dict[str, str]) -> None:
        match formula:
            case Const() | Eq():
                return  # equal elements share a variable
            case Atom(relation=relation, args=args) | Not(body=Atom(relation=relation, args=args)):
                atom = Atom(relation, tuple(self._name(arg, env, sorts) for arg in args))
                self.literals.setdefault(Literal(isinstance(formula, Atom), atom))
            case Not(body=Eq(left=left, right=right)):
                if self._sort(left.name, sorts) not in self.enums:
                    equality = Eq(self._name(left, env, sorts), self._name(right, env, sorts))
                    self.literals.setdefault(Literal(False, equality))
            case And(parts=parts):
                for part in sorted(parts, key=_universal_last):
                    self.add(part, env, sorts)
            case Or(parts=parts):
                true_part = next(
                    part for part in sorted(parts, key=_simplest_first) if self._holds(part, env)
                )
                self.add(true_part, env, sorts)
            case Quant(universal=False, binders=binders, body=body):
                inner = dict(sorts) | dict(binders)
                for values in itertools.product(*(self._elements(s, False) for _, s in binders)):
                    bound = env | {v: value for (v, _), value in zip(binders, values, strict=True)}
                    if self._holds(body, bound):
                        self.add(body, bound, inner)
                        return
                raise ValueError("an existential with no witness in the model")
            case Quant(universal=True):
                self.deferred.append((formula, env, sorts))
            case _:
                raise TypeError(f"not in negation normal form: {formula!r}")

    def finish(self) -> Cube:
        while self.deferred:
            quant, env, sorts = self.deferred.pop(0)
            inner = dict(sorts) | dict(quant.binders)
            for values in itertools.product(*(self._elements(s, True) for _, s in quant.binders)):
                bound = env | {v: value for (v, _), value in zip(quant.binders, values, strict=True)}
                self.add(quant.body, bound, inner)
        return Cube(tuple(self.names.values()), tuple(self.literals))


def _universal_last(formula: Formula) -> int:
    return 1 if isinstance(formula, Quant) and formula.universal else 0


def _simplest_first(formula: Formula) -> int:
    match formula:
        case Const():
            return 0
        case Atom() | Eq() | Not():
            return 1
        case _:
            return 2


def value(
    translator: Translator, model: z3.ModelRef, literal: Literal, env: Mapping[str, z3.ExprRef], state: State
) -> bool:
    """The truth of ``literal`` in ``model`` over ``state`` with its variables bound by ``env``."""
    term = translator.formula(literal.formula(), env, state)
    return bool(z3.is_true(model.eval(term, model_completion=True)))
