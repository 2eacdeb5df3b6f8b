"""The invoker command line across providers: an invoker onboarded at provider b with provider a's CA
(``--peer-ca``) discovers a's AEF through b and invokes it with each method; without a's CA it
refuses a's AEF as a server (exit status 1, no traceback); an unreadable ``--peer-ca`` is bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from impl.atomic_file import write_file
from impl.deployment.interconnected import InterconnectedDeployment
from impl.invoker import cli
from impl.serve import endpoints_document


def _run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, object, str]:
    capsys.readouterr()
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    document = json.loads(captured.out) if status == 0 and captured.out.strip() else None
    return status, document, captured.err


def _onboard(
    providers: InterconnectedDeployment, state: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    home = providers["b"]
    endpoints = state.parent / f"{state.name}-endpoints.json"
    write_file(endpoints, json.dumps(endpoints_document(home, "recommended")).encode(), private=False)
    arguments = ("onboard", "--secret", home.onboarding_secret(), "--endpoints", str(endpoints), *extra)
    status, _, error = _run(capsys, "--state-dir", str(state), *arguments)
    return status, error


def test_with_the_peer_ca_the_invoker_uses_the_other_providers_aef(
    providers: InterconnectedDeployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    peer = providers["a"]
    state = tmp_path / "state"
    status, error = _onboard(providers, state, capsys, "--peer-ca", str(peer.ca_certificate_path))
    assert status == 0, error
    aef_id = peer.aef.config.aef_id
    status, discovered, _ = _run(
        capsys, "--state-dir", str(state), "discover", "--api-name", "hello", "--aef-id", aef_id
    )
    assert status == 0 and isinstance(discovered, list) and {item["aefId"] for item in discovered} == {aef_id}
    for method in ("PSK", "PKI", "OAUTH"):
        status, answer, error = _run(
            capsys, "--state-dir", str(state), "invoke", "--api-name", "hello",
            "--aef-id", aef_id, "--method", method,
        )  # fmt: skip
        assert status == 0, error
        assert isinstance(answer, dict) and answer["securityMethod"] == method


def test_without_the_peer_ca_the_other_providers_aef_is_not_trusted(
    providers: InterconnectedDeployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert _onboard(providers, state, capsys)[0] == 0
    status, _, error = _run(
        capsys, "--state-dir", str(state), "invoke", "--api-name", "hello",
        "--aef-id", providers["a"].aef.config.aef_id, "--method", "PKI",
    )  # fmt: skip
    assert status == 1 and "certificate" in error and "Traceback" not in error, error


def test_an_unreadable_peer_ca_is_bad_input(
    providers: InterconnectedDeployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_certificate = tmp_path / "not-a-ca.pem"
    not_a_certificate.write_text("hello", encoding="utf-8")
    status, error = _onboard(providers, tmp_path / "state", capsys, "--peer-ca", str(not_a_certificate))
    assert status == 2 and "peer CA" in error and "Traceback" not in error
    assert not (tmp_path / "state").exists()
