"""``capifsec serve`` interconnected for real: two processes, each one provider with the operator's own
CA, each given the other as a peer by address and CA certificate (an agreement file); an invoker of one
invokes the other's AEF with every method. And ``--providers 2`` in one process."""

from __future__ import annotations

import json
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest

from impl import pki, serve
from impl.apitypes.enums import SecurityMethod
from impl.credential_files import save_credential
from impl.deployment import HELLO_API
from impl.invoker import ApiInvoker, CcfEndpoint

ROOT = Path(__file__).resolve().parents[2]
STARTUP_LIMIT = 60.0
HOST = "127.0.0.1"
COMMAND = [sys.executable, "-c", "import sys; from impl.serve import main; sys.exit(main(sys.argv[1:]))"]


def _free_port(taken: set[int]) -> int:
    """A port free now and not in ``taken`` (the ports this test already chose, which are free until
    their servers bind them), below the kernel's ephemeral range (32768 and up on Linux), so that
    the outgoing connections of other processes do not take it before the server binds it."""
    while True:
        port = secrets.randbelow(12000) + 20000
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
        taken.add(port)
        return port


@contextmanager
def _serving(arguments: list[str], ready: Path) -> Iterator[None]:
    process = subprocess.Popen(
        [*COMMAND, *arguments], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while not ready.exists():
            assert process.poll() is None, f"capifsec serve exited early: {process.communicate()}"
            assert time.monotonic() < deadline, "capifsec serve did not come up"
            time.sleep(0.1)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # never leave a server running
            process.kill()
            process.communicate()
            raise
        assert process.returncode == 0, err
        assert "capifsec serve: stopped" in out and "Traceback" not in err


def _provider(tmp_path: Path, name: str, taken: set[int]) -> dict[str, object]:
    """An operator's CA, the ports its provider will use, and its side of the agreement."""
    ca = pki.CertificateAuthority.create(f"operator {name} CA", now=datetime.now(UTC) - timedelta(hours=1))
    directory = tmp_path / f"operator-{name}"
    ca.save(directory)
    ports = {
        key: _free_port(taken) for key in ("ccf", "provider", "capif6", "aef-capif3", "psk", "pki", "oauth")
    }
    agreement = {
        "ccfId": f"ccf-{name}",
        "providerDomain": f"provider-{name}",
        "capif6": {"host": HOST, "port": ports["capif6"], "serverName": HOST},
        "caCertificates": [str(directory / pki.CA_CERTIFICATE_FILE)],
    }
    (tmp_path / f"peer-{name}.json").write_text(json.dumps(agreement), encoding="utf-8")
    return {"ca": ca, "directory": directory, "ports": ports}


def _arguments(tmp_path: Path, name: str, peer: str, provider: dict[str, object]) -> list[str]:
    ports = provider["ports"]
    directory = provider["directory"]
    assert isinstance(ports, dict) and isinstance(directory, Path)
    return [
        "--data-dir", str(tmp_path / f"data-{name}"),
        "--ccf-id", f"ccf-{name}",
        "--provider-domain", f"provider-{name}",
        "--peer", str(tmp_path / f"peer-{peer}.json"),
        "--capif6-port", str(ports["capif6"]),
        "--ccf-port", str(ports["ccf"]),
        "--provider-port", str(ports["provider"]),
        "--aef-capif3-port", str(ports["aef-capif3"]),
        "--aef-port", f"psk={ports['psk']}",
        "--aef-port", f"pki={ports['pki']}",
        "--aef-port", f"oauth={ports['oauth']}",
        "--ca-certificate", str(directory / pki.CA_CERTIFICATE_FILE),
        "--ca-key", str(directory / pki.CA_PRIVATE_KEY_FILE),
    ]  # fmt: skip


def test_two_serve_processes_interconnect_with_the_operators_own_cas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken: set[int] = set()
    a, b = _provider(tmp_path, "a", taken), _provider(tmp_path, "b", taken)
    with (
        _serving(_arguments(tmp_path, "a", "b", a), tmp_path / "data-a" / "endpoints.json"),
        _serving(_arguments(tmp_path, "b", "a", b), tmp_path / "data-b" / "endpoints.json"),
    ):
        assert serve.main(["--data-dir", str(tmp_path / "data-b"), "--onboarding-secret"]) == 0
        secret = capsys.readouterr().out.strip()
        ca_a, ca_b = a["ca"], b["ca"]
        assert isinstance(ca_a, pki.CertificateAuthority) and isinstance(ca_b, pki.CertificateAuthority)
        ports = b["ports"]
        assert isinstance(ports, dict)
        invoker = ApiInvoker(
            CcfEndpoint(HOST, ports["ccf"], HOST),
            ca_b.certificate,
            notification_destination="https://127.0.0.1:9/notifications",
            aef_ca_certificates=(ca_a.certificate,),
        )
        with invoker:
            invoker.onboard(secret)
            remote = [target for target in invoker.discover(api_name=HELLO_API) if target.ccf_id == "ccf-a"]
            assert {target.api_prefix for target in remote} == {"/psk", "/pki", "/oauth"}
            for negotiated in invoker.negotiate(remote):
                invoker.check_authentication(negotiated.target)
                token = None
                if negotiated.method is SecurityMethod.OAUTH:
                    token = invoker.obtain_token(negotiated.target.aef_id, [HELLO_API])
                answer = invoker.invoke(negotiated, "/greeting", token=token)
                assert isinstance(answer, dict) and answer["securityMethod"] == negotiated.method.value
    own = json.loads((tmp_path / "data-a" / "agreement.json").read_text("utf-8"))
    assert own["ccfId"] == "ccf-a" and own["capif6"]["port"] == a["ports"]["capif6"]  # type: ignore[index]


def test_serve_runs_interconnected_providers_in_one_process(tmp_path: Path) -> None:
    data = tmp_path / "providers"
    with _serving(["--data-dir", str(data), "--providers", "2"], data / "providers.json"):
        listed = json.loads((data / "providers.json").read_text("utf-8"))
        assert [entry["ccfId"] for entry in listed.values()] == ["ccf-a", "ccf-b"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--peer", "missing.json"], "cannot read the agreement"),
        (["--ca-certificate", "x.pem"], "go together"),
        (["--providers", "2", "--profile", "ts33122-rel18"], "no interconnection"),
    ],
)
def test_bad_interconnection_input_is_exit_2(
    tmp_path: Path, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve.main(["--data-dir", str(tmp_path / "empty"), *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_operator_ccf_certificate_must_name_the_ccf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = pki.CertificateAuthority.create("operator CA", now=datetime.now(UTC) - timedelta(hours=1))
    ca.save(tmp_path / "ca")
    wrong = ca.issue_certified_key(
        pki.CertificateProfile(
            "ccf-z",
            ip_addresses=(ip_address(HOST),),
            uris=("urn:capifsec:ccf:ccf-z",),
            server_auth=True,
            client_auth=True,
        ),
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    save_credential(tmp_path / "ccf", "wrong", wrong)
    arguments = ["--data-dir", str(tmp_path / "data"), "--ccf-id", "ccf-a"]
    arguments += ["--ca-certificate", str(tmp_path / "ca" / pki.CA_CERTIFICATE_FILE)]
    arguments += ["--ca-key", str(tmp_path / "ca" / pki.CA_PRIVATE_KEY_FILE)]
    arguments += ["--ccf-certificate", str(tmp_path / "ccf" / "wrong.pem")]
    arguments += ["--ccf-key", str(tmp_path / "ccf" / "wrong-key.pem")]
    assert serve.main(arguments) == 2
    assert "does not name urn:capifsec:ccf:ccf-a" in capsys.readouterr().err
