"""Verify many profiles, in parallel worker processes.

Profiles are handed out most expensive first to a pool of worker processes; each is verified on its
own (nothing found for one profile changes another's result or trace). Results stream back per
property through a queue so the command line can show progress.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from model.catalogue import Catalogue
from model.system import Removal
from model.verify import Bounds, ProfileReport, ProfileVerifier, PropertyResult

EXPECTED_COST = (
    "recommended",
    "ki2-conclusion",
    "cr-interconnect",
    "sol13-psk",
    "opencapif-observed",
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

    def run_in(self, pool: ProcessPoolExecutor, results: queue.Queue[PropertyResult], workers: int) -> None:
        """Hand the pending profiles to ``pool``, at most ``workers`` at a time; results come back
        through ``results``."""
        running: set[Future[ProfileReport]] = set()
        while self.pending or running:
            while self.pending and len(running) < workers:
                task = (self.catalogue, self.job, self.pending.pop(0), results.put)
                running.add(pool.submit(_verify_profile, *task))
            done, running = wait(running, timeout=0.05, return_when=FIRST_COMPLETED)
            _drain(results, self.on_result)
            for future in done:
                self.absorb(future.result())
        _drain(results, self.on_result)


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
        return schedule.in_order()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # Workers start on demand: start them now, importing the model, while the manager starts.
        for _ in range(workers):
            pool.submit(_warm)
        with context.Manager() as manager:
            schedule.run_in(pool, manager.Queue(), workers)
    return schedule.in_order()


def _warm() -> None:
    """Nothing: submitting it makes a worker start and import this module (and Z3) ahead of time."""


def _drain(results: queue.Queue[PropertyResult], on_result: Callable[[PropertyResult], None] | None) -> None:
    while True:
        try:
            result = results.get_nowait()
        except queue.Empty:
            return
        if on_result is not None:
            on_result(result)
