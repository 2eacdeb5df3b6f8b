"""Differential testing of the reference implementation against the model (cedar-spec's way): a
bounded number of examples in CI, derandomized so that every run tries the same ones; the benchmark
``benchmarks/bench_differential.py`` runs many more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from model.catalogue import Catalogue, load_catalogue
from replay import LocalTargets
from replay.documents import TraceChecker
from replay.run import recommended_profile
from tests.differential.machine import Harness, machine

SPEC = Path(__file__).resolve().parents[2] / "spec"
CI_EXAMPLES = 12


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(SPEC)


@pytest.fixture(scope="module")
def harness(catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with LocalTargets(tmp_path_factory.mktemp("differential")) as targets:
        yield Harness(
            catalogue,
            tuple(catalogue.profiles),
            targets,
            recommended_profile(SPEC),
            TraceChecker(SPEC),
        )


def test_the_implementation_agrees_with_the_model_step_by_step(harness: Harness) -> None:
    run_state_machine_as_test(
        machine(harness),
        settings=settings(
            max_examples=CI_EXAMPLES,
            stateful_step_count=8,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
