"""Designs: full option assignments, verified as :mod:`model.verify` verifies a profile, each at most
once, and what they teach about their neighbours.

A :class:`Design` is verified lazily (an inductive invariant once for all properties; a counterexample
or the witnesses of one property when asked). :class:`Designs` keeps one design per distinct compiled
system (option values that compile to the same system share it), and reuses what it has learnt:

* every counterexample as a :class:`~model.regions.KnownRun`, a refutation of every design it still
  runs in (decided by replay, no solver);
* every honest run of a witness, which reaches it in every design it still runs in; only a witness no
  known run reaches is searched for, after one reachability query per deployment says a run exists;
* every invariant, with the properties it proved: one that proved a property for another design is
  checked under this design's changed actions only (it stays inductive under the unchanged ones), and
  proves the property here too when none of its clauses drops.

The verdicts are those of :mod:`model.verify`: a reused invariant is made of the design's own candidates,
so what it proves the design's own invariant proves too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from model.catalogue import Catalogue, holds
from model.concrete import ConcreteRun
from model.houdini import Invariant, Prover, houdini
from model.regions import Forms, KnownRun, action_form
from model.solver import SolverError
from model.syntax import Formula, Not
from model.system import CompiledAction, System, compile_system
from model.templates import Candidate, candidates
from model.verify import Bounds, ProfileVerifier, Verdict


@dataclass(frozen=True)
class Refuted:
    """A counterexample runs under the design."""

    refutation: KnownRun


@dataclass(frozen=True)
class Proved:
    """The invariant implies the property and every applicable witness of it is reached."""


@dataclass(frozen=True)
class WitnessLost:
    """The invariant implies the property, but these applicable witnesses are not reached (or none of
    the property's witnesses applies)."""

    witnesses: tuple[str, ...]


@dataclass(frozen=True)
class Undecided:
    """Neither proved nor refuted: no inductive invariant implies it, and no counterexample exists
    within the bound (or the solver gave up looking for one: ``why`` says which)."""

    why: str = "neither proved nor refuted within the bound"


Outcome = Refuted | Proved | WitnessLost | Undecided


@dataclass
class KnownInvariant:
    """An invariant inferred for one compiled system: the forms of its actions, its axioms, the clauses."""

    forms: Mapping[str, Any]
    axioms: tuple[Formula, ...]
    kept: tuple[Candidate, ...]
    proved: set[str]
    """the properties it implied in its own design"""


@dataclass
class Costs:
    """What the verification of designs cost: invariants inferred, bounded searches for counterexamples
    and for witness runs, reachability queries (is any honest run within the bound?), known invariants
    checked for reuse and reused, designs compiled."""

    invariants: int = 0
    searches: int = 0
    witness_searches: int = 0
    reachability_queries: int = 0
    reuse_checks: int = 0
    reused: int = 0
    designs: int = 0

    def add(self, other: Costs) -> None:
        self.invariants += other.invariants
        self.searches += other.searches
        self.witness_searches += other.witness_searches
        self.reachability_queries += other.reachability_queries
        self.reuse_checks += other.reuse_checks
        self.reused += other.reused
        self.designs += other.designs


class Design:
    """One full option assignment, verified lazily."""

    def __init__(self, designs: Designs, profile: str, options: Mapping[str, str]) -> None:
        self.designs = designs
        self.verifier = ProfileVerifier(designs.catalogue, profile, overrides=options, bounds=designs.bounds)
        self._prover: Prover | None = None
        self._own_index = -1
        self.reuse: dict[int, Prover | None] = {}
        """known invariants (by index) checked for this design: a prover where still inductive"""
        self._proved: dict[str, bool] = {}
        self._counterexamples: dict[str, ConcreteRun | None] = {}
        self._gave_up: dict[str, str] = {}
        self._missing: dict[str, tuple[str, ...]] = {}
        self._reached: dict[str, bool] = {}

    @property
    def system(self) -> System:
        return self.verifier.system

    def proves(self, property_id: str) -> bool:
        """Whether an inductive invariant implies the property: one that proved it for another design
        and is still inductive here (:meth:`Designs.reused_invariant`), else this design's own."""
        if property_id not in self._proved:
            goal = self.system.expand(self.designs.catalogue.properties[property_id].formula)
            reused = self.designs.reused_invariant(self, property_id)
            if reused is not None and reused.implies(goal):
                self._proved[property_id] = True
            else:
                self._proved[property_id] = self._own_prover().implies(goal)
                if self._proved[property_id]:
                    self.designs.invariants[self._own_index].proved.add(property_id)
        return self._proved[property_id]

    def _own_prover(self) -> Prover:
        if self._prover is None:
            self.designs.costs.invariants += 1
            verifier = self.verifier
            invariant = verifier.invariant()
            self._own_index = self.designs.learn_invariant(self.system, invariant)
            self._prover = Prover(verifier.system, verifier.translator, invariant, verifier.settings)
        return self._prover

    def counterexample(self, property_id: str) -> ConcreteRun | None:
        """A shortest counterexample run within the bound, or None (see :meth:`gave_up`)."""
        if property_id not in self._counterexamples:
            self.designs.costs.searches += 1
            goal = self.system.expand(self.designs.catalogue.properties[property_id].formula)
            searcher = self.verifier.searcher()
            try:
                depth = searcher.shortest(Not(goal), self.verifier.bounds.counterexample_depth)
                run = None if depth is None else searcher.canonical(Not(goal), depth)
            except SolverError as problem:
                self._gave_up[property_id] = str(problem)
                run = None
            self._counterexamples[property_id] = run
        return self._counterexamples[property_id]

    def gave_up(self, property_id: str) -> str | None:
        """Why the solver gave up searching a counterexample to the property (None if it did not)."""
        return self._gave_up.get(property_id)

    def missing_witnesses(self, property_id: str) -> tuple[str, ...]:
        """The property's applicable witnesses that no honest run reaches (all of them when none applies)."""
        if property_id not in self._missing:
            witnesses = self.designs.catalogue.properties[property_id].witnesses
            options = self.verifier.options
            applicable = [w for w in witnesses if holds(self.designs.catalogue.witnesses[w].when, options)]
            missing = tuple(w for w in applicable if not self.reaches(w))
            self._missing[property_id] = missing if applicable else tuple(witnesses)
        return self._missing[property_id]

    def reaches(self, witness_id: str) -> bool:
        """Whether an honest run reaches the (applicable) witness: a known run that still does, or one
        searched for here (and then known)."""
        if witness_id not in self._reached:
            options = self.verifier.options
            known = any(run.still(options) for run in self.designs.witness_runs.get(witness_id, []))
            if not known and self._reachable(witness_id):
                self.designs.costs.witness_searches += 1
                known = self.verifier.witness(witness_id).found
                if known:
                    self.designs.learn_witness_runs(witness_id, [self.verifier.runs[witness_id]])
            self._reached[witness_id] = known
        return self._reached[witness_id]

    def _reachable(self, witness_id: str) -> bool:
        """Whether an honest run of at most the witness bound reaches the witness, on the small witness
        deployment or the full one (one query each; :meth:`ProfileVerifier.witness` then finds the
        canonical run)."""
        self.designs.costs.reachability_queries += 1
        goal = self.system.expand(self.designs.catalogue.witnesses[witness_id].goal)
        depth = self.verifier.bounds.witness_depth
        return any(self.verifier.searcher(d).reaches_within(goal, depth) for d in ("witness", "honest"))


class Designs:
    """Verified designs and the runs learnt from them, shared by every search over one catalogue."""

    def __init__(self, catalogue: Catalogue, bounds: Bounds | None = None) -> None:
        self.catalogue = catalogue
        self.bounds = bounds or Bounds()
        self.forms = Forms(catalogue)
        self.costs = Costs()
        self.refutations: dict[str, list[KnownRun]] = {}
        self.witness_runs: dict[str, list[KnownRun]] = {}
        self.invariants: list[KnownInvariant] = []
        self._by_system: dict[Any, Design] = {}
        self._by_options: dict[tuple[str, ...], Design] = {}

    def design(self, profile: str, options: Mapping[str, str]) -> Design:
        """The design of ``options`` (full), verified in the name of ``profile`` the first time."""
        values = tuple(options[option] for option in self.catalogue.options)
        if values not in self._by_options:
            key = self._system_key(compile_system(self.catalogue, options))
            if key not in self._by_system:
                self.costs.designs += 1
                self._by_system[key] = Design(self, profile, options)
            self._by_options[values] = self._by_system[key]
        return self._by_options[values]

    def _system_key(self, system: System) -> Any:
        """What decides every verdict of a system: actions, axioms, properties, applicable witnesses."""
        properties = tuple(system.expand(p.formula) for p in self.catalogue.properties.values())
        witnesses = tuple(w.id for w in self.catalogue.witnesses.values() if holds(w.when, system.options))
        return (tuple(map(action_form, system.actions)), system.axioms, properties, witnesses)

    def outcome(self, profile: str, property_id: str, options: Mapping[str, str]) -> Outcome:
        """What ``options`` (full) gives the property: a known refutation that still runs there is
        enough; otherwise the design is verified (and a new counterexample is learnt)."""
        known = next((r for r in self.refutations.get(property_id, []) if r.still(options)), None)
        if known is not None:
            return Refuted(known)
        design = self.design(profile, options)
        if design.proves(property_id):
            missing = design.missing_witnesses(property_id)
            return WitnessLost(missing) if missing else Proved()
        run = design.counterexample(property_id)
        if run is None:
            problem = design.gave_up(property_id)
            return Undecided() if problem is None else Undecided(f"the solver gave up: {problem}")
        return Refuted(self.learn_refutation(property_id, run))

    def learn_refutation(self, property_id: str, run: ConcreteRun) -> KnownRun:
        """Keep a counterexample to the property (a refutation of every design it still runs in)."""
        formula = self.catalogue.properties[property_id].formula
        refutation = KnownRun(run, formula, holds=False, forms=self.forms)
        self.refutations.setdefault(property_id, []).append(refutation)
        return refutation

    def learn_invariant(self, system: System, invariant: Invariant) -> int:
        """Keep an invariant inferred for ``system`` (for :meth:`reused_invariant`); its index."""
        forms = {action.id: action_form(action) for action in system.actions}
        self.invariants.append(KnownInvariant(forms, system.axioms, invariant.kept, set()))
        return len(self.invariants) - 1

    def reused_invariant(self, design: Design, property_id: str) -> Prover | None:
        """A prover for an invariant that proved ``property_id`` for another design and is inductive
        for ``design`` too, or None.

        An invariant stays inductive under the actions whose compiled form is unchanged (same axioms),
        so Houdini checks it under the changed actions only (the known invariant with the fewest); it
        is used when none of its clauses drops. It must be made of candidates ``design`` has itself,
        so that what it proves the design's own invariant proves too (Houdini keeps the largest
        inductive subset of the candidates)."""
        system = design.system
        sources = [i for i, known in enumerate(self.invariants) if property_id in known.proved]
        if not sources:
            return None
        forms = {action.id: action_form(action) for action in system.actions}
        own = {candidate.formula for candidate in candidates(system)}
        best: tuple[int, list[CompiledAction]] | None = None
        for index in sources:
            known = self.invariants[index]
            if known.axioms != system.axioms or not all(c.formula in own for c in known.kept):
                continue
            changed = [a for a in system.actions if known.forms.get(a.id) != forms[a.id]]
            if best is None or len(changed) < len(best[1]):
                best = (index, changed)
        if best is None:
            return None
        index, changed = best
        if index not in design.reuse:
            self.costs.reuse_checks += 1
            kept = self.invariants[index].kept
            verifier = design.verifier
            under_changed = replace(system, actions=tuple(changed))
            checked = houdini(under_changed, verifier.translator, kept, verifier.settings)
            inductive = len(checked.kept) == len(kept)
            self.costs.reused += inductive
            design.reuse[index] = (
                Prover(system, verifier.translator, checked, verifier.settings) if inductive else None
            )
        return design.reuse[index]

    def learn_witness_runs(self, witness_id: str, runs: list[ConcreteRun]) -> None:
        known = self.witness_runs.setdefault(witness_id, [])
        seen = [k.run for k in known]
        witness = self.catalogue.witnesses[witness_id]
        for run in runs:
            if run not in seen:
                known.append(KnownRun(run, witness.goal, holds=True, forms=self.forms, when=witness.when))

    def verdict(self, profile: str, property_id: str) -> Verdict:
        """The verdict of a profile's cell, as :mod:`model.verify` gives it."""
        outcome = self.outcome(profile, property_id, self.catalogue.profiles[profile].options)
        match outcome:
            case Proved():
                return Verdict.PROVED
            case WitnessLost():
                return Verdict.NO_WITNESS
            case Refuted():
                return Verdict.VIOLATED
        return Verdict.UNPROVED
