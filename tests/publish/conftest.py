"""Shared fixtures for the tests of what people read: the shipped catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.catalogue import Catalogue, load_catalogue

SPEC = Path(__file__).resolve().parents[2] / "spec"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(SPEC)
