"""Turn a concrete run into a trace in the project's trace format (``spec/schema/trace.schema.json``).

A trace names concrete entities in domain terms (``ccf-A``, ``aef-1@provider-A``,
``invoker-2@provider-B``), gives the deployment (who is honest, who is registered or onboarded
where, agreements, policies) and numbered steps: who sends what to whom over which reference point,
which checks passed and which the profile leaves out, and the outcome expected of an implementation
configured with the trace's profile.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping
from typing import Any

from model.catalogue import Catalogue, Guard, holds
from model.concrete import ConcreteRun, Structure, evaluate
from model.syntax import And, Formula, Implies, Quant, show
from model.system import CompiledAction, System

TRACE_FORMAT = "capifsec-trace/1"


def _letter(index: int) -> str:
    return string.ascii_uppercase[index % 26] * (index // 26 + 1)


class TraceBuilder:
    """Builds trace documents from concrete runs of one system."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.catalogue: Catalogue = system.catalogue
        self.actions = {action.id: action for action in system.actions}

    def _names(self, run: ConcreteRun) -> dict[str, str]:
        """Readable names, numbered in the order the steps first use the elements."""
        initial = run.states[0]
        order: dict[str, list[str]] = {sort: [] for sort in self.catalogue.sorts}
        used = [value for step in run.steps for value in step.arguments.values()]
        everything = [e for sort in self.catalogue.sorts for e in initial.universe[sort]]
        for element in [*used, *everything]:
            sort = element.split("#")[0]
            if sort in order and element not in order[sort]:
                order[sort].append(element)
        names: dict[str, str] = {}
        for sort_id, elements in order.items():
            naming = self.catalogue.sorts[sort_id].naming
            for index, element in enumerate(elements):
                names[element] = naming.replace("{letter}", _letter(index)).replace(
                    "{number}", str(index + 1)
                )
        for relation_id in ("home", "aef_at"):
            for element, ccf in initial.relations[relation_id]:
                names[element] += "@" + names[ccf].replace("ccf-", "provider-")
        return names

    def build(
        self, run: ConcreteRun, *, profile: str, kind: str, subject: str, statement: str, goal: Formula | None
    ) -> dict[str, Any]:
        """The trace document of ``run``; ``goal`` is the violated property of a counterexample."""
        names = self._names(run)
        document: dict[str, Any] = {
            "format": TRACE_FORMAT,
            "profile": profile,
            "options": dict(self.system.options),
            "kind": kind,
            "subject": subject,
            "statement": statement,
            "topology": self._topology(run.states[0], names),
            "steps": [
                self._step(n, step.action, step.arguments, names) for n, step in enumerate(run.steps, start=1)
            ],
        }
        if self.system.removals:
            document["mutant"] = [{"check": r.check, "action": r.action} for r in self.system.removals]
        if goal is not None:
            document["violation"] = self._violation(run.final, goal, names)
        return document

    def _topology(self, initial: Structure, names: Mapping[str, str]) -> dict[str, Any]:
        def related(relation: str, element: str) -> list[tuple[str, ...]]:
            return sorted(facts[1:] for facts in initial.relations[relation] if facts[0] == element)

        def name(element: str) -> str:
            return names.get(element, element)

        return {
            "ccfs": [
                {
                    "id": name(c),
                    "provider": name(c).replace("ccf-", "provider-"),
                    "honest": initial.holds("honest_ccf", (c,)),
                }
                for c in initial.universe["ccf"]
            ],
            "aefs": [
                {
                    "id": name(a),
                    "ccf": next((name(c) for (c,) in related("aef_at", a)), None),
                    "honest": initial.holds("honest_aef", (a,)),
                    "exposes": [name(x) for (x,) in related("exposes", a)],
                    "methods": [m for (m,) in related("supports", a)],
                }
                for a in initial.universe["aef"]
            ],
            "invokers": [
                {
                    "id": name(i),
                    "home": next((name(c) for (c,) in related("home", i)), None),
                    "honest": initial.holds("honest_inv", (i,)),
                    "prefers": [m for (m,) in related("prefers", i)],
                }
                for i in initial.universe["invoker"]
            ],
            "apis": [name(x) for x in initial.universe["api"]],
            "interconnections": [
                list(pair)
                for pair in sorted(
                    {tuple(sorted((name(c), name(d)))) for c, d in initial.relations["interconnected"]}
                )
            ],
            "delegations": [
                {"by": name(c), "to": name(d)} for c, d in sorted(initial.relations["delegated"])
            ],
            "policies": [
                {"ccf": name(c), "invoker": name(i), "aef": name(a), "api": name(x)}
                for c, i, a, x in sorted(initial.relations["allows"])
            ],
            "rofs": [
                {
                    "id": name(r),
                    "honest": initial.holds("honest_rof", (r,)),
                    "consents": [{"invoker": name(i), "api": name(x)} for i, x in related("consents", r)],
                }
                for r in initial.universe["rof"]
            ],
        }

    def _step(
        self, number: int, action_id: str, arguments: Mapping[str, str], names: Mapping[str, str]
    ) -> dict[str, Any]:
        compiled: CompiledAction = self.actions[action_id]
        action = compiled.action
        named = {parameter: names.get(value, value) for parameter, value in arguments.items()}
        text = action.text
        for parameter, value in named.items():
            text = text.replace("{" + parameter + "}", value)
        return {
            "n": number,
            "action": action.id,
            "procedure": action.procedure,
            "actor": action.actor,
            "from": named.get(action.sender, action.sender),
            "to": named.get(action.receiver, action.receiver),
            "via": action.via,
            "args": named,
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
        options = self.system.options
        failing = [option for option, values in guard.when if not holds(((option, values),), options)]
        if failing:
            return "; ".join(f"option {option} = {options[option]}" for option in failing)
        return "removed by the mutant"

    def _violation(self, final: Structure, goal: Formula, names: Mapping[str, str]) -> dict[str, Any]:
        """The instance of the property that the final state falsifies, with its variables named."""
        body: Formula = goal
        binders: list[tuple[str, str]] = []
        while isinstance(body, Quant) and body.universal:
            binders.extend(body.binders)
            body = body.body
        variables = [variable for variable, _ in binders]
        for values in itertools.product(*(final.universe[sort] for _, sort in binders)):
            env = dict(zip(variables, values, strict=True))
            if not evaluate(body, final, env):
                premise = body.left if isinstance(body, Implies) else body
                parts = premise.parts if isinstance(premise, And) else (premise,)
                return {
                    "instance": {variable: names.get(value, value) for variable, value in env.items()},
                    "premise": " & ".join(show(part) for part in parts),
                }
        raise ValueError("the final state of a counterexample satisfies the property")
