"""The shrunk traces the differential test kept (``regressions/``), replayed on the reference
implementation as their profile: each must agree with the model from then on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay import LocalTargets, Mode, Status
from replay.documents import TraceChecker
from replay.run import recommended_profile, replay_locally
from tests.differential.machine import REGRESSIONS

SPEC = Path(__file__).resolve().parents[2] / "spec"
KEPT = sorted(REGRESSIONS.glob("*.json"))


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTargets]:
    with LocalTargets(tmp_path_factory.mktemp("regressions")) as running:
        yield running


@pytest.mark.parametrize("path", KEPT, ids=lambda path: path.stem)
def test_a_kept_mismatch_now_agrees(path: Path, targets: LocalTargets) -> None:
    trace = TraceChecker(SPEC).check(json.loads(path.read_text("utf-8")), path.name)
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended_profile(SPEC))
    assert replay.status is Status.REPLAYED, "\n".join(replay.lines())
