"""The design space of each property: the minimal sets of option values under which it holds whatever
the other options are (as the minimal-assumption tables of the formal 5G AKA analyses).

A *condition* is a set of option values (at most one value per option). It is *sufficient* for a
property when every design that agrees with it proves the property. Each design is decided on its own
(:mod:`model.designs`: its own invariant, or its own shortest counterexample); a condition is decided
by a few of its designs and one certificate for all of them:

* *refuted*: a counterexample runs in a design that agrees with it: a known one, replayed without a
  solver in a design where it ran with the condition's values put in (:class:`~model.regions.KnownRun`),
  else the counterexample of a design verified for the condition;
* *sufficient*: a design verified for the condition (the ``recommended`` profile's values with the
  condition's put in, first) proves the property, and its certificate stays inductive under every
  form that the designs agreeing with the condition give each action (one solver query per form);
  when it does not, that form names the next design to verify (the last one with that form's option
  values), whose counterexample refutes the condition and whose proof adds its certificate, and
  Houdini looks for the clauses of all known certificates that every form keeps. A certificate counts
  only once the independent checker accepts it for the condition
  (:func:`model.checker.check_region`), which asks each design's own questions. After ``ROUNDS``
  designs the condition is left *undecided*.

The search is a hitting-set tree, breadth first: a refuted condition is extended by each other value
of each open option its counterexample reads (a sufficient condition that contains it changes one of
them, else the counterexample runs in one of its designs), and no superset of a sufficient condition
is searched; an undecided condition is not extended (it is reported, and its supersets are not
searched). A sufficient condition is *vacuous* when none of the property's witnesses can apply under
it: the property holds because what it speaks of cannot happen there.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from model.catalogue import Conditions
from model.certificate import Minimiser
from model.checker import CertificateRejectedError, check_region, region_forms
from model.designs import Designs
from model.encode import Translator
from model.houdini import Prover, houdini
from model.regions import KnownRun
from model.solver import is_sat, new_solver
from model.step import Step
from model.syntax import Formula, relations_used
from model.system import System, expand_definitions, split_universal
from model.templates import Candidate
from model.verify import REFERENCE_PROFILE

Value = tuple[str, str]
"""One option with one of its values."""
Condition = tuple[Value, ...]
"""Option values, in catalogue order of the options."""

DEFAULT_MAX_VALUES = 2
ROUNDS = 4
"""How many designs are verified for one condition before it is left undecided."""


@dataclass(frozen=True)
class Decision:
    """What one condition gives the property: ``refuted`` (with the counterexample and the full option
    values of a design it runs in), ``sufficient`` (with the checked certificate) or ``undecided``."""

    kind: str
    refutation: KnownRun | None = None
    design: Mapping[str, str] | None = None
    certificate: tuple[Formula, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class PropertySpace:
    """The minimal sufficient conditions of one property, searched up to ``max_values`` values, each
    with the size of its certificate; ``vacuous``: those under which none of its witnesses applies;
    ``undecided``: conditions neither proved nor refuted, whose supersets were not searched."""

    property: str
    conditions: tuple[Condition, ...]
    certificate_sizes: tuple[int, ...]
    vacuous: tuple[Condition, ...]
    undecided: tuple[tuple[Condition, str], ...]
    max_values: int

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "minimal_conditions": [
                {"values": dict(condition), "certificate_clauses": size}
                for condition, size in zip(self.conditions, self.certificate_sizes, strict=True)
            ],
            "vacuous": [dict(condition) for condition in self.vacuous],
            "undecided": [{"values": dict(condition), "why": why} for condition, why in self.undecided],
            "searched_up_to": self.max_values,
        }


class SpaceSearch:
    """The hitting-set search of one property over the whole design space (module docstring)."""

    def __init__(self, designs: Designs, property_id: str, max_values: int, translator: Translator) -> None:
        self.designs = designs
        self.catalogue = designs.catalogue
        self.property = property_id
        self.formula = self.catalogue.properties[property_id].formula
        self.max_values = max_values
        self.translator = translator
        self.order = designs.forms.order
        self.domains = {o.id: [v.id for v in o.values] for o in self.catalogue.options.values()}
        profiles = self.catalogue.profiles
        reference = profiles.get(REFERENCE_PROFILE) or next(iter(profiles.values()))
        self.reference = dict(reference.options)
        self.profile = reference.id
        reads = designs.forms.reads
        self.shared = reads.axioms | reads.formula(self.formula)
        """options the axioms and the property read: a condition must fix them to be proved at once"""

    def _key(self, condition: frozenset[Value]) -> tuple[int, tuple[tuple[int, str], ...]]:
        return (len(condition), tuple(sorted((self.order[o], v) for o, v in condition)))

    def _ordered(self, condition: frozenset[Value]) -> Condition:
        return tuple(sorted(condition, key=lambda value: self.order[value[0]]))

    def run(self) -> PropertySpace:
        """Every minimal sufficient condition of up to ``max_values`` values, smallest first."""
        found: dict[frozenset[Value], int] = {}
        undecided: list[tuple[frozenset[Value], str]] = []
        seen: set[frozenset[Value]] = set()
        queue = [(self._key(frozenset()), frozenset[Value]())]
        while queue:
            _, condition = heapq.heappop(queue)
            if condition in seen or any(f <= condition for f in found):
                continue
            seen.add(condition)
            decision = self.decide(dict(condition))
            if decision.kind == "sufficient":
                found[condition] = len(decision.certificate)
            elif decision.kind == "undecided":
                undecided.append((condition, decision.why))
            else:
                for child in self._children(condition, decision):
                    heapq.heappush(queue, (self._key(child), child))
        ordered = sorted(found, key=self._key)
        return PropertySpace(
            self.property,
            tuple(map(self._ordered, ordered)),
            tuple(found[c] for c in ordered),
            tuple(self._ordered(c) for c in ordered if self._vacuous(dict(c))),
            tuple((self._ordered(c), why) for c, why in undecided if not any(f <= c for f in found)),
            self.max_values,
        )

    def decide(self, condition: Mapping[str, str]) -> Decision:
        """Refuted, sufficient or undecided (module docstring)."""
        known = self.designs.refutations.get(self.property, [])
        for refutation in known:
            place = self._running(refutation, condition)
            if place is not None:
                return Decision("refuted", refutation, place)
        options = {**self.reference, **condition}
        tried: list[dict[str, str]] = []
        union: tuple[System, list[dict[str, str]]] | None = None
        for _ in range(ROUNDS):
            tried.append(options)
            design = self.designs.design(self.profile, options)
            if not design.proves(self.property):
                run = design.counterexample(self.property)
                if run is None:
                    why = design.gave_up(self.property) or "no counterexample up to the bound and no proof"
                    return Decision("undecided", why=f"a design that agrees with it: {why}")
                refutation = self.designs.learn_refutation(self.property, run, options)
                return Decision("refuted", refutation, options)
            rejected = design.rejected_certificate(self.property)
            if rejected is not None:
                return Decision("undecided", why=f"the checker rejected a design's certificate: {rejected}")
            if self.shared - condition.keys():
                return Decision("undecided", why="the property or the axioms read an option it leaves open")
            union = union or self._union(condition)
            own = design.certificate(self.property)
            change = self._breaking(union, own)
            if change is None:
                return self._checked(condition, own)
            if len(tried) > 1:
                pooled = self._pooled_certificate(union)
                if pooled is not None:
                    return self._checked(condition, pooled)
            if {**options, **change} in tried:
                break
            options = {**options, **change}
        return Decision("undecided", why=f"no certificate for all its designs from {len(tried)} of them")

    def _checked(self, condition: Mapping[str, str], certificate: tuple[Formula, ...]) -> Decision:
        """Sufficient when the independent checker accepts ``certificate`` for every design agreeing with
        ``condition``."""
        try:
            check_region(self.catalogue, condition, certificate, self.formula, settings=self.designs.settings)
        except CertificateRejectedError as problem:
            return Decision("undecided", why=f"the checker rejected the certificate: {problem}")
        return Decision("sufficient", certificate=certificate)

    def _running(self, refutation: KnownRun, condition: Mapping[str, str]) -> dict[str, str] | None:
        """Full option values of a design that agrees with ``condition`` where ``refutation`` runs, or
        None: a design where it was seen to run with the values of ``condition`` put in (a counterexample
        reads few options, so most conditions either leave it running or stop it there)."""
        for place in refutation.places():
            options = {**self.reference, **place, **condition}
            if refutation.still(options):
                return options
        return None

    def _union(self, condition: Mapping[str, str]) -> tuple[System, list[dict[str, str]]]:
        """Every form of every action in the designs that agree with ``condition``, and the values of
        the open options each is compiled under."""
        forms = list(
            region_forms(self.catalogue, condition, self.designs.forms.reads, self.designs.region_actions)
        )
        options = {**self.reference, **condition}
        axioms = tuple(
            expand_definitions(a.formula, self.catalogue, options) for a in self.catalogue.axioms.values()
        )
        system = System(self.catalogue, options, tuple(action for action, _ in forms), axioms)
        return system, [values for _, values in forms]

    def _pooled_certificate(self, union: tuple[System, list[dict[str, str]]]) -> tuple[Formula, ...] | None:
        """The clauses of the property's known certificates (from every design verified so far) that
        every form of ``union`` keeps inductive, minimised, when they imply the property; else None."""
        pooled = [
            c for known in self.designs.proofs if known.property == self.property for c in known.clauses
        ]
        system, settings = union[0], self.designs.settings
        candidates = [Candidate(f"certificate [{n}]", c) for n, c in enumerate(dict.fromkeys(pooled))]
        invariant = houdini(system, self.translator, candidates, settings)
        goal = system.expand(self.formula)
        if not Prover(system, self.translator, invariant, settings).implies(goal):
            return None
        step = Step(system, self.translator, (), settings)
        kept = [(step.hypothesis(c.formula), c.formula) for c in invariant.kept]
        certificate = Minimiser(step, kept).certificate(self.property, list(split_universal(goal)))
        return None if certificate is None else certificate.clauses

    def _breaking(
        self, union: tuple[System, list[dict[str, str]]], clauses: Sequence[Formula]
    ) -> dict[str, str] | None:
        """Values of open options under which some action takes a form of ``union`` that does not keep
        ``clauses`` (a certificate of one design) inductive, or None."""
        system, values = union
        translator = self.translator
        pre = translator.symbolic_state("", list(self.catalogue.relations.values()))
        solver = new_solver(self.designs.settings, translator.context)
        solver.add(*[translator.formula(axiom, {}, pre) for axiom in system.axioms])
        solver.add(*[translator.formula(clause, {}, pre) for clause in clauses])
        used = [relations_used(clause) for clause in clauses]
        for action, chosen in zip(system.actions, values, strict=True):
            touched = [c for c, names in zip(clauses, used, strict=True) if names & action.updates.keys()]
            if not touched:
                continue
            params = translator.parameters(action, "")
            post = translator.post_state(action, params, pre)
            broken = z3.Or([z3.Not(translator.formula(c, {}, post)) for c in touched])
            query = z3.And(translator.formula(action.guard_formula(), params, pre), broken)
            if is_sat(solver, [query]):
                return chosen
        return None

    def _children(self, condition: frozenset[Value], decision: Decision) -> Iterator[frozenset[Value]]:
        """``condition`` with one more value of an open option the counterexample reads, other than
        the value of the design it ran in."""
        if decision.refutation is None or decision.design is None or len(condition) >= self.max_values:
            return
        fixed = {option for option, _ in condition}
        for option in decision.refutation.read:
            if option not in fixed:
                for value in self.domains[option]:
                    if value != decision.design[option]:
                        yield condition | {(option, value)}

    def _vacuous(self, condition: Mapping[str, str]) -> bool:
        witnesses = self.catalogue.properties[self.property].witnesses
        return all(not _compatible(self.catalogue.witnesses[w].when, condition) for w in witnesses)


def _compatible(when: Conditions, condition: Mapping[str, str]) -> bool:
    """Whether some design agreeing with ``condition`` satisfies ``when``."""
    return all(option not in condition or condition[option] in values for option, values in when)


def design_space(
    designs: Designs, properties: Sequence[str] | None = None, max_values: int = DEFAULT_MAX_VALUES
) -> list[PropertySpace]:
    """The minimal sufficient conditions of every property (all by default), in catalogue order."""
    translator = Translator(designs.catalogue)
    wanted = list(properties or designs.catalogue.properties)
    return [SpaceSearch(designs, p, max_values, translator).run() for p in wanted]
