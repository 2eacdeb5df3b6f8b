"""Minimal fixes, computed: for a property a profile does not prove, every minimal set of option changes
under which it is proved.

A *fix* of a cell (profile P, property X) is a set of option changes (each option set to another of its
values) under which X is ``proved`` as :mod:`model.verify` decides it: an inductive invariant implies
it (its certificate accepted by the independent checker, :mod:`model.checker`), and every applicable
witness of it is reached by an honest run. A fix keeps what the profile
offers: every witness that applies under P still applies (switching interconnection or CAPIF-8 off is
not a fix). A fix is *minimal* when no proper subset of it is a fix.

The search is Reiter's hitting-set tree over option changes, breadth first so that smaller fixes come
first and their supersets are never verified. A node (a set of changes) that a counterexample refutes is
extended only by the minimal sets of further changes under which that counterexample no longer runs
(:mod:`model.regions` decides this by replaying the run, without a solver); every fix that contains the
node contains one of them, so no fix is lost. A node is verified (invariant, short counterexamples,
inference, longer counterexamples, then witnesses: :mod:`model.designs`, cached per compiled system and
shared by every cell) only when no counterexample known so far runs under it, and a new counterexample
found there refutes a region of the design space at once. A node that proves X but loses a witness is
extended by the minimal changes under which a known honest run of that witness reaches it again (a fix
needing an honest run never seen is not searched for); a node neither proved nor refuted within the bound
is reported as undecided and not extended. The search stops at ``max_changes`` changes.
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
from model.space import PropertySpace, design_space
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


EXPECTED_SECONDS = {
    "ki2-conclusion": 60.0,
    "cr-interconnect": 30.0,
    "opencapif-observed": 10.0,
    "sol13-psk": 8.0,
}
"""What searching a profile's cells took on a quiet machine (others: about ``OTHER_SECONDS``), and one
property's design space about ``SPACE_SECONDS``: only to split the work evenly between the workers."""
OTHER_SECONDS = 2.0
SPACE_SECONDS = 8.0


@dataclass(frozen=True)
class Share:
    """One worker's share of the work: profiles whose cells it searches, then properties whose design
    space it searches."""

    profiles: list[str]
    spaces: list[str]


def shares(profiles: Sequence[str], spaces: Sequence[str], count: int) -> list[Share]:
    """The work split between ``count`` workers, largest pieces first, each to the least loaded worker
    (by ``EXPECTED_SECONDS``). The split depends only on the arguments, so every query sees the same
    solver history on every run (the solver's work limits then stop it at the same place, whatever the
    machine's load)."""
    pieces = [
        (EXPECTED_SECONDS.get(p, OTHER_SECONDS), index, "profile", p) for index, p in enumerate(profiles)
    ]
    pieces += [(SPACE_SECONDS, len(pieces) + index, "space", p) for index, p in enumerate(spaces)]
    planned = [Share([], []) for _ in range(count)]
    loads = [0.0] * count
    for seconds, _, kind, name in sorted(pieces, key=lambda piece: (-piece[0], piece[1])):
        worker = loads.index(min(loads))
        loads[worker] += seconds
        (planned[worker].profiles if kind == "profile" else planned[worker].spaces).append(name)
    return planned


Finding = tuple[str, "list[CellFixes] | PropertySpace", Costs]
"""What a worker sends back for one piece: the profile or property, its cells or design space, its cost."""


def _search_share(
    designs: Designs, share: Share, properties: Sequence[str], limits: tuple[int, int]
) -> Iterator[Finding]:
    """The pieces of ``share`` searched in order with ``designs``, each with what it cost."""
    max_changes, space_values = limits
    for kind, name in [*(("profile", p) for p in share.profiles), *(("space", p) for p in share.spaces)]:
        before = Costs()
        before.add(designs.costs)
        found: list[CellFixes] | PropertySpace
        if kind == "profile":
            found = profile_fixes(designs, name, properties, max_changes)
        else:
            (found,) = design_space(designs, [name], space_values)
        spent = Costs(
            *(now - then for now, then in zip(astuple(designs.costs), astuple(before), strict=True))
        )
        yield name, found, spent


def _worker(
    catalogue: Catalogue,
    settings: tuple[Sequence[str], tuple[int, int], Bounds | None],
    share: Share,
    results: multiprocessing.Queue[Finding],
) -> None:
    """A worker process: searches its share in order with designs of its own (:func:`shares`)."""
    properties, limits, bounds = settings
    for finding in _search_share(Designs(catalogue, bounds), share, properties, limits):
        results.put(finding)


def minimal_fixes(
    catalogue: Catalogue,
    profiles: Sequence[str] | None = None,
    properties: Sequence[str] | None = None,
    *,
    max_changes: int = DEFAULT_MAX_CHANGES,
    space_values: int = 0,
    workers: int = 1,
    bounds: Bounds | None = None,
) -> tuple[list[CellFixes], list[PropertySpace], Costs]:
    """The minimal fixes of every violated or unproved cell among ``profiles`` x ``properties`` (all by
    default), in catalogue order; with ``space_values``, the design space of each of ``properties``
    (:mod:`model.space`, sets of up to that many option values); and what verifying the designs cost."""
    profiles = list(profiles or catalogue.profiles)
    properties = list(properties or catalogue.properties)
    spaces = properties if space_values else []
    limits = (max_changes, space_values)
    count = max(1, min(workers, len(profiles) + len(spaces)))
    planned = shares(profiles, spaces, count)
    found = _Found()
    if count == 1:
        for finding in _search_share(Designs(catalogue, bounds), planned[0], properties, limits):
            found.add(finding)
    else:
        context = multiprocessing.get_context("spawn")
        results: multiprocessing.Queue[Finding] = context.Queue()
        processes = [
            context.Process(target=_worker, args=(catalogue, (properties, limits, bounds), share, results))
            for share in planned
        ]
        for process in processes:
            process.start()
        try:
            while len(found.cells) + len(found.spaces) < len(profiles) + len(spaces):
                try:
                    finding = results.get(timeout=0.5)
                except queue.Empty:
                    if any(p.exitcode not in (None, 0) for p in processes):
                        raise RuntimeError("a fixes worker process failed") from None
                    continue
                found.add(finding)
        finally:
            for process in processes:
                process.join(timeout=5)
                if process.is_alive():
                    process.terminate()
    cells = [cell for profile in profiles for cell in found.cells[profile]]
    return cells, [found.spaces[p] for p in spaces], found.costs


class _Found:
    """What the workers sent back so far."""

    def __init__(self) -> None:
        self.cells: dict[str, list[CellFixes]] = {}
        self.spaces: dict[str, PropertySpace] = {}
        self.costs = Costs()

    def add(self, finding: Finding) -> None:
        name, result, spent = finding
        if isinstance(result, PropertySpace):
            self.spaces[name] = result
        else:
            self.cells[name] = result
        self.costs.add(spent)


def fixes_document(
    cells: Sequence[CellFixes], spaces: Sequence[PropertySpace], costs: Costs, seconds: float
) -> dict[str, Any]:
    """The ``capifsec fixes --json`` document: one entry per searched cell, the design space of each
    property searched (member ``design_space``), and what the search cost."""
    return {
        "fixes": [cell.to_json() for cell in cells],
        "design_space": [space.to_json() for space in spaces],
        "costs": {**asdict(costs), "seconds": round(seconds, 3)},
    }
