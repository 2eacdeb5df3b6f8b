"""Where a known run still runs: the option assignments under which a concrete run executes and ends
where it ended, decided without a solver.

Options are compile-time (:mod:`model.system`): an action's compiled form depends only on the options
its ``when``, its guards, its effects and the definitions they use read (:class:`OptionReads`). So
whether a run executes under other option values depends only on the options its own steps read, and
it is decided by replaying the run once per distinct tuple of compiled forms of its actions
(:class:`Forms`, :class:`KnownRun`). A counterexample run thus refutes a whole region of the design
space, and a witness run reaches its goal in a whole region, at the cost of a few replays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from model.catalogue import Catalogue, Conditions, holds
from model.concrete import ConcreteRun, SimulationError, evaluate, simulate
from model.syntax import Formula, relations_used
from model.system import CompiledAction, System, compile_action, expand_definitions


class OptionReads:
    """Which options each part of the catalogue reads: the ``when`` of actions, their guards and
    effects, definition cases, and (through the definitions they use) formulas."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._definitions: dict[str, frozenset[str]] = {}
        self.actions = {action.id: self._action(action.id) for action in catalogue.actions.values()}
        self.axioms = frozenset().union(*(self.formula(a.formula) for a in catalogue.axioms.values()))

    @staticmethod
    def conditions(conditions: Conditions) -> frozenset[str]:
        return frozenset(option for option, _ in conditions)

    def _definition(self, name: str) -> frozenset[str]:
        if name not in self._definitions:
            self._definitions[name] = frozenset()  # guards against a definition that uses itself
            reads: set[str] = set()
            for case in self.catalogue.definitions[name].cases:
                reads |= self.conditions(case.when) | self.formula(case.formula)
            self._definitions[name] = frozenset(reads)
        return self._definitions[name]

    def formula(self, formula: Formula) -> frozenset[str]:
        """The options a formula reads through the definitions it uses."""
        names = relations_used(formula) & self.catalogue.definitions.keys()
        return frozenset().union(*(self._definition(name) for name in names))

    def _action(self, action_id: str) -> frozenset[str]:
        action = self.catalogue.actions[action_id]
        reads = set(self.conditions(action.when))
        for guard in action.guards:
            reads |= self.conditions(guard.when) | self.formula(guard.formula)
        for effect in action.effects:
            reads |= self.conditions(effect.when)
            if effect.where is not None:
                reads |= self.formula(effect.where)
        return frozenset(reads)


class Forms:
    """Single actions and formulas compiled under option values, memoised by the values of the options
    each reads."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.reads = OptionReads(catalogue)
        self.order = {option: index for index, option in enumerate(catalogue.options)}
        self._action_reads = {a: self.ordered(read) for a, read in self.reads.actions.items()}
        self._actions: dict[tuple[str, tuple[str, ...]], CompiledAction | None] = {}
        self._formulas: dict[tuple[Formula, tuple[str, ...]], Formula] = {}

    def ordered(self, options: Iterable[str]) -> tuple[str, ...]:
        """``options`` in catalogue order."""
        return tuple(sorted(options, key=self.order.__getitem__))

    def action(self, action_id: str, options: Mapping[str, str]) -> CompiledAction | None:
        """The action compiled under ``options``; None when its ``when`` leaves it out."""
        key = (action_id, tuple(options[o] for o in self._action_reads[action_id]))
        if key not in self._actions:
            self._actions[key] = compile_action(self.catalogue, self.catalogue.actions[action_id], options)
        return self._actions[key]

    def formula(self, formula: Formula, options: Mapping[str, str]) -> Formula:
        """``formula`` with its definitions expanded for ``options``."""
        key = (formula, tuple(options[o] for o in self.ordered(self.reads.formula(formula))))
        if key not in self._formulas:
            self._formulas[key] = expand_definitions(formula, self.catalogue, options)
        return self._formulas[key]

    def axioms(self, options: Mapping[str, str]) -> tuple[Formula, ...]:
        return tuple(self.formula(axiom.formula, options) for axiom in self.catalogue.axioms.values())


def action_form(action: CompiledAction) -> tuple[Any, ...]:
    """What decides an action's transitions: its id, active guards and updates."""
    return (action.id, tuple(guard.formula for guard in action.guards), tuple(action.updates.items()))


class KnownRun:
    """A concrete run and the formula it ends in: with ``holds`` False a counterexample to ``goal``
    (a refutation), with ``holds`` True a run that reaches ``goal`` (a witness, which also needs
    ``when`` to hold). :meth:`still` says whether the run still does so under other option values."""

    def __init__(
        self, run: ConcreteRun, goal: Formula, *, holds: bool, forms: Forms, when: Conditions = ()
    ) -> None:
        self.run = run
        self.goal = goal
        self.ends_true = holds
        self.forms = forms
        self.when = when
        self.action_ids = tuple(dict.fromkeys(step.action for step in run.steps))
        reads = set(forms.reads.axioms | forms.reads.formula(goal) | forms.reads.conditions(when))
        for action in self.action_ids:
            reads |= forms.reads.actions[action]
        self.read = forms.ordered(reads)
        """the options whose values decide :meth:`still`, in catalogue order"""
        self._by_values: dict[tuple[str, ...], bool] = {}
        self._by_form: dict[tuple[Any, ...], bool] = {}

    def values(self, options: Mapping[str, str]) -> dict[str, str]:
        """The values ``options`` gives the options this run reads."""
        return {option: options[option] for option in self.read}

    def places(self) -> list[dict[str, str]]:
        """The values of the options it reads under which it was seen to run so far."""
        return [dict(zip(self.read, values, strict=True)) for values, ran in self._by_values.items() if ran]

    def still(self, options: Mapping[str, str]) -> bool:
        """Whether the run executes under ``options`` and ends as it did (goal false, or goal true)."""
        values = tuple(options[o] for o in self.read)
        if values not in self._by_values:
            self._by_values[values] = self._replay(options)
        return self._by_values[values]

    def _replay(self, options: Mapping[str, str]) -> bool:
        if not holds(self.when, options):
            return False
        actions = [self.forms.action(a, options) for a in self.action_ids]
        present = tuple(a for a in actions if a is not None)
        if len(present) < len(actions):
            return False
        goal, axioms = self.forms.formula(self.goal, options), self.forms.axioms(options)
        key = (tuple(map(action_form, present)), goal, axioms)
        if key not in self._by_form:
            system = System(self.forms.catalogue, dict(options), present, axioms)
            self._by_form[key] = self._ends_as_before(system, goal)
        return self._by_form[key]

    def _ends_as_before(self, system: System, goal: Formula) -> bool:
        initial = self.run.states[0]
        if not all(evaluate(axiom, initial, {}) for axiom in system.axioms):
            return False
        try:
            replayed = simulate(system, initial, self.run.steps)
        except SimulationError:
            return False
        return evaluate(goal, replayed.final, {}) == self.ends_true
