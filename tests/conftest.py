"""Fixtures shared by every test package: the minimal fixes of the whole catalogue, computed once per
session (the costliest model computation the suite needs; each package reads the cells it tests)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from model.catalogue import load_catalogue
from model.fixes import fixes_document, minimal_fixes

SPEC = Path(__file__).resolve().parents[1] / "spec"
FIXES_MAX_CHANGES = 2
"""The session's search is bounded to keep the suite lean (the full one is benchmarks/bench_fixes.py)."""


@pytest.fixture(scope="session")
def catalogue_fixes() -> dict[str, Any]:
    """``capifsec fixes --max-changes 2 --json`` of the shipped catalogue: every violated or unproved cell."""
    start = time.perf_counter()
    cells, costs = minimal_fixes(load_catalogue(SPEC), max_changes=FIXES_MAX_CHANGES, workers=2)
    return fixes_document(cells, costs, time.perf_counter() - start)


def fixes_of_profiles(document: dict[str, Any], profiles: Iterable[str]) -> dict[str, Any]:
    """The fixes document with the cells of ``profiles`` only."""
    wanted = set(profiles)
    return {**document, "fixes": [cell for cell in document["fixes"] if cell["profile"] in wanted]}
