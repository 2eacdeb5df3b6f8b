"""Fixtures of the conformance cases: the CAPIF CA and the CCF's keys once per module, a fresh CCF
per case (OpenCAPIF's "Reset Testing Environment")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.opencapif import CcfKeys, Environment


@pytest.fixture(scope="module")
def keys() -> CcfKeys:
    return CcfKeys.create()


@pytest.fixture
def environment(keys: CcfKeys, tmp_path: Path) -> Iterator[Environment]:
    with Environment.running(keys, tmp_path) as running:
        yield running
