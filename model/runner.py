"""Verify many profiles, in parallel worker processes.

Profiles are dealt to worker processes in advance, most expensive first and back and forth (with
two workers: first, second, second, first, first, ...), so that every worker verifies the
same profiles in the same order on every run: Z3's answers to a query (which unsat core, which
model) depend on what the process asked before, and a certificate must be the same on every run.
Each profile is verified on its own (nothing found for one profile changes another's verdict or
trace). Results stream back per property through a queue so the command line can show progress.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess

from model.catalogue import Catalogue
from model.system import Removal
from model.verify import Bounds, ProfileReport, ProfileVerifier, PropertyResult

EXPECTED_COST = (
    "ki2-conclusion",
    "cr-interconnect",
    "sol13-psk",
    "opencapif-observed",
    "recommended",
    "sol2-capif8",
)
"""Profiles known to take longest, started first (the others follow in catalogue order)."""


@dataclass(frozen=True)
class Job:
    """What to verify: profiles, properties, option overrides, removed checks, bounds."""

    profiles: Sequence[str]
    properties: Sequence[str] | None = None
    overrides: Mapping[str, str] | None = None
    removals: tuple[Removal, ...] = ()
    bounds: Bounds | None = None
    hints: bool = True
    """use the spec's lemmas as candidate invariants (hints only: every proof is inferred without them)"""


def _verify_profile(
    catalogue: Catalogue,
    job: Job,
    profile: str,
    on_result: Callable[[PropertyResult], None] | None,
) -> ProfileReport:
    verifier = ProfileVerifier(
        catalogue,
        profile,
        overrides=job.overrides,
        removals=job.removals,
        bounds=job.bounds,
        hints=job.hints,
    )
    return verifier.run(job.properties, on_result)


def _ordered(profiles: Sequence[str]) -> list[str]:
    first = [p for p in EXPECTED_COST if p in profiles]
    return first + [p for p in profiles if p not in first]


def shares(profiles: Sequence[str], workers: int) -> list[list[str]]:
    """``profiles`` (most expensive first) dealt to ``workers`` back and forth: 0, 1, .., n-1, n-1,
    .., 0, 0, 1, ..; the same shares on every run."""
    dealt: list[list[str]] = [[] for _ in range(workers)]
    for index, profile in enumerate(profiles):
        turn, position = divmod(index, workers)
        dealt[position if turn % 2 == 0 else workers - 1 - position].append(profile)
    return dealt


class _Schedule:
    """One verification: the profiles still to do and the reports done."""

    def __init__(
        self, catalogue: Catalogue, job: Job, on_result: Callable[[PropertyResult], None] | None
    ) -> None:
        self.catalogue = catalogue
        self.job = job
        self.on_result = on_result
        self.pending = _ordered(job.profiles)
        self.reports: dict[str, ProfileReport] = {}

    def absorb(self, report: ProfileReport) -> None:
        self.reports[report.profile] = report

    def in_order(self) -> list[ProfileReport]:
        return [self.reports[p] for p in self.job.profiles]

    def run_here(self) -> None:
        for profile in self.pending:
            self.absorb(_verify_profile(self.catalogue, self.job, profile, self.on_result))

    def run_in(self, context: SpawnContext, workers: int) -> None:
        """Verify the pending profiles in ``workers`` processes started from ``context``, each its
        share (:func:`shares`), sending back every property result and each profile's report."""
        results: multiprocessing.Queue[PropertyResult | ProfileReport | BaseException] = context.Queue()
        profiles = list(dict.fromkeys(self.pending))
        processes = [
            context.Process(target=_work, args=(self.catalogue, self.job, share, results), daemon=True)
            for share in shares(profiles, workers)
        ]
        for process in processes:
            process.start()
        try:
            while len(self.reports) < len(profiles):
                try:
                    message = results.get(timeout=0.1)
                except queue.Empty:
                    _check_alive(processes)
                    continue
                if isinstance(message, BaseException):
                    raise message
                if isinstance(message, ProfileReport):
                    self.absorb(message)
                elif self.on_result is not None:
                    self.on_result(message)
            for process in processes:
                process.join()
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()


def verify(
    catalogue: Catalogue,
    job: Job,
    *,
    workers: int = 1,
    on_result: Callable[[PropertyResult], None] | None = None,
) -> list[ProfileReport]:
    """Verify ``job``; ``on_result`` sees every property result as soon as it is decided."""
    schedule = _Schedule(catalogue, job, on_result)
    if workers <= 1 or len(job.profiles) <= 1:
        schedule.run_here()
    else:
        schedule.run_in(multiprocessing.get_context("spawn"), min(workers, len(job.profiles)))
    return schedule.in_order()


def _work(
    catalogue: Catalogue,
    job: Job,
    profiles: Sequence[str],
    results: multiprocessing.Queue[PropertyResult | ProfileReport | BaseException],
) -> None:
    """A worker process: verify ``profiles`` in order; a failure goes back to the parent, which
    raises it."""
    for profile in profiles:
        try:
            results.put(_verify_profile(catalogue, job, profile, results.put))
        except Exception as problem:  # handed to the parent, which raises it
            results.put(problem)
            return


def _check_alive(processes: Sequence[BaseProcess]) -> None:
    """Raise if a worker died (a crash in Z3, a signal) or all stopped with reports still missing."""
    for process in processes:
        if process.exitcode not in (None, 0):
            raise RuntimeError(f"a verification worker stopped with exit code {process.exitcode}")
    if all(process.exitcode is not None for process in processes):
        raise RuntimeError("the verification workers stopped before every profile was verified")
