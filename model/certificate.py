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

A minimal set of the invariant's clauses is not the smallest certificate: the clauses inference
reads off counterexamples to induction are often specific to one case (one security method, one path
of a key), and which ones the cores lead to depends on the route inference took. Once every property
of a profile is decided (:meth:`Minimiser.merge`; its queries would change what inference finds
later), each inferred clause of a certificate is made stronger, one literal dropped at a time, while
it still holds initially and the certificate's other clauses with it keep it true; the clauses the
stronger ones make needless are dropped; and clauses are merged: a clause less one literal, or with
``m = PSK`` widened to ``m = PSK or m = PKI`` (``m != OAUTH``), that implies another clause of the
certificate replaces both when it stays inductive. Every candidate is made from a clause of the
certificate, and the result is checked by :mod:`model.checker` like any certificate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import z3

from model.cubes import Cube, Literal, clause_cube
from model.step import Step
from model.syntax import Eq, Formula, Name


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
        self.inferred: set[z3.BoolRef] = set()
        """the clauses added by :meth:`extend` and those :meth:`merge` made of them"""
        self._refused: dict[Formula, list[frozenset[z3.BoolRef] | None]] = {}
        """for a clause that may replace clauses it implies, sets of clauses that do not keep it true
        (None: it is false initially)"""

    def extend(self, clauses: Sequence[tuple[z3.BoolRef, Formula]]) -> None:
        """More clauses of the (still inductive) invariant: those inference found, which
        :meth:`merge` tries to make stronger."""
        self.inferred.update(literal for literal, _ in clauses)
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
        kept = self._drop([literal for literal in self.literals if literal in needed], goal)
        return Certificate(property_id, tuple(self.formula[literal] for literal in kept), len(needed))

    def merge(self, certificate: Certificate, goal: Sequence[Formula]) -> Certificate:
        """``certificate`` (of :meth:`certificate`, for ``goal``) made smaller with stronger clauses.

        Each clause inference found is made as strong as it goes (:meth:`_generalised`), then the
        clauses the stronger ones make needless are dropped (:meth:`_drop`); then, while a clause
        made stronger (:meth:`_weaker`) implies another clause and stays inductive with the clauses
        it does not imply, it replaces them all (:meth:`_merged`) and the drop pass runs again. A
        stronger clause never leaves the certificate weaker, so it still implies the goal and keeps
        every clause true; every clause of the result is needed, as in ``certificate``."""
        kept = [self._literal[clause] for clause in certificate.clauses]
        merged = False
        for literal in [literal for literal in kept if literal in self.inferred]:
            stronger = self._generalised(literal, kept)
            if stronger is not None:
                if any(other is stronger for other in kept):
                    kept = [other for other in kept if other is not literal]
                else:
                    kept = [stronger if other is literal else other for other in kept]
                merged = True
        if merged:
            kept = self._drop(kept, goal)
        while (fewer := self._merged(kept)) is not None:
            kept, merged = self._drop(fewer, goal), True
        if not merged:
            return certificate
        clauses = tuple(self.formula[literal] for literal in kept)
        return Certificate(certificate.property, clauses, certificate.unminimised)

    def _drop(self, kept: list[z3.BoolRef], goal: Sequence[Formula]) -> list[z3.BoolRef]:
        """``kept`` (an inductive invariant that implies ``goal``) less every clause the others do
        without, tried the last first, until a whole pass drops nothing."""
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
        return kept

    def _merged(self, kept: list[z3.BoolRef]) -> list[z3.BoolRef] | None:
        """``kept`` (an inductive invariant) with two or more clauses replaced by one clause stronger
        than each of them, still an inductive invariant; None when no such clause is found.

        The stronger clause is one clause of ``kept`` less one literal, when that makes it imply
        another clause of ``kept`` (for ``p | q`` and ``p | r``, or ``p | q`` and ``p | !q``: ``p``).
        It replaces every clause it implies, so the clauses left imply all of ``kept``: they still
        imply the goal, and keep every other clause true across every step; the stronger clause
        itself is asked to hold initially and to be kept true by them."""
        cubes = {literal: clause_cube(self.formula[literal]) for literal in kept}
        for literal in kept:
            cube = cubes[literal]
            if cube is None or literal not in self.inferred:
                continue
            for stronger in self._weaker(cube):
                implied = [
                    other
                    for other in kept
                    if other is literal or ((found := cubes[other]) is not None and stronger.subsumes(found))
                ]
                if len(implied) < 2:
                    continue
                rest = [other for other in kept if other not in implied]
                clause = stronger.clause()
                if self._inductive(clause, rest):
                    merged = self._add(clause, rest)
                    return [
                        merged if other is literal else other
                        for other in kept
                        if other in rest or other is literal
                    ]
        return None

    def _generalised(self, literal: z3.BoolRef, kept: list[z3.BoolRef]) -> z3.BoolRef | None:
        """A clause stronger than ``literal``'s (its literals less some) that holds initially and is
        kept true by itself with the rest of ``kept``, found by dropping literals one at a time;
        None when no literal can go."""
        cube = clause_cube(self.formula[literal])
        if cube is None:
            return None
        rest = [other for other in kept if other is not literal]
        stronger = cube
        for dropped in cube.literals:
            trial = stronger.without((dropped,))
            if trial.literals and self._inductive(trial.clause(), rest):
                stronger = trial
        return None if stronger is cube else self._add(stronger.clause(), rest)

    def _weaker(self, cube: Cube) -> Iterator[Cube]:
        """Cubes with more states than ``cube`` (so clauses stronger than its clause): it less one
        literal, or with ``x = A``, for a value ``A`` of an enumeration, made ``x = A or x = B``
        for another value ``B`` (the literals ``x != C`` for the values ``C`` left)."""
        constants = self.step.translator.catalogue.vocabulary.constants
        enums = self.step.translator.catalogue.enums
        for literal in cube.literals:
            if len(cube.literals) > 1:
                yield cube.without((literal,))
            if not literal.positive or not isinstance(literal.atom, Eq):
                continue
            variable, value = literal.atom.left, literal.atom.right
            if variable.name in constants:
                variable, value = value, variable
            if value.name not in constants or variable.name in constants:
                continue
            values = enums[constants[value.name]].values
            for other in values:
                if other == value.name:
                    continue
                others = tuple(
                    Literal(False, Eq(variable, Name(v))) for v in values if v not in (value.name, other)
                )
                at = cube.literals.index(literal)
                yield Cube(cube.variables, (*cube.literals[:at], *others, *cube.literals[at + 1 :]))

    def _inductive(self, clause: Formula, others: list[z3.BoolRef]) -> bool:
        """Whether ``clause`` holds initially and is kept true across every step by itself with
        ``others``. A clause that is not is not with fewer others either, so a failure is
        remembered."""
        hypotheses = frozenset(others)
        refused = self._refused.setdefault(clause, [])
        if any(failed is None or hypotheses <= failed for failed in refused):
            return False
        if self.step.initially_false(clause):
            refused.append(None)
            return False
        if self.step.counterexample(clause, self.step.changing(clause), others, assume=True) is not None:
            refused.append(hypotheses)
            return False
        return True

    def _add(self, clause: Formula, others: list[z3.BoolRef]) -> z3.BoolRef:
        """A clause found inductive with ``others`` (:meth:`_inductive`), as a new hypothesis of the
        step solver, with the clauses among them (one unsat core) that keep it true."""
        literal = self._literal[clause] if clause in self._literal else self.step.hypothesis(clause)
        self.formula[literal] = clause
        self._literal[clause] = literal
        self.inferred.add(literal)
        core = self.step.support(clause, [*others, literal], after=True)
        if core is None:
            raise ValueError(f"not inductive: {clause}")
        self._known[(clause, True)] = core
        return literal

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
