"""The independent check of a proof certificate (issue 9): small on purpose, and sharing nothing with
the code that found the certificate except the translation of formulas to Z3.

It compiles the profile again from the catalogue, in a Z3 context of its own, and checks the three
conditions that make a set of clauses an inductive invariant proving a property:

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
from model.encode import Translator
from model.solver import SolverSettings, is_sat, new_solver
from model.syntax import Formula, relations_used, show
from model.system import Removal, compile_system


class CertificateRejectedError(Exception):
    """The certificate is not an inductive invariant that implies the property."""


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
    system = compile_system(catalogue, options, removals)
    translator = Translator(catalogue)
    relations = list(catalogue.relations.values())
    pre = translator.symbolic_state("", relations)
    axioms = [translator.formula(axiom, {}, pre) for axiom in system.axioms]
    static = {relation.id: pre[relation.id] for relation in relations if relation.kind == "static"}
    initial = translator.initial_state(system, static, "@init")

    def refuted(assertions: Sequence[z3.BoolRef]) -> bool:
        solver = new_solver(settings, translator.context)
        solver.add(*axioms, *assertions)
        return is_sat(solver)

    if refuted([z3.Or([z3.Not(translator.formula(clause, {}, initial)) for clause in clauses])]):
        failing = [show(c) for c in clauses if refuted([z3.Not(translator.formula(c, {}, initial))])]
        raise CertificateRejectedError(f"does not hold initially: {'; '.join(failing)}")
    hypotheses = [translator.formula(clause, {}, pre) for clause in clauses]
    for action in system.actions:
        touched = [clause for clause in clauses if relations_used(clause) & action.updates.keys()]
        if not touched:
            continue
        params = translator.parameters(action, "")
        guard = translator.formula(action.guard_formula(), params, pre)
        post = translator.post_state(action, params, pre)
        broken = z3.Or([z3.Not(translator.formula(clause, {}, post)) for clause in touched])
        if refuted([*hypotheses, guard, broken]):
            failing = [
                show(clause)
                for clause in touched
                if refuted([*hypotheses, guard, z3.Not(translator.formula(clause, {}, post))])
            ]
            raise CertificateRejectedError(f"{action.id} does not preserve: {'; '.join(failing)}")
    if refuted([*hypotheses, z3.Not(translator.formula(goal, {}, pre))]):
        raise CertificateRejectedError("the clauses do not imply the property")
