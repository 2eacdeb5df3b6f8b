"""``capifsec serve`` as a real process: it provisions its data directory, serves, writes
``endpoints.json``, accepts a minted onboarding secret from another process, and stops cleanly on
SIGTERM; bad input is a message and exit status 2."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from impl import serve
from impl.invoker import cli

ROOT = Path(__file__).resolve().parents[2]
EPHEMERAL = ["--ccf-port", "0", "--provider-port", "0", "--aef-capif3-port", "0"]
EPHEMERAL += ["--aef-port", "psk=0", "--aef-port", "pki=0", "--aef-port", "oauth=0"]
STARTUP_LIMIT = 60.0


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while not path.exists():
        assert process.poll() is None, f"capifsec serve exited early: {process.communicate()}"
        assert time.monotonic() < deadline, "capifsec serve did not come up"
        time.sleep(0.1)


def _stopped(process: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM, then what the process wrote; killed if it has not stopped within a minute (a test
    never leaves a server running)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise


def test_serve_runs_until_sigterm_and_an_invoker_uses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "services"
    command = [sys.executable, "-c", "import sys; from impl.serve import main; sys.exit(main(sys.argv[1:]))"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data), *EPHEMERAL],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(data / "endpoints.json", process)
        endpoints = json.loads((data / "endpoints.json").read_text())
        assert set(endpoints["aef"]["interfaces"]) == {"psk", "pki", "oauth"}
        assert serve.main(["--data-dir", str(data), "--onboarding-secret"]) == 0
        secret = capsys.readouterr().out.strip()
        state = str(tmp_path / "invoker")
        assert (
            cli.main(
                [
                    "--state-dir",
                    state,
                    "onboard",
                    "--secret",
                    secret,
                    "--endpoints",
                    str(data / "endpoints.json"),
                ]
            )
            == 0
        )
        for method in ("PSK", "PKI", "OAUTH"):
            capsys.readouterr()
            assert cli.main(["--state-dir", state, "invoke", "--api-name", "hello", "--method", method]) == 0
            assert json.loads(capsys.readouterr().out)["securityMethod"] == method
        assert cli.main(["--state-dir", state, "offboard"]) == 0
        assert cli.main(["--state-dir", state, "invoke", "--api-name", "hello"]) == 1
    finally:
        out, err = _stopped(process)
    assert process.returncode == 0, err
    assert "capifsec serve: stopped" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "arguments",
    [
        ["--aef-port", "nope=1"],
        ["--ccf-port", "70000"],
        ["--profile", "no-such-profile"],
        ["--onboarding-secret"],
        ["--unknown-flag"],
    ],
)
def test_serve_refuses_bad_input_with_status_2(
    tmp_path: Path, arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve.main(["--data-dir", str(tmp_path / "empty"), *arguments]) == 2
    assert "Traceback" not in capsys.readouterr().err
