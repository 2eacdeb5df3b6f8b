"""Shared fixtures for the model tests: the shipped catalogue and one full verification run."""

from __future__ import annotations

import dataclasses
import shutil
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
    """Every property on every profile, verified once for the whole session (lemmas as hints)."""
    reports = verify(catalogue, Job(list(catalogue.profiles)), workers=2)
    return {report.profile: report for report in reports}


def lemma_free(catalogue: Catalogue) -> Catalogue:
    """``catalogue`` with its lemma list emptied."""
    return dataclasses.replace(catalogue, lemmas={})


@pytest.fixture(scope="session")
def lemma_free_run(catalogue: Catalogue) -> dict[str, ProfileReport]:
    """The same verification with no lemma at all (every invariant inferred)."""
    reports = verify(lemma_free(catalogue), Job(list(catalogue.profiles), hints=False), workers=2)
    return {report.profile: report for report in reports}


@pytest.fixture(scope="session")
def user_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The catalogue with the properties a user adds as data (``data/user-properties.yaml``) and no
    lemma at all."""
    spec = tmp_path_factory.mktemp("catalogue") / "spec"
    shutil.copytree(SPEC, spec)
    shutil.copy(Path(__file__).parent / "data" / "user-properties.yaml", spec)
    return lemma_free(load_catalogue(spec))
