"""Certificate TLS and TLS-PSK endpoints over real loopback sockets: what is accepted, what is refused.

TS 33.210 clause 6.2 (TLS 1.2/1.3 only), TS 33.122 clauses 5 and 6.5.2 (mutual TLS, TLS-PSK).
"""

import logging
import socket
import ssl
import threading

import pytest

from impl.tls import (
    CertificateClientTls,
    CertificateServerTls,
    ClientAuth,
    PskClientTls,
    PskServerTls,
    TlsConfigurationError,
    TlsHandshakeError,
    TlsVersion,
)
from impl.tls.ffdhe import ffdhe3072_pem, ffdhe3072_prime
from impl.tls.psk import (
    configure_tls12_psk,
    install_psk_callbacks,
    new_psk_context,
    psk_client_callback,
    release_psk_callbacks,
)
from tests.impl.conftest import TestPki, run_handshake

AEFPSK = bytes(range(32))
VERSIONS = [pytest.param(TlsVersion.TLS1_2, id="tls12"), pytest.param(TlsVersion.TLS1_3, id="tls13")]


def _psk_table(identity: str | None) -> bytes | None:
    return AEFPSK if identity == "invoker-1" else None


def _mutual_server(pki: TestPki, version: TlsVersion = TlsVersion.TLS1_3) -> CertificateServerTls:
    return CertificateServerTls(
        pki.server, client_cas=pki.ca.certificate, client_auth=ClientAuth.REQUIRED, maximum_version=version
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_mutual_tls_authenticates_both_ends(pki: TestPki, version: TlsVersion) -> None:
    client = CertificateClientTls(pki.ca.certificate, credential=pki.client, maximum_version=version)
    outcome = run_handshake(_mutual_server(pki, version), client)
    assert outcome.echoed == b"ping"
    assert outcome.server_peer is not None and outcome.client_peer is not None
    assert outcome.server_peer.certificate == pki.client.certificate
    assert outcome.client_peer.certificate == pki.server.certificate
    assert outcome.server_peer.tls_version is version is outcome.client_peer.tls_version
    assert outcome.server_peer.psk_identity is None and outcome.server_peer.capif1e_keying is None


def test_server_authenticated_tls_without_client_certificate(pki: TestPki) -> None:
    outcome = run_handshake(CertificateServerTls(pki.server), CertificateClientTls(pki.ca.certificate))
    assert outcome.echoed == b"ping"
    assert outcome.server_peer is not None and outcome.server_peer.certificate is None


@pytest.mark.parametrize("present_certificate", [False, True], ids=["without", "with"])
def test_optional_client_certificate(pki: TestPki, present_certificate: bool) -> None:
    server = CertificateServerTls(pki.server, client_cas=pki.ca.certificate, client_auth=ClientAuth.OPTIONAL)
    credential = pki.client if present_certificate else None
    outcome = run_handshake(server, CertificateClientTls(pki.ca.certificate, credential=credential))
    assert outcome.server_peer is not None
    expected = pki.client.certificate if present_certificate else None
    assert outcome.server_peer.certificate == expected


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("credential_name", "server_reason"),
    [
        pytest.param(None, "CERTIFICATE", id="no-client-certificate"),
        pytest.param("foreign_client", "CERTIFICATE_VERIFY_FAILED", id="certificate-from-another-ca"),
        pytest.param("expired_client", "CERTIFICATE_VERIFY_FAILED", id="expired-certificate"),
        pytest.param("server_only_as_client", "CERTIFICATE_VERIFY_FAILED", id="no-clientAuth-usage"),
    ],
)
def test_required_client_certificate_refusals(
    pki: TestPki, version: TlsVersion, credential_name: str | None, server_reason: str
) -> None:
    credential = getattr(pki, credential_name) if credential_name else None
    client = CertificateClientTls(pki.ca.certificate, credential=credential, maximum_version=version)
    outcome = run_handshake(_mutual_server(pki, version), client)
    assert isinstance(outcome.server_error, TlsHandshakeError)
    assert server_reason in outcome.server_error.reason
    assert isinstance(outcome.client_error, TlsHandshakeError)
    assert outcome.echoed == b""


def test_expired_certificate_reason_names_the_expiry(pki: TestPki) -> None:
    client = CertificateClientTls(pki.ca.certificate, credential=pki.expired_client)
    outcome = run_handshake(_mutual_server(pki), client)
    assert isinstance(outcome.server_error, TlsHandshakeError)
    assert "expired" in outcome.server_error.reason


@pytest.mark.parametrize(
    ("server_credential", "server_name"),
    [
        pytest.param("foreign_server", "127.0.0.1", id="server-from-another-ca"),
        pytest.param("server", "other.capif.test", id="wrong-server-name"),
    ],
)
def test_client_refuses_an_unauthenticated_server(
    pki: TestPki, server_credential: str, server_name: str
) -> None:
    server = CertificateServerTls(getattr(pki, server_credential))
    outcome = run_handshake(server, CertificateClientTls(pki.ca.certificate), server_name=server_name)
    assert isinstance(outcome.client_error, TlsHandshakeError)
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.client_error.reason
    assert outcome.client_peer is None


def test_a_client_that_checks_names_refuses_to_start_without_one(pki: TestPki) -> None:
    """The name check cannot be skipped by giving no name: the library would then verify the
    certificate chain alone, so the client refuses before it sends anything."""
    outcome = run_handshake(
        CertificateServerTls(pki.server), CertificateClientTls(pki.ca.certificate), server_name=""
    )
    assert isinstance(outcome.client_error, TlsHandshakeError)
    assert "check_hostname requires server_hostname" in outcome.client_error.reason
    assert outcome.client_peer is None and outcome.server_peer is None


def test_server_name_may_be_a_dns_name_in_the_certificate(pki: TestPki) -> None:
    outcome = run_handshake(
        CertificateServerTls(pki.server),
        CertificateClientTls(pki.ca.certificate),
        server_name="ccf.capif.test",
    )
    assert outcome.echoed == b"ping"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize(
    "legacy_version",
    [pytest.param(ssl.TLSVersion.TLSv1_1, id="tls11"), pytest.param(ssl.TLSVersion.TLSv1, id="tls10")],
)
def test_pre_tls12_clients_are_refused(pki: TestPki, legacy_version: ssl.TLSVersion) -> None:
    legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    legacy.check_hostname = False
    legacy.verify_mode = ssl.CERT_NONE
    legacy.set_ciphers("ALL:@SECLEVEL=0")
    legacy.minimum_version = legacy_version
    legacy.maximum_version = legacy_version
    server = CertificateServerTls(pki.server)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        errors: list[TlsHandshakeError] = []

        def serve() -> None:
            sock, _ = listener.accept()
            try:
                server.accept(sock, timeout=5).close()
            except TlsHandshakeError as error:
                errors.append(error)

        thread = threading.Thread(target=serve)
        thread.start()
        with (
            socket.create_connection(listener.getsockname(), timeout=5) as sock,
            pytest.raises(ssl.SSLError),
        ):
            legacy.wrap_socket(sock)
        thread.join(10)
    assert len(errors) == 1
    assert "PROTOCOL" in errors[0].reason.upper()


def test_psk_handshake_authenticates_the_identity(pki: TestPki) -> None:
    outcome = run_handshake(PskServerTls(_psk_table), PskClientTls("invoker-1", AEFPSK))
    assert outcome.echoed == b"ping"
    assert outcome.server_peer is not None and outcome.client_peer is not None
    assert outcome.server_peer.psk_identity == "invoker-1" == outcome.client_peer.psk_identity
    assert outcome.server_peer.tls_version is TlsVersion.TLS1_2
    assert outcome.server_peer.cipher == "ECDHE-PSK-CHACHA20-POLY1305"
    assert outcome.server_peer.certificate is None


@pytest.mark.parametrize(
    ("identity", "key", "server_reason"),
    [
        pytest.param("invoker-2", AEFPSK, "PSK_IDENTITY_NOT_FOUND", id="unknown-identity"),
        pytest.param("invoker-1", bytes(32), "BAD_RECORD_MAC", id="wrong-key"),
    ],
)
def test_psk_refusals(identity: str, key: bytes, server_reason: str) -> None:
    outcome = run_handshake(PskServerTls(_psk_table), PskClientTls(identity, key))
    assert isinstance(outcome.server_error, TlsHandshakeError)
    assert server_reason in outcome.server_error.reason
    assert isinstance(outcome.client_error, TlsHandshakeError)


def test_failing_psk_lookup_refuses_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def broken_lookup(identity: str) -> bytes | None:
        raise RuntimeError("store unavailable")

    with caplog.at_level(logging.ERROR, logger="impl.tls.psk"):
        outcome = run_handshake(PskServerTls(broken_lookup), PskClientTls("invoker-1", AEFPSK))
    assert isinstance(outcome.server_error, TlsHandshakeError)
    assert "PSK_IDENTITY_NOT_FOUND" in outcome.server_error.reason
    assert "store unavailable" in caplog.text


def test_certificate_client_cannot_reach_a_psk_only_server(pki: TestPki) -> None:
    outcome = run_handshake(PskServerTls(_psk_table), CertificateClientTls(pki.ca.certificate))
    assert isinstance(outcome.server_error, TlsHandshakeError)
    assert isinstance(outcome.client_error, TlsHandshakeError)


@pytest.mark.parametrize("psk_client", [True, False], ids=["psk-client", "certificate-client"])
def test_one_port_for_psk_and_certificates(pki: TestPki, psk_client: bool) -> None:
    server = CertificateServerTls(
        pki.server, client_cas=pki.ca.certificate, client_auth=ClientAuth.OPTIONAL, psk_lookup=_psk_table
    )
    client = (
        PskClientTls("invoker-1", AEFPSK)
        if psk_client
        else CertificateClientTls(pki.ca.certificate, credential=pki.client)
    )
    outcome = run_handshake(server, client)
    assert outcome.server_peer is not None
    if psk_client:
        assert outcome.server_peer.psk_identity == "invoker-1"
        assert outcome.server_peer.certificate is None
    else:
        assert outcome.server_peer.psk_identity is None
        assert outcome.server_peer.certificate == pki.client.certificate


@pytest.mark.parametrize("cipher", ["DHE-PSK-AES256-GCM-SHA384", "DHE-PSK-AES128-GCM-SHA256"])
def test_dhe_psk_suites_work_with_the_ffdhe3072_group(cipher: str) -> None:
    client_context = new_psk_context(server_side=False)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    configure_tls12_psk(client_context)
    client_context.set_ciphers(cipher)
    client_context.set_psk_client_callback(psk_client_callback("invoker-1", AEFPSK))  # type: ignore[attr-defined]
    server = PskServerTls(_psk_table)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        peers = []
        thread = threading.Thread(target=lambda: peers.append(server.accept(listener.accept()[0], timeout=5)))
        thread.start()
        with socket.create_connection(listener.getsockname(), timeout=5) as raw:
            tls_socket = client_context.wrap_socket(raw, do_handshake_on_connect=False)
            install_psk_callbacks(tls_socket._sslobj, client_context)  # type: ignore[attr-defined]
            ssl.SSLSocket.do_handshake(tls_socket)
            release_psk_callbacks(tls_socket._sslobj)  # type: ignore[attr-defined]  # no entry left behind
            negotiated = tls_socket.cipher()
            tls_socket.close()
        thread.join(10)
    assert negotiated is not None and negotiated[0] == cipher
    assert peers[0].peer.psk_identity == "invoker-1"
    peers[0].close()


def _is_probable_prime(n: int) -> bool:
    """Miller-Rabin with fixed bases (a composite passes all 12 with negligible probability)."""
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for base in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(base, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def test_ffdhe3072_is_the_rfc7919_safe_prime() -> None:
    prime = ffdhe3072_prime()
    assert prime.bit_length() == 3072
    assert prime >> 3008 == (1 << 64) - 1 and prime & ((1 << 64) - 1) == (1 << 64) - 1
    assert _is_probable_prime(prime) and _is_probable_prime((prime - 1) // 2)
    assert ffdhe3072_pem().startswith(b"-----BEGIN DH PARAMETERS-----\n")


def test_handshake_timeout_frees_a_stalled_server(pki: TestPki) -> None:
    server = CertificateServerTls(pki.server)
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        socket.create_connection(listener.getsockname(), timeout=5) as stalled_client,
    ):
        sock, _ = listener.accept()
        with pytest.raises(TlsHandshakeError, match="timed out"):
            server.accept(sock, timeout=0.2)
        assert stalled_client.recv(1) == b""  # the server closed its end


def test_configuration_errors() -> None:
    with pytest.raises(TlsConfigurationError):
        PskClientTls("", AEFPSK)
    with pytest.raises(TlsConfigurationError):
        PskClientTls("invoker-1", b"")
    with pytest.raises(TlsConfigurationError):
        CertificateClientTls([])


def test_client_auth_needs_a_ca(pki: TestPki) -> None:
    with pytest.raises(TlsConfigurationError):
        CertificateServerTls(pki.server, client_auth=ClientAuth.REQUIRED)
    with pytest.raises(TlsConfigurationError):
        CertificateServerTls(pki.server, minimum_version=TlsVersion.TLS1_3, maximum_version=TlsVersion.TLS1_2)
