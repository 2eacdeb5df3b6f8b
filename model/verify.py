"""Verify the catalogue: every property on every profile ends proved, violated, no-witness, unproved
or error.

Per profile: Houdini over the properties, the spec's lemmas and the generated templates gives an
inductive invariant (an unbounded proof for every property it implies); each property it does not
prove is searched for a shortest counterexample by bounded model checking, and the trace shown is the
canonical run of that length (:mod:`model.ground`: the same on every run, whoever asks); each witness
the profile's options allow is searched among runs of honest parties only, first on the small witness
deployment (``witness-bound`` of each sort), then on the full one. A proved property with a missing
applicable witness, or with none applicable, is reported ``no-witness``; a property neither proved
nor violated up to the bound is reported ``unproved`` ("no violation up to bound k"), never as a pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from model.catalogue import Catalogue, CatalogueError, Profile, holds
from model.concrete import ConcreteRun
from model.encode import Translator
from model.ground import GroundUnrolling
from model.houdini import Invariant, Prover, houdini
from model.solver import SolverError, SolverSettings
from model.syntax import Atom, Formula, Not, Quant, conjuncts
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

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "property": self.property,
            "verdict": str(self.verdict),
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
            "witnesses": list(self.witnesses),
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
    ) -> None:
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

    def invariant(self) -> Invariant:
        return houdini(self.system, self.translator, candidates(self.system), self.settings)

    def searcher(self, deployment: str = "attack") -> GroundUnrolling:
        """Runs over a closed deployment: ``attack`` (every action, the full bounds), ``honest``
        (honest parties only, the full bounds) or ``witness`` (honest parties only, the small
        witness deployment); each unrolled once and kept."""
        if deployment not in self._unrollings:
            system = self.system
            if deployment != "attack":
                honest = tuple(action for action in system.actions if action.action.actor == "honest")
                system = replace(system, actions=honest)
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
        if not _positive_atoms(goal) <= self.system.can_become_true():
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

    def counterexample(self, property_id: str) -> dict[str, Any] | None:
        """The canonical shortest counterexample to ``property_id`` as a trace, if there is one within
        the bound."""
        prop = self.catalogue.properties[property_id]
        formula = self.system.expand(prop.formula)
        searcher = self.searcher()
        depth = searcher.shortest(Not(formula), self.bounds.counterexample_depth)
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
            invariant = self.invariant()
            prover = Prover(self.system, self.translator, invariant, self.settings)
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
        results = []
        for property_id in wanted:
            result = self._decide(property_id, invariant, prover, share, witness_results)
            results.append(result)
            if progress:
                progress(result)
        return ProfileReport(
            self.profile,
            tuple(results),
            tuple(witness_results.values()),
            len(invariant.kept),
            time.perf_counter() - start,
            dict(self.runs),
        )

    def _decide(
        self,
        property_id: str,
        invariant: Invariant,
        prover: Prover,
        share: float,
        witnesses: dict[str, WitnessResult],
    ) -> PropertyResult:
        prop = self.catalogue.properties[property_id]
        start = time.perf_counter()
        try:
            if prover.implies(self.system.expand(prop.formula)):
                for witness_id in prop.witnesses:
                    if witness_id not in witnesses:
                        witnesses[witness_id] = self.witness(witness_id)
                applicable = [witnesses[w] for w in prop.witnesses if witnesses[w].applicable]
                missing = [w.id for w in applicable if not w.found]
                seconds = share + time.perf_counter() - start
                found = tuple(w.id for w in applicable if w.found)
                if not applicable:
                    detail = "proved, but no witness applies under this profile's options: vacuous here"
                    return PropertyResult(
                        self.profile, property_id, Verdict.NO_WITNESS, seconds, detail, None, found
                    )
                if missing:
                    detail = f"proved, but no honest run reaches witness(es) {', '.join(missing)}"
                    return PropertyResult(
                        self.profile, property_id, Verdict.NO_WITNESS, seconds, detail, None, found
                    )
                detail = f"inductive invariant of {len(invariant.kept)} clauses; witnesses {', '.join(found)}"
                return PropertyResult(self.profile, property_id, Verdict.PROVED, seconds, detail, None, found)
            trace = self.counterexample(property_id)
            seconds = share + time.perf_counter() - start
            if trace is not None:
                detail = f"counterexample of {len(trace['steps'])} steps"
                return PropertyResult(self.profile, property_id, Verdict.VIOLATED, seconds, detail, trace)
            depth = self.bounds.counterexample_depth
            detail = f"not proved: no inductive strengthening found, and no violation up to bound {depth}"
            return PropertyResult(self.profile, property_id, Verdict.UNPROVED, seconds, detail)
        except SolverError as problem:
            seconds = share + time.perf_counter() - start
            return PropertyResult(self.profile, property_id, Verdict.ERROR, seconds, str(problem))


def _positive_atoms(goal: Formula) -> frozenset[str]:
    """Relations the goal needs to hold of some tuple (top-level atoms under its existentials)."""
    while isinstance(goal, Quant) and not goal.universal:
        goal = goal.body
    return frozenset(part.relation for part in conjuncts(goal) if isinstance(part, Atom))
