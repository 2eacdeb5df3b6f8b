"""Proof certificates: the clauses of an inductive invariant that a property's proof needs.

The invariant a profile's proofs share has many clauses; the certificate of one property keeps only
those its proof uses. Starting from the clauses that imply the property, it adds, for each clause it
keeps, the clauses that keep that clause true across every action (one unsat core each, over all the
invariant's clauses as switched hypotheses; :meth:`model.step.Step.support`), until nothing new is
needed. Unsat cores are not minimal, so the clauses are then dropped one at a time, the last first,
each for good when the others still make an inductive invariant that implies the property
(:meth:`model.step.Step.entails`), until no clause can go: every clause of the certificate is
needed. The result holds initially (every clause of the invariant does), is preserved by every
action and implies the property, which :mod:`model.checker` verifies again from scratch before the
property counts as proved. Its clauses keep the invariant's order.
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
    unminimised: int
    """how many clauses the unsat cores brought in, before the clauses not needed were dropped"""


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
        self._literal = {formula: literal for literal, formula in self.invariant}
        self._failed: dict[tuple[Formula, bool], list[frozenset[z3.BoolRef]]] = {}
        """for a clause (after every step) or a piece of a goal, sets of clauses that do not imply it"""
        self._known: dict[tuple[Formula, bool], frozenset[z3.BoolRef]] = {}
        """for a clause or a piece of a goal, the last set of clauses found to imply it"""

    def extend(self, clauses: Sequence[tuple[z3.BoolRef, Formula]]) -> None:
        """More clauses of the (still inductive) invariant."""
        self.invariant.extend(clauses)
        self.literals.extend(literal for literal, _ in clauses)
        self.formula.update(clauses)
        self._literal.update((formula, literal) for literal, formula in clauses)

    def certificate(self, property_id: str, goal: Sequence[Formula]) -> Certificate | None:
        """The clauses of the invariant needed to prove the closed universal formulas ``goal``; None
        when the invariant does not imply them."""
        needed: set[z3.BoolRef] = set()
        for piece in goal:
            core = self.implying(piece)
            if core is None:
                return None
            needed |= core
        pending = self._in_order(needed)
        while pending:
            literal = pending.pop()
            for other in self._in_order(self._supporting(literal) - needed):
                needed.add(other)
                pending.append(other)
        kept = [literal for literal in self.literals if literal in needed]
        needed_with: dict[z3.BoolRef, frozenset[z3.BoolRef]] = {}
        """the clauses with which a clause was last found needed (no need to ask again with them)"""
        dropped = True
        while dropped:
            dropped = False
            for literal in reversed(list(kept)):
                others = [other for other in kept if other is not literal]
                if not others or needed_with.get(literal) == frozenset(others):
                    continue
                if self._proves(others, literal, goal):
                    kept, dropped = others, True
                else:
                    needed_with[literal] = frozenset(others)
        return Certificate(property_id, tuple(self.formula[literal] for literal in kept), len(needed))

    def _proves(self, clauses: list[z3.BoolRef], without: z3.BoolRef, goal: Sequence[Formula]) -> bool:
        """Whether ``clauses`` (a certificate less the clause ``without``) are still an inductive
        invariant that implies ``goal`` (every clause of the invariant holds initially).

        Only what relied on ``without`` is asked: a formula some of ``clauses`` are already known to
        imply (its unsat core, or the clauses of a check that passed) needs no query. A formula that
        some clauses do not imply is not implied by fewer either, so a failure is remembered and not
        asked again."""
        hypotheses = frozenset(clauses)
        questions = [(self.formula[c], True) for c in clauses] + [(piece, False) for piece in goal]
        for question in questions:
            if self._implied_by(question) <= hypotheses:
                continue
            if any(hypotheses <= failed for failed in self._failed.get(question, ())):
                return False
            formula, after = question
            if not self.step.entails(formula, clauses, after=after):
                self._failed.setdefault(question, []).append(hypotheses)
                return False
            self._known[question] = hypotheses
        return True

    def _implied_by(self, question: tuple[Formula, bool]) -> frozenset[z3.BoolRef]:
        """Clauses known to imply a clause of the invariant after every step (``(clause, True)``) or
        a piece of a goal in the same state (``(piece, False)``)."""
        if question in self._known:
            return self._known[question]
        formula, after = question
        core = self._support.get(self._literal[formula]) if after else self._implying.get(formula)
        return frozenset(self.literals) if core is None else core

    def _in_order(self, literals: frozenset[z3.BoolRef] | set[z3.BoolRef]) -> list[z3.BoolRef]:
        """``literals`` in the invariant's order (a set's order is not the same on every run)."""
        return [literal for literal in self.literals if literal in literals]

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
