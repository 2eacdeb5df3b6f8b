"""The test suite the model writes for implementations (``capifsec traces``).

Per profile (one worker process each, two at a time):

1. every counterexample and witness of :class:`~model.verify.ProfileVerifier`;
2. coverage traces: for each obligation of :mod:`model.coverage` that the traces so far do not meet,
   bounded search for a shortest run to a state where a request of a suitable action has the wanted
   outcome (:mod:`model.outcome`), and that request as the last step;
3. the boundary cases of :mod:`model.boundaries` that apply under the profile.

Every expected outcome is the model's: a run comes from the solver and is re-executed by the
simulator, and the last step's outcome is evaluated on the state the run reaches. An obligation no
run meets within the bound is *uncovered* (the audit fails), unless the model shows it cannot be met:
every action that could meet it has a guard ``false`` under the profile.

:func:`write_suite` lays the traces out as ``<profile>/<kind>/<subject>/<case>.json`` with an
``index.json`` of the obligations, the traces meeting each, and the figures (``docs/test-suite.md``).
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.boundaries import BOUNDARIES, Boundary
from model.catalogue import Catalogue
from model.concrete import ConcreteRun, Step, apply
from model.coverage import Figures, Need, Obligation, met_by, obligations
from model.houdini import houdini
from model.outcome import Goal, acceptance_goal, checks_of, never, outcome, refusal_goal
from model.runner import EXPECTED_COST
from model.solver import SolverError
from model.syntax import And, Const, Or, parse_formula
from model.system import CompiledAction, System
from model.templates import Candidate, candidates
from model.typecheck import typecheck
from model.verify import Bounds, ProfileVerifier

SUITE_FORMAT = "capifsec-suite/1"
INDEX = "index.json"
COVERAGE_DEPTH = 10
"""Steps searched for a coverage or boundary run (the witnesses' bound)."""
CASES = {"counterexample": "shortest", "witness": "honest-run"}
WELL_FORMED = parse_formula("forall a0:aef. exists n0:method. supports(a0, n0)")
"""Every AEF offers a method at the end of a coverage run (TS 29.222 ``securityMethods`` has at least
one entry; a method update keeps one), so that a deployment can play it."""
HONEST_CCFS = parse_formula("forall c0:ccf. honest_ccf(c0)")
HONEST_DETOUR = 3
"""A coverage run whose shortest form needs a CCF the attacker controls is replaced by one with every
CCF honest (the implementation under test plays them) that is at most this many steps longer."""


@dataclass(frozen=True)
class SuiteTrace:
    """A trace of the suite, where it goes, and the obligations it meets."""

    path: str
    trace: dict[str, Any]
    meets: frozenset[Obligation]


@dataclass(frozen=True)
class ProfileSuite:
    """The suite of one profile: its traces, its obligations and which stay unmet."""

    profile: str
    traces: tuple[SuiteTrace, ...]
    obligations: tuple[Obligation, ...]
    impossible: Mapping[Obligation, str]
    """obligations the model shows cannot be met, with the reason"""
    boundaries_missing: tuple[str, ...]
    isolations_missing: tuple[str, ...]
    """isolation cases (boundaries not required) no run reached"""
    seconds: float
    searches: int

    @property
    def covered(self) -> set[Obligation]:
        return {obligation for trace in self.traces for obligation in trace.meets}

    @property
    def uncovered(self) -> list[Obligation]:
        covered = self.covered
        return [o for o in self.obligations if o not in covered and o not in self.impossible]

    @property
    def figures(self) -> Figures:
        return Figures.of([o for o in self.obligations if o not in self.impossible], self.covered)


@dataclass(frozen=True)
class Verified:
    """The counterexamples and witnesses of one profile that a verification found (``capifsec verify
    --json``): reused instead of verifying the profile again."""

    counterexamples: tuple[tuple[str, dict[str, Any] | None], ...]
    """(property, its shortest counterexample or None)"""
    witnesses: tuple[tuple[str, dict[str, Any] | None], ...]
    """(witness, its trace or None)"""

    @staticmethod
    def of(results: Mapping[str, Any], profile: str) -> Verified | None:
        """The part of a results document about ``profile``; None when it has none."""
        counterexamples = tuple(
            (entry["property"], entry["trace"]) for entry in results["results"] if entry["profile"] == profile
        )
        witnesses = tuple(
            (entry["witness"], entry["trace"])
            for entry in results["witnesses"]
            if entry["profile"] == profile
        )
        return Verified(counterexamples, witnesses) if counterexamples else None


@dataclass
class _Generator:
    """Generates the suite of one profile with one verifier (its bounded search is unrolled once)."""

    verifier: ProfileVerifier
    traces: list[SuiteTrace] = field(default_factory=list)
    searches: int = 0

    @property
    def profile(self) -> str:
        return self.verifier.profile

    def add(self, kind: str, subject: str, trace: dict[str, Any]) -> None:
        case = trace.get("case") or CASES[kind]
        trace["case"] = case
        path = f"{self.profile}/{kind}/{subject}/{case}.json"
        self.traces.append(SuiteTrace(path, trace, frozenset(met_by(trace))))

    def met(self) -> set[Obligation]:
        return {obligation for trace in self.traces for obligation in trace.meets}

    def search(self, goals: Sequence[Goal]) -> tuple[ConcreteRun, Goal] | None:
        """A shortest run to a state where one of ``goals`` holds, and the first goal holding there."""
        self.searches += 1
        searcher = self.verifier.searcher()
        target = And((WELL_FORMED, Or(tuple(goal.formula for goal in goals))))
        shortest = searcher.shortest(target, COVERAGE_DEPTH)
        if shortest is None:
            return None
        run = searcher.canonical(target, shortest)
        if not all(run.final.holds("honest_ccf", (ccf,)) for ccf in run.final.universe["ccf"]):
            honest = And((HONEST_CCFS, target))
            for depth in range(shortest, min(shortest + HONEST_DETOUR, COVERAGE_DEPTH) + 1):
                if searcher.reaches(honest, depth):
                    run = searcher.canonical(honest, depth)
                    break
        for goal in goals:
            if goal.request_in(run.final) is not None:
                return run, goal
        raise AssertionError("the solver's run reaches none of the goals it was asked for")

    def extend(
        self,
        run: ConcreteRun,
        goal: Goal,
        before: Iterable[tuple[str, Mapping[str, str]]] = (),
        prefer: str | None = None,
    ) -> ConcreteRun:
        """``run``, then the steps ``before`` (arguments named by request parameters), then the request
        of ``goal`` with the outcome the model gives it."""
        actions = {action.id: action for action in self.verifier.system.actions}
        used = {value for step in run.steps for value in step.arguments.values()}
        request = goal.request_in(run.final, used)
        assert request is not None
        states, steps = list(run.states), list(run.steps)
        for action_id, arguments in before:
            step = Step(action_id, {name: request[value] for name, value in arguments.items()})
            states.append(apply(self.verifier.system, actions[action_id], states[-1], step.arguments))
            steps.append(step)
        expected = outcome(goal.action, states[-1], request, prefer=prefer)
        assert expected is not None, f"{goal.action.id}: the goal's request is no request"
        step = Step(goal.action.id, expected.arguments)
        after = (
            apply(self.verifier.system, goal.action, states[-1], step.arguments)
            if expected.accepted
            else states[-1]
        )
        return ConcreteRun((*states, after), (*steps, step))

    def build(self, run: ConcreteRun, kind: str, subject: str, case: str, statement: str) -> None:
        trace = self.verifier.traces.build(
            run, profile=self.profile, kind=kind, subject=subject, statement=statement, goal=None
        )
        trace["case"] = case
        self.add(kind, subject, trace)


def unreachable(verifier: ProfileVerifier, goals: Sequence[Goal]) -> bool:
    """Whether every goal is an acceptance that no reachable state of any size allows: the negation of
    each, added to the profile's Houdini candidates, is kept in the inductive invariant."""
    negations = []
    for goal in goals:
        if goal.refusing is not None:
            return False
        negations.append(Candidate(f"never {goal.action.id}", goal.never()))
    try:
        invariant = houdini(
            verifier.system,
            verifier.translator,
            [*negations, *candidates(verifier.system)],
            verifier.settings,
        )
    except SolverError:
        return False
    return all(negation in invariant.kept for negation in negations)


def _goals(obligation: Obligation, actions: Sequence[CompiledAction]) -> list[tuple[Goal, str | None]]:
    """The goals whose runs meet ``obligation``, with the check a refusal is wanted by."""
    if obligation.need is Need.OCCURS:
        action = next(action for action in actions if action.id == obligation.subject)
        return [(acceptance_goal(action), None)] + [
            (refusal_goal(action, check), check) for check in checks_of(action)
        ]
    guarded = [action for action in actions if obligation.subject in checks_of(action)]
    if obligation.need is Need.PASSES:
        return [(acceptance_goal(action), None) for action in guarded]
    return [(refusal_goal(action, obligation.subject), obligation.subject) for action in guarded]


def _statement(catalogue: Catalogue, obligation: Obligation, action: str, refused: bool) -> str:
    if obligation.need is Need.OCCURS:
        outcome_text = "refused" if refused else "accepted"
        return f"A request of {action} ({catalogue.actions[action].procedure}) is {outcome_text}."
    check = catalogue.checks[obligation.subject]
    verb = "refuses" if obligation.need is Need.REFUSED else "passes"
    return f"The check {check.id} {verb} a request of {action}: {check.text}."


def _coverage(generator: _Generator, catalogue: Catalogue) -> dict[Obligation, str]:
    """Coverage traces for the obligations the traces so far leave unmet; the impossible ones."""
    system = generator.verifier.system
    impossible: dict[Obligation, str] = {}
    for obligation in obligations(system):
        if obligation in generator.met():
            continue
        candidates = _goals(obligation, system.actions)
        live = [(goal, check) for goal, check in candidates if not _never_meets(goal, check)]
        if not live:
            impossible[obligation] = (
                "no action can meet it under this profile: each has a guard 'false', or the check is 'true'"
            )
            continue
        found = generator.search([goal for goal, _ in live])
        if found is None:
            if unreachable(generator.verifier, [goal for goal, _ in live]):
                impossible[obligation] = "no reachable state allows it (the profile's inductive invariant)"
            continue
        run, goal = found
        prefer = next(check for candidate, check in live if candidate is goal)
        extended = generator.extend(run, goal, prefer=prefer)
        refused = prefer is not None
        statement = _statement(catalogue, obligation, goal.action.id, refused)
        generator.build(extended, "coverage", obligation.subject, str(obligation.need), statement)
    return impossible


def _never_meets(goal: Goal, check: str | None) -> bool:
    """A goal that cannot hold: an acceptance of an action with a guard ``false``, a refusal by a
    check whose removal leaves a guard ``false``."""
    guards = goal.action.guards
    if check is None:
        return any(never(guard.formula) for guard in guards)
    if all(guard.formula == Const(True) for guard in guards if guard.check == check):
        return True
    return any(never(guard.formula) for guard in guards if guard.check != check)


def _boundaries(generator: _Generator, catalogue: Catalogue) -> list[Boundary]:
    """The boundary traces that apply under the profile; the cases no run reaches."""
    return [boundary for boundary in BOUNDARIES if _boundary(generator, boundary, catalogue) is False]


def _boundary(generator: _Generator, boundary: Boundary, catalogue: Catalogue) -> bool | None:
    """Add the trace of ``boundary``: whether a run reaches it; None when it does not apply under the
    profile (no such action or check, or the check cannot refuse there)."""
    actions = {action.id: action for action in generator.verifier.system.actions}
    action = actions.get(boundary.action)
    if action is None or (boundary.refused_by is not None and boundary.refused_by not in checks_of(action)):
        return None
    if any(step not in actions for step, _ in boundary.before):
        return None
    goal = _boundary_goal(boundary, action, generator.verifier.system)
    if _never_meets(goal, boundary.refused_by):
        return None
    found = generator.search([goal])
    if found is None:
        return False
    run, _ = found
    extended = generator.extend(
        run, goal, [(step, dict(arguments)) for step, arguments in boundary.before], boundary.refused_by
    )
    generator.build(extended, "boundary", boundary.subject, boundary.case, boundary.statement)
    return True


def boundary_trace(catalogue: Catalogue, profile: str, subject: str, case: str) -> SuiteTrace | None:
    """The trace the suite of ``profile`` has for one boundary case (None when it has none), generated
    alone."""
    boundary = next(entry for entry in BOUNDARIES if (entry.subject, entry.case) == (subject, case))
    generator = _Generator(ProfileVerifier(catalogue, profile))
    return generator.traces[0] if _boundary(generator, boundary, catalogue) else None


def _boundary_goal(boundary: Boundary, action: CompiledAction, system: System) -> Goal:
    """The goal of ``boundary``: its condition (definitions expanded for the profile) with the
    acceptance or the refusal it asks for."""
    condition = parse_formula(boundary.condition)
    typecheck(condition, dict(action.action.params), system.catalogue.vocabulary)
    base = (
        acceptance_goal(action) if boundary.refused_by is None else refusal_goal(action, boundary.refused_by)
    )
    return Goal(action, And((base.body, system.expand(condition))), base.refusing)


def generate_profile(
    catalogue: Catalogue, profile: str, bounds: Bounds | None = None, verified: Verified | None = None
) -> ProfileSuite:
    """The suite of ``profile``; its counterexamples and witnesses from ``verified`` when given, else
    verified now."""
    start = time.perf_counter()
    verifier = ProfileVerifier(catalogue, profile, bounds=bounds)
    if verified is None:
        report = verifier.run()
        verified = Verified(
            tuple((result.property, result.trace) for result in report.properties),
            tuple((witness.id, witness.trace) for witness in report.witnesses),
        )
    generator = _Generator(verifier)
    for prop, trace in verified.counterexamples:
        if trace is not None:
            generator.add("counterexample", prop, copy.deepcopy(trace))
    for witness, trace in verified.witnesses:
        if trace is not None:
            generator.add("witness", witness, copy.deepcopy(trace))
    impossible = _coverage(generator, catalogue)
    missing = _boundaries(generator, catalogue)
    required = tuple(f"{case.subject}/{case.case}" for case in missing if case.required)
    isolations = tuple(f"{case.subject}/{case.case}" for case in missing if not case.required)
    return ProfileSuite(
        profile,
        tuple(generator.traces),
        tuple(obligations(verifier.system)),
        impossible,
        required,
        isolations,
        time.perf_counter() - start,
        generator.searches,
    )


def generate(
    catalogue: Catalogue,
    profiles: Sequence[str],
    *,
    workers: int = 1,
    bounds: Bounds | None = None,
    on_profile: Callable[[ProfileSuite], None] | None = None,
    verified: Mapping[str, Verified] | None = None,
) -> list[ProfileSuite]:
    """The suites of ``profiles`` (in that order), ``workers`` profiles at a time; a profile in
    ``verified`` reuses its counterexamples and witnesses."""
    known = verified or {}
    ordered = [p for p in EXPECTED_COST if p in profiles] + [p for p in profiles if p not in EXPECTED_COST]
    done: dict[str, ProfileSuite] = {}
    if workers <= 1 or len(profiles) <= 1:
        for profile in ordered:
            done[profile] = generate_profile(catalogue, profile, bounds, known.get(profile))
            if on_profile is not None:
                on_profile(done[profile])
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(generate_profile, catalogue, p, bounds, known.get(p)): p for p in ordered}
            for future, profile in futures.items():
                done[profile] = future.result()
                if on_profile is not None:
                    on_profile(done[profile])
    return [done[profile] for profile in profiles]


def index(suites: Sequence[ProfileSuite]) -> dict[str, Any]:
    """The suite's ``index.json``: per profile the figures, the obligations (with the traces meeting
    each, or why none can) and the boundary cases missing; every trace with the obligations it meets."""
    profiles = {}
    for suite in suites:
        entries = []
        for obligation in suite.obligations:
            entry: dict[str, Any] = {"need": str(obligation.need), "subject": obligation.subject}
            if obligation in suite.impossible:
                entry["impossible"] = suite.impossible[obligation]
            else:
                entry["traces"] = [trace.path for trace in suite.traces if obligation in trace.meets]
            entries.append(entry)
        profiles[suite.profile] = {
            "figures": suite.figures.to_json(),
            "obligations": entries,
            "boundaries_missing": list(suite.boundaries_missing),
            "isolations_missing": list(suite.isolations_missing),
        }
    return {
        "format": SUITE_FORMAT,
        "profiles": profiles,
        "traces": [
            {"path": trace.path, "meets": sorted(str(o) for o in trace.meets)}
            for suite in suites
            for trace in suite.traces
        ],
    }


def write_suite(out: Path, suites: Sequence[ProfileSuite]) -> int:
    """Write every trace and ``index.json`` under ``out``; how many files were written."""
    written = 0
    for suite in suites:
        for trace in suite.traces:
            path = out / trace.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(trace.trace, indent=2) + "\n", "utf-8")
            written += 1
    out.mkdir(parents=True, exist_ok=True)
    (out / INDEX).write_text(json.dumps(index(suites), indent=2) + "\n", "utf-8")
    return written + 1


def audit_lines(suites: Sequence[ProfileSuite]) -> list[str]:
    """The coverage figures per profile, and every obligation left unmet."""
    lines = [f"{'profile':<22}{'traces':>8}{'actions':>10}{'passed':>10}{'refused':>10}{'seconds':>9}"]
    for suite in suites:
        figures = suite.figures

        def cell(pair: tuple[int, int]) -> str:
            return f"{pair[0]}/{pair[1]}"

        lines.append(
            f"{suite.profile:<22}{len(suite.traces):>8}{cell(figures.actions):>10}"
            f"{cell(figures.checks_passed):>10}{cell(figures.checks_refused):>10}{suite.seconds:>9.1f}"
        )
    for suite in suites:
        for obligation in suite.uncovered:
            lines.append(f"uncovered: {suite.profile}: {obligation}")
        for missing in suite.boundaries_missing:
            lines.append(f"boundary case not reached: {suite.profile}: {missing}")
        for missing in suite.isolations_missing:
            lines.append(f"isolation case not reached (not required): {suite.profile}: {missing}")
    return lines


def complete(suites: Iterable[ProfileSuite]) -> bool:
    """Whether every obligation of every profile is met (or shown impossible) and every boundary case
    that applies was reached."""
    return all(not suite.uncovered and not suite.boundaries_missing for suite in suites)
