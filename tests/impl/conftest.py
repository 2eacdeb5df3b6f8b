"""Shared fixtures: a CAPIF CA, a foreign CA and credentials for every TLS test; a CCF over SQLite
(``world``); a running deployment per test module and an invoker ready to call its AEF.

TLS stacks check certificate validity against the system clock, so certificates meant to be valid
are issued from the real current time (passed explicitly as ``now``), and the expired one from a
fixed window that ended weeks ago.
"""

import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impl.deployment import Deployment
from impl.pki import CertificateAuthority, CertificateProfile, CertifiedKey
from impl.tls import ClientTls, ServerTls, TlsPeer
from tests.impl.test_ccf_world import World
from tests.impl.test_e2e_world import Ready, ready_invoker, running

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
SERVER_NAME = "127.0.0.1"


@dataclass(frozen=True)
class TestPki:
    """Everything a TLS test needs.

    ``ca`` issues ``server`` (serverAuth, SAN 127.0.0.1 and ccf.capif.test), ``client`` (clientAuth,
    SAN URI), ``expired_client`` (validity ended 30 days ago) and ``server_only_as_client``
    (serverAuth only, no clientAuth). ``foreign_ca`` issues ``foreign_client`` and ``foreign_server``.
    """

    __test__ = False  # not a pytest test class

    now: datetime
    ca: CertificateAuthority
    foreign_ca: CertificateAuthority
    server: CertifiedKey
    client: CertifiedKey
    expired_client: CertifiedKey
    server_only_as_client: CertifiedKey
    foreign_client: CertifiedKey
    foreign_server: CertifiedKey


def server_profile(common_name: str = "ccf.capif.test") -> CertificateProfile:
    """serverAuth + clientAuth (a CCF is client on CAPIF-6 too), named by IP and DNS name."""
    return CertificateProfile(
        common_name,
        dns_names=("ccf.capif.test",),
        ip_addresses=(LOOPBACK,),
        server_auth=True,
        client_auth=True,
    )


def client_profile(common_name: str = "api-invoker-1") -> CertificateProfile:
    """clientAuth, the invoker ID as URI SAN."""
    return CertificateProfile(common_name, uris=(f"urn:capif:invoker:{common_name}",), client_auth=True)


def build_test_pki(now: datetime) -> TestPki:
    """A fresh :class:`TestPki` valid around ``now``."""
    ca_start = now - timedelta(days=365)
    ca = CertificateAuthority.create("capifsec test CA", now=ca_start)
    foreign_ca = CertificateAuthority.create("foreign provider CA", now=ca_start)
    expired_window = now - timedelta(days=31)
    an_hour_ago = now - timedelta(hours=1)
    expired_profile = CertificateProfile(
        "expired-invoker", uris=("urn:capif:invoker:expired",), client_auth=True, validity=timedelta(days=1)
    )
    return TestPki(
        now=now,
        ca=ca,
        foreign_ca=foreign_ca,
        server=ca.issue_certified_key(server_profile(), now=an_hour_ago),
        client=ca.issue_certified_key(client_profile(), now=an_hour_ago),
        expired_client=ca.issue_certified_key(expired_profile, now=expired_window),
        server_only_as_client=ca.issue_certified_key(
            CertificateProfile("not-a-client", ip_addresses=(LOOPBACK,), server_auth=True),
            now=an_hour_ago,
        ),
        foreign_client=foreign_ca.issue_certified_key(client_profile("foreign-invoker"), now=an_hour_ago),
        foreign_server=foreign_ca.issue_certified_key(server_profile("foreign-ccf"), now=an_hour_ago),
    )


@pytest.fixture(scope="session")
def pki() -> Iterator[TestPki]:
    """One :class:`TestPki` for the whole session (issued from the real current time)."""
    yield build_test_pki(datetime.now(UTC))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A CCF on its own database in the test's folder, closed after the test."""
    built = World(tmp_path)
    yield built
    built.close()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A running deployment (CCF, provider, AEF) per test module, stopped after its last test."""
    with running(tmp_path_factory.mktemp("deployment")) as started:
        yield started


@pytest.fixture(scope="module")
def ready(deployment: Deployment) -> Iterator[Ready]:
    """An invoker of the module's deployment: onboarded, every interface negotiated, a token."""
    invoker = ready_invoker(deployment)
    yield invoker
    invoker.invoker.close()


@dataclass
class HandshakeOutcome:
    """What each end of one connection saw: its peer and the echoed octets, or its exception."""

    server_peer: TlsPeer | None = None
    server_error: Exception | None = None
    client_peer: TlsPeer | None = None
    client_error: Exception | None = None
    echoed: bytes = b""


def run_handshake(
    server_tls: ServerTls,
    client_tls: ClientTls,
    *,
    server_name: str = SERVER_NAME,
    timeout: float = 5.0,
) -> HandshakeOutcome:
    """Connect ``client_tls`` to ``server_tls`` over loopback, send ``ping``, read the echo."""
    outcome = HandshakeOutcome()
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            sock, _ = listener.accept()
            try:
                channel = server_tls.accept(sock, timeout=timeout)
            except Exception as error:
                outcome.server_error = error
                return
            outcome.server_peer = channel.peer
            try:
                buffer = bytearray(64)
                received = channel.recv_into(buffer, timeout)
                channel.send_all(bytes(buffer[:received]), timeout)
            except Exception as error:
                outcome.server_error = error
            finally:
                channel.close()

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            sock = socket.create_connection(listener.getsockname(), timeout=timeout)
            channel = client_tls.connect(sock, server_name=server_name, timeout=timeout)
            try:
                channel.send_all(b"ping", timeout)
                buffer = bytearray(64)
                outcome.echoed = bytes(buffer[: channel.recv_into(buffer, timeout)])
                outcome.client_peer = channel.peer
            finally:
                channel.close()
        except Exception as error:
            outcome.client_error = error
        thread.join(timeout * 3)
        assert not thread.is_alive(), "server side did not finish"
    return outcome
