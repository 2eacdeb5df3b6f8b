"""A threaded HTTPS/1.1 server in which a connection holds a thread only while it has work to do.

A pool of ``workers`` threads waits on one shared epoll set holding the listener and every connection
that waits for its peer. The thread an event wakes does the work itself: it accepts a new connection,
then drives it as far as the peer's octets allow (TLS handshake in steps, request head, handler,
response). When the peer keeps it waiting longer than a short linger, the connection is *parked* back
in the epoll set, so that connections that send nothing (before, during or after the handshake, or
between requests) cost a descriptor and no thread. A request's body, the handler and the response
run without parking, each within its limits (``HttpLimits``).

Bounds, so that idle or slow peers cannot crowd out others: at most ``max_connections`` connections at
once and ``max_connections_per_peer`` from one IP address. A connection over either bound evicts a
parked connection of the same scope, in this order: handshakes not completed (unauthenticated), then
connections without an authenticated TLS identity (no client certificate, no PSK) and partial request
heads, then idle authenticated ones, the longest waiting first within each class; when none is parked
the newcomer is refused. Deadlines while parked: ``handshake_timeout`` from accept, ``head_timeout`` for
a request head once begun (408), ``idle_timeout`` between requests; a reaper thread enforces them.

Expected bad input is answered with a 4xx ``ProblemDetails``; a failing handler is logged and answered
500, and the connection stays usable. :meth:`HttpsServer.stop` closes the listener and every
connection and joins every thread.
"""

import contextlib
import enum
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from impl.http.message import (
    HttpLimits,
    MessageError,
    MessageReader,
    PeerClosedError,
    RequestHead,
    http_date,
    serialize_response,
)
from impl.http.problem import AccessTokenErr, ProblemDetails
from impl.http.request import Request, parse_query
from impl.http.response import Response
from impl.http.router import Router
from impl.lifecycle import Service
from impl.tls import ServerHandshake, ServerTls, TlsChannel, TlsError, TlsHandshakeError

ErrorTranslator = Callable[[Exception], Response | None]
"""Maps an exception a handler raised to its answer, or ``None`` for "not mine" (a logged 500)."""

_LOG = logging.getLogger(__name__)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CONNECTION_CLOSE = ("Connection", "close")
_LISTEN_BACKLOG = 512
_LINGER = 0.05
"""Seconds a worker waits in place for the peer before parking the connection: a client on a fast
path answers well within it, so a connection normally never leaves its worker."""
DEFAULT_WORKERS = 8
"""Worker threads per server. Python runs one thread at a time, so workers only overlap waits (a
linger, a handler asking another server); and each worker that has run keeps what it touched (its
stack, its receive area, the allocator's per-thread cache: 0.1 to 0.2 MB each under
``benchmarks/bench_load.py``), so with a large pool the process grew for as long as rarer bursts
reached further into it (32 workers: +11 % in 60 s, growing with the count of workers that had run)."""
_DEFAULT_LIMITS = HttpLimits()
_REAP_INTERVAL = 0.1
_ACCEPT_BACKOFF = 0.05
_WAKE = select.EPOLLIN
_PARK = select.EPOLLIN | select.EPOLLONESHOT


def _problem_for(error: MessageError) -> Response:
    cause = "INVALID_MSG_FORMAT" if error.status == 400 else None
    return ProblemDetails(error.status, detail=error.detail, cause=cause).to_response()


class _Stage(enum.IntEnum):
    """Where a connection is; as a parked connection also its eviction class (lowest first)."""

    HANDSHAKE = 0
    HEAD = 1  # a request head begun and not complete
    UNAUTHENTICATED_IDLE = 2  # between requests, no TLS identity
    IDLE = 3  # between requests, a client certificate or PSK identity


@dataclass(eq=False)
class _Connection:
    """One accepted connection and what the server knows of it."""

    descriptor: int
    peer_address: str
    accepted_at: float
    handshake: ServerHandshake | None
    channel: TlsChannel | None = None
    reader: MessageReader | None = None
    authenticated: bool = False
    stage: _Stage = _Stage.HANDSHAKE
    deadline: float = 0.0
    parked_at: float = 0.0
    registered: bool = field(default=False)
    just_accepted: bool = True

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        elif self.handshake is not None:
            self.handshake.abort()


class HttpsServer(Service):
    """HTTPS server for one :class:`Router` over one TLS mode (see :mod:`impl.tls`).

    ``with HttpsServer(router, tls) as server:`` starts it on ``127.0.0.1`` and an ephemeral port
    (``server.port``, ``server.base_url``) and stops it on exit. Handlers raise
    :class:`ProblemDetails` or :class:`AccessTokenErr`; ``error_response`` may translate other,
    domain-level exceptions into a response (returning ``None`` leaves them a logged 500).
    """

    def __init__(
        self,
        router: Router,
        tls: ServerTls,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: HttpLimits | None = None,
        workers: int = DEFAULT_WORKERS,
        max_connections: int = 1024,
        max_connections_per_peer: int = 256,
        error_response: ErrorTranslator | None = None,
    ) -> None:
        if workers < 1 or max_connections < 1 or max_connections_per_peer < 1:
            raise ValueError("workers and connection bounds must be at least 1")
        self._router = router
        self._tls = tls
        self._error_response = error_response
        self._requested_address = (host, port)
        self._limits = limits or _DEFAULT_LIMITS
        self._worker_count = workers
        self._max_connections = max_connections
        self._max_per_peer = max_connections_per_peer
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._parked: dict[int, _Connection] = {}
        self._busy: set[_Connection] = set()
        self._per_peer: dict[str, int] = {}
        """Connections counted in, by peer address (none: no entry)."""
        self._listener: socket.socket | None = None
        self._family = socket.AF_INET
        self._poller: select.epoll | None = None
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); only while running."""
        if self._listener is None:
            raise RuntimeError("the server is not running")
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    @property
    def port(self) -> int:
        """The bound port."""
        return self.address[1]

    @property
    def base_url(self) -> str:
        """``https://host:port`` of the running server."""
        host, port = self.address
        return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"

    def start(self) -> None:
        """Bind, listen and start the workers and the reaper."""
        if self._listener is not None:
            raise RuntimeError("the server is already running")
        host, port = self._requested_address
        listener = socket.create_server((host, port), backlog=_LISTEN_BACKLOG)
        listener.setblocking(False)
        # Nagle off: accepted connections inherit it (Linux, the BSDs), one system call fewer each.
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._stopping.clear()
        self._listener, self._family = listener, listener.family
        self._wakeup = socket.socketpair()
        self._poller = select.epoll()
        self._poller.register(listener.fileno(), _PARK)
        self._poller.register(self._wakeup[0].fileno(), _WAKE)
        name = f"https-{self.port}"
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{index}") for index in range(self._worker_count)
        ]
        self._threads.append(threading.Thread(target=self._reap, name=f"{name}-reaper"))
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection, join every thread. Idempotent.

        A handler still running after ``timeout`` seconds is logged and left to finish on its own.
        """
        if self._listener is None or self._poller is None or self._wakeup is None:
            return
        self._stopping.set()
        self._wakeup[1].send(b"\0")
        with self._lock:
            parked = list(self._parked.values())
            self._parked.clear()
            for connection in self._busy:
                _shut_down(connection.descriptor)
        for connection in parked:
            self._close(connection, counted=True)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        still_running = [thread.name for thread in self._threads if thread.is_alive()]
        if still_running:
            _LOG.warning("%d thread(s) still busy after %.1f s; not waiting", len(still_running), timeout)
        self._poller.close()
        self._listener.close()
        for end in self._wakeup:
            end.close()
        self._listener, self._poller, self._wakeup, self._threads = None, None, None, []

    # -- the workers -----------------------------------------------------------------------------

    def _work(self) -> None:
        poller, listener = self._poller, self._listener
        assert poller is not None and listener is not None
        listener_descriptor = listener.fileno()
        while not self._stopping.is_set():
            try:
                events = poller.poll(-1, 1)
            except OSError:  # the set was closed by stop()
                return
            for descriptor, _ in events:
                if self._stopping.is_set():
                    return
                if descriptor == listener_descriptor:
                    connection = self._accept(listener, poller)
                else:
                    with self._lock:
                        connection = self._parked.pop(descriptor, None)
                        if connection is not None:
                            self._busy.add(connection)
                if connection is not None:
                    self._drive(connection)

    def _accept(self, listener: socket.socket, poller: select.epoll) -> _Connection | None:
        try:
            sock, address = _accepted(listener, self._family)
        except BlockingIOError:
            return None
        except OSError as error:  # e.g. out of file descriptors: back off, do not spin
            _LOG.warning("accept failed: %s", error)
            self._stopping.wait(_ACCEPT_BACKOFF)
            return None
        finally:
            try:
                poller.modify(listener.fileno(), _PARK)  # another worker takes the next one
            except (OSError, ValueError) as error:  # stop() closed the set or the listener
                _LOG.debug("listener not armed again: %r", error)
        peer_address = str(address[0])
        now = time.monotonic()
        try:
            handshake = self._tls.start(sock)
        except TlsHandshakeError as error:
            _LOG.info("TLS refused at start: %s", error.reason)
            return None
        connection = _Connection(handshake.fileno(), peer_address, now, handshake)
        connection.deadline = now + self._limits.handshake_timeout
        victims = self._admit(connection)
        for victim in victims:
            self._close(victim, counted=False)
        if connection not in self._busy:
            _LOG.info("connection from %s refused: every slot is busy", peer_address)
            handshake.abort()
            return None
        return connection

    def _admit(self, connection: _Connection) -> list[_Connection]:
        """Count the connection in, evicting parked ones over the bounds (see the module note). The
        connection is busy afterwards unless it was refused; the evicted ones, out of every set and
        count, are returned to be closed."""
        victims: list[_Connection] = []
        with self._lock:
            address = connection.peer_address
            while self._per_peer.get(address, 0) >= self._max_per_peer:
                victim = self._evictable(address)
                if victim is None:
                    return victims
                victims.append(self._evict(victim))
            while len(self._parked) + len(self._busy) >= self._max_connections:
                victim = self._evictable(None)
                if victim is None:
                    return victims
                victims.append(self._evict(victim))
            self._per_peer[address] = self._per_peer.get(address, 0) + 1
            self._busy.add(connection)
        for victim in victims:
            _LOG.info("evicted a waiting connection from %s (%s)", victim.peer_address, victim.stage.name)
        return victims

    def _evictable(self, peer_address: str | None) -> _Connection | None:
        candidates = [
            parked
            for parked in self._parked.values()
            if peer_address is None or parked.peer_address == peer_address
        ]
        return min(candidates, key=lambda parked: (parked.stage, parked.parked_at), default=None)

    def _evict(self, connection: _Connection) -> _Connection:
        """Take a parked connection out of the set and the counts (the lock is held)."""
        self._unpark(connection)
        self._uncount(connection.peer_address)
        return connection

    def _uncount(self, peer_address: str) -> None:
        remaining = self._per_peer[peer_address] - 1
        if remaining:
            self._per_peer[peer_address] = remaining
        else:
            del self._per_peer[peer_address]

    def _unpark(self, connection: _Connection) -> _Connection:
        """Take a parked connection out of the set (the lock is held)."""
        del self._parked[connection.descriptor]
        self._forget_registration(connection)
        return connection

    def _forget_registration(self, connection: _Connection) -> None:
        if connection.registered and self._poller is not None:
            with contextlib.suppress(OSError, ValueError):
                self._poller.unregister(connection.descriptor)
            connection.registered = False

    def _drive(self, connection: _Connection) -> None:
        """Work on a busy connection until it closes or waits for its peer (then it is parked)."""
        try:
            if connection.stage is _Stage.HANDSHAKE and not self._handshake(connection):
                return self._park(connection)
            while not self._stopping.is_set():
                if not self._request_arrived(connection):
                    return self._park(connection)
                if not self._serve_request(connection):
                    break
        except TlsHandshakeError as error:
            _LOG.info("TLS handshake refused: %s", error.reason)
            connection.handshake = None  # the handshake closed the socket
        except (TlsError, OSError, PeerClosedError) as error:
            _LOG.debug("connection ended: %r", error)
        except Exception:
            _LOG.exception("connection failed")
        self._close(connection, counted=True)
        return None

    def _handshake(self, connection: _Connection) -> bool:
        """Advance the handshake; True once complete, False when the peer keeps it waiting."""
        handshake = connection.handshake
        assert handshake is not None
        if connection.just_accepted:  # the client's hello follows its connect: wait for it first
            connection.just_accepted = False
            if not _readable_within(connection.descriptor, _LINGER):
                return False
        while True:
            channel = handshake.advance()
            if channel is not None:
                break
            if not _readable_within(connection.descriptor, _LINGER):
                return False
        peer = channel.peer
        connection.channel, connection.handshake = channel, None
        connection.reader = MessageReader(channel, self._limits)
        connection.authenticated = peer.certificate is not None or peer.psk_identity is not None
        self._waiting_for_request(connection)
        return True

    def _waiting_for_request(self, connection: _Connection) -> None:
        connection.stage = _Stage.IDLE if connection.authenticated else _Stage.UNAUTHENTICATED_IDLE
        connection.deadline = time.monotonic() + self._limits.idle_timeout

    def _request_arrived(self, connection: _Connection) -> bool:
        """Whether a whole request head is there to read (waiting at most the linger for the peer's
        octets, then reading them); the reader decides. A peer that closed counts as arrived (the read
        ends it). Waiting before reading is right because a read takes a whole TLS record (the
        reader's area holds the largest), so nothing the peer sent waits inside the TLS layer when the
        socket has nothing."""
        reader = connection.reader
        assert reader is not None
        while not reader.head_ready():
            if not _readable_within(connection.descriptor, _LINGER):
                if reader.buffered and connection.stage is not _Stage.HEAD:
                    connection.stage = _Stage.HEAD
                    connection.deadline = time.monotonic() + self._limits.head_timeout
                return False
            if reader.fill_available() == 0:
                return True  # closed: read_request_head answers None
        return True

    def _serve_request(self, connection: _Connection) -> bool:
        """Read, handle and answer one request; whether the connection stays open for another."""
        reader, channel = connection.reader, connection.channel
        assert reader is not None and channel is not None
        try:
            head = reader.read_request_head()
            if head is None:
                return False
            body = self._read_body(reader, channel, head)
        except MessageError as error:
            self._send(channel, _problem_for(error), keep_alive=False, include_body=True)
            return False
        response = self._dispatch(head, body, channel)
        keep_alive = head.keep_alive and not self._stopping.is_set()
        self._send(channel, response, keep_alive=keep_alive, include_body=head.method != "HEAD")
        if keep_alive:
            self._waiting_for_request(connection)
        return keep_alive

    def _park(self, connection: _Connection) -> None:
        """Hand a connection that waits for its peer back to the epoll set."""
        poller = self._poller
        with self._lock:
            self._busy.discard(connection)
            if self._stopping.is_set() or poller is None:
                self._uncount(connection.peer_address)
                parked = False
            else:
                connection.parked_at = time.monotonic()
                self._parked[connection.descriptor] = connection
                if connection.registered:
                    poller.modify(connection.descriptor, _PARK)
                else:
                    poller.register(connection.descriptor, _PARK)
                    connection.registered = True
                parked = True
        if not parked:
            self._close(connection, counted=False)

    def _close(self, connection: _Connection, *, counted: bool) -> None:
        """Close a connection that is parked in no set any more; ``counted``: still in the counts."""
        with self._lock:
            self._busy.discard(connection)
            if connection.registered:
                self._forget_registration(connection)
            if counted:
                self._uncount(connection.peer_address)
        try:
            connection.close()
        except (OSError, TlsError) as error:
            _LOG.debug("closing a connection failed: %r", error)

    # -- deadlines ---------------------------------------------------------------------------------

    def _reap(self) -> None:
        while not self._stopping.wait(_REAP_INTERVAL):
            now = time.monotonic()
            with self._lock:
                expired = [self._unpark(c) for c in list(self._parked.values()) if c.deadline <= now]
            for connection in expired:
                if connection.stage is _Stage.HEAD and connection.channel is not None:
                    with contextlib.suppress(OSError, TlsError):
                        problem = _problem_for(MessageError(408, "request head not received in time"))
                        self._send(connection.channel, problem, keep_alive=False, include_body=True)
                self._close(connection, counted=True)

    # -- requests ----------------------------------------------------------------------------------

    def _read_body(self, reader: MessageReader, channel: TlsChannel, head: RequestHead) -> bytes:
        expectation = head.headers.get("expect")
        if expectation is not None:
            if expectation.lower() != "100-continue":
                raise MessageError(417, f"expectation {expectation!r} is not supported")
            reader.request_body_length(head)  # 413 before the client sends the body
            if head.version == "HTTP/1.1":
                channel.send_all(_CONTINUE, self._limits.io_timeout)
        return reader.read_request_body(head)

    def _dispatch(self, head: RequestHead, body: bytes, channel: TlsChannel) -> Response:
        path, _, query_string = head.target.partition("?")
        try:
            handler, path_params = self._router.resolve(head.method, path)
            request = Request(
                method=head.method,
                target=head.target,
                path=path,
                path_params=path_params,
                query=parse_query(query_string),
                headers=head.headers,
                body=body,
                peer=channel.peer,
            )
            response = handler(request)
            if not isinstance(response, Response):
                raise TypeError(f"handler returned {type(response).__name__}, not Response")
            return response
        except (ProblemDetails, AccessTokenErr) as error:
            return error.to_response()
        except Exception as error:
            translated = self._translate(error)
            if translated is not None:
                return translated
            _LOG.exception("handler failed on %s %s", head.method, path)
            return ProblemDetails(
                500, detail="the server failed to process the request", cause="SYSTEM_FAILURE"
            ).to_response()

    def _translate(self, error: Exception) -> Response | None:
        if self._error_response is None:
            return None
        try:
            translated = self._error_response(error)
        except Exception:
            _LOG.exception("error translator failed")
            return None
        return translated if isinstance(translated, Response) else None

    def _send(self, channel: TlsChannel, response: Response, *, keep_alive: bool, include_body: bool) -> None:
        fields = [("Date", http_date()), *response.headers.items()]
        if response.status != 204:
            fields.append(("Content-Length", str(len(response.body))))
        if not keep_alive:
            fields.append(_CONNECTION_CLOSE)
        body = response.body if include_body else b""
        channel.send_all(serialize_response(response.status, fields, body), self._limits.io_timeout)


def _accepted(listener: socket.socket, family: socket.AddressFamily) -> tuple[socket.socket, tuple[str, int]]:
    """``listener.accept()`` for our non-blocking TCP listener of ``family``, without asking the
    listener for its family and type (``socket.accept`` converts both to enumerations every time):
    the C accept that ``socket.accept`` calls, its descriptor made a socket of the listener's kind
    (with family and type given, that needs no system call)."""
    descriptor, address = listener._accept()  # type: ignore[attr-defined]
    return socket.socket(family, socket.SOCK_STREAM, 0, descriptor), address


def _readable_within(descriptor: int, timeout: float) -> bool:
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def _shut_down(descriptor: int) -> None:
    """Shut a connection down by its descriptor (the TLS layer owns the socket object)."""
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=descriptor)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()
