"""An established channel's reads and writes over real loopback TLS: octets that do not fit the socket
buffers cross whole in both directions, a read waits at most its timeout, a closed peer reads as 0."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from impl.tls import PskClientTls, PskServerTls, TlsChannel

AEFPSK = bytes(range(32))
LARGE = 8 * 1024 * 1024
"""Octets far beyond what the loopback socket buffers hold, so writers must wait for readers."""


@contextmanager
def channel_pair() -> Iterator[tuple[TlsChannel, TlsChannel]]:
    """(server, client) ends of one TLS-PSK connection over loopback."""
    server_tls = PskServerTls(lambda identity: AEFPSK if identity == "invoker-1" else None)
    accepted: list[TlsChannel] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(
            target=lambda: accepted.append(server_tls.accept(listener.accept()[0], timeout=5))
        )
        thread.start()
        sock = socket.create_connection(listener.getsockname(), timeout=5)
        client = PskClientTls("invoker-1", AEFPSK).connect(sock, server_name="127.0.0.1", timeout=5)
        thread.join(10)
    (server,) = accepted
    try:
        yield server, client
    finally:
        client.close()
        server.close()


def _receive(channel: TlsChannel, count: int) -> bytes:
    received = bytearray()
    area = bytearray(64 * 1024)
    while len(received) < count:
        got = channel.recv_into(area, 10)
        assert got, "the peer closed early"
        received += area[:got]
    return bytes(received)


@pytest.mark.parametrize("direction", ["server-to-client", "client-to-server"])
def test_a_large_message_crosses_whole(direction: str) -> None:
    message = bytes(index % 251 for index in range(LARGE))
    with channel_pair() as (server, client):
        writer, reader = (server, client) if direction == "server-to-client" else (client, server)
        sending = threading.Thread(target=writer.send_all, args=(message, 30))
        sending.start()
        time.sleep(0.2)  # the writer fills the socket buffers and must wait for the reader
        assert _receive(reader, LARGE) == message
        sending.join(30)
        assert not sending.is_alive()


@pytest.mark.parametrize("timeout", [0.0, 0.3])
def test_a_read_waits_at_most_its_timeout(timeout: float) -> None:
    with channel_pair() as (server, client):
        for reader in (server, client):
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                reader.recv_into(bytearray(16), timeout)
            assert time.monotonic() - started < timeout + 10.0  # bounded (generous: a loaded machine)
        client.send_all(b"after the waits", 5)
        assert _receive(server, 15) == b"after the waits"


def test_a_closed_peer_reads_as_zero() -> None:
    with channel_pair() as (server, client):
        client.send_all(b"last", 5)
        client.close()
        assert _receive(server, 4) == b"last"
        assert server.recv_into(bytearray(16), 5) == 0
