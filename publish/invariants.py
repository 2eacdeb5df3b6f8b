"""Invariant clauses in the domain's words: why a proved property holds.

A clause of a proof certificate is a formula in the catalogue's syntax (``capifsec verify --json``
writes them so). It reads as "for every <entities>: if <premises>, then <conclusion>", each atom in
the words of its relation's ``text`` (``{a} has {k} installed as the PSK of {i}``, without a closing
remark in parentheses), the variables named like the entities of a trace (``aef-1``, ``ccf-A``, after
each sort's ``naming``). A clause that forbids a situation (``!(p & q & !r)``) reads with its negated
literals as the conclusion (``if p and q, then r``); with none, as "then not ...".
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence

from model.catalogue import Catalogue
from model.syntax import And, Atom, Const, Eq, Formula, Iff, Implies, Not, Or, Quant, parse_formula


def clause_words(catalogue: Catalogue, text: str) -> str:
    """The clause ``text`` (catalogue syntax) as one English sentence."""
    formula = parse_formula(text)
    binders: list[tuple[str, str]] = []
    while isinstance(formula, Quant) and formula.universal:
        binders.extend(formula.binders)
        formula = formula.body
    words = _Words(catalogue)
    names = words.name_all(binders)
    premises, conclusion = _split(formula)
    if premises:
        body = f"if {_join(words.formula(p) for p in premises)}, then {words.formula(conclusion)}"
    else:
        body = words.formula(conclusion)
    if not binders:
        return body[0].upper() + body[1:] + "."
    return f"For every {_join(names[variable] for variable, _ in binders)}: {body}."


def _split(formula: Formula) -> tuple[list[Formula], Formula]:
    """Premises and conclusion of an implication or of a forbidden situation ``!(l1 & ... & ln)``."""
    match formula:
        case Implies(left=left, right=right):
            premises: list[Formula] = list(left.parts) if isinstance(left, And) else [left]
            return premises, right
        case Not(body=And(parts=parts)):
            negative: list[Formula] = [p.body for p in parts if isinstance(p, Not)]
            positive: list[Formula] = [p for p in parts if not isinstance(p, Not)]
            if negative and positive:
                return positive, negative[0] if len(negative) == 1 else Or(tuple(negative))
            return list(parts[:-1]), Not(parts[-1])
        case _:
            return [], formula


def _join(parts: Iterable[str]) -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class _Words:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def name_all(self, binders: Sequence[tuple[str, str]]) -> dict[str, str]:
        """Name the variables of ``binders`` after their sort's naming (``aef-1``, ``ccf-A``)."""
        for variable, sort in binders:
            number = self.counts.get(sort, 0)
            self.counts[sort] = number + 1
            entry = self.catalogue.sorts.get(sort)
            if entry is None:
                self.names[variable] = f"{sort}-{number + 1}"
            else:
                letter = string.ascii_uppercase[number % 26] * (number // 26 + 1)
                self.names[variable] = entry.naming.replace("{letter}", letter).replace(
                    "{number}", str(number + 1)
                )
        return {variable: self.names[variable] for variable, _ in binders}

    def _name(self, name: str) -> str:
        return self.names.get(name, name)

    def formula(self, formula: Formula) -> str:
        match formula:
            case Atom(relation=relation, args=args):
                return self._atom(relation, [arg.name for arg in args])
            case Eq(left=left, right=right):
                return f"{self._name(left.name)} is {self._name(right.name)}"
            case Not(body=Eq(left=left, right=right)):
                return f"{self._name(left.name)} is not {self._name(right.name)}"
            case Not(body=body):
                return f"not ({self.formula(body)})"
            case And(parts=parts):
                return _join([self.formula(part) for part in parts])
            case Or(parts=parts):
                return " or ".join(self.formula(part) for part in parts)
            case Implies(left=left, right=right):
                return f"if {self.formula(left)} then {self.formula(right)}"
            case Iff(left=left, right=right):
                return f"{self.formula(left)} exactly when {self.formula(right)}"
            case Quant(universal=universal, binders=binders, body=body):
                entities = _join(self.name_all(binders).values())
                text = self.formula(body)
                return (
                    f"for every {entities}, {text}" if universal else f"there is {entities} such that {text}"
                )
            case Const(value=value):
                return "true" if value else "false"
        raise TypeError(f"not a formula: {formula!r}")

    def _atom(self, relation: str, args: Sequence[str]) -> str:
        entry = self.catalogue.relations.get(relation)
        if entry is None:
            definition = self.catalogue.definitions[relation]
            template, params = definition.text, [p for p, _ in definition.params]
        else:
            template, params = entry.text, [a for a, _ in entry.args]
        head, _, remark = template.rpartition(" (")
        text = head if head and template.endswith(")") and "{" not in remark else template
        for param, arg in zip(params, args, strict=True):
            text = text.replace("{" + param + "}", self._name(arg))
        return text
