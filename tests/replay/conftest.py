"""Where model and implementation meet: traces written by the model (never by hand, except where a
test says it edits one on purpose), replayed on the reference implementation started on loopback.

The deployments are shared per settings within a module (:class:`replay.LocalTargets`); every trace
uses fresh invokers and starts from a reset target."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from model.catalogue import Catalogue, load_catalogue
from model.system import Removal
from model.verify import ProfileVerifier
from replay import LocalTargets
from replay.run import Recommended, recommended_profile

SPEC = Path(__file__).resolve().parents[2] / "spec"
Trace = dict[str, Any]


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(SPEC)


@pytest.fixture(scope="session")
def recommended() -> Recommended:
    return recommended_profile(SPEC)


@pytest.fixture(scope="session")
def witness(catalogue: Catalogue) -> Callable[[str, str], Trace]:
    """The model's witness trace ``witness_id`` under ``profile``."""
    found: dict[tuple[str, str], Trace] = {}

    def make(profile: str, witness_id: str) -> Trace:
        if (profile, witness_id) not in found:
            result = ProfileVerifier(catalogue, profile).witness(witness_id)
            assert result.trace is not None, f"no witness {witness_id} under {profile}"
            found[(profile, witness_id)] = result.trace
        return found[(profile, witness_id)]

    return make


@pytest.fixture(scope="session")
def counterexample(catalogue: Catalogue) -> Callable[..., Trace]:
    """The model's counterexample to ``property_id`` under ``profile`` (optionally a mutant, optionally
    with options overridden)."""
    found: dict[tuple[str, str, tuple[Removal, ...], tuple[tuple[str, str], ...]], Trace] = {}

    def make(
        profile: str,
        property_id: str,
        removals: tuple[Removal, ...] = (),
        overrides: Mapping[str, str] | None = None,
    ) -> Trace:
        key = (profile, property_id, removals, tuple(sorted((overrides or {}).items())))
        if key not in found:
            verifier = ProfileVerifier(catalogue, profile, removals=removals, overrides=overrides)
            trace = verifier.counterexample(property_id)
            assert trace is not None, f"{property_id} holds under {profile}"
            found[key] = trace
        return found[key]

    return make


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTargets]:
    with LocalTargets(tmp_path_factory.mktemp("replay")) as running:
        yield running
