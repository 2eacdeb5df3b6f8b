"""The invoker command line (``capifsec invoker``): onboarding from ``endpoints.json`` or explicit
options, discovery, invocation with each method (including the re-negotiation after a method update),
offboarding, and exit status 2 with a message for bad input, 1 for refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.atomic_file import write_file
from impl.deployment import Deployment
from impl.invoker import cli
from impl.serve import endpoints_document
from tests.impl.test_e2e_world import running


@pytest.fixture
def endpoints(deployment: Deployment, tmp_path: Path) -> Path:
    path = tmp_path / "endpoints.json"
    write_file(path, json.dumps(endpoints_document(deployment, "recommended")).encode(), private=False)
    return path


def _run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, object, str]:
    capsys.readouterr()
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    document = json.loads(captured.out) if status == 0 and captured.out.strip() else None
    return status, document, captured.err


def test_onboard_discover_invoke_offboard(
    deployment: Deployment, endpoints: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(tmp_path / "state")
    status, onboarded, _ = _run(
        capsys,
        "--state-dir",
        state,
        "onboard",
        "--secret",
        deployment.onboarding_secret(),
        "--endpoints",
        str(endpoints),
    )
    assert status == 0 and isinstance(onboarded, dict)
    assert oct((tmp_path / "state" / "credential-key.pem").stat().st_mode & 0o777) == "0o600"
    status, discovered, _ = _run(capsys, "--state-dir", state, "discover", "--api-name", "hello")
    assert status == 0 and isinstance(discovered, list) and len(discovered) == 3
    for method in ("PSK", "PKI", "OAUTH"):
        status, answer, _ = _run(
            capsys, "--state-dir", state, "invoke", "--api-name", "hello", "--method", method
        )
        assert status == 0 and isinstance(answer, dict)
        assert (answer["securityMethod"], answer["apiInvokerId"]) == (method, onboarded["apiInvokerId"])
    status, _, _ = _run(capsys, "--state-dir", state, "offboard")
    assert status == 0
    status, _, error = _run(capsys, "--state-dir", state, "invoke", "--api-name", "hello", "--method", "PKI")
    assert status == 1 and "401" in error and "Traceback" not in error


def test_onboarding_with_explicit_ccf_and_ca(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(tmp_path / "state")
    ccf = f"{deployment.host}:{deployment.ccf.capif1e_port}"
    status, _, error = _run(
        capsys,
        "--state-dir", state, "onboard", "--secret", deployment.onboarding_secret(),
        "--ccf", ccf, "--ca-cert", str(deployment.ca_certificate_path),
    )  # fmt: skip
    assert status == 0, error
    status, answer, _ = _run(capsys, "--state-dir", state, "invoke", "--api-name", "hello")
    assert status == 0 and isinstance(answer, dict) and answer["securityMethod"] == "PSK"


def _services_and_invoker(services: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Write ``endpoints.json`` for ``services``, onboard a command-line invoker; its state directory."""
    endpoints = tmp_path / "endpoints.json"
    write_file(endpoints, json.dumps(endpoints_document(services, "recommended")).encode(), private=False)
    state = str(tmp_path / "state")
    secret = services.onboarding_secret()
    assert (
        _run(capsys, "--state-dir", state, "onboard", "--secret", secret, "--endpoints", str(endpoints))[0]
        == 0
    )
    return state


def test_invoke_follows_the_published_methods_after_an_update(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running(tmp_path / "services") as services:
        state = _services_and_invoker(services, tmp_path, capsys)
        invoke = ("--state-dir", state, "invoke", "--api-name", "hello", "--method", "PKI")
        assert _run(capsys, *invoke)[0] == 0
        services.update_methods("pki", [SecurityMethod.OAUTH])
        services.update_methods("oauth", [SecurityMethod.PKI])
        status, answer, _ = _run(capsys, *invoke)
        assert status == 0 and isinstance(answer, dict) and answer["interface"] == "oauth"


def test_a_mismatch_that_persists_after_one_renegotiation_is_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The AEF changed its method but the APF has not told the CCF yet: the CLI re-negotiates once,
    meets the mismatch again, and reports it."""
    with running(tmp_path / "services") as services:
        state = _services_and_invoker(services, tmp_path, capsys)
        services.aef.set_methods("pki", [SecurityMethod.OAUTH])
        status, _, error = _run(
            capsys, "--state-dir", state, "invoke", "--api-name", "hello", "--method", "PKI"
        )
        assert status == 1 and "SECURITY_METHOD_MISMATCH" in error


@pytest.mark.parametrize(
    "arguments",
    [
        ["onboard", "--secret", "s"],
        ["onboard", "--secret", "s", "--ccf", "no-port", "--ca-cert", "/nonexistent"],
        ["onboard", "--secret", "s", "--ccf", "127.0.0.1:1", "--ca-cert", "/nonexistent"],
        ["onboard", "--secret", "s", "--endpoints", "/nonexistent"],
        ["invoke", "--api-name", "hello", "--method", "TELEPATHY"],
        ["frobnicate"],
    ],
)
def test_bad_input_is_status_2(
    tmp_path: Path, arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, error = _run(capsys, "--state-dir", str(tmp_path), *arguments)
    assert status == 2 and "Traceback" not in error


def test_commands_before_onboarding_fail_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, error = _run(capsys, "--state-dir", str(tmp_path / "nothing"), "discover")
    assert status == 1 and "no usable invoker state" in error


def test_a_wrong_secret_is_refused_with_status_1(
    endpoints: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, error = _run(
        capsys, "--state-dir", str(tmp_path), "onboard", "--secret", "wrong", "--endpoints", str(endpoints)
    )
    assert status == 1 and "401" in error
