"""Shared fixtures for the model tests: the shipped catalogue and one full verification run."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.catalogue import Catalogue, load_catalogue
from model.runner import Job, verify
from model.verify import ProfileReport

SPEC = Path(__file__).resolve().parents[2] / "spec"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(SPEC)


@pytest.fixture(scope="session")
def full_run(catalogue: Catalogue) -> dict[str, ProfileReport]:
    """Every property on every profile, verified once for the whole session."""
    reports = verify(catalogue, Job(list(catalogue.profiles)), workers=2)
    return {report.profile: report for report in reports}
