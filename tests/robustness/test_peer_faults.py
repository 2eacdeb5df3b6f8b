"""Peer CCF faults on CAPIF-6/6e (issue 8, item 8): a peer that is down, silent, slow, resets the
connection, answers garbage or is not who it should be makes the CCF fail closed with 503
``PEER_CCF_UNAVAILABLE`` naming the peer, within a bounded time, storing nothing, and leaking no
thread, socket or descriptor.

The home CCF (b) relays a negotiation to "ccf-a", whose address in b's agreement is a faulty server
this test runs; and the AEF's CCF (a) asks "ccf-b" for security information at a faulty server.

The bound on the time is the invoker's own timeout (10 s, against the CCFs' peer timeout of 0.5 s
here): a CCF that waited on the peer longer would leave the invoker without an answer
(``ConnectionFailedError``), never with the 503 these tests expect. No duration is asserted beyond
that, since the shared machine's load stretches every step.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address

import pytest

from impl import pki
from impl.ccf.service import CCF_URN_PREFIX
from impl.deployment.interconnected import InterconnectedDeployment
from impl.http import HttpsServer, Request, Response, Router
from impl.interconnect import PeerAddress
from impl.interconnect.client import SECURITY_INFORMATION_REQUESTS, SECURITY_METHOD_REQUESTS
from impl.invoker import ConnectionFailedError, RefusedError
from impl.settings import Settings
from impl.tls import CertificateServerTls, ClientAuth
from tests.interconnect.conftest import Visitor, visitor
from tests.robustness.settling import settled

HOST = "127.0.0.1"
PEER_TIMEOUT = 0.5


class SocketPeer:
    """A TCP server that does ``behave(connection)`` with every connection it accepts."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self._behave = behave
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.2)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="faulty-peer")
        self._thread.start()

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)
            self._behave(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for connection in self._held:
            connection.close()


def _silent(connection: socket.socket) -> None:
    """Accept, then say nothing (a hung peer: no TLS handshake ever)."""


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset at once."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _ccf_credential(authority: pki.CertificateAuthority, ccf_id: str) -> pki.CertifiedKey:
    profile = pki.CertificateProfile(
        ccf_id,
        ip_addresses=(ip_address(HOST),),
        uris=(CCF_URN_PREFIX + ccf_id,),
        server_auth=True,
        client_auth=True,
    )
    return authority.issue_certified_key(profile, now=datetime.now(UTC) - timedelta(minutes=5))


@contextlib.contextmanager
def https_peer(
    credential: pki.CertifiedKey, ca: pki.CertificateAuthority, answer: Callable[[Request], Response]
) -> Iterator[int]:
    """A CAPIF-6/6e-looking HTTPS server answering every flow with ``answer``."""
    router = Router()
    for path in (SECURITY_METHOD_REQUESTS, SECURITY_INFORMATION_REQUESTS):
        router.add("POST", path, answer)
    tls = CertificateServerTls(credential, client_cas=ca.certificate, client_auth=ClientAuth.OPTIONAL)
    with HttpsServer(router, tls) as server:
        yield server.port


@contextlib.contextmanager
def slow_peer(credential: pki.CertifiedKey, ca: pki.CertificateAuthority) -> Iterator[int]:
    """A peer that completes the handshake and reads the request, then answers only once the test is
    done with it (well after the invoker's timeout, had the CCF waited for the answer)."""
    done = threading.Event()

    def answer(request: Request) -> Response:
        done.wait(60)
        return Response.json({"securityInfo": []})

    with https_peer(credential, ca, answer) as port:
        try:
            yield port
        finally:
            done.set()


def _garbage(request: Request) -> Response:
    return Response(200, b"\x00not json at all", {"Content-Type": "application/json"})


def _wrong_shape(request: Request) -> Response:
    return Response.json({"securityInfo": "everything"})


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InterconnectedDeployment]:
    with InterconnectedDeployment(
        tmp_path_factory.mktemp("faults"), Settings(), peer_timeout=PEER_TIMEOUT
    ) as started:
        yield started


def _point(providers: InterconnectedDeployment, at: str, peer: str, port: int) -> None:
    """``at``'s agreement with ``peer`` now names ``port`` on loopback."""
    providers[at].agree(replace(providers.agreement_with(peer), address=PeerAddress(HOST, port, HOST)))


def _restore(providers: InterconnectedDeployment) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        providers[name].agree(providers.agreement_with(other))


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _negotiation_refused(guest: Visitor) -> RefusedError:
    with pytest.raises(RefusedError) as refusal:
        guest.negotiate("/psk")
    return refusal.value


def _faults(
    providers: InterconnectedDeployment,
) -> dict[str, Callable[[], contextlib.AbstractContextManager[int]]]:
    a = providers["a"]
    own = a.ccf.config.credential
    impostor = _ccf_credential(a.ca, "ccf-z")

    @contextlib.contextmanager
    def down() -> Iterator[int]:
        """A port bound and not listening: connections are refused, and no other process can take it
        while the test runs (a port released after the probe could be)."""
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
            yield port

    @contextlib.contextmanager
    def with_socket(behave: Callable[[socket.socket], None]) -> Iterator[int]:
        peer = SocketPeer(behave)
        try:
            yield peer.port
        finally:
            peer.close()

    return {
        "down": down,
        "silent": lambda: with_socket(_silent),
        "reset": lambda: with_socket(_reset),
        "garbage": lambda: https_peer(own, providers["b"].ca, _garbage),
        "wrong-shape": lambda: https_peer(own, providers["b"].ca, _wrong_shape),
        "slow": lambda: slow_peer(own, providers["b"].ca),
        "impostor": lambda: https_peer(impostor, providers["b"].ca, _garbage),
    }


FAULTS = ("down", "silent", "reset", "garbage", "wrong-shape", "slow", "impostor")


@pytest.mark.parametrize("fault", FAULTS)
def test_the_home_ccf_fails_closed_when_the_aef_ccf_is_faulty(
    providers: InterconnectedDeployment, fault: str
) -> None:
    guest = visitor(providers["b"], providers["a"])
    with _faults(providers)[fault]() as port:
        _point(providers, "b", "a", port)
        try:
            refusal = _negotiation_refused(guest)
        finally:
            _restore(providers)
    assert refusal.status == 503 and refusal.cause == "PEER_CCF_UNAVAILABLE", refusal
    assert "ccf-a" in (refusal.detail or "")
    assert guest.negotiate("/psk").aefpsk is not None  # nothing half-written: the context is still new


@pytest.mark.parametrize("fault", ("down", "silent", "garbage"))
def test_the_aef_answers_503_when_the_home_ccf_is_faulty(
    providers: InterconnectedDeployment, fault: str
) -> None:
    """check-authentication at a's AEF: a's CCF cannot get the invoker's security information from
    its home CCF; the AEF tells the invoker the CAPIF core function cannot be reached."""
    guest = visitor(providers["b"], providers["a"])
    negotiated = guest.negotiate("/pki")
    with _faults(providers)[fault]() as port:
        _point(providers, "a", "b", port)
        try:
            with pytest.raises(RefusedError) as refusal:
                guest.invoker.check_authentication(negotiated.target)
        finally:
            _restore(providers)
    assert refusal.value.status == 503
    guest.invoke(negotiated)


def test_faults_leak_no_thread_socket_or_descriptor(providers: InterconnectedDeployment) -> None:
    guest = visitor(providers["b"], providers["a"])
    faults = _faults(providers)

    def round_of_faults() -> None:
        for fault in ("down", "reset", "garbage", "silent"):
            with faults[fault]() as port:
                _point(providers, "b", "a", port)
                try:
                    _negotiation_refused(guest)
                finally:
                    _restore(providers)

    round_of_faults()  # warm up: pools and lazily started threads reach their steady state
    time.sleep(0.5)
    threads, descriptors = threading.active_count(), _open_descriptors()
    for _ in range(3):
        round_of_faults()
    assert settled(threading.active_count, threads) <= threads
    assert settled(_open_descriptors, descriptors) <= descriptors
    with contextlib.suppress(ConnectionFailedError):
        guest.invoker.close()
