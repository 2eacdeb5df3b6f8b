"""Fixtures shared by every test package: the minimal fixes of the whole catalogue, computed once per
session (the costliest model computation the suite needs; each package reads the cells it tests)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from model.catalogue import load_catalogue
from model.designs import Designs
from model.fixes import fixes_document, minimal_fixes
from model.space import design_space

SPEC = Path(__file__).resolve().parents[1] / "spec"
FIXES_MAX_CHANGES = 2
"""The session's search is bounded to keep the suite lean (the full one is benchmarks/bench_fixes.py)."""
SPACE_PROPERTIES = ("token-scope", "revocation-origin")
"""The properties whose design space the session searches (sets of one option value): one that needs
an option value, one that holds in every design."""

# Every Hypothesis test tries the same examples on every run (a rare input found by chance would fail one
# CI run and not the next; no database of failing examples is kept between runs), and none is timed:
# Hypothesis's default 200 ms deadline per example and its health check on slow data generation fail by
# the machine's load, not by the code.
settings.register_profile(
    "suite", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("suite")


@pytest.fixture(scope="session")
def catalogue_fixes() -> dict[str, Any]:
    """``capifsec fixes --max-changes 2 --json`` of the shipped catalogue: every violated or unproved cell,
    and the design space of ``SPACE_PROPERTIES`` (sets of up to one option value)."""
    start = time.perf_counter()
    catalogue = load_catalogue(SPEC)
    cells, _, costs = minimal_fixes(catalogue, max_changes=FIXES_MAX_CHANGES, workers=2)
    spaces = design_space(Designs(catalogue), SPACE_PROPERTIES, max_values=1)
    return fixes_document(cells, spaces, costs, time.perf_counter() - start)


def fixes_of_profiles(document: dict[str, Any], profiles: Iterable[str]) -> dict[str, Any]:
    """The fixes document with the cells of ``profiles`` only."""
    wanted = set(profiles)
    return {**document, "fixes": [cell for cell in document["fixes"] if cell["profile"] in wanted]}
