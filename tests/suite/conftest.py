"""The generated test suite: written once per session by ``capifsec traces`` for one profile (the
Rel-18 baseline, single provider) and shared by the tests of this package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capifsec.cli import main as capifsec
from model.catalogue import Catalogue, load_catalogue

SPEC = Path(__file__).resolve().parents[2] / "spec"
PROFILE = "ts33122-rel18"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(SPEC)


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite of :data:`PROFILE`, written by the command line."""
    out = tmp_path_factory.mktemp("generated") / "suite"
    assert capifsec(["traces", "--profile", PROFILE, "--out", str(out), "--workers", "1"]) == 0
    return out


def read(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))
