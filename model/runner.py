"""Verify many profiles, in parallel worker processes, sharing witness runs between them.

Profiles are handed out most expensive first to a pool of worker processes. Each task carries the
witness runs found so far, so a later profile first tries, by simulation, the honest runs that
earlier profiles found before it searches for its own. Results stream back per property through a
queue so the command line can show progress.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from model.catalogue import Catalogue
from model.concrete import ConcreteRun
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


def _verify_profile(
    catalogue: Catalogue,
    job: Job,
    profile: str,
    known_runs: Mapping[str, Sequence[ConcreteRun]],
    on_result: Callable[[PropertyResult], None] | None,
) -> ProfileReport:
    verifier = ProfileVerifier(
        catalogue,
        profile,
        overrides=job.overrides,
        removals=job.removals,
        bounds=job.bounds,
        known_runs=known_runs,
    )
    return verifier.run(job.properties, on_result)


def _ordered(catalogue: Catalogue, profiles: Sequence[str]) -> list[str]:
    first = [p for p in EXPECTED_COST if p in profiles]
    return first + [p for p in profiles if p not in first]


def verify(
    catalogue: Catalogue,
    job: Job,
    *,
    workers: int = 1,
    on_result: Callable[[PropertyResult], None] | None = None,
) -> list[ProfileReport]:
    """Verify ``job``; ``on_result`` sees every property result as soon as it is decided."""
    pending = _ordered(catalogue, job.profiles)
    known: dict[str, list[ConcreteRun]] = {}
    reports: dict[str, ProfileReport] = {}

    def absorb(report: ProfileReport) -> None:
        reports[report.profile] = report
        for witness, runs in report.runs.items():
            known.setdefault(witness, [])
            known[witness].extend(run for run in runs if run not in known[witness])

    if workers <= 1 or len(pending) <= 1:
        for profile in pending:
            absorb(_verify_profile(catalogue, job, profile, known, on_result))
        return [reports[p] for p in job.profiles]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results: queue.Queue[PropertyResult] = manager.Queue()
        running: set[Future[ProfileReport]] = set()
        while pending or running:
            while pending and len(running) < workers:
                task = (catalogue, job, pending.pop(0), dict(known), results.put)
                running.add(pool.submit(_verify_profile, *task))
            done, running = wait(running, timeout=0.05, return_when=FIRST_COMPLETED)
            _drain(results, on_result)
            for future in done:
                absorb(future.result())
        _drain(results, on_result)
    return [reports[p] for p in job.profiles]


def _drain(results: queue.Queue[PropertyResult], on_result: Callable[[PropertyResult], None] | None) -> None:
    while True:
        try:
            result = results.get_nowait()
        except queue.Empty:
            return
        if on_result is not None:
            on_result(result)
