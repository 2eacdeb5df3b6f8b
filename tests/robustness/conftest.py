"""Fixtures of the robustness suite (issue 13): a running deployment per test module and an invoker
ready to use every AEF interface, as in ``tests/impl``; and where the shared test material lives.

The suite runs alone (``pytest tests/robustness``). Material it needs from ``../shared`` beside the
repository (Wycheproof vectors, the TS 29.222 OpenAPI files) is required: a missing file fails the
test that needs it, it is never skipped.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from impl.deployment import Deployment
from tests.impl.conftest import TestPki, build_test_pki
from tests.impl.test_e2e_world import Ready, ready_invoker, running

SHARED = Path(__file__).resolve().parents[3] / "shared"


def shared_file(relative: str) -> Path:
    """A file of ``../shared``; the calling test fails (never skips) when it is missing."""
    path = SHARED / relative
    if not path.is_file():
        pytest.fail(f"{path} is missing: the robustness suite needs ../shared beside the repository")
    return path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A running deployment (CCF, provider, AEF) per test module, stopped after its last test."""
    with running(tmp_path_factory.mktemp("deployment")) as started:
        yield started


@pytest.fixture(scope="module")
def ready(deployment: Deployment) -> Iterator[Ready]:
    """An invoker of the module's deployment: onboarded, every interface negotiated, a token."""
    invoker = ready_invoker(deployment)
    yield invoker
    invoker.invoker.close()


@pytest.fixture(scope="session")
def pki() -> Iterator[TestPki]:
    """The CAs and credentials of the TLS tests (``tests/impl/conftest.py``), issued from now."""
    yield build_test_pki(datetime.now(UTC))
