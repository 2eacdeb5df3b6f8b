"""The network attacker on CAPIF-6/6e: a man-in-the-middle on the wire between the target's CCFs.

Under ``capif6-protection = none`` CAPIF-6/6e is plaintext HTTP and a CCF names itself in a header
nothing checks (:mod:`impl.interconnect.server`); the model's network attacker (BRIEF section 4)
reads, drops, injects and changes what travels there. The replayer plays it with a real intermediary:
each CCF's peers reach its CAPIF-6/6e endpoint through a :class:`Wiretap` of its own, a TCP relay on
loopback that parses the HTTP messages it relays and that the peers' agreements name as the address of
that CCF. It passes every message on unchanged and keeps what it read (:attr:`Wiretap.read`), except
where a step told it otherwise (:class:`Interception`):

* answer a request itself, in the name of the CCF it was sent to (that CCF never sees it);
* let the request through and replace the CCF's answer;
* drop a request: the connection is closed before the CCF sees it.

It also injects requests of its own at a CCF's endpoint, naming whichever CCF it likes
(:meth:`NetworkAttacker.inject`).

Where CAPIF-6/6e is protected (mutual TLS, as under ``recommended``) there is no wiretap: the attacker
can read and change nothing there, and what it injects meets a TLS handshake that asks for a CCF's
certificate, which it does not hold.

Attacker behaviour lives here, in the replayer; the implementation runs unmodified.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from cryptography import x509

from impl.apitypes.reader import JsonObject, JsonValue
from impl.http import ClientResponse, Headers, HttpLimits, HttpsClient
from impl.http.message import (
    MessageError,
    MessageReader,
    PeerClosedError,
    serialize_request,
    serialize_response,
)
from impl.interconnect import PeerAddress
from impl.interconnect.client import CLAIMED_CCF_HEADER
from impl.lifecycle import Service
from impl.tls import CertificateClientTls, ClientTls
from impl.tls.plaintext import PlaintextChannel, PlaintextClient

Answer = tuple[int, JsonObject]
"""A status and a JSON body"""

_LIMITS = HttpLimits(idle_timeout=30.0, head_timeout=10.0, io_timeout=10.0)
_UPSTREAM_TIMEOUT = 10.0


@dataclass(frozen=True)
class Message:
    """One request the attacker read on a link, with the answer that went back (None: dropped)."""

    method: str
    path: str
    request: bytes
    status: int | None
    answer: bytes


@dataclass
class Interception:
    """What the attacker does to a request on ``path`` whose JSON body ``matches``: answer it itself
    (``answer``, from the request), let it through and replace the CCF's answer (``change``, from the
    request and the CCF's status and answer), or drop it (neither)."""

    path: str
    matches: Callable[[JsonObject], bool]
    answer: Callable[[JsonObject], Answer] | None = None
    change: Callable[[JsonObject, int, JsonObject], Answer] | None = None

    @property
    def drops(self) -> bool:
        return self.answer is None and self.change is None


def _json(body: bytes) -> JsonObject:
    """A JSON object body, or an empty one."""
    try:
        document: JsonValue = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _fields(headers: Headers, body: bytes) -> list[tuple[str, str]]:
    """The header fields to pass on, framed for ``body``."""
    kept = [
        (name, value)
        for name in headers
        if name not in ("content-length", "transfer-encoding")
        for value in headers.get_all(name)
    ]
    return [*kept, ("content-length", str(len(body)))]


def _encoded(answer: Answer, headers: Headers | None = None) -> bytes:
    status, document = answer
    body = json.dumps(document).encode()
    fields = _fields(headers, body) if headers is not None else [("content-length", str(len(body)))]
    if headers is None or "content-type" not in headers:
        fields.insert(0, ("content-type", "application/json"))
    return serialize_response(status, fields, body)


@dataclass
class _Link:
    """One connection a peer opened to the wiretap, and the wiretap's own to the CCF."""

    downstream: socket.socket
    upstream: socket.socket | None = None

    def close(self) -> None:
        for sock in (self.downstream, self.upstream):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


class Wiretap(Service):
    """The attacker's position in front of one CCF's unprotected CAPIF-6/6e endpoint ``upstream``,
    listening on ``host``: ``start()``, then give the peers :attr:`port`; ``stop()`` closes every
    connection and waits for its threads."""

    def __init__(self, host: str, upstream: tuple[str, int]) -> None:
        self.host = host
        self._upstream = upstream
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._threads: list[threading.Thread] = []
        self._interceptions: list[Interception] = []
        self.read: list[Message] = []
        """what the attacker read on this link, in order"""

    @property
    def port(self) -> int:
        assert self._listener is not None
        return int(self._listener.getsockname()[1])

    def start(self) -> None:
        self._listener = socket.create_server((self.host, 0))
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            links, self._links = self._links, []
            threads, self._threads = self._threads, []
        for link in links:
            link.close()
        for thread in threads:
            thread.join(timeout=5.0)

    def intercept(self, interception: Interception) -> None:
        with self._lock:
            self._interceptions.append(interception)

    def forget(self) -> None:
        """Back to passing everything on unchanged, having read nothing (a new trace)."""
        with self._lock:
            self._interceptions.clear()
            self.read.clear()

    def _spawn(self, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work, name="capifsec-wiretap", daemon=True)
        with self._lock:
            self._threads = [alive for alive in self._threads if alive.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while (listener := self._listener) is not None:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            link = _Link(sock)
            with self._lock:
                self._links.append(link)
            if self._listener is None:
                link.close()
                return
            self._spawn(partial(self._serve, link))

    def _serve(self, link: _Link) -> None:
        try:
            link.upstream = socket.create_connection(self._upstream, timeout=_UPSTREAM_TIMEOUT)
            self._relay(link)
        except (OSError, MessageError, PeerClosedError):
            pass
        finally:
            link.close()
            with self._lock:
                if link in self._links:
                    self._links.remove(link)

    def _relay(self, link: _Link) -> None:
        """Pass each request on and its answer back, unless an interception says otherwise."""
        assert link.upstream is not None
        downstream, upstream = PlaintextChannel(link.downstream), PlaintextChannel(link.upstream)
        requests, answers = MessageReader(downstream, _LIMITS), MessageReader(upstream, _LIMITS)
        while (head := requests.read_request_head()) is not None:
            body = requests.read_request_body(head)
            path, document = head.target.partition("?")[0], _json(body)
            interception = self._interception(path, document)
            if interception is not None and interception.drops:
                self._record(Message(head.method, path, body, None, b""))
                return
            if interception is not None and interception.answer is not None:
                made_up = interception.answer(document)
                answer = _encoded(made_up)
                self._record(Message(head.method, path, body, made_up[0], answer))
                downstream.send_all(answer, _LIMITS.io_timeout)
                continue
            forwarded = serialize_request(head.method, head.target, _fields(head.headers, body), body)
            upstream.send_all(forwarded, _LIMITS.io_timeout)
            answer_head, answer_body = answers.read_response(head.method, _UPSTREAM_TIMEOUT)
            status = answer_head.status
            if interception is not None and interception.change is not None:
                status, changed = interception.change(document, status, _json(answer_body))
                answer = _encoded((status, changed), answer_head.headers)
            else:
                answer = serialize_response(status, _fields(answer_head.headers, answer_body), answer_body)
            self._record(Message(head.method, path, body, status, answer))
            downstream.send_all(answer, _LIMITS.io_timeout)
            if not (head.keep_alive and answer_head.keep_alive):
                return

    def _interception(self, path: str, document: JsonObject) -> Interception | None:
        with self._lock:
            return next(
                (item for item in self._interceptions if item.path == path and item.matches(document)), None
            )

    def _record(self, message: Message) -> None:
        with self._lock:
            self.read.append(message)


class NetworkAttacker(Service):
    """The network attacker of one deployment: where each CCF's CAPIF-6/6e endpoint is, and, when the
    links are unprotected (``readable``), a :class:`Wiretap` in front of each, through which its peers
    reach it (:meth:`place`)."""

    def __init__(self, host: str, *, readable: bool) -> None:
        self.host = host
        self.readable = readable
        self._endpoints: dict[str, tuple[PeerAddress, x509.Certificate]] = {}
        self._wiretaps: dict[str, Wiretap] = {}

    def place(self, ccf_id: str, endpoint: PeerAddress, ca_certificate: x509.Certificate) -> PeerAddress:
        """Where the peers of the CCF ``ccf_id`` (serving at ``endpoint``, certified by
        ``ca_certificate``) reach it: through a new wiretap on an unprotected link, else directly."""
        self._endpoints[ccf_id] = (endpoint, ca_certificate)
        if not self.readable:
            return endpoint
        wiretap = Wiretap(self.host, (endpoint.host, endpoint.port))
        wiretap.start()
        self._wiretaps[ccf_id] = wiretap
        return PeerAddress(self.host, wiretap.port, endpoint.server_name)

    def intercept(self, ccf_id: str, interception: Interception) -> bool:
        """Act on the requests to ``ccf_id`` as ``interception`` says; False when the link is
        protected (the attacker can neither read nor change it)."""
        wiretap = self._wiretaps.get(ccf_id)
        if wiretap is None:
            return False
        wiretap.intercept(interception)
        return True

    def inject(self, ccf_id: str, claimed_ccf_id: str, path: str, document: JsonObject) -> ClientResponse:
        """``POST`` ``document`` to ``path`` at the CCF ``ccf_id``'s own endpoint, naming
        ``claimed_ccf_id`` as the caller (``X-Capifsec-Ccf-Id``); over TLS with no client
        certificate where the link is protected (the attacker holds no CCF's key)."""
        endpoint, ca_certificate = self._endpoints[ccf_id]
        tls: ClientTls = PlaintextClient() if self.readable else CertificateClientTls(ca_certificate)
        headers = {CLAIMED_CCF_HEADER: claimed_ccf_id}
        with HttpsClient(tls, endpoint.host, endpoint.port, server_name=endpoint.server_name) as client:
            return client.post_json(path, document, headers=headers)

    def read(self) -> list[Message]:
        """Every message the attacker read, link by link."""
        return [message for wiretap in self._wiretaps.values() for message in wiretap.read]

    def forget(self) -> None:
        """Back to passing everything on unchanged (a new trace)."""
        for wiretap in self._wiretaps.values():
            wiretap.forget()

    def start(self) -> None:
        """Nothing to start: :meth:`place` starts each wiretap."""

    def stop(self) -> None:
        for wiretap in self._wiretaps.values():
            wiretap.stop()
        self._wiretaps.clear()
