"""A threaded HTTPS/1.1 server: each connection is served by one pooled worker thread, TLS handshake
included.

The accept loop only accepts; the TLS handshake (bounded by ``handshake_timeout``), request reading
(``head_timeout``, ``io_timeout``, size limits) and the handler run in the connection's worker, so a
stalled or hostile client holds one worker at most, never the listener. At most ``max_connections``
connections are served at once; further clients wait in the listen backlog. Expected bad input is
answered with a 4xx ``ProblemDetails``; a failing handler is logged and answered 500, and the
connection stays usable. :meth:`HttpsServer.stop` closes the listener, shuts every open connection
and joins every thread.
"""

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

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
from impl.tls import ServerTls, TlsChannel, TlsError, TlsHandshakeError

ErrorTranslator = Callable[[Exception], Response | None]
"""Maps an exception a handler raised to its answer, or ``None`` for "not mine" (a logged 500)."""

_LOG = logging.getLogger(__name__)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_SLOT_WAIT = 0.2
_ACCEPT_BACKOFF = 0.05
_LISTEN_BACKLOG = 128


def _problem_for(error: MessageError) -> Response:
    cause = "INVALID_MSG_FORMAT" if error.status == 400 else None
    return ProblemDetails(error.status, detail=error.detail, cause=cause).to_response()


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
        max_connections: int = 64,
        error_response: ErrorTranslator | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._router = router
        self._tls = tls
        self._error_response = error_response
        self._requested_address = (host, port)
        self._limits = limits or HttpLimits()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._max_connections = max_connections
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight: set[Future[None]] = set()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._acceptor: threading.Thread | None = None

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
        """Bind, listen and start accepting."""
        if self._listener is not None:
            raise RuntimeError("the server is already running")
        host, port = self._requested_address
        listener = socket.create_server((host, port), backlog=_LISTEN_BACKLOG)
        self._stopping.clear()
        self._listener = listener
        self._wakeup = socket.socketpair()
        self._pool = ThreadPoolExecutor(self._max_connections, thread_name_prefix=f"https-{self.port}")
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"https-accept-{self.port}")
        self._acceptor.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, shut every open connection, join every thread. Idempotent.

        A handler still running after ``timeout`` seconds is logged and left to finish on its own.
        """
        if self._listener is None or self._wakeup is None or self._acceptor is None or self._pool is None:
            return
        self._stopping.set()
        self._wakeup[1].send(b"\0")
        self._acceptor.join(timeout)
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            in_flight = list(self._in_flight)
        _, still_running = wait(in_flight, timeout)
        if still_running:
            _LOG.warning("%d connection(s) still busy after %.1f s; not waiting", len(still_running), timeout)
        self._pool.shutdown(wait=not still_running)
        self._listener.close()
        for end in self._wakeup:
            end.close()
        self._listener, self._wakeup, self._acceptor, self._pool = None, None, None, None

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wakeup is not None
        poller = select.poll()
        poller.register(self._listener, select.POLLIN)
        poller.register(self._wakeup[0], select.POLLIN)
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=_SLOT_WAIT):
                continue
            ready = {descriptor for descriptor, _ in poller.poll()}
            if self._wakeup[0].fileno() in ready or self._stopping.is_set():
                self._slots.release()
                return
            try:
                sock, _ = self._listener.accept()
            except OSError as error:  # e.g. out of file descriptors: back off, do not spin
                _LOG.warning("accept failed: %s", error)
                self._slots.release()
                self._stopping.wait(_ACCEPT_BACKOFF)
                continue
            self._start_worker(sock)

    def _start_worker(self, sock: socket.socket) -> None:
        assert self._pool is not None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        shutdown_handle = sock.dup()
        with self._lock:
            self._connections.add(shutdown_handle)
            future = self._pool.submit(self._serve, sock, shutdown_handle)
            self._in_flight.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._in_flight.discard(future)

    def _serve(self, sock: socket.socket, shutdown_handle: socket.socket) -> None:
        try:
            channel = self._tls.accept(sock, timeout=self._limits.handshake_timeout)
        except TlsHandshakeError as error:
            _LOG.info("TLS handshake refused: %s", error.reason)
        except Exception:
            _LOG.exception("TLS accept failed")
            sock.close()
        else:
            try:
                self._exchange(channel)
            except (TlsError, OSError, PeerClosedError) as error:
                _LOG.debug("connection ended: %r", error)
            except Exception:
                _LOG.exception("connection failed")
            finally:
                channel.close()
        finally:
            with self._lock:
                self._connections.discard(shutdown_handle)
            shutdown_handle.close()
            self._slots.release()

    def _exchange(self, channel: TlsChannel) -> None:
        reader = MessageReader(channel, self._limits)
        while not self._stopping.is_set():
            try:
                head = reader.read_request_head()
                if head is None:
                    return
                body = self._read_body(reader, channel, head)
            except MessageError as error:
                self._send(channel, _problem_for(error), keep_alive=False, include_body=True)
                return
            response = self._dispatch(head, body, channel)
            keep_alive = head.keep_alive and not self._stopping.is_set()
            self._send(channel, response, keep_alive=keep_alive, include_body=head.method != "HEAD")
            if not keep_alive:
                return

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
            fields.append(("Connection", "close"))
        body = response.body if include_body else b""
        channel.send_all(serialize_response(response.status, fields, body), self._limits.io_timeout)
