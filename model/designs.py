"""Designs: full option assignments, verified as :mod:`model.verify` verifies a profile, each at most
once, and what they teach about their neighbours.

A :class:`Design` is verified lazily with :mod:`model.verify`'s prover (:class:`model.proof.Proofs`:
Houdini's invariant once for all properties; for a property it does not imply, short counterexamples
searched, then inference, then the longer ones; the witnesses of one property when asked).
:class:`Designs` keeps one design per distinct compiled
system (option values that compile to the same system share it), and reuses what it has learnt:

* every counterexample as a :class:`~model.regions.KnownRun`, a refutation of every design it still
  runs in (decided by replay, no solver);
* every honest run of a witness, which reaches it in every design it still runs in; only a witness no
  known run reaches is searched for, after one reachability query per deployment says a run exists;
* every proof that no honest run reaches a witness (an inductive invariant of the honest actions that
  excludes its goal, inferred where the full deployment's search found none): where its clauses stay
  inductive and still exclude the goal, the witness is unreachable without that search;
* every certificate of a proof (the clauses of the invariant that a property's proof needs, accepted
  by the independent checker, :mod:`model.checker`): Houdini over the certificates of the same
  property from other designs keeps their inductive part here, a few clauses instead of the design's
  whole invariant, and proves the property when that part implies it.

The verdicts are those of :mod:`model.verify`: a reused certificate is made of the design's own
candidates, so what it proves the design's own invariant proves too. (Inference keeps what it learns for
the properties after it, so a proof by inference can depend on which properties were asked of the design
before, as in :mod:`model.verify`; the search asks them in the same order on every run.) A proof that
makes a fix counts only once the independent checker accepts its certificate in the fix's design.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.catalogue import Catalogue, holds
from model.checker import CertificateRejectedError, Compiled, check
from model.concrete import ConcreteRun
from model.houdini import Prover, houdini
from model.infer import Outcome as Inferred
from model.proof import Proofs
from model.regions import Forms, KnownRun, action_form
from model.solver import SolverError, SolverSettings
from model.syntax import Formula, Not
from model.system import System, compile_system
from model.templates import Candidate, candidates
from model.verify import Bounds, ProfileVerifier, Verdict, positive_atoms

SETTINGS = SolverSettings(timeout_ms=2**32 - 1, rlimit=50_000_000)
"""How the solver decides designs: no timeout, but a limit on Z3's own count of work per query, so that
where a search gives up (an open end of the fixes) is the same on a busy machine as on a quiet one. In
the fixes of the whole catalogue the largest query that ends takes 36 million units. Two
counterexample searches on interconnection designs (runs of 7 steps and more) used to reach the limit
when only Houdini's invariant was tried; inference now proves those designs first, as
:mod:`model.verify` does, and no query of the default catalogue reaches it."""


UNREACHABLE_QUERIES = 400
"""The inference queries granted to prove that no honest run reaches a witness a design's bounded
search did not reach (the proof then settles it in neighbouring designs without a search)."""


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


@dataclass(frozen=True)
class KnownProof:
    """A certificate that proved a property for a compiled system with these axioms, accepted by the
    independent checker there."""

    property: str
    axioms: tuple[Formula, ...]
    clauses: tuple[Formula, ...]


@dataclass
class Costs:
    """What the verification of designs cost: invariants inferred, bounded searches for counterexamples
    and for witness runs, reachability queries (is any honest run within the bound?), known certificates
    checked for reuse and reused, certificates checked by :mod:`model.checker`, designs compiled."""

    invariants: int = 0
    searches: int = 0
    witness_searches: int = 0
    reachability_queries: int = 0
    reuse_checks: int = 0
    reused: int = 0
    certificates: int = 0
    designs: int = 0

    def add(self, other: Costs) -> None:
        self.invariants += other.invariants
        self.searches += other.searches
        self.witness_searches += other.witness_searches
        self.reachability_queries += other.reachability_queries
        self.reuse_checks += other.reuse_checks
        self.reused += other.reused
        self.certificates += other.certificates
        self.designs += other.designs


class Design:
    """One full option assignment, verified lazily."""

    def __init__(self, designs: Designs, profile: str, options: Mapping[str, str]) -> None:
        self.designs = designs
        self.verifier = ProfileVerifier(
            designs.catalogue, profile, overrides=options, bounds=designs.bounds, settings=designs.settings
        )
        self._proofs: Proofs | None = None
        self._proved: dict[str, bool] = {}
        self._certificates: dict[str, tuple[Formula, ...]] = {}
        self._rejected: dict[str, str | None] = {}
        self._counterexamples: dict[str, ConcreteRun | None] = {}
        self._searched: dict[str, int] = {}
        self._gave_up: dict[str, str] = {}
        self._missing: dict[str, tuple[str, ...]] = {}
        self._reached: dict[str, bool] = {}

    @property
    def system(self) -> System:
        return self.verifier.system

    def proves(self, property_id: str) -> bool:
        """Whether an inductive invariant implies the property: the part of a certificate of it from
        another design that stays inductive here (:meth:`Designs.reused_certificate`), else this
        design's own proofs as :mod:`model.verify` finds them (:meth:`_prove`)."""
        if property_id not in self._proved:
            reused = None if self._proofs else self.designs.reused_certificate(self, property_id)
            if reused is not None:
                self._certificates[property_id] = reused
                self._proved[property_id] = True
            else:
                self._proved[property_id] = self._prove(property_id)
        return self._proved[property_id]

    def _prove(self, property_id: str) -> bool:
        """The design's own invariant implies the property, or, as :mod:`model.verify` takes turns
        (:attr:`ProfileVerifier.turns`), no counterexample of each length runs and inference then proves it
        (far cheaper than searching the longest runs, where the solver may give up). A counterexample
        found on the way is kept for :meth:`counterexample`."""
        proofs = self.proofs()
        goal = self.goal(property_id)
        if proofs.implied(goal):
            return True
        for length, queries in self.verifier.turns:
            if self._search(property_id, length) is not None:
                return False
            try:
                outcome = proofs.strengthen(goal, queries)
            except SolverError:
                return False
            if outcome == Inferred.PROVED:
                return True
            if outcome != Inferred.PAUSED:
                return False
        return False

    def goal(self, property_id: str) -> Formula:
        return self.system.expand(self.designs.catalogue.properties[property_id].formula)

    def candidates(self) -> dict[Formula, Candidate]:
        """This design's own candidate invariants (those its Houdini starts from), by formula."""
        return {candidate.formula: candidate for candidate in candidates(self.system)}

    def proofs(self) -> Proofs:
        """This design's own proofs (:class:`model.proof.Proofs`: Houdini's invariant, strengthened by
        inference where a property needs it), made on first use."""
        if self._proofs is None:
            self.designs.costs.invariants += 1
            self._proofs = self.verifier.proofs()
        return self._proofs

    def certificate(self, property_id: str) -> tuple[Formula, ...]:
        """The clauses that prove the property here (after :meth:`rejected_certificate`)."""
        return self._certificates[property_id]

    def rejected_certificate(self, property_id: str) -> str | None:
        """Why the independent checker (:mod:`model.checker`) rejects the certificate of a property
        :meth:`proves` proved, or None when it accepts it: its clauses, minimised from the invariant
        that proved it, must hold initially, be preserved by every action and imply the property."""
        if property_id not in self._rejected:
            clauses = self._certificates.get(property_id)
            if clauses is None:
                certificate = self.proofs().certificate(property_id, self.goal(property_id))
                clauses = () if certificate is None else certificate.clauses
                self._certificates[property_id] = clauses
            self.designs.costs.certificates += 1
            verifier = self.verifier
            goal = self.goal(property_id)
            try:
                check(self.designs.catalogue, verifier.options, (), clauses, goal, settings=verifier.settings)
                self._rejected[property_id] = None
                self.designs.learn_proof(self.system, property_id, clauses)
            except CertificateRejectedError as problem:
                self._rejected[property_id] = str(problem)
        return self._rejected[property_id]

    def counterexample(self, property_id: str) -> ConcreteRun | None:
        """A shortest counterexample run within the bound, or None (see :meth:`gave_up`)."""
        return self._search(property_id, self.verifier.bounds.counterexample_depth)

    def _search(self, property_id: str, upto: int) -> ConcreteRun | None:
        """The canonical shortest counterexample of at most ``upto`` steps, searched from the length
        the last search stopped at; None when there is none, or when the solver gave up on a length
        (then no longer one is searched)."""
        searched = self._searched.get(property_id, -1)
        if property_id in self._counterexamples or property_id in self._gave_up or searched >= upto:
            return self._counterexamples.get(property_id)
        if searched < 0:
            self.designs.costs.searches += 1
        goal = Not(self.goal(property_id))
        searcher = self.verifier.searcher()
        for depth in range(searched + 1, upto + 1):
            try:
                found = searcher.reaches(goal, depth)
                self._searched[property_id] = depth
                if found:
                    self._counterexamples[property_id] = searcher.canonical(goal, depth)
                    break
            except SolverError as problem:
                limit = self.verifier.settings.rlimit
                within = f" (within {limit:,} units of Z3's work per query)" if limit else ""
                self._gave_up[property_id] = f"{problem}{within}"
                break
        return self._counterexamples.get(property_id)

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
        canonical run). None is asked when a relation the goal needs can never hold (as
        :meth:`ProfileVerifier.witness` decides first), and none on the full deployment when a proof
        learnt in another design that no honest run reaches the witness holds here too."""
        goal = self.witness_goal(witness_id)
        if not positive_atoms(goal) <= self.system.can_become_true():
            return False
        self.designs.costs.reachability_queries += 1
        depth = self.verifier.bounds.witness_depth
        if self.verifier.searcher("witness").reaches_within(goal, depth):
            return True
        honest = self.verifier.honest_system()
        if self.designs.known_unreachable(self, honest, witness_id, goal):
            return False
        if self.verifier.searcher("honest").reaches_within(goal, depth):
            return True
        self.designs.learn_unreachable(self, honest, witness_id, goal)
        return False

    def witness_goal(self, witness_id: str) -> Formula:
        return self.system.expand(self.designs.catalogue.witnesses[witness_id].goal)


class Designs:
    """Verified designs and the runs learnt from them, shared by every search over one catalogue."""

    def __init__(
        self, catalogue: Catalogue, bounds: Bounds | None = None, settings: SolverSettings | None = None
    ) -> None:
        self.catalogue = catalogue
        self.bounds = bounds or Bounds()
        self.settings = settings or SETTINGS
        self.forms = Forms(catalogue)
        self.costs = Costs()
        self.refutations: dict[str, list[KnownRun]] = {}
        self.witness_runs: dict[str, list[KnownRun]] = {}
        self.unreachable: dict[str, list[tuple[Formula, ...]]] = {}
        """per witness, the clauses of proofs that no honest run reaches it (in some design)"""
        self.proofs: list[KnownProof] = []
        self.region_actions: Compiled = {}
        """actions compiled for the design space's :func:`~model.checker.region_forms`"""
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

    def outcome(
        self, profile: str, property_id: str, options: Mapping[str, str], *, certified: bool = True
    ) -> Outcome:
        """What ``options`` (full) gives the property: a known refutation that still runs there is
        enough; otherwise the design is verified (and a new counterexample is learnt). ``certified``:
        a proof counts only once the independent checker accepts its certificate (a fix's does; the
        verdict of a profile's own cell, which :mod:`model.verify` certifies, need not)."""
        known = next((r for r in self.refutations.get(property_id, []) if r.still(options)), None)
        if known is not None:
            return Refuted(known)
        design = self.design(profile, options)
        if design.proves(property_id):
            missing = design.missing_witnesses(property_id)
            if missing:
                return WitnessLost(missing)
            rejected = design.rejected_certificate(property_id) if certified else None
            if rejected is not None:
                return Undecided(f"the independent check rejected the certificate: {rejected}")
            return Proved()
        run = design.counterexample(property_id)
        if run is None:
            problem = design.gave_up(property_id)
            return Undecided() if problem is None else Undecided(f"the solver gave up: {problem}")
        return Refuted(self.learn_refutation(property_id, run, options))

    def learn_refutation(self, property_id: str, run: ConcreteRun, options: Mapping[str, str]) -> KnownRun:
        """Keep a counterexample to the property found in the design of ``options`` (a refutation of
        every design it still runs in)."""
        formula = self.catalogue.properties[property_id].formula
        refutation = KnownRun(run, formula, holds=False, forms=self.forms)
        if not refutation.still(options):
            raise ValueError(f"a counterexample to {property_id} does not run in the design it was found in")
        self.refutations.setdefault(property_id, []).append(refutation)
        return refutation

    def learn_proof(self, system: System, property_id: str, clauses: tuple[Formula, ...]) -> None:
        """Keep a checked certificate of a property found for ``system`` (for :meth:`reused_certificate`)."""
        known = KnownProof(property_id, system.axioms, clauses)
        if known not in self.proofs:
            self.proofs.append(known)

    def reused_certificate(self, design: Design, property_id: str) -> tuple[Formula, ...] | None:
        """The clauses of known certificates that are inductive for ``design`` and imply the property
        there, or None.

        The property's certificates found for designs with the same axioms are pooled, keeping the
        clauses that are candidates of ``design`` itself, and Houdini keeps their largest inductive
        subset (a few clauses: far cheaper than the design's own invariant). Because the clauses are
        ``design``'s own candidates, what they prove its own invariant proves too (Houdini keeps the
        largest inductive subset of the candidates), so the verdict is the one :mod:`model.verify`
        gives."""
        system = design.system
        sources = [k for k in self.proofs if k.property == property_id and k.axioms == system.axioms]
        if not sources:
            return None
        own = design.candidates()
        pooled = list(dict.fromkeys(c for known in sources for c in known.clauses if c in own))
        if not pooled:
            return None
        self.costs.reuse_checks += 1
        verifier = design.verifier
        invariant = houdini(system, verifier.translator, [own[c] for c in pooled], verifier.settings)
        prover = Prover(system, verifier.translator, invariant, verifier.settings)
        if not prover.implies(design.goal(property_id)):
            return None
        self.costs.reused += 1
        return tuple(candidate.formula for candidate in invariant.kept)

    def learn_unreachable(self, design: Design, honest: System, witness_id: str, goal: Formula) -> None:
        """After the full deployment's search found no honest run to the witness in ``design``, keep a
        proof that none exists at any length, when inference finds one quickly: the minimised clauses
        of an inductive invariant of ``honest`` (its honest actions) that excludes the goal."""
        verifier = design.verifier
        excluded = Not(goal)
        try:
            proofs = Proofs(honest, verifier.translator, verifier.settings)
            if (
                not proofs.implied(excluded)
                and proofs.strengthen(excluded, UNREACHABLE_QUERIES) != Inferred.PROVED
            ):
                return
            certificate = proofs.certificate(witness_id, excluded)
        except SolverError:
            return
        if certificate is not None:
            self.unreachable.setdefault(witness_id, []).append(certificate.clauses)

    def known_unreachable(self, design: Design, honest: System, witness_id: str, goal: Formula) -> bool:
        """Whether the clauses of the witness's known proofs of unreachability (:meth:`learn_unreachable`)
        that stay inductive for ``honest`` (Houdini keeps their largest inductive subset) exclude the
        goal there: then no honest run reaches it at any length, and none within the bound."""
        known = self.unreachable.get(witness_id)
        if not known:
            return False
        verifier = design.verifier
        pooled = dict.fromkeys(clause for clauses in known for clause in clauses)
        candidates = [Candidate(f"unreachable [{n}]", clause) for n, clause in enumerate(pooled)]
        invariant = houdini(honest, verifier.translator, candidates, verifier.settings)
        return Prover(honest, verifier.translator, invariant, verifier.settings).implies(Not(goal))

    def learn_witness_runs(self, witness_id: str, runs: list[ConcreteRun]) -> None:
        known = self.witness_runs.setdefault(witness_id, [])
        seen = [k.run for k in known]
        witness = self.catalogue.witnesses[witness_id]
        for run in runs:
            if run not in seen:
                known.append(KnownRun(run, witness.goal, holds=True, forms=self.forms, when=witness.when))

    def verdict(self, profile: str, property_id: str) -> Verdict:
        """The verdict of a profile's cell, as :mod:`model.verify` gives it."""
        options = self.catalogue.profiles[profile].options
        outcome = self.outcome(profile, property_id, options, certified=False)
        match outcome:
            case Proved():
                return Verdict.PROVED
            case WitnessLost():
                return Verdict.NO_WITNESS
            case Refuted():
                return Verdict.VIOLATED
        return Verdict.UNPROVED
