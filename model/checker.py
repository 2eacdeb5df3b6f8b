"""The independent check of a proof certificate (issue 9): small on purpose, and sharing nothing with
the code that found the certificate except the translation of formulas to Z3.

It compiles the profile again from the catalogue, in a Z3 context of its own (one per verified
system: the certificates of a profile's properties are checked in it one after another, each question
in a fresh solver), and checks the three conditions that make a set of clauses an inductive invariant
proving a property:

* initiation: every clause holds in every initial state allowed by the axioms;
* consecution: for every action, from any state where all clauses (and the axioms) hold and the
  action's guard is true, every clause holds afterwards;
* implication: the clauses and the axioms imply the property.

Each question is one solver query that must answer unsat; an answer of sat names the clause and the
action that fail, "unknown" raises :class:`~model.solver.SolverError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import z3

from model.catalogue import Catalogue
from model.encode import State, Translator
from model.solver import SolverSettings, assert_all, is_sat, new_solver
from model.syntax import Formula, relations_used, show
from model.system import CompiledAction, Removal, compile_system


class CertificateRejectedError(Exception):
    """The certificate is not an inductive invariant that implies the property."""


class Checker:
    """The checker of one system: the profile compiled again and its axioms, initial state, guards
    and post-states translated once, in a Z3 context of its own; every question still gets a fresh
    solver."""

    def __init__(
        self,
        catalogue: Catalogue,
        options: Mapping[str, str],
        removals: tuple[Removal, ...],
        *,
        settings: SolverSettings,
    ) -> None:
        self.system = compile_system(catalogue, options, removals)
        self.translator = Translator(catalogue)
        self.settings = settings
        relations = list(catalogue.relations.values())
        self.pre = self.translator.symbolic_state("", relations)
        self.axioms = [self.translator.formula(axiom, {}, self.pre) for axiom in self.system.axioms]
        static = {relation.id: self.pre[relation.id] for relation in relations if relation.kind == "static"}
        self.initial = self.translator.initial_state(self.system, static, "@init")
        self._steps: list[tuple[CompiledAction, z3.BoolRef, State]] = []
        for action in self.system.actions:
            params = self.translator.parameters(action, "")
            guard = self.translator.formula(action.guard_formula(), params, self.pre)
            self._steps.append((action, guard, self.translator.post_state(action, params, self.pre)))
        self._terms: dict[tuple[Formula, int], z3.BoolRef] = {}

    def _holds(self, clause: Formula, state: State) -> z3.BoolRef:
        """``clause`` over ``state`` (one of this checker's states, which live as long as it does)."""
        key = (clause, id(state))
        if key not in self._terms:
            self._terms[key] = self.translator.formula(clause, {}, state)
        return self._terms[key]

    def _refuted(self, assertions: Sequence[z3.BoolRef]) -> bool:
        solver = new_solver(self.settings, self.translator.context)
        assert_all(solver, [*self.axioms, *assertions])
        return is_sat(solver)

    def check(self, clauses: Sequence[Formula], goal: Formula) -> None:
        """Raise :class:`CertificateRejectedError` unless ``clauses`` prove ``goal``."""
        refuted, holds = self._refuted, self._holds
        if refuted([z3.Or([z3.Not(holds(clause, self.initial)) for clause in clauses])]):
            failing = [show(c) for c in clauses if refuted([z3.Not(holds(c, self.initial))])]
            raise CertificateRejectedError(f"does not hold initially: {'; '.join(failing)}")
        hypotheses = [holds(clause, self.pre) for clause in clauses]
        for action, guard, post in self._steps:
            touched = [clause for clause in clauses if relations_used(clause) & action.updates.keys()]
            if not touched:
                continue
            broken = z3.Or([z3.Not(holds(clause, post)) for clause in touched])
            if refuted([*hypotheses, guard, broken]):
                failing = [
                    show(clause)
                    for clause in touched
                    if refuted([*hypotheses, guard, z3.Not(holds(clause, post))])
                ]
                raise CertificateRejectedError(f"{action.id} does not preserve: {'; '.join(failing)}")
        if refuted([*hypotheses, z3.Not(self.translator.formula(goal, {}, self.pre))]):
            raise CertificateRejectedError("the clauses do not imply the property")


def check(
    catalogue: Catalogue,
    options: Mapping[str, str],
    removals: tuple[Removal, ...],
    clauses: Sequence[Formula],
    goal: Formula,
    *,
    settings: SolverSettings,
) -> None:
    """Raise :class:`CertificateRejectedError` unless ``clauses`` prove ``goal`` under ``options``."""
    Checker(catalogue, options, removals, settings=settings).check(clauses, goal)
