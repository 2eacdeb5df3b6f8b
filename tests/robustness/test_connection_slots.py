"""Issue 13, defect 3: idle connections cannot crowd out legitimate ones. A connection that sends nothing
(before, during or after its TLS handshake) holds no worker, and connections over the per-peer or total
bound evict parked ones, unauthenticated first (``impl.http.server``). The 1 s p99 target under 200 idle
connections is measured in ``benchmarks/bench_load.py``; here the requests must simply be answered,
each well within the client's timeout, while the idle connections stay open."""

import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from impl.deployment import HELLO_API, Deployment
from impl.http import HttpLimits, HttpsClient, HttpsServer, Request, Response, Router
from impl.pki import certificate_pem
from impl.tls import CertificateClientTls, CertificateServerTls, ClientAuth
from tests.impl.conftest import TestPki
from tests.impl.test_e2e_world import RESOURCE, Ready, capif1e_client, server_only_tls

IDLE = 200
LEGITIMATE = 20
PROMPT = 5.0
"""The clients' timeout for each read here (the code this replaced made legitimate requests wait for the
idle connections' 10 s handshake deadline)."""
SETTLE = 30.0
"""Seconds to wait for the server to park the connections it was given (generous: a loaded machine)."""


def server_only_context(ca_pem: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=ca_pem)
    return context


@dataclass(frozen=True)
class Idle:
    """An idle connection and the time by which the server may close it by design (its handshake or
    idle deadline, counted from before the connect, so never later than the server's own count)."""

    sock: socket.socket
    closable_at: float


@contextmanager
def idle_connections(port: int, ca_pem: str, count: int) -> Iterator[list[Idle]]:
    """``count`` idle connections: a third silent after TCP, a third stalled inside the TLS handshake
    (half a ClientHello), a third with a finished server-authenticated handshake and no request."""
    limits = HttpLimits()
    with ExitStack() as stack:
        held: list[Idle] = []
        context = server_only_context(ca_pem)
        for index in range(count):
            opened = time.monotonic()
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=PROMPT))
            kind = index % 3
            if kind == 1:
                sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            elif kind == 2:
                sock = stack.enter_context(context.wrap_socket(sock, server_hostname="127.0.0.1"))
            deadline = limits.idle_timeout if kind == 2 else limits.handshake_timeout
            held.append(Idle(sock, opened + deadline))
        yield held


def answered_promptly(call: Callable[[], int]) -> None:
    """Answered 200, each read within the client's timeout of ``PROMPT`` (no total duration is
    asserted: the shared machine's load stretches it; the latency target is the benchmark's)."""
    assert call() == 200


def test_legitimate_requests_are_answered_while_200_idle_connections_are_held(
    deployment: Deployment, ready: Ready
) -> None:
    ca_pem = certificate_pem(deployment.ca.certificate)
    aef_port = deployment.aef.interfaces["oauth"].port
    assert aef_port is not None
    greeting = f"/oauth/{HELLO_API}/v1{RESOURCE}"
    bearer = {"Authorization": f"Bearer {ready.token}"}
    query = urllib.parse.urlencode({"api-invoker-id": ready.api_invoker_id})

    def aef_request() -> int:
        with HttpsClient(server_only_tls(deployment), "127.0.0.1", aef_port, timeout=PROMPT) as client:
            return client.get(greeting, headers=bearer).status

    def ccf_request() -> int:
        with capif1e_client(deployment, ready.invoker.identity.credential) as client:
            return client.get(f"/service-apis/v1/allServiceAPIs?{query}").status

    with (
        idle_connections(aef_port, ca_pem, IDLE) as aef_idle,
        idle_connections(deployment.ccf.capif1e_port, ca_pem, IDLE) as ccf_idle,
    ):
        answered_promptly(aef_request)
        answered_promptly(ccf_request)
        # Held, not evicted: those the server may not yet close by its deadlines (on a loaded machine,
        # setting up 400 connections can outlast the 5 s handshake deadline of the first ones).
        now = time.monotonic()
        assert all(still_open(idle.sock) for idle in aef_idle + ccf_idle if now < idle.closable_at)
        for _ in range(LEGITIMATE - 1):
            answered_promptly(aef_request)
            answered_promptly(ccf_request)


def still_open(sock: socket.socket) -> bool:
    """Whether the server has not closed the connection (nothing to read, no end of stream)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except (BlockingIOError, ssl.SSLWantReadError):
        return True
    except OSError:
        return False


def _ok(request: Request) -> Response:
    return Response.json({"ok": True})


def test_over_the_per_peer_bound_unauthenticated_idle_connections_are_evicted_first(pki: TestPki) -> None:
    router = Router()
    router.add("GET", "/ok", _ok)
    tls = CertificateServerTls(pki.server, client_cas=pki.ca.certificate, client_auth=ClientAuth.OPTIONAL)
    # The handshake deadline is long, so only eviction closes a silent connection here (at the default
    # 5 s, a loaded machine let the server give up the first ones itself, and then evict authenticated
    # ones for want of a parked handshake).
    limits = HttpLimits(handshake_timeout=300)
    with HttpsServer(router, tls, max_connections_per_peer=8, limits=limits) as server:
        mutual = CertificateClientTls(pki.ca.certificate, credential=pki.client)
        authenticated = [HttpsClient(mutual, "127.0.0.1", server.port, timeout=PROMPT) for _ in range(4)]
        for client in authenticated:
            assert client.get("/ok").status == 200
        first_peers = [client.peer for client in authenticated]
        parked = _wait_until_parked(server, 4, frozenset())
        silent = []
        for count in range(1, 13):  # each parked (after the server's short linger) before the next arrives
            silent.append(socket.create_connection(("127.0.0.1", server.port), timeout=PROMPT))
            parked = _wait_until_parked(server, min(4 + count, 8), parked)
        with HttpsClient(CertificateClientTls(pki.ca.certificate), "127.0.0.1", server.port) as newcomer:
            answered_promptly(lambda: newcomer.get("/ok").status)
        # 4 authenticated + 12 silent + the newcomer over a bound of 8: the 9 silent connections that
        # waited longest are evicted (each before the connection that evicted it was answered).
        assert all(_closed_by_server(sock) for sock in silent[:9])
        assert all(still_open(sock) for sock in silent[9:])
        for client, peer in zip(authenticated, first_peers, strict=True):
            assert client.get("/ok").status == 200
            assert client.peer is peer  # still the same session: not evicted
            client.close()
        for sock in silent:
            sock.close()


def _wait_until_parked(server: HttpsServer, count: int, before: frozenset[object]) -> frozenset[object]:
    """Wait until the server holds ``count`` connections, every one parked (none busy with a worker),
    among them one not parked ``before`` (the connection just made): eviction picks among parked
    connections only, so one not yet parked when the next arrives would leave an authenticated one to
    be evicted. The connections parked then."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        parked = frozenset(server._parked.values())
        if len(parked) == count and not server._busy and parked - before:
            return parked
        time.sleep(0.01)
    raise AssertionError(f"the server did not park {count} connections within {SETTLE} s")


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(PROMPT)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
