"""Issue 13, memory flat: before Python 3.13, ``sslpsk3`` finds a TLS-PSK socket's context through a
module-level dict keyed by the address of the socket's OpenSSL object and never removes an entry, so
the dict grew with every connection and kept every context alive. Our endpoints remove their
sockets' entries once a handshake has ended (completed, refused or given up). Connections are held
open while the dict is measured: their OpenSSL objects are then alive at distinct addresses, so an
entry left behind per connection shows as growth."""

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from impl.http import HttpLimits, HttpsServer, Router
from impl.tls import PskClientTls, PskServerTls, TlsChannel, TlsHandshakeError
from tests.robustness.settling import settled

if sys.version_info < (3, 13):
    import sslpsk3.sslpsk3

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 13), reason="Python 3.13 has native PSK callbacks")

IDENTITY = "invoker-1"
AEFPSK = bytes(range(32))
CONNECTIONS = 20


def _table_size() -> int:
    """The table's size, read through :func:`settled` after connections: a server thread releases
    its socket's entry when its own handshake returns, which can be just after the client's has (in
    TLS 1.2 the server sends the last Finished; a refusal or a give-up closes the connection before
    the entry goes)."""
    return len(sslpsk3.sslpsk3.psk_contexts)


@contextmanager
def psk_server(handshake_timeout: float) -> Iterator[HttpsServer]:
    tls = PskServerTls(lambda identity: AEFPSK if identity == IDENTITY else None)
    with HttpsServer(Router(), tls, limits=HttpLimits(handshake_timeout=handshake_timeout)) as running:
        yield running


def _connect(server: HttpsServer, identity: str, key: bytes) -> TlsChannel:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return PskClientTls(identity, key).connect(sock, server_name="127.0.0.1", timeout=10)


def test_completed_handshakes_leave_no_entry() -> None:
    before = _table_size()
    with psk_server(handshake_timeout=30) as server:  # generous: handshakes the load slows must complete
        channels = [_connect(server, IDENTITY, AEFPSK) for _ in range(CONNECTIONS)]
        try:
            assert all(channel.peer.psk_identity == IDENTITY for channel in channels)
            assert settled(_table_size, before) == before
        finally:
            for channel in channels:
                channel.close()


def test_refused_and_abandoned_handshakes_leave_no_entry() -> None:
    """The server gives up a silent connection's handshake after 0.3 s (a refusal the load slows past
    that is given up instead: no entry either way)."""
    before = _table_size()
    with psk_server(handshake_timeout=0.3) as server:
        for identity, key in [("unknown-invoker", AEFPSK), (IDENTITY, bytes(32))] * (CONNECTIONS // 2):
            with pytest.raises(TlsHandshakeError):
                _connect(server, identity, key)
        silent = [
            socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(CONNECTIONS)
        ]
        try:
            for sock in silent:  # the server gives each up at its handshake deadline and closes it
                assert sock.recv(1) == b""
            assert settled(_table_size, before) == before
        finally:
            for sock in silent:
                sock.close()
