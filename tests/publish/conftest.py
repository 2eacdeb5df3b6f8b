"""Shared fixtures for the tests of what people read: the shipped catalogue, real results and fixes of
two small profiles (the fixes taken from the session's fixes of the whole catalogue), and a strict
mkdocs build of the site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from model.catalogue import Catalogue, load_catalogue
from model.report import results_json
from model.runner import Job, verify
from publish import write_site
from tests.conftest import fixes_of_profiles

SPEC = Path(__file__).resolve().parents[2] / "spec"
ROOT = SPEC.parent
OWNED_ELSEWHERE = ("implementation.md",)
"""Nav pages another engineer writes; the build test stands in a heading while they are missing."""


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(SPEC)


@pytest.fixture(scope="session")
def results(catalogue: Catalogue) -> dict[str, Any]:
    """Real results on two small profiles: counterexamples with a missing check, witnesses, no-witness."""
    reports = verify(catalogue, Job(["opencapif-observed", "sol2-capif8"]), workers=2)
    return results_json(reports)


@pytest.fixture(scope="session")
def fixes(catalogue_fixes: dict[str, Any]) -> dict[str, Any]:
    """Real minimal fixes of the same two profiles."""
    return fixes_of_profiles(catalogue_fixes, ["opencapif-observed", "sol2-capif8"])


def build_site(
    tmp_path: Path,
    results: dict[str, Any] | None,
    catalogue: Catalogue,
    fixes: dict[str, Any] | None = None,
) -> Path:
    """Build the site from a copy of mkdocs.yml and docs/ (with the generated pages if given)."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("generated"))
    for page in OWNED_ELSEWHERE:
        stand_in = tmp_path / "docs" / page
        if not stand_in.exists():
            stand_in.write_text("# Stand-in for a page written elsewhere\n", encoding="utf-8")
    if results is not None:
        write_site(catalogue, results, tmp_path / "docs" / "generated", fixes)
    site = tmp_path / "site"
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")]
    done = subprocess.run(
        [*command, "-d", str(site)], capture_output=True, text=True, env=environment, check=False, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return site
