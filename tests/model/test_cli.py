"""The command line: results, JSON, exit codes, and clear errors on bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from capifsec.cli import main

from .conftest import SPEC


def test_verify_one_cell_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    status = main(
        [
            "verify",
            "--profile",
            "cr-interconnect",
            "--property",
            "home-ccf-binding",
            "--json",
            str(out),
            "--workers",
            "1",
        ]
    )
    assert status == 0  # recommended was not asked for: a violation elsewhere is a finding, not a failure
    printed = capsys.readouterr().out
    assert "VIOLATED" in printed and "1. [CAPIF-6/6e]" in printed
    document = json.loads(out.read_text(encoding="utf-8"))
    (result,) = document["results"]
    assert result["profile"] == "cr-interconnect" and result["verdict"] == "violated"
    assert result["trace"]["steps"] and result["seconds"] >= 0


def test_failure_on_recommended_sets_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "verify",
            "--profile",
            "recommended",
            "--property",
            "token-scope",
            "--option",
            "aef-scope-check=none",
            "--workers",
            "1",
        ]
    )
    assert status == 1
    assert "failed on 'recommended'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "--profile", "nope"], "unknown profile(s) nope"),
        (["verify", "--property", "nope"], "unknown property(ies) nope"),
        (["verify", "--option", "token-claims=jwt"], "has no value 'jwt'"),
        (["verify", "--option", "token-claims"], "expects ID=VALUE"),
        (["trace", "/nonexistent/trace.json"], "cannot read"),
    ],
)
def test_bad_input(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_malformed_catalogue_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(SPEC, spec)
    path = spec / "checks.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "  - id: psk-handshake\n    text:", "  - id: psk-handshake\n    txt:"
        ),
        encoding="utf-8",
    )
    assert main(["verify", "--spec", str(spec)]) == 2
    error = capsys.readouterr().err
    assert "checks.yaml" in error and "psk-handshake" in error


def test_trace_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    main(
        [
            "verify",
            "--profile",
            "sol13-psk",
            "--property",
            "home-ccf-binding",
            "--json",
            str(out),
            "--workers",
            "1",
        ]
    )
    trace = json.loads(out.read_text(encoding="utf-8"))["results"][0]["trace"]
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace), encoding="utf-8")
    capsys.readouterr()
    assert main(["trace", str(path)]) == 0
    assert "violates home-ccf-binding" in capsys.readouterr().out
    path.write_text("{}", encoding="utf-8")
    assert main(["trace", str(path)]) == 2


def test_check_is_the_main_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """verify (all profiles) then replay every trace in both modes: results and replay report
    written, the verify results with the replay totals in --json, exit 0 when all is well. Nothing
    diverges; what is not replayable yet needs CAPIF-6/6e, CAPIF-8 or a CCF the attacker controls."""
    status = main(["check", "--out", str(tmp_path), "--workers", "2", "--json", str(tmp_path / "check.json")])
    printed = capsys.readouterr().out
    assert status == 0, printed
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    replay = json.loads((tmp_path / "replay.json").read_text(encoding="utf-8"))
    assert len(results["results"]) == 8 * 14
    assert replay["replays"] and "replayed" in printed
    check = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert check["results"] == results["results"]
    traces = [entry for key in ("results", "witnesses") for entry in results[key] if entry.get("trace")]
    totals = check["replay"]
    assert totals["replays"] == 2 * len(traces) == len(replay["replays"])
    assert totals["diverged"] == totals["target_lacks"] == 0
    assert totals["replays"] == totals["replayed"] + totals["not_replayable"]
    gaps = [r["reason"] for r in replay["replays"] if r["status"] == "not replayable"]
    assert all(re.search("CAPIF-6|CAPIF-8|another provider|attacker controls", reason) for reason in gaps), (
        gaps
    )
