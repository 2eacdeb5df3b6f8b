"""Verify the catalogue: every property on every profile ends proved, violated, no-witness, unproved
or error.

Per profile (:mod:`model.proof`): Houdini over the properties and the generated templates (with the
spec's lemmas as hints when asked) gives an inductive invariant; a property it does not imply is
searched for a short counterexample, then strengthened by inference (:mod:`model.infer`), then
searched for longer counterexamples up to the bound. A proof counts only once its minimised
certificate is accepted by the independent checker (:mod:`model.checker`). The trace of a violation
is the canonical run of the shortest length (:mod:`model.ground`: the same on every run, whoever
asks); each witness the profile's options allow is searched among runs of honest parties only, first
on the small witness deployment (``witness-bound`` of each sort), then on the full one. A proved
property with a missing applicable witness, or with none applicable, is reported ``no-witness``; a
property neither proved nor violated up to the bound is reported ``unproved`` ("no violation up to
bound k"), never as a pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from model.catalogue import Catalogue, CatalogueError, Profile, holds
from model.certificate import Certificate
from model.checker import CertificateRejectedError, Checker
from model.concrete import ConcreteRun
from model.encode import Translator
from model.ground import GroundUnrolling
from model.houdini import Invariant, houdini
from model.infer import Outcome
from model.proof import Proofs
from model.solver import SolverError, SolverSettings
from model.syntax import Atom, Formula, Not, Quant, conjuncts, show
from model.system import Removal, System, compile_system
from model.templates import candidates
from model.trace import TraceBuilder

REFERENCE_PROFILE = "recommended"
"""The profile a trace's steps are compared with (checks that would refuse, options that differ)."""


class Verdict(StrEnum):
    PROVED = "proved"
    VIOLATED = "violated"
    NO_WITNESS = "no-witness"
    UNPROVED = "unproved"
    ERROR = "error"


@dataclass(frozen=True)
class Bounds:
    """How far bounded search goes: steps, and elements per sort (the catalogue's by default)."""

    counterexample_depth: int = 8
    witness_depth: int = 10
    inference: tuple[tuple[int, int], ...] = ((6, 1600),)
    """how bounded search and inference take turns on a property the invariant does not imply:
    (counterexample length searched up to, then inference queries granted), in order; the search
    goes on to ``counterexample_depth`` when inference fails. This is the order with the lemmas as
    hints: Houdini then implies every property the catalogue proves, so one it does not imply is
    most likely violated, and a violation of up to 6 steps is found in well under a second."""
    inference_without_hints: tuple[tuple[int, int], ...] = ((4, 1600),)
    """the same without hints, where inference is how every proof beyond Houdini's is found: showing
    that no run of 5 or 6 steps breaks a property that holds costs seconds to a minute (48 s for
    ``recommended``'s psk-secrecy at 6 steps, against 0.5 s up to 4), more than inference takes to
    prove it, so inference goes first after the cheap short runs"""
    universe: Mapping[str, int] | None = None

    def sizes(self, catalogue: Catalogue) -> dict[str, int]:
        sizes = {sort.id: sort.bound for sort in catalogue.sorts.values()}
        sizes.update(self.universe or {})
        return sizes

    @staticmethod
    def witness_sizes(catalogue: Catalogue) -> dict[str, int]:
        """The small deployment where witnesses are searched first (``witness-bound`` of each sort)."""
        return {sort.id: sort.witness_bound for sort in catalogue.sorts.values()}


@dataclass(frozen=True)
class WitnessResult:
    id: str
    applicable: bool
    found: bool
    seconds: float
    trace: dict[str, Any] | None


@dataclass(frozen=True)
class PropertyResult:
    profile: str
    property: str
    verdict: Verdict
    seconds: float
    detail: str
    trace: dict[str, Any] | None = None
    witnesses: tuple[str, ...] = field(default=())
    invariant: tuple[str, ...] = field(default=())
    """the certificate of a proof: the clauses of its minimised inductive invariant, checked"""

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "property": self.property,
            "verdict": str(self.verdict),
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
            "witnesses": list(self.witnesses),
            "invariant": list(self.invariant),
            "trace": self.trace,
        }


@dataclass(frozen=True)
class ProfileReport:
    profile: str
    properties: tuple[PropertyResult, ...]
    witnesses: tuple[WitnessResult, ...]
    invariant_size: int
    seconds: float
    runs: Mapping[str, ConcreteRun] = field(default_factory=dict)
    """the witness runs found under this profile"""


def profile_options(catalogue: Catalogue, profile: Profile, overrides: Mapping[str, str]) -> dict[str, str]:
    """The profile's option values with ``overrides`` applied (each checked against the catalogue)."""
    options = dict(profile.options)
    for option_id, value in overrides.items():
        option = catalogue.options.get(option_id)
        if option is None:
            raise CatalogueError(f"unknown option '{option_id}'")
        allowed = [v.id for v in option.values]
        if value not in allowed:
            raise CatalogueError(
                f"option '{option_id}' has no value '{value}'; allowed: {', '.join(allowed)}"
            )
        options[option_id] = value
    return options


class ProfileVerifier:
    """Verifies the properties of one profile (optionally with options overridden or checks removed)."""

    def __init__(
        self,
        catalogue: Catalogue,
        profile: str,
        *,
        overrides: Mapping[str, str] | None = None,
        removals: tuple[Removal, ...] = (),
        bounds: Bounds | None = None,
        settings: SolverSettings | None = None,
        hints: bool = True,
    ) -> None:
        """``hints``: use the spec's lemmas as candidate invariants (no proof needs them)."""
        if profile not in catalogue.profiles:
            raise CatalogueError(f"unknown profile '{profile}'; known: {', '.join(catalogue.profiles)}")
        self.catalogue = catalogue
        self.profile = profile
        self.options = profile_options(catalogue, catalogue.profiles[profile], overrides or {})
        self.system: System = compile_system(catalogue, self.options, removals)
        self.translator = Translator(catalogue)
        self.bounds = bounds or Bounds()
        self.settings = settings or SolverSettings()
        recommended = catalogue.profiles.get(REFERENCE_PROFILE)
        self.traces = TraceBuilder(self.system, recommended.options if recommended else None)
        self.runs: dict[str, ConcreteRun] = {}
        self._unrollings: dict[str, GroundUnrolling] = {}
        self.removals = removals
        self.hints = hints
        self._invariant: Invariant | None = None
        self._checker: Checker | None = None

    def checker(self) -> Checker:
        """The independent checker of this system's certificates (made on first use, then kept)."""
        if self._checker is None:
            self._checker = Checker(self.catalogue, self.options, self.removals, settings=self.settings)
        return self._checker

    def invariant(self) -> Invariant:
        """The inductive invariant Houdini finds for this system (computed once)."""
        if self._invariant is None:
            self._invariant = houdini(
                self.system, self.translator, candidates(self.system, hints=self.hints), self.settings
            )
        return self._invariant

    def proofs(self) -> Proofs:
        return Proofs(self.system, self.translator, self.settings, hints=self.hints)

    @property
    def turns(self) -> tuple[tuple[int, int], ...]:
        """How bounded search and inference take turns here (:attr:`Bounds.inference`, or
        :attr:`Bounds.inference_without_hints` when the lemmas are not hints)."""
        return self.bounds.inference if self.hints else self.bounds.inference_without_hints

    def honest_system(self) -> System:
        """This system with the honest parties' actions only (where witnesses are searched)."""
        honest = tuple(action for action in self.system.actions if action.action.actor == "honest")
        return replace(self.system, actions=honest)

    def searcher(self, deployment: str = "attack") -> GroundUnrolling:
        """Runs over a closed deployment: ``attack`` (every action, the full bounds), ``honest``
        (honest parties only, the full bounds) or ``witness`` (honest parties only, the small
        witness deployment); each unrolled once and kept."""
        if deployment not in self._unrollings:
            system = self.system if deployment == "attack" else self.honest_system()
            sizes = (
                self.bounds.witness_sizes(self.catalogue)
                if deployment == "witness"
                else self.bounds.sizes(self.catalogue)
            )
            self._unrollings[deployment] = GroundUnrolling(system, sizes, self.settings)
        return self._unrollings[deployment]

    def witness(self, witness_id: str) -> WitnessResult:
        """Search an honest run reaching the witness goal: on the small witness deployment, then on the
        full one; the run shown is the canonical one of its length there."""
        witness = self.catalogue.witnesses[witness_id]
        start = time.perf_counter()
        if not holds(witness.when, self.options):
            return WitnessResult(witness_id, False, False, 0.0, None)
        goal = self.system.expand(witness.goal)
        if not positive_atoms(goal) <= self.system.can_become_true():
            return WitnessResult(witness_id, True, False, time.perf_counter() - start, None)
        run = None
        for deployment in ("witness", "honest"):
            searcher = self.searcher(deployment)
            depth = searcher.shortest(goal, self.bounds.witness_depth)
            if depth is not None:
                run = searcher.canonical(goal, depth)
                break
        trace = None
        if run is not None:
            self.runs[witness_id] = run
            trace = self.traces.build(
                run,
                profile=self.profile,
                kind="witness",
                subject=witness_id,
                statement=witness.statement,
                goal=None,
            )
        return WitnessResult(witness_id, True, run is not None, time.perf_counter() - start, trace)

    def counterexample(self, property_id: str, depths: range | None = None) -> dict[str, Any] | None:
        """The canonical shortest counterexample to ``property_id`` as a trace, if there is one at
        ``depths`` (searched in order; every length up to the bound by default)."""
        prop = self.catalogue.properties[property_id]
        formula = self.system.expand(prop.formula)
        searcher = self.searcher()
        lengths = depths if depths is not None else range(self.bounds.counterexample_depth + 1)
        depth = next((d for d in lengths if searcher.reaches(Not(formula), d)), None)
        if depth is None:
            return None
        return self.traces.build(
            searcher.canonical(Not(formula), depth),
            profile=self.profile,
            kind="counterexample",
            subject=property_id,
            statement=prop.statement,
            goal=formula,
        )

    def run(
        self,
        property_ids: Sequence[str] | None = None,
        progress: Callable[[PropertyResult], None] | None = None,
    ) -> ProfileReport:
        """Verify ``property_ids`` (all by default); ``progress`` sees each result as it is decided."""
        start = time.perf_counter()
        wanted = list(property_ids or self.catalogue.properties)
        try:
            proofs = self.proofs()
        except SolverError as problem:
            failed = tuple(
                PropertyResult(self.profile, p, Verdict.ERROR, 0.0, f"Houdini: {problem}") for p in wanted
            )
            for result in failed:
                if progress:
                    progress(result)
            return ProfileReport(self.profile, failed, (), 0, time.perf_counter() - start, dict(self.runs))
        share = (time.perf_counter() - start) / max(len(wanted), 1)
        witness_results: dict[str, WitnessResult] = {}
        certificates: dict[str, Certificate] = {}
        results = []
        for property_id in wanted:
            result = self._decide(property_id, proofs, share, witness_results, certificates)
            results.append(result)
            if progress:
                progress(result)
        return ProfileReport(
            self.profile,
            tuple(self._merged(result, proofs, certificates) for result in results),
            tuple(witness_results.values()),
            len(proofs.clauses),
            time.perf_counter() - start,
            dict(self.runs),
        )

    def _search_or_infer(self, property_id: str, goal: Formula, proofs: Proofs) -> dict[str, Any] | None:
        """Bounded search for a counterexample and inference of an invariant, taking turns (short
        counterexamples are cheap to rule out, long ones dear); a counterexample, or None once the
        property is proved or both are exhausted."""
        searched, outcome = -1, Outcome.PAUSED
        for length, queries in (*self.turns, (self.bounds.counterexample_depth, 0)):
            upto = min(length, self.bounds.counterexample_depth)
            trace = self.counterexample(property_id, range(searched + 1, upto + 1))
            searched = max(searched, upto)
            if trace is not None:
                return trace
            if outcome == Outcome.PAUSED and queries:
                outcome = proofs.strengthen(goal, queries)
                if outcome == Outcome.PROVED:
                    return None
        return None

    def _merged(
        self, result: PropertyResult, proofs: Proofs, certificates: Mapping[str, Certificate]
    ) -> PropertyResult:
        """``result`` with its certificate's clauses merged into fewer, stronger ones where they stay
        inductive (:meth:`Proofs.merged`), checked independently like the certificate it replaces.
        Asked once every property of the profile is decided, so that inference finds what it found
        without it."""
        certificate = certificates.get(result.property)
        if certificate is None:
            return result
        start = time.perf_counter()
        goal = self.system.expand(self.catalogue.properties[result.property].formula)
        try:
            merged = proofs.merged(certificate, goal)
            if merged is not certificate:
                self.checker().check(merged.clauses, goal)
        except SolverError as problem:
            return replace(result, verdict=Verdict.ERROR, detail=str(problem), invariant=())
        except CertificateRejectedError as problem:
            detail = f"the independent check rejected the merged certificate: {problem}"
            return replace(result, verdict=Verdict.ERROR, detail=detail, invariant=())
        seconds = result.seconds + time.perf_counter() - start
        invariant = tuple(show(clause) for clause in merged.clauses)
        detail = (
            proved_detail(invariant, result.witnesses) if result.verdict == Verdict.PROVED else result.detail
        )
        return replace(result, seconds=seconds, detail=detail, invariant=invariant)

    def _decide(
        self,
        property_id: str,
        proofs: Proofs,
        share: float,
        witnesses: dict[str, WitnessResult],
        certificates: dict[str, Certificate],
    ) -> PropertyResult:
        prop = self.catalogue.properties[property_id]
        goal = self.system.expand(prop.formula)
        start = time.perf_counter()

        def result(verdict: Verdict, detail: str, **found: Any) -> PropertyResult:
            seconds = share + time.perf_counter() - start
            return PropertyResult(self.profile, property_id, verdict, seconds, detail, **found)

        try:
            if not proofs.implied(goal):
                trace = self._search_or_infer(property_id, goal, proofs)
                if trace is not None:
                    detail = f"counterexample of {len(trace['steps'])} steps"
                    return result(Verdict.VIOLATED, detail, trace=trace)
                if not proofs.implied(goal):
                    bound = self.bounds.counterexample_depth
                    detail = f"not proved: no inductive invariant found, and no violation up to bound {bound}"
                    return result(Verdict.UNPROVED, detail)
            certificate = proofs.certificate(property_id, goal)
            if certificate is None:
                return result(Verdict.ERROR, "the invariant no longer implies the property")
            try:
                self.checker().check(certificate.clauses, goal)
            except CertificateRejectedError as problem:
                return result(Verdict.ERROR, f"the independent check rejected the certificate: {problem}")
            invariant = tuple(show(clause) for clause in certificate.clauses)
            certificates[property_id] = certificate
            for witness_id in prop.witnesses:
                if witness_id not in witnesses:
                    witnesses[witness_id] = self.witness(witness_id)
            applicable = [witnesses[w] for w in prop.witnesses if witnesses[w].applicable]
            missing = [w.id for w in applicable if not w.found]
            found = tuple(w.id for w in applicable if w.found)
            if not applicable:
                detail = "proved, but no witness applies under this profile's options: vacuous here"
                return result(Verdict.NO_WITNESS, detail, witnesses=found, invariant=invariant)
            if missing:
                detail = f"proved, but no honest run reaches witness(es) {', '.join(missing)}"
                return result(Verdict.NO_WITNESS, detail, witnesses=found, invariant=invariant)
            return result(
                Verdict.PROVED, proved_detail(invariant, found), witnesses=found, invariant=invariant
            )
        except SolverError as problem:
            return result(Verdict.ERROR, str(problem))


def proved_detail(invariant: Sequence[str], witnesses: Sequence[str]) -> str:
    """What a proved cell says: the size of its checked certificate and the witnesses found."""
    return f"inductive invariant of {len(invariant)} clauses, checked; witnesses {', '.join(witnesses)}"


def positive_atoms(goal: Formula) -> frozenset[str]:
    """Relations the goal needs to hold of some tuple (top-level atoms under its existentials)."""
    while isinstance(goal, Quant) and not goal.universal:
        goal = goal.body
    return frozenset(part.relation for part in conjuncts(goal) if isinstance(part, Atom))
