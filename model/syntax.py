"""The formula language of the catalogue: abstract syntax and a recursive-descent parser.

Formulas in ``spec/`` are first-order over the catalogue's sorts and relations, in the style of
mypyvy/Ivy::

    forall a:aef, t:token, x:api. honest_aef(a) & tok_accepted(a, t, x) -> tok_scope(t, a, x)

Precedence, loosest first: quantifiers (their body extends as far right as possible), ``<->``, ``->``
(right associative), ``|``, ``&``, ``!``; then atoms: ``R(t, ...)``, ``t = u``, ``t != u``, ``true``,
``false`` and parenthesised formulas. Terms are names only (variables, action parameters, enum
constants); ``_`` is a wildcard, allowed only in the atoms of update entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


class FormulaSyntaxError(ValueError):
    """A formula that does not parse; the message names the offending position."""


@dataclass(frozen=True)
class Name:
    """A term: a bound variable, an action parameter, an enum constant or the wildcard ``_``."""

    name: str


@dataclass(frozen=True)
class Atom:
    """``relation(args)``; ``relation`` may also name a definition (expanded by the compiler)."""

    relation: str
    args: tuple[Name, ...]


@dataclass(frozen=True)
class Eq:
    left: Name
    right: Name


@dataclass(frozen=True)
class Not:
    body: Formula


@dataclass(frozen=True)
class And:
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Implies:
    left: Formula
    right: Formula


@dataclass(frozen=True)
class Iff:
    left: Formula
    right: Formula


@dataclass(frozen=True)
class Quant:
    """``forall``/``exists`` over typed variables."""

    universal: bool
    binders: tuple[tuple[str, str], ...]
    body: Formula


@dataclass(frozen=True)
class Const:
    value: bool


Formula = Atom | Eq | Not | And | Or | Implies | Iff | Quant | Const

WILDCARD = "_"

_TOKEN = re.compile(r"\s*(?:(?P<op><->|->|!=|[!&|=().,:])|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\S))")
_KEYWORDS = {"forall", "exists", "true", "false"}


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing whitespace is left
            return
        position = match.end()
        if match.group("bad") is not None:
            raise FormulaSyntaxError(f"unexpected character {match.group('bad')!r} at {match.start('bad')}")
        if match.group("op") is not None:
            yield "op", match.group("op"), match.start("op")
        elif match.group("name") is not None:
            yield "name", match.group("name"), match.start("name")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(_tokens(text))
        self.index = 0

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _fail(self, expected: str) -> FormulaSyntaxError:
        token = self._peek()
        where = f"{token[1]!r} at {token[2]}" if token else "end of formula"
        return FormulaSyntaxError(f"expected {expected}, found {where}")

    def _accept(self, value: str) -> bool:
        token = self._peek()
        if token is not None and token[1] == value:
            self.index += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._accept(value):
            raise self._fail(repr(value))

    def _name(self) -> str:
        token = self._peek()
        if token is None or token[0] != "name" or token[1] in _KEYWORDS:
            raise self._fail("a name")
        self.index += 1
        return token[1]

    def parse(self) -> Formula:
        formula = self._formula()
        if self._peek() is not None:
            raise self._fail("end of formula")
        return formula

    def _formula(self) -> Formula:
        token = self._peek()
        if token is not None and token[1] in ("forall", "exists"):
            self.index += 1
            binders = [self._binder()]
            while self._accept(","):
                binders.append(self._binder())
            self._expect(".")
            return Quant(token[1] == "forall", tuple(binders), self._formula())
        left = self._implication()
        if self._accept("<->"):
            return Iff(left, self._implication())
        return left

    def _binder(self) -> tuple[str, str]:
        variable = self._name()
        self._expect(":")
        return variable, self._name()

    def _implication(self) -> Formula:
        left = self._disjunction()
        if self._accept("->"):
            token = self._peek()
            right = self._formula() if token and token[1] in ("forall", "exists") else self._implication()
            return Implies(left, right)
        return left

    def _disjunction(self) -> Formula:
        parts = [self._conjunction()]
        while self._accept("|"):
            parts.append(self._conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _conjunction(self) -> Formula:
        parts = [self._unary()]
        while self._accept("&"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _unary(self) -> Formula:
        if self._accept("!"):
            return Not(self._unary())
        if self._accept("("):
            inner = self._formula()
            self._expect(")")
            return inner
        token = self._peek()
        if token is not None and token[1] in ("forall", "exists"):
            return self._formula()
        if self._accept("true"):
            return Const(True)
        if self._accept("false"):
            return Const(False)
        first = self._name()
        if self._accept("("):
            args: list[Name] = []
            if not self._accept(")"):
                args.append(Name(self._name()))
                while self._accept(","):
                    args.append(Name(self._name()))
                self._expect(")")
            return Atom(first, tuple(args))
        if self._accept("="):
            return Eq(Name(first), Name(self._name()))
        if self._accept("!="):
            return Not(Eq(Name(first), Name(self._name())))
        return Atom(first, ())


def parse_formula(text: str) -> Formula:
    """Parse one formula; raises :class:`FormulaSyntaxError` with the position of the problem."""
    return _Parser(text).parse()


def conjuncts(formula: Formula) -> tuple[Formula, ...]:
    """The top-level conjuncts of ``formula`` (itself when it is not a conjunction)."""
    return formula.parts if isinstance(formula, And) else (formula,)


def free_names(formula: Formula) -> frozenset[str]:
    """Names used as terms in ``formula`` and not bound by one of its quantifiers."""
    match formula:
        case Atom(args=args):
            return frozenset(arg.name for arg in args)
        case Eq(left=left, right=right):
            return frozenset((left.name, right.name))
        case Not(body=body):
            return free_names(body)
        case And(parts=parts) | Or(parts=parts):
            return frozenset().union(*(free_names(part) for part in parts))
        case Implies(left=left, right=right) | Iff(left=left, right=right):
            return free_names(left) | free_names(right)
        case Quant(binders=binders, body=body):
            return free_names(body) - {variable for variable, _ in binders}
        case Const():
            return frozenset()


def relations_used(formula: Formula) -> frozenset[str]:
    """Names of the relations (and definitions) that ``formula`` applies."""
    match formula:
        case Atom(relation=relation):
            return frozenset((relation,))
        case Eq() | Const():
            return frozenset()
        case Not(body=body) | Quant(body=body):
            return relations_used(body)
        case And(parts=parts) | Or(parts=parts):
            return frozenset().union(*(relations_used(part) for part in parts))
        case Implies(left=left, right=right) | Iff(left=left, right=right):
            return relations_used(left) | relations_used(right)


def walk(formula: Formula) -> Iterator[Formula]:
    """``formula`` and all its sub-formulas, outermost first."""
    yield formula
    match formula:
        case Not(body=body) | Quant(body=body):
            yield from walk(body)
        case And(parts=parts) | Or(parts=parts):
            for part in parts:
                yield from walk(part)
        case Implies(left=left, right=right) | Iff(left=left, right=right):
            yield from walk(left)
            yield from walk(right)
        case _:
            pass


def substitute(formula: Formula, mapping: dict[str, str]) -> Formula:
    """Rename free term names by ``mapping`` (bound variables shadow it)."""

    def term(name: Name) -> Name:
        return Name(mapping.get(name.name, name.name))

    match formula:
        case Atom(relation=relation, args=args):
            return Atom(relation, tuple(term(arg) for arg in args))
        case Eq(left=left, right=right):
            return Eq(term(left), term(right))
        case Not(body=body):
            return Not(substitute(body, mapping))
        case And(parts=parts):
            return And(tuple(substitute(part, mapping) for part in parts))
        case Or(parts=parts):
            return Or(tuple(substitute(part, mapping) for part in parts))
        case Implies(left=left, right=right):
            return Implies(substitute(left, mapping), substitute(right, mapping))
        case Iff(left=left, right=right):
            return Iff(substitute(left, mapping), substitute(right, mapping))
        case Quant(universal=universal, binders=binders, body=body):
            inner = {key: value for key, value in mapping.items() if key not in dict(binders)}
            return Quant(universal, binders, substitute(body, inner))
        case Const():
            return formula


def strip_universal(formula: Formula) -> tuple[tuple[tuple[str, str], ...], Formula]:
    """The leading universal binders of ``formula`` and the body under them."""
    binders: list[tuple[str, str]] = []
    while isinstance(formula, Quant) and formula.universal:
        binders.extend(formula.binders)
        formula = formula.body
    return tuple(binders), formula


def negation_normal_form(formula: Formula, positive: bool = True) -> Formula:
    """``formula`` (its negation when not ``positive``) with negations on atoms and equalities only,
    and no implications or equivalences."""
    match formula:
        case Atom() | Eq():
            return formula if positive else Not(formula)
        case Const(value=value):
            return Const(value == positive)
        case Not(body=body):
            return negation_normal_form(body, not positive)
        case And(parts=parts):
            inner = tuple(negation_normal_form(part, positive) for part in parts)
            return And(inner) if positive else Or(inner)
        case Or(parts=parts):
            inner = tuple(negation_normal_form(part, positive) for part in parts)
            return Or(inner) if positive else And(inner)
        case Implies(left=left, right=right):
            return negation_normal_form(Or((Not(left), right)), positive)
        case Iff(left=left, right=right):
            return negation_normal_form(Or((And((left, right)), And((Not(left), Not(right))))), positive)
        case Quant(universal=universal, binders=binders, body=body):
            return Quant(universal == positive, binders, negation_normal_form(body, positive))


def rename_bound(formula: Formula, suffix: str) -> Formula:
    """``formula`` with every bound variable ``v`` renamed ``v + suffix`` (apart from free names)."""
    match formula:
        case Quant(universal=universal, binders=binders, body=body):
            mapping = {variable: variable + suffix for variable, _ in binders}
            inner = rename_bound(substitute(body, mapping), suffix)
            return Quant(universal, tuple((mapping[v], sort) for v, sort in binders), inner)
        case Not(body=body):
            return Not(rename_bound(body, suffix))
        case And(parts=parts):
            return And(tuple(rename_bound(part, suffix) for part in parts))
        case Or(parts=parts):
            return Or(tuple(rename_bound(part, suffix) for part in parts))
        case Implies(left=left, right=right):
            return Implies(rename_bound(left, suffix), rename_bound(right, suffix))
        case Iff(left=left, right=right):
            return Iff(rename_bound(left, suffix), rename_bound(right, suffix))
        case _:
            return formula


def show(formula: Formula) -> str:
    """Render ``formula`` back to the catalogue's concrete syntax (fully parenthesised)."""
    match formula:
        case Atom(relation=relation, args=args):
            return f"{relation}({', '.join(arg.name for arg in args)})" if args else relation
        case Eq(left=left, right=right):
            return f"{left.name} = {right.name}"
        case Not(body=Eq(left=left, right=right)):
            return f"{left.name} != {right.name}"
        case Not(body=body):
            return f"!{show(body)}"
        case And(parts=parts):
            return "(" + " & ".join(show(part) for part in parts) + ")"
        case Or(parts=parts):
            return "(" + " | ".join(show(part) for part in parts) + ")"
        case Implies(left=left, right=right):
            return f"({show(left)} -> {show(right)})"
        case Iff(left=left, right=right):
            return f"({show(left)} <-> {show(right)})"
        case Quant(universal=universal, binders=binders, body=body):
            bound = ", ".join(f"{variable}:{sort}" for variable, sort in binders)
            return f"({'forall' if universal else 'exists'} {bound}. {show(body)})"
        case Const(value=value):
            return "true" if value else "false"
