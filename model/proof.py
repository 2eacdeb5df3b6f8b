"""The unbounded proofs of one profile: an invariant, strengthened where needed, and a certificate per
property.

Houdini first keeps the inductive part of the generated candidates (:mod:`model.templates`; the
spec's lemmas join them only as hints). A property that invariant implies is proved by it. For one
it does not imply, inference (:mod:`model.infer`) tries to strengthen the property into an inductive
invariant; what it learns joins the invariant for the properties after it. Each proved property gets
the minimised certificate of :mod:`model.certificate`, which the verifier hands to the independent
checker before it reports the property proved.
"""

from __future__ import annotations

import z3

from model.certificate import Certificate, Minimiser
from model.encode import Translator
from model.houdini import Invariant, houdini
from model.infer import Budget, Inference, Outcome
from model.solver import SolverSettings
from model.step import Step
from model.syntax import Formula
from model.system import System, split_universal
from model.templates import candidates


class Proofs:
    """Proofs of the properties of one system."""

    def __init__(
        self,
        system: System,
        translator: Translator,
        settings: SolverSettings,
        *,
        hints: bool = True,
        budget: Budget | None = None,
    ) -> None:
        """``hints``: use the spec's lemmas as candidates; ``budget``: what inference may spend per
        property (its limit on one query's work holds for every query of the step solver)."""
        generated = candidates(system, hints=hints)
        self.houdini: Invariant = houdini(system, translator, generated, settings)
        kept = {candidate.formula for candidate in self.houdini.kept}
        self.dropped = frozenset(c.formula for c in generated if c.formula not in kept)
        """candidates Houdini dropped: none is implied by its invariant (see :meth:`implied`)"""
        budget = budget or Budget()
        self.step = Step(system, translator, (), settings.limited(budget.query_work))
        self.clauses: list[tuple[z3.BoolRef, Formula]] = [
            (self.step.hypothesis(candidate.formula), candidate.formula) for candidate in self.houdini.kept
        ]
        self.inference = Inference(self.step, [literal for literal, _ in self.clauses], budget)
        self.minimiser = Minimiser(self.step, self.clauses)
        self.inferred: list[Formula] = []
        """the clauses inference added to the invariant"""

    def implied(self, goal: Formula) -> bool:
        """Whether the invariant found so far implies the closed formula ``goal``.

        While the invariant is Houdini's alone, a piece of ``goal`` that Houdini dropped is not
        implied, with no solver asked: Houdini keeps the largest inductive subset of its candidates,
        and a candidate the kept ones imply would be inductive with them (it holds initially, as they
        do, and after every step from a state where they hold), so it would have been kept. (The
        minimiser's check, in the step solver, also assumes some action enabled; a proof resting on
        that, the independent checker, which does not assume it, would reject anyway.)"""
        pieces = tuple(split_universal(goal))
        if len(self.clauses) == len(self.houdini.kept) and any(p in self.dropped for p in pieces):
            return False
        return all(self.minimiser.implying(piece) is not None for piece in pieces)

    def strengthen(self, goal: Formula, queries: int) -> Outcome:
        """Infer clauses that, with the invariant, make ``goal`` inductive, with at most ``queries``
        solver queries now (asking again resumes); when proved they and ``goal`` join the invariant."""
        pieces = list(split_universal(goal))
        outcome, proved = self.inference.prove(pieces, queries)
        if outcome == Outcome.PROVED:
            self.clauses.extend(proved)
            self.minimiser.extend(proved)
            self.inferred.extend(clause for _, clause in proved[: len(proved) - len(pieces)])
        return outcome

    def certificate(self, property_id: str, goal: Formula) -> Certificate | None:
        """The minimised certificate of ``goal``; None when the invariant does not imply it."""
        return self.minimiser.certificate(property_id, list(split_universal(goal)))

    def merged(self, certificate: Certificate, goal: Formula) -> Certificate:
        """``certificate`` (of :meth:`certificate`, for ``goal``) with clauses merged into stronger
        ones where they stay inductive (:meth:`model.certificate.Minimiser.merge`); itself when none
        is. Asked once inference is over: its queries change what later ones answer."""
        return self.minimiser.merge(certificate, list(split_universal(goal)))
