"""``capifsec replay`` (:func:`replay.main`): results files and trace files in, one line per replay and a
summary out; exit 0 when nothing diverged, 1 on a divergence, 2 on bad input, never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from model.catalogue import Catalogue
from model.report import results_json
from model.runner import Job, verify
from replay import Mode, Status, TraceError, main, replay_all, replay_trace

Trace = dict[str, Any]


@pytest.fixture(scope="module")
def results_file(catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``capifsec verify --json`` document of one profile and two properties (one violated)."""
    reports = verify(
        catalogue, Job(profiles=["opencapif-observed"], properties=["token-subject", "token-origin"])
    )
    path = tmp_path_factory.mktemp("cli") / "results.json"
    path.write_text(json.dumps(results_json(reports)), "utf-8")
    return path


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), "utf-8")
    return path


def test_a_results_file_replays_in_both_modes(
    results_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert main([str(results_file), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert (
        "opencapif-observed / counterexample token-subject [as-profile]: replayed: every step accepted" in out
    )
    assert "opencapif-observed / counterexample token-subject [recommended]: replayed: stopped at step" in out
    document = json.loads(report.read_text("utf-8"))
    statuses = {(r["kind"], r["subject"], r["mode"]): r["status"] for r in document["replays"]}
    assert statuses[("counterexample", "token-subject", "recommended")] == "replayed"
    assert {r["mode"] for r in document["replays"]} == {"as-profile", "recommended"}
    assert document["summary"][0]["profile"] == "opencapif-observed"


def test_one_mode_only(results_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(results_file), "--mode", "recommended"]) == 0
    out = capsys.readouterr().out
    assert "[recommended]" in out and "[as-profile]" not in out


def test_a_divergence_exits_1_and_lists_every_step(
    counterexample: Callable[..., Trace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Edited on purpose: the attack's options say the token endpoint binds client_id, so replayed
    as-profile the implementation refuses the step the trace expects to be accepted."""
    trace = copy.deepcopy(counterexample("opencapif-observed", "token-subject"))
    trace["options"]["token-client-binding"] = "bound"
    path = _write(tmp_path / "trace.json", trace)
    assert main([str(path), "--mode", "as-profile"]) == 1
    out = capsys.readouterr().out
    assert "diverged: step 4 (token-request): expected accepted, observed 401 invalid_client" in out
    assert out.count("  1. ") == 1
    assert "-> refused: 401 invalid_client" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"results": "none"}', "neither a trace nor"),
        ('{"format": "capifsec-trace/1"}', "is not a capifsec trace"),
        (
            '{"results": [{"trace": {"format": "capifsec-trace/1"}}]}',
            "results[0].trace is not a capifsec trace",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "input.json"
    path.write_text(content, "utf-8")
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_missing_file_and_an_unknown_mode_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "absent.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main([str(tmp_path / "absent.json"), "--mode", "sometimes"]) == 2


def test_the_library_entries(
    witness: Callable[[str, str], Trace], counterexample: Callable[..., Trace], tmp_path: Path
) -> None:
    trace = witness("ts33122-rel18", "psk-one-provider")
    one = replay_trace(trace, mode=Mode.RECOMMENDED, workdir=tmp_path / "one")
    assert one.status is Status.REPLAYED, "\n".join(one.lines())
    attack = counterexample("opencapif-observed", "token-subject")
    report = replay_all([trace, attack], tmp_path / "all", modes=[Mode.AS_PROFILE])
    assert [r.status for r in report.replays] == [Status.REPLAYED, Status.REPLAYED]
    assert report.summary()[("ts33122-rel18", "as-profile")]["replayed"] == 1
    with pytest.raises(TraceError, match="is not a capifsec trace"):
        replay_trace({"format": "capifsec-trace/1"}, mode=Mode.AS_PROFILE, workdir=tmp_path / "bad")
