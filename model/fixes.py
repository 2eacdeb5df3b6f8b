"""Minimal fixes, computed: for a property a profile does not prove, every minimal set of option changes
under which it is proved.

A *fix* of a cell (profile P, property X) is a set of option changes (each option set to another of its
values) under which X is ``proved`` as :mod:`model.verify` decides it: an inductive invariant implies
it (its certificate accepted by the independent checker, :mod:`model.checker`), and every applicable
witness of it is reached by an honest run. A fix keeps what the profile
offers: every witness that applies under P still applies (switching interconnection or CAPIF-8 off is
not a fix). A fix is *minimal* when no proper subset of it is a fix.

The search is Reiter's hitting-set tree over option changes, breadth first so that smaller fixes come
first and their supersets are never verified. A node (a set of changes) that a counterexample refutes
is extended only by the minimal sets of further changes under which that counterexample no longer runs
(:mod:`model.regions` decides this by replaying the run, without a solver); every fix that contains
the node contains one of them, so no fix is lost. A node is verified (invariant, then counterexample,
then witnesses: :mod:`model.designs`, cached per compiled system and shared by every cell) only when
no counterexample known so far runs under it, and a new counterexample found there refutes a region
of the design space at once. A node that proves X but loses a witness is extended by the minimal
changes under which a known honest run of that witness reaches it again (a fix needing an honest run
never seen is not searched for); a node neither proved nor refuted within the bound is reported as
undecided and not extended. The search stops at ``max_changes`` changes.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, astuple, dataclass
from typing import Any

from model.catalogue import Catalogue, holds
from model.designs import Costs, Designs, Outcome, Proved, Refuted, Undecided, WitnessLost
from model.regions import KnownRun
from model.verify import Bounds, Verdict

Change = tuple[str, str]
"""One option set to one of its values."""
Fix = tuple[Change, ...]
"""Option changes, in catalogue order of the options."""

DEFAULT_MAX_CHANGES = 4
SEARCHED = (Verdict.VIOLATED, Verdict.UNPROVED)
"""The verdicts of the cells whose fixes are searched."""


@dataclass(frozen=True)
class CellFixes:
    """The minimal fixes of one (profile, property) cell, searched up to ``max_changes`` changes;
    ``open_ends``: change sets not fixes themselves whose supersets were not searched (each may lead to
    a fix), with the reason."""

    profile: str
    property: str
    verdict: Verdict
    fixes: tuple[Fix, ...]
    max_changes: int
    open_ends: tuple[tuple[Fix, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "property": self.property,
            "verdict": str(self.verdict),
            "minimal_fixes": [dict(fix) for fix in self.fixes],
            "searched_up_to": self.max_changes,
            "open_ends": [{"changes": dict(fix), "why": why} for fix, why in self.open_ends],
        }


class CellSearch:
    """The hitting-set search of one cell (see the module docstring)."""

    def __init__(self, designs: Designs, profile: str, property_id: str, max_changes: int) -> None:
        self.designs = designs
        self.catalogue = designs.catalogue
        self.profile = profile
        self.property = property_id
        self.max_changes = max_changes
        self.base = dict(self.catalogue.profiles[profile].options)
        kept = [w for w in self.catalogue.witnesses.values() if holds(w.when, self.base)]
        self.allowed = {
            option.id: [
                value.id
                for value in option.values
                if value.id != self.base[option.id]
                and all(holds(w.when, {**self.base, option.id: value.id}) for w in kept)
            ]
            for option in self.catalogue.options.values()
        }
        self.order = designs.forms.order
        self.open_ends: list[tuple[frozenset[Change], str]] = []

    def options(self, changes: frozenset[Change]) -> dict[str, str]:
        return {**self.base, **dict(changes)}

    def _key(self, changes: frozenset[Change]) -> tuple[int, tuple[tuple[int, str], ...]]:
        return (len(changes), tuple(sorted((self.order[o], v) for o, v in changes)))

    def _fix(self, changes: frozenset[Change]) -> Fix:
        return tuple(sorted(changes, key=lambda change: self.order[change[0]]))

    def run(self) -> CellFixes:
        """Every minimal fix of up to ``max_changes`` changes, smallest first."""
        found: list[frozenset[Change]] = []
        seen: set[frozenset[Change]] = set()
        queue = [(self._key(frozenset()), frozenset[Change]())]
        while queue:
            _, changes = heapq.heappop(queue)
            if changes in seen or any(fix <= changes for fix in found):
                continue
            seen.add(changes)
            outcome = self.designs.outcome(self.profile, self.property, self.options(changes))
            if isinstance(outcome, Proved):
                found.append(changes)
                continue
            children = list(self._children(changes, outcome))
            if isinstance(outcome, Undecided):
                self.open_ends.append((changes, outcome.why))
            elif isinstance(outcome, WitnessLost) and not children and len(changes) < self.max_changes:
                lost = ", ".join(outcome.witnesses)
                self.open_ends.append((changes, f"proved, but no known honest run reaches {lost}"))
            for child in children:
                heapq.heappush(queue, (self._key(child), child))
        verdict = self.designs.verdict(self.profile, self.property)
        return CellFixes(
            self.profile,
            self.property,
            verdict,
            tuple(self._fix(fix) for fix in sorted(found, key=self._key)),
            self.max_changes,
            tuple((self._fix(end), why) for end, why in self.open_ends if not any(f <= end for f in found)),
        )

    def _children(self, changes: frozenset[Change], outcome: Outcome) -> Iterator[frozenset[Change]]:
        """``changes`` extended by each minimal set of further changes that undoes ``outcome``: under
        which its counterexample no longer runs, or a known run of a lost witness reaches it again."""
        if isinstance(outcome, Refuted):
            refutation = outcome.refutation
            yield from self._extensions(changes, refutation, lambda o: not refutation.still(o))
        elif isinstance(outcome, WitnessLost):
            for witness in outcome.witnesses:
                for run in self.designs.witness_runs.get(witness, []):
                    yield from self._extensions(changes, run, run.still)

    def _extensions(
        self, changes: frozenset[Change], run: KnownRun, wanted: Callable[[Mapping[str, str]], bool]
    ) -> Iterator[frozenset[Change]]:
        """``changes`` plus each minimal set of changes to options ``run`` reads that makes ``wanted``
        true (at most ``max_changes`` in all)."""
        changed = {option for option, _ in changes}
        free = [option for option in run.read if option not in changed and self.allowed[option]]
        minimal: list[frozenset[Change]] = []
        for size in range(1, self.max_changes - len(changes) + 1):
            for chosen in itertools.combinations(free, size):
                for values in itertools.product(*(self.allowed[option] for option in chosen)):
                    extra = frozenset(zip(chosen, values, strict=True))
                    if not any(m <= extra for m in minimal) and wanted(self.options(changes | extra)):
                        minimal.append(extra)
        yield from (changes | extra for extra in minimal)


def profile_fixes(
    designs: Designs, profile: str, properties: Sequence[str], max_changes: int
) -> list[CellFixes]:
    """The minimal fixes of the profile's violated or unproved cells among ``properties``."""
    return [
        CellSearch(designs, profile, property_id, max_changes).run()
        for property_id in properties
        if designs.verdict(profile, property_id) in SEARCHED
    ]


def _worker(
    catalogue: Catalogue,
    settings: tuple[Sequence[str], int, Bounds | None],
    profiles: Sequence[str],
    results: multiprocessing.Queue[tuple[str, list[CellFixes], Costs]],
) -> None:
    """A worker process: searches ``profiles`` in order with designs of its own, kept from one profile to
    the next. The share of each worker is fixed in advance, not taken from a common queue, so that
    every query sees the same solver history on every run (the solver's work limits then stop it at the
    same place, whatever the machine's load)."""
    properties, max_changes, bounds = settings
    designs = Designs(catalogue, bounds)
    for profile in profiles:
        before = Costs()
        before.add(designs.costs)
        cells = profile_fixes(designs, profile, properties, max_changes)
        spent = Costs(
            *(now - then for now, then in zip(astuple(designs.costs), astuple(before), strict=True))
        )
        results.put((profile, cells, spent))


def minimal_fixes(
    catalogue: Catalogue,
    profiles: Sequence[str] | None = None,
    properties: Sequence[str] | None = None,
    *,
    max_changes: int = DEFAULT_MAX_CHANGES,
    workers: int = 1,
    bounds: Bounds | None = None,
) -> tuple[list[CellFixes], Costs]:
    """The minimal fixes of every violated or unproved cell among ``profiles`` x ``properties`` (all by
    default), in catalogue order, and what verifying the designs cost."""
    profiles = list(profiles or catalogue.profiles)
    properties = list(properties or catalogue.properties)
    costs = Costs()
    if workers <= 1 or len(profiles) <= 1:
        designs = Designs(catalogue, bounds)
        cells = [cell for p in profiles for cell in profile_fixes(designs, p, properties, max_changes)]
        return cells, designs.costs
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[str, list[CellFixes], Costs]] = context.Queue()
    count = min(workers, len(profiles))
    processes = [
        context.Process(
            target=_worker,
            args=(catalogue, (properties, max_changes, bounds), profiles[index::count], results),
        )
        for index in range(count)
    ]
    for process in processes:
        process.start()
    by_profile: dict[str, list[CellFixes]] = {}
    try:
        while len(by_profile) < len(profiles):
            try:
                profile, cells, spent = results.get(timeout=0.5)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError("a fixes worker process failed") from None
                continue
            by_profile[profile] = cells
            costs.add(spent)
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
    return [cell for profile in profiles for cell in by_profile[profile]], costs


def fixes_document(cells: Sequence[CellFixes], costs: Costs, seconds: float) -> dict[str, Any]:
    """The ``capifsec fixes --json`` document: one entry per searched cell, and what the search cost."""
    return {
        "fixes": [cell.to_json() for cell in cells],
        "costs": {**asdict(costs), "seconds": round(seconds, 3)},
    }
