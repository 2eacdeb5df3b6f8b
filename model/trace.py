"""Turn a solver run into a trace in the project's trace format (``spec/schema/trace.schema.json``).

A trace names concrete entities in domain terms (``ccf-A``, ``aef-1@provider-A``,
``invoker-2@provider-B``), gives the deployment (who is honest, who is registered or onboarded
where, agreements, policies) and numbered steps: who sends what to whom over which reference point,
which checks passed and which the profile leaves out, and the outcome expected of an implementation
configured with the trace's profile.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from model.bmc import Run
from model.catalogue import Catalogue, Conditions, Guard, holds
from model.encode import State, Translator
from model.syntax import And, Formula, Implies, Quant
from model.system import CompiledAction, System

TRACE_FORMAT = "capifsec-trace/1"


@dataclass(frozen=True)
class Names:
    """Readable names for the elements of a run's universe."""

    by_element: Mapping[tuple[str, str], str]
    """(sort, element as printed by Z3) -> name"""

    def of(self, sort: str, element: z3.ExprRef) -> str:
        return self.by_element.get((sort, str(element)), str(element))


def _letter(index: int) -> str:
    letters = string.ascii_uppercase
    return letters[index] if index < len(letters) else f"{letters[index // 26 - 1]}{letters[index % 26]}"


class TraceBuilder:
    """Builds trace documents from runs of one system."""

    def __init__(self, system: System, translator: Translator) -> None:
        self.system = system
        self.catalogue: Catalogue = system.catalogue
        self.translator = translator

    # --- naming ----------------------------------------------------------------------------------

    def _elements(self, run: Run) -> dict[str, list[z3.ExprRef]]:
        """Distinct elements of each sort, those the steps use first."""
        order: dict[str, list[z3.ExprRef]] = {sort: [] for sort in self.catalogue.sorts}

        def note(sort: str, element: z3.ExprRef) -> None:
            if sort in order and all(str(element) != str(seen) for seen in order[sort]):
                order[sort].append(element)

        for step in run.steps:
            for name, sort in step.action.action.params:
                note(sort, step.arguments[name])
        for sort, elements in run.universe.items():
            for element in elements:
                note(sort, element)
        return order

    def _names(self, run: Run, elements: Mapping[str, list[z3.ExprRef]]) -> Names:
        names: dict[tuple[str, str], str] = {}
        for sort_id, sort in self.catalogue.sorts.items():
            for index, element in enumerate(elements[sort_id]):
                label = sort.naming.replace("{letter}", _letter(index)).replace("{number}", str(index + 1))
                names[(sort_id, str(element))] = label
        static = run.states[0]
        for sort_id, relation_id in (("invoker", "home"), ("aef", "aef_at")):
            for element in elements[sort_id]:
                for ccf in elements["ccf"]:
                    if self._true(run, static, relation_id, (element, ccf)):
                        provider = names[("ccf", str(ccf))].replace("ccf-", "provider-")
                        names[(sort_id, str(element))] += f"@{provider}"
        return Names(names)

    @staticmethod
    def _true(run: Run, state: State, relation: str, args: Sequence[z3.ExprRef]) -> bool:
        return z3.is_true(run.model.eval(state[relation](list(args)), model_completion=True))

    # --- the document ----------------------------------------------------------------------------

    def build(
        self,
        run: Run,
        *,
        profile: str,
        kind: str,
        subject: str,
        statement: str,
        goal: Formula | None,
    ) -> dict[str, Any]:
        """The trace document of ``run``; ``goal`` is the violated property (counterexamples)."""
        elements = self._elements(run)
        names = self._names(run, elements)
        document: dict[str, Any] = {
            "format": TRACE_FORMAT,
            "profile": profile,
            "options": dict(self.system.options),
            "kind": kind,
            "subject": subject,
            "statement": statement,
            "topology": self._topology(run, elements, names),
            "steps": [self._step(number, step, names) for number, step in enumerate(run.steps, start=1)],
        }
        if self.system.removals:
            document["mutant"] = [
                {"check": removal.check, "action": removal.action} for removal in self.system.removals
            ]
        if goal is not None:
            document["violation"] = self._violation(run, goal, elements, names)
        return document

    def _topology(self, run: Run, elements: Mapping[str, list[z3.ExprRef]], names: Names) -> dict[str, Any]:
        state = run.states[0]

        def facts(relation: str, sorts: Sequence[str]) -> Iterable[tuple[z3.ExprRef, ...]]:
            for combination in itertools.product(*(elements[sort] for sort in sorts)):
                if self._true(run, state, relation, combination):
                    yield combination

        def honest(relation: str, element: z3.ExprRef) -> bool:
            return self._true(run, state, relation, (element,))

        methods = self.catalogue.enums["method"].values
        method_terms = [self.translator.symbols.constants[value] for value in methods]
        topology: dict[str, Any] = {
            "ccfs": [
                {
                    "id": names.of("ccf", c),
                    "provider": names.of("ccf", c).replace("ccf-", "provider-"),
                    "honest": honest("honest_ccf", c),
                }
                for c in elements["ccf"]
            ],
            "aefs": [
                {
                    "id": names.of("aef", a),
                    "ccf": next((names.of("ccf", c) for (_, c) in facts("aef_at", ("aef", "ccf")) if _same(_, a)), None),
                    "honest": honest("honest_aef", a),
                    "exposes": [names.of("api", x) for (b, x) in facts("exposes", ("aef", "api")) if _same(b, a)],
                    "methods": [
                        value
                        for value, term in zip(methods, method_terms, strict=True)
                        if self._true(run, state, "supports", (a, term))
                    ],
                }
                for a in elements["aef"]
            ],
            "invokers": [
                {
                    "id": names.of("invoker", i),
                    "home": next((names.of("ccf", c) for (j, c) in facts("home", ("invoker", "ccf")) if _same(j, i)), None),
                    "honest": honest("honest_inv", i),
                    "prefers": [
                        value
                        for value, term in zip(methods, method_terms, strict=True)
                        if self._true(run, state, "prefers", (i, term))
                    ],
                }
                for i in elements["invoker"]
            ],
            "apis": [names.of("api", x) for x in elements["api"]],
            "interconnections": sorted(
                {
                    tuple(sorted((names.of("ccf", c), names.of("ccf", d))))
                    for (c, d) in facts("interconnected", ("ccf", "ccf"))
                }
            ),
            "delegations": [
                {"by": names.of("ccf", c), "to": names.of("ccf", d)} for (c, d) in facts("delegated", ("ccf", "ccf"))
            ],
            "policies": [
                {
                    "ccf": names.of("ccf", c),
                    "invoker": names.of("invoker", i),
                    "aef": names.of("aef", a),
                    "api": names.of("api", x),
                }
                for (c, i, a, x) in facts("allows", ("ccf", "invoker", "aef", "api"))
            ],
            "rofs": [
                {
                    "id": names.of("rof", r),
                    "honest": honest("honest_rof", r),
                    "consents": [
                        {"invoker": names.of("invoker", i), "api": names.of("api", x)}
                        for (s, i, x) in facts("consents", ("rof", "invoker", "api"))
                        if _same(s, r)
                    ],
                }
                for r in elements["rof"]
            ],
        }
        return topology

    def _step(self, number: int, step: Any, names: Names) -> dict[str, Any]:
        compiled: CompiledAction = step.action
        action = compiled.action
        arguments = {
            name: names.of(sort, step.arguments[name]) if sort in self.catalogue.sorts else str(step.arguments[name])
            for name, sort in action.params
        }
        text = action.text
        for name, value in arguments.items():
            text = text.replace("{" + name + "}", value)
        return {
            "n": number,
            "action": action.id,
            "procedure": action.procedure,
            "actor": action.actor,
            "from": arguments.get(action.sender, action.sender),
            "to": arguments.get(action.receiver, action.receiver),
            "via": action.via,
            "args": arguments,
            "text": text,
            "checks_passed": sorted({guard.check for guard in compiled.guards if guard.check is not None}),
            "checks_missing": [
                {"check": guard.check, "because": self._why_missing(guard)}
                for guard in compiled.omitted
                if guard.check is not None
            ],
            "expect": "accepted",
        }

    def _why_missing(self, guard: Guard) -> str:
        failing = _failing_conditions(guard.when, self.system.options)
        if failing:
            return "; ".join(f"option {option} = {self.system.options[option]}" for option in failing)
        return "removed by the mutant"

    def _violation(
        self, run: Run, goal: Formula, elements: Mapping[str, list[z3.ExprRef]], names: Names
    ) -> dict[str, Any]:
        """The property instance the final state falsifies, with its variables named."""
        formula = goal
        binders: list[tuple[str, str]] = []
        while isinstance(formula, Quant) and formula.universal:
            binders.extend(formula.binders)
            formula = formula.body
        final = run.states[-1]
        domains = [elements[sort] if sort in elements else self._enum_terms(sort) for _, sort in binders]
        for combination in itertools.product(*domains):
            env = dict(zip((name for name, _ in binders), combination, strict=True))
            value = run.model.eval(self.translator.formula(formula, env, final), model_completion=True)
            if z3.is_false(value):
                instance = {
                    name: names.of(sort, element) if sort in self.catalogue.sorts else str(element)
                    for (name, sort), element in zip(binders, combination, strict=True)
                }
                return {"instance": instance, "premise": _premise_text(formula)}
        return {"instance": {}, "premise": ""}

    def _enum_terms(self, sort: str) -> list[z3.ExprRef]:
        return [self.translator.symbols.constants[value] for value in self.catalogue.enums[sort].values]


def _same(left: z3.ExprRef, right: z3.ExprRef) -> bool:
    return str(left) == str(right)


def _failing_conditions(conditions: Conditions, options: Mapping[str, str]) -> list[str]:
    return [option for option, values in conditions if not holds(((option, values),), options)]


def _premise_text(formula: Formula) -> str:
    from model.syntax import show

    if isinstance(formula, Implies):
        premise = formula.left
        parts = premise.parts if isinstance(premise, And) else (premise,)
        return " & ".join(show(part) for part in parts)
    return show(formula)
