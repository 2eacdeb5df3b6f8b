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

:func:`check_region` checks one certificate for every design that agrees with a set of option values
(a *condition*) at once, and still each design on its own: a design's consecution questions are one
per action, about the form its options compile that action to, so the checker asks them for every
form that the designs agreeing with the condition give each action (every combination of values of the
options the action reads and the condition leaves open). Every question is one design's own question;
no question mixes the forms of two designs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import z3

from model.catalogue import Catalogue
from model.encode import State, Translator
from model.regions import OptionReads
from model.solver import SolverSettings, assert_all, is_sat, new_solver
from model.syntax import Formula, relations_used, show
from model.system import CompiledAction, Removal, System, compile_action, compile_system, expand_definitions


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
        system: System | None = None,
    ) -> None:
        """``system``: the actions to check instead of the profile's (:func:`check_region`)."""
        self.system = system or compile_system(catalogue, options, removals)
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


Compiled = dict[tuple[str, tuple[str, ...]], tuple[CompiledAction, Any] | None]
"""Actions compiled so far, by action and the values of the options it reads, each with its form."""


def region_forms(
    catalogue: Catalogue, condition: Mapping[str, str], reads: OptionReads, compiled: Compiled | None = None
) -> Iterator[tuple[CompiledAction, dict[str, str]]]:
    """Every form of every action in the designs that agree with ``condition``, each once, with values
    of the options the action reads that the condition leaves open, under which it takes that form.
    ``compiled``: where compiled actions are kept between calls (an action's form depends only on the
    values of the options it reads)."""
    compiled = {} if compiled is None else compiled
    domains = {option.id: [value.id for value in option.values] for option in catalogue.options.values()}
    base = {option: values[0] for option, values in domains.items()} | dict(condition)
    for action in catalogue.actions.values():
        read = [option for option in catalogue.options if option in reads.actions[action.id]]
        free = [option for option in read if option not in condition]
        seen = set()
        for values in itertools.product(*(domains[option] for option in free)):
            chosen = dict(zip(free, values, strict=True))
            options = {**base, **chosen}
            key = (action.id, tuple(options[option] for option in read))
            if key not in compiled:
                made = compile_action(catalogue, action, options)
                compiled[key] = (
                    None
                    if made is None
                    else (made, (tuple(g.formula for g in made.guards), tuple(made.updates.items())))
                )
            entry = compiled[key]
            if entry is not None and entry[1] not in seen:
                seen.add(entry[1])
                yield entry[0], chosen


def check_region(
    catalogue: Catalogue,
    condition: Mapping[str, str],
    clauses: Sequence[Formula],
    goal: Formula,
    *,
    settings: SolverSettings,
) -> None:
    """Raise :class:`CertificateRejectedError` unless ``clauses`` prove ``goal`` (unexpanded) in every
    design that agrees with ``condition`` (module docstring): for each combination of values of the
    open options the axioms and the goal read, with every form each action takes there."""
    reads = OptionReads(catalogue)
    compiled: Compiled = {}
    domains = {option.id: [value.id for value in option.values] for option in catalogue.options.values()}
    base = {option: values[0] for option, values in domains.items()} | dict(condition)
    shared = [o for o in catalogue.options if o in reads.axioms | reads.formula(goal) and o not in condition]
    for values in itertools.product(*(domains[option] for option in shared)):
        fixed = {**condition, **dict(zip(shared, values, strict=True))}
        options = {**base, **fixed}
        actions = tuple(action for action, _ in region_forms(catalogue, fixed, reads, compiled))
        axioms = tuple(expand_definitions(a.formula, catalogue, options) for a in catalogue.axioms.values())
        system = System(catalogue, options, actions, axioms)
        checker = Checker(catalogue, options, (), settings=settings, system=system)
        checker.check(clauses, expand_definitions(goal, catalogue, options))
