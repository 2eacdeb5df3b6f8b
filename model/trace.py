"""Turn a concrete run into a trace in the project's trace format (``spec/schema/trace.schema.json``).

A trace names concrete entities in domain terms (``ccf-A``, ``aef-1@provider-A``,
``invoker-2@provider-B``), gives the deployment (who is honest, who is registered or onboarded
where, agreements, policies) and numbered steps: who sends what to whom over which reference point,
which checks passed and which the profile leaves out, and the outcome expected of an implementation
configured with the trace's profile: accepted, or, for a step whose guards fail (the last step of a
coverage or boundary trace), refused by the checks whose guards fail.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping
from typing import Any

from model.catalogue import Action, Catalogue, Conditions, Guard, holds
from model.concrete import ConcreteRun, Structure, evaluate
from model.syntax import And, Atom, Formula, Implies, Quant, show, walk
from model.system import CompiledAction, System, expand_definitions, split_universal

TRACE_FORMAT = "capifsec-trace/1"


def _letter(index: int) -> str:
    return string.ascii_uppercase[index % 26] * (index // 26 + 1)


class TraceBuilder:
    """Builds trace documents from concrete runs of one system.

    ``reference`` (the option values of the ``recommended`` profile, when the catalogue has it) is
    what each step is compared with: a step lists the checks that, as the reference has them, would
    have refused it, and the options of the action whose value differs from the reference.
    """

    def __init__(self, system: System, reference: Mapping[str, str] | None) -> None:
        self.system = system
        self.catalogue: Catalogue = system.catalogue
        self.actions = {action.id: action for action in system.actions}
        self.reference = reference

    def names(self, run: ConcreteRun) -> dict[str, str]:
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
        names = self.names(run)
        document: dict[str, Any] = {
            "format": TRACE_FORMAT,
            "profile": profile,
            "options": dict(self.system.options),
            "kind": kind,
            "subject": subject,
            "statement": statement,
            "topology": self._topology(run.states[0], names),
            "steps": [
                self._step(n, step.action, step.arguments, run.states[n - 1], names)
                for n, step in enumerate(run.steps, start=1)
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
        self,
        number: int,
        action_id: str,
        arguments: Mapping[str, str],
        before: Structure,
        names: Mapping[str, str],
    ) -> dict[str, Any]:
        compiled: CompiledAction = self.actions[action_id]
        action = compiled.action
        named = {parameter: names.get(value, value) for parameter, value in arguments.items()}
        text = action.text
        for parameter, value in named.items():
            text = text.replace("{" + parameter + "}", value)
        failing = [guard for guard in compiled.guards if not evaluate(guard.formula, before, arguments)]
        if any(guard.check is None for guard in failing):
            raise ValueError(f"step {number} ({action.id}) is no request: a guard that is no check fails")
        refused_by = sorted({guard.check for guard in failing if guard.check is not None})
        step: dict[str, Any] = {
            "n": number,
            "action": action.id,
            "procedure": action.procedure,
            "actor": action.actor,
            "from": named.get(action.sender, action.sender),
            "to": named.get(action.receiver, action.receiver),
            "via": action.via,
            "args": named,
            "text": text,
            "checks_passed": sorted(
                {guard.check for guard in compiled.guards if guard.check is not None} - set(refused_by)
            ),
            "checks_missing": [] if refused_by else self._refusing_checks(compiled, before, arguments),
            "options_in_play": self._options_in_play(action),
            "expect": "refused" if refused_by else "accepted",
        }
        if refused_by:
            step["refused_by"] = refused_by
        return step

    def _refusing_checks(
        self, compiled: CompiledAction, before: Structure, arguments: Mapping[str, str]
    ) -> list[dict[str, str]]:
        """The checks that would have refused this step: removed by a mutant, or as the reference has them."""
        refusing = []
        for guard in compiled.action.guards:
            if guard.check is None:
                continue
            if any(removal.applies(compiled.action, guard) for removal in self.system.removals):
                if not evaluate(self.system.expand(guard.formula), before, arguments):
                    refusing.append({"check": guard.check, "because": "removed by the mutant"})
                continue
            if self.reference is None or not holds(guard.when, self.reference):
                continue
            formula = expand_definitions(guard.formula, self.catalogue, self.reference)
            if not evaluate(formula, before, arguments):
                refusing.append({"check": guard.check, "because": self._because(guard)})
        return refusing

    def _because(self, guard: Guard) -> str:
        differing = [
            f"option {option} = {self.system.options[option]}"
            for option in sorted(options_of(guard.formula, guard.when, self.catalogue))
            if self.reference is not None and self.system.options[option] != self.reference[option]
        ]
        return "; ".join(differing) or "the check is as in the reference profile"

    def _options_in_play(self, action: Action) -> list[dict[str, str]]:
        """Options the action depends on whose value here differs from the reference profile."""
        if self.reference is None:
            return []
        mentioned = {option for option, _ in action.when}
        for guard in action.guards:
            mentioned |= options_of(guard.formula, guard.when, self.catalogue)
        for effect in action.effects:
            mentioned |= {option for option, _ in effect.when}
            if effect.where is not None:
                mentioned |= options_of(effect.where, (), self.catalogue)
        return [
            {"option": option, "value": self.system.options[option], "reference": self.reference[option]}
            for option in sorted(mentioned)
            if self.system.options[option] != self.reference[option]
        ]

    def _violation(self, final: Structure, goal: Formula, names: Mapping[str, str]) -> dict[str, Any]:
        """The instance of the property that the final state falsifies, with its variables named: the
        first conjunct that fails (``split_universal``), and values of its variables that falsify it."""
        for piece in split_universal(goal):
            body: Formula = piece
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


def options_of(formula: Formula, when: Conditions, catalogue: Catalogue) -> set[str]:
    """The options a guard depends on: its own ``when`` and the cases of the definitions it uses."""
    options = {option for option, _ in when}
    pending = [formula]
    seen: set[str] = set()
    while pending:
        for node in walk(pending.pop()):
            if (
                isinstance(node, Atom)
                and node.relation in catalogue.definitions
                and node.relation not in seen
            ):
                seen.add(node.relation)
                for case in catalogue.definitions[node.relation].cases:
                    options |= {option for option, _ in case.when}
                    pending.append(case.formula)
    return options
