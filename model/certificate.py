"""Proof certificates: the clauses of an inductive invariant that a property's proof needs.

The invariant a profile's proofs share has many clauses; the certificate of one property keeps only
those its proof uses. Starting from the clauses that imply the property, it adds, for each clause it
keeps, the clauses that keep that clause true across every action (one unsat core each, over all the
invariant's clauses as switched hypotheses; :meth:`model.step.Step.support`), until nothing new is
needed. The result holds initially (every clause of the invariant does), is preserved by every action
(each clause with the support it brought in) and implies the property: an inductive invariant on its
own, which :mod:`model.checker` verifies again from scratch before the property counts as proved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import z3

from model.step import Step
from model.syntax import Formula


@dataclass(frozen=True)
class Certificate:
    """The clauses that prove ``property`` (an inductive invariant that implies it)."""

    property: str
    clauses: tuple[Formula, ...]


class Minimiser:
    """Certificates drawn from one invariant, sharing the support found for each clause."""

    def __init__(self, step: Step, invariant: Sequence[tuple[z3.BoolRef, Formula]]) -> None:
        """``invariant``: the clauses of an inductive invariant with their activation literals in
        ``step``."""
        self.step = step
        self.invariant = list(invariant)
        self.literals = [literal for literal, _ in self.invariant]
        self.formula = dict(self.invariant)
        self._support: dict[z3.BoolRef, frozenset[z3.BoolRef]] = {}
        self._implying: dict[Formula, frozenset[z3.BoolRef]] = {}

    def extend(self, clauses: Sequence[tuple[z3.BoolRef, Formula]]) -> None:
        """More clauses of the (still inductive) invariant."""
        self.invariant.extend(clauses)
        self.literals.extend(literal for literal, _ in clauses)
        self.formula.update(clauses)

    def certificate(self, property_id: str, goal: Sequence[Formula]) -> Certificate | None:
        """The clauses of the invariant needed to prove the closed universal formulas ``goal``; None
        when the invariant does not imply them."""
        needed: set[z3.BoolRef] = set()
        for piece in goal:
            core = self.implying(piece)
            if core is None:
                return None
            needed |= core
        pending = list(needed)
        while pending:
            literal = pending.pop()
            for other in self._supporting(literal) - needed:
                needed.add(other)
                pending.append(other)
        clauses = tuple(formula for literal, formula in self.invariant if literal in needed)
        return Certificate(property_id, clauses)

    def implying(self, piece: Formula) -> frozenset[z3.BoolRef] | None:
        """The clauses (activation literals) that imply the closed universal formula ``piece`` in the
        same state; None when the invariant does not imply it. Kept once found: more clauses never
        make it wrong, so asking whether a property is implied and then for its certificate solves
        once."""
        if piece not in self._implying:
            core = self.step.support(piece, self.literals, after=False)
            if core is None:
                return None
            self._implying[piece] = core
        return self._implying[piece]

    def _supporting(self, literal: z3.BoolRef) -> frozenset[z3.BoolRef]:
        if literal not in self._support:
            core = self.step.support(self.formula[literal], self.literals, after=True)
            if core is None:
                raise ValueError(f"not inductive: {self.formula[literal]}")
            self._support[literal] = core
        return self._support[literal]
