"""``capifsec replay DIR``: the generated suite runs on the reference implementation without a
disagreement, its report counts traces and coverage, and a trace whose expectation is edited on
purpose disagrees (exit 1)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from model.suite import INDEX
from replay import main as replay
from tests.suite.conftest import PROFILE, read


@pytest.fixture(scope="module")
def report(suite_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("replayed") / "report.json"
    assert replay([str(suite_dir), "--json", str(out)]) == 0
    document: dict[str, Any] = read(out)
    return document


def test_every_trace_agrees(report: dict[str, Any]) -> None:
    """Every trace of the Rel-18 suite is replayable (an honest invoker's token sent to an AEF the
    attacker controls too) and agrees."""
    assert report["traces"] == report["agree"], [
        result for result in report["results"] if result["verdict"] != "agree"
    ]


def test_the_coverage_counts_the_obligations_met_by_agreeing_traces(
    report: dict[str, Any], suite_dir: Path
) -> None:
    coverage = report["coverage"][PROFILE]
    figures = read(suite_dir / INDEX)["profiles"][PROFILE]["figures"]
    assert coverage["checks_passed"] == {
        "agreeing": figures["checks_passed"]["total"],
        "total": figures["checks_passed"]["total"],
    }
    for kind in ("actions", "checks_refused"):
        assert coverage[kind] == {"agreeing": figures[kind]["total"], "total": figures[kind]["total"]}


def _one_trace_suite(suite_dir: Path, path: str, edit: Any, out: Path) -> Path:
    """A suite of the one trace ``path``, edited on purpose by ``edit``."""
    trace = copy.deepcopy(read(suite_dir / path))
    edit(trace)
    target = out / path
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(trace), "utf-8")
    shutil.copy(suite_dir / INDEX, out / INDEX)
    return out


def _accepted(trace: dict[str, Any]) -> None:
    last = trace["steps"][-1]
    last["expect"] = "accepted"
    del last["refused_by"]


def _refused(trace: dict[str, Any]) -> None:
    last = trace["steps"][-1]
    last["expect"] = "refused"
    last["refused_by"] = ["aef-checks-expiry"]


@pytest.mark.parametrize(
    ("path", "edit", "expected"),
    [
        ("coverage/aef-checks-expiry/refused.json", _accepted, "expected accepted"),
        ("boundary/expiry-skew/at-limit.json", _refused, "expected a refusal by aef-checks-expiry"),
    ],
)
def test_an_edited_expectation_disagrees(
    path: str,
    edit: Any,
    expected: str,
    *,
    suite_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite = _one_trace_suite(suite_dir, f"{PROFILE}/{path}", edit, tmp_path / "suite")
    out = tmp_path / "report.json"
    assert replay([str(suite), "--json", str(out)]) == 1
    assert read(out)["disagree"] == 1
    assert expected in capsys.readouterr().out


def test_a_folder_that_is_no_suite_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert replay([str(tmp_path)]) == 2
    assert "capifsec replay:" in capsys.readouterr().err
