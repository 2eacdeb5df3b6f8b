"""CAPIF-1e endpoint: the session keying of TS 33.122 Annex A.1 is identical on both ends, and is
checked against an independent TLS stack (stdlib ``ssl``: session ID, and the master secret through
its NSS key log); refusals on this endpoint."""

import socket
import ssl
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl.pki import certificate_pem
from impl.tls import (
    Capif1eClientTls,
    Capif1eServerTls,
    ClientAuth,
    OpenSslChannel,
    TlsHandshakeError,
    TlsVersion,
    matches_server_name,
)
from impl.tls.openssl_lowlevel import SessionEncodingError, parse_session_der
from tests.impl.conftest import TestPki, run_handshake

EXPORTER_LABEL = b"EXPORTER-3GPP-CAPIF-TEST"


def test_tls12_keying_is_identical_on_both_ends(pki: TestPki) -> None:
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate)
    outcome = run_handshake(server, Capif1eClientTls(pki.ca.certificate, credential=pki.client))
    assert outcome.server_peer is not None and outcome.client_peer is not None
    server_keying = outcome.server_peer.capif1e_keying
    client_keying = outcome.client_peer.capif1e_keying
    assert server_keying is not None and client_keying is not None
    assert server_keying.tls_version is TlsVersion.TLS1_2 is client_keying.tls_version
    assert server_keying.master_secret is not None and len(server_keying.master_secret) == 48
    assert server_keying.session_id is not None and 1 <= len(server_keying.session_id) <= 32
    assert server_keying == client_keying  # version, master secret, session ID
    assert server_keying.export_keying_material(
        EXPORTER_LABEL, 32, b"ctx"
    ) == client_keying.export_keying_material(EXPORTER_LABEL, 32, b"ctx")
    assert outcome.server_peer.certificate == pki.client.certificate


def test_every_session_has_its_own_keying(pki: TestPki) -> None:
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate)
    client = Capif1eClientTls(pki.ca.certificate)
    first = run_handshake(server, client).client_peer
    second = run_handshake(server, client).client_peer
    assert first is not None and second is not None
    assert first.capif1e_keying is not None and second.capif1e_keying is not None
    assert first.capif1e_keying.session_id != second.capif1e_keying.session_id
    assert first.capif1e_keying.master_secret != second.capif1e_keying.master_secret


def test_tls13_keying_offers_only_the_exporter(pki: TestPki) -> None:
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate, maximum_version=TlsVersion.TLS1_3)
    client = Capif1eClientTls(pki.ca.certificate, maximum_version=TlsVersion.TLS1_3)
    outcome = run_handshake(server, client)
    assert outcome.server_peer is not None and outcome.client_peer is not None
    server_keying = outcome.server_peer.capif1e_keying
    client_keying = outcome.client_peer.capif1e_keying
    assert server_keying is not None and client_keying is not None
    assert server_keying.tls_version is TlsVersion.TLS1_3
    assert (server_keying.master_secret, server_keying.session_id) == (None, None)
    exported = server_keying.export_keying_material(EXPORTER_LABEL, 32, b"P0")
    assert exported == client_keying.export_keying_material(EXPORTER_LABEL, 32, b"P0")
    assert exported != server_keying.export_keying_material(EXPORTER_LABEL, 32, b"P1")


def test_tls12_keying_matches_an_independent_stdlib_client(pki: TestPki, tmp_path: Path) -> None:
    """The stdlib ``ssl`` client reports the session ID itself and the master secret in its key log
    (``CLIENT_RANDOM <client random> <master secret>``): both must equal what the CCF side exposes."""
    key_log = tmp_path / "keys.log"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=certificate_pem(pki.ca.certificate))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.keylog_filename = str(key_log)
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate)
    channels: list[OpenSslChannel] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(
            target=lambda: channels.append(server.accept(listener.accept()[0], timeout=5))
        )
        thread.start()
        with (
            socket.create_connection(listener.getsockname(), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_socket,
        ):
            thread.join(10)
            assert tls_socket.session is not None
            stdlib_session_id = tls_socket.session.id
    keying = channels[0].peer.capif1e_keying
    channels[0].close()
    assert keying is not None and keying.master_secret is not None
    assert keying.session_id == stdlib_session_id
    logged = [line.split() for line in key_log.read_text().splitlines() if line.startswith("CLIENT_RANDOM")]
    assert [bytes.fromhex(fields[2]) for fields in logged] == [keying.master_secret]


@pytest.mark.parametrize("version", [TlsVersion.TLS1_2, TlsVersion.TLS1_3], ids=["tls12", "tls13"])
def test_onboarding_without_client_certificate_is_allowed(pki: TestPki, version: TlsVersion) -> None:
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate, maximum_version=version)
    outcome = run_handshake(server, Capif1eClientTls(pki.ca.certificate, maximum_version=version))
    assert outcome.echoed == b"ping"
    assert outcome.server_peer is not None and outcome.server_peer.certificate is None


@pytest.mark.parametrize("version", [TlsVersion.TLS1_2, TlsVersion.TLS1_3], ids=["tls12", "tls13"])
@pytest.mark.parametrize(
    ("client_auth", "credential_name", "reason"),
    [
        pytest.param(ClientAuth.OPTIONAL, "foreign_client", "unable to get local issuer", id="foreign-ca"),
        pytest.param(ClientAuth.OPTIONAL, "expired_client", "expired", id="expired"),
        pytest.param(ClientAuth.OPTIONAL, "server_only_as_client", "certificate purpose", id="no-eku"),
        pytest.param(ClientAuth.REQUIRED, None, "certificate", id="required-but-absent"),
    ],
)
def test_client_certificate_refusals(
    pki: TestPki, version: TlsVersion, client_auth: ClientAuth, credential_name: str | None, reason: str
) -> None:
    server = Capif1eServerTls(
        pki.server, client_cas=pki.ca.certificate, client_auth=client_auth, maximum_version=version
    )
    credential = getattr(pki, credential_name) if credential_name else None
    client = Capif1eClientTls(pki.ca.certificate, credential=credential, maximum_version=version)
    outcome = run_handshake(server, client)
    assert isinstance(outcome.server_error, TlsHandshakeError)
    assert reason in outcome.server_error.reason
    assert isinstance(outcome.client_error, TlsHandshakeError)


@pytest.mark.parametrize(
    ("server_credential", "server_name", "reason"),
    [
        pytest.param("foreign_server", "127.0.0.1", "certificate verify failed", id="foreign-ca"),
        pytest.param("server", "10.0.0.1", "does not name", id="wrong-ip"),
        pytest.param("server", "other.capif.test", "does not name", id="wrong-dns-name"),
    ],
)
def test_invoker_refuses_an_unauthenticated_ccf(
    pki: TestPki, server_credential: str, server_name: str, reason: str
) -> None:
    server = Capif1eServerTls(getattr(pki, server_credential), client_cas=pki.ca.certificate)
    outcome = run_handshake(server, Capif1eClientTls(pki.ca.certificate), server_name=server_name)
    assert isinstance(outcome.client_error, TlsHandshakeError)
    assert reason in outcome.client_error.reason


def test_dns_server_name_is_accepted(pki: TestPki) -> None:
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate)
    outcome = run_handshake(server, Capif1eClientTls(pki.ca.certificate), server_name="CCF.capif.test.")
    assert outcome.echoed == b"ping"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1:DeprecationWarning")
def test_tls11_client_is_refused(pki: TestPki) -> None:
    legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    legacy.check_hostname = False
    legacy.verify_mode = ssl.CERT_NONE
    legacy.set_ciphers("ALL:@SECLEVEL=0")
    legacy.minimum_version = legacy.maximum_version = ssl.TLSVersion.TLSv1_1
    server = Capif1eServerTls(pki.server, client_cas=pki.ca.certificate)
    errors: list[TlsHandshakeError] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            try:
                server.accept(listener.accept()[0], timeout=5).close()
            except TlsHandshakeError as error:
                errors.append(error)

        thread = threading.Thread(target=serve)
        thread.start()
        with socket.create_connection(listener.getsockname(), timeout=5) as raw, pytest.raises(ssl.SSLError):
            legacy.wrap_socket(raw)
        thread.join(10)
    assert len(errors) == 1  # the reason depends on the OpenSSL build: 4.x no longer parses TLS 1.1


def test_matches_server_name(pki: TestPki) -> None:
    certificate = pki.server.certificate
    assert matches_server_name(certificate, "127.0.0.1")
    assert matches_server_name(certificate, "ccf.capif.test")
    assert not matches_server_name(certificate, "127.0.0.2")
    assert not matches_server_name(certificate, "capif.test")
    assert not matches_server_name(pki.client.certificate, "127.0.0.1")  # URI SAN only


def test_parse_session_der_reads_id_and_master_key() -> None:
    body = bytes.fromhex("020101") + bytes.fromhex("02020303") + bytes.fromhex("0402c02b")
    body += b"\x04\x03abc" + b"\x04\x30" + bytes(range(48)) + bytes.fromhex("a102020a")
    der = b"\x30" + bytes([len(body)]) + body
    assert parse_session_der(der) == (b"abc", bytes(range(48)))


@given(st.binary(max_size=200))
def test_parse_session_der_refuses_garbage_with_its_own_error(garbage: bytes) -> None:
    try:
        session_id, master_key = parse_session_der(garbage)
    except SessionEncodingError:
        return
    assert isinstance(session_id, bytes) and isinstance(master_key, bytes)
