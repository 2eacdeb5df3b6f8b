"""Sort checking of catalogue formulas.

Every term must be a variable in scope (a quantified variable, an action parameter, a relation
argument) or an enum constant; every atom must apply a known relation or definition to arguments of
the right sorts; both sides of ``=`` must have the same sort.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from model.syntax import WILDCARD, And, Atom, Const, Eq, Formula, Iff, Implies, Name, Not, Or, Quant


class FormulaTypeError(ValueError):
    """A formula that does not sort-check; the message says which name or atom is wrong."""


@dataclass(frozen=True)
class Vocabulary:
    """The names a formula may use."""

    sorts: frozenset[str]
    constants: Mapping[str, str]
    """enum constant -> its enum sort"""
    relations: Mapping[str, tuple[str, ...]]
    definitions: Mapping[str, tuple[str, ...]]


def typecheck(formula: Formula, scope: Mapping[str, str], vocabulary: Vocabulary) -> None:
    """Raise :class:`FormulaTypeError` unless ``formula`` is well sorted under ``scope``."""

    def sort_of(term: Name, env: Mapping[str, str]) -> str:
        if term.name == WILDCARD:
            raise FormulaTypeError("the wildcard '_' is allowed only in effect patterns")
        if term.name in env:
            return env[term.name]
        if term.name in vocabulary.constants:
            return vocabulary.constants[term.name]
        raise FormulaTypeError(f"unknown name '{term.name}'")

    def check(node: Formula, env: Mapping[str, str]) -> None:
        match node:
            case Atom(relation=relation, args=args):
                expected = vocabulary.relations.get(relation, vocabulary.definitions.get(relation))
                if expected is None:
                    raise FormulaTypeError(f"unknown relation '{relation}'")
                if len(expected) != len(args):
                    raise FormulaTypeError(f"{relation} takes {len(expected)} arguments, got {len(args)}")
                for position, (arg, sort) in enumerate(zip(args, expected, strict=True), start=1):
                    actual = sort_of(arg, env)
                    if actual != sort:
                        raise FormulaTypeError(
                            f"argument {position} of {relation} must be a {sort}, '{arg.name}' is a {actual}"
                        )
            case Eq(left=left, right=right):
                left_sort, right_sort = sort_of(left, env), sort_of(right, env)
                if left_sort != right_sort:
                    raise FormulaTypeError(
                        f"'{left.name}' ({left_sort}) and '{right.name}' ({right_sort}) cannot be equal"
                    )
            case Not(body=body):
                check(body, env)
            case And(parts=parts) | Or(parts=parts):
                for part in parts:
                    check(part, env)
            case Implies(left=left, right=right) | Iff(left=left, right=right):
                check(left, env)
                check(right, env)
            case Quant(binders=binders, body=body):
                inner = dict(env)
                for variable, sort in binders:
                    if sort not in vocabulary.sorts:
                        raise FormulaTypeError(f"unknown sort '{sort}' for '{variable}'")
                    inner[variable] = sort
                check(body, inner)
            case Const():
                pass

    check(formula, scope)
