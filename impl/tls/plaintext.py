"""No TLS at all: plaintext TCP behind the :class:`~impl.tls.channel.TlsChannel` interface.

Only the unsafe ``none`` protection options use it (``capif6-protection=none``,
``capif8-protection=none``): the network attacker of the model reads, forges and changes what travels
here, and the implementation lets it, so that such a profile runs for real. The peer is anonymous
(``TlsPeer`` with version :attr:`~impl.tls.profile.TlsVersion.NONE`, no certificate, no PSK identity).
"""

from __future__ import annotations

import contextlib
import socket

from impl.tls.channel import readable_now
from impl.tls.peer import TlsPeer
from impl.tls.profile import TlsVersion

PLAINTEXT = "none (plaintext)"


class PlaintextChannel:
    """A :class:`~impl.tls.channel.TlsChannel` over a plain TCP socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock
        self._peer = TlsPeer(TlsVersion.NONE, PLAINTEXT)
        self._closed = False

    @property
    def peer(self) -> TlsPeer:
        return self._peer

    def recv_into(self, buffer: bytearray | memoryview, timeout: float) -> int:
        self._socket.settimeout(timeout)
        try:
            return self._socket.recv_into(buffer)
        except BlockingIOError as error:  # timeout 0: nothing there yet
            raise TimeoutError("nothing to read") from error

    def send_all(self, data: bytes, timeout: float) -> None:
        self._socket.settimeout(timeout)
        self._socket.sendall(data)

    def has_incoming(self) -> bool:
        return self._closed or readable_now(self._socket)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()


class PlaintextHandshake:
    """The ``ServerHandshake`` of an unprotected endpoint: complete before it begins."""

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock

    def fileno(self) -> int:
        return self._socket.fileno()

    def advance(self) -> PlaintextChannel:
        return PlaintextChannel(self._socket)

    def abort(self) -> None:
        self._socket.close()


class PlaintextServer:
    """The ``ServerTls`` of an unprotected endpoint: every accepted connection is used as it is."""

    def start(self, sock: socket.socket) -> PlaintextHandshake:
        return PlaintextHandshake(sock)

    def accept(self, sock: socket.socket, *, timeout: float) -> PlaintextChannel:
        return PlaintextChannel(sock)


class PlaintextClient:
    """The ``ClientTls`` of an unprotected client: the connected socket is used as it is."""

    def connect(self, sock: socket.socket, *, server_name: str, timeout: float) -> PlaintextChannel:
        return PlaintextChannel(sock)
