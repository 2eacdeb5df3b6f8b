"""An HTTPS/1.1 client over one persistent TLS connection (any :mod:`impl.tls` client mode).

The connection is opened on first use and kept open between requests (unless the client is made for
one request per connection, ``persistent=False``); it is replaced only when the server has closed it
(checked before each request, never by re-sending a request). Each response carries the
:class:`~impl.tls.TlsPeer` of the connection that carried it, so on CAPIF-1e the invoker derives
AEFPSK from exactly the session its security request travelled on (TS 33.122 Annex A.1).

Failures: :class:`~impl.tls.TlsHandshakeError` / :class:`~impl.tls.TlsError` for TLS,
:class:`HttpConnectionError` for TCP trouble, timeouts and early closes, :class:`HttpResponseError`
for a malformed or oversized response. Any of them drops the connection.
"""

import functools
import ipaddress
import json
import re
import socket
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from impl.http.headers import FIELD_NAME, FIELD_VALUE, Headers
from impl.http.message import HttpLimits, MessageError, MessageReader, PeerClosedError, serialize_request
from impl.http.problem import ProblemDetails
from impl.http.request import FORM_URLENCODED, media_type
from impl.http.response import JSON
from impl.lifecycle import Closable
from impl.tls import ClientTls, TlsChannel, TlsError, TlsPeer

MERGE_PATCH_JSON = "application/merge-patch+json"
_DEFAULT_LIMITS = HttpLimits()
_TARGET = re.compile(r"/[\x21-\x7e]*")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods known to be tokens, which need no check per request."""


class HttpClientError(Exception):
    """An HTTP exchange failed for a reason other than TLS."""


class HttpConnectionError(HttpClientError):
    """No TCP connection, a timeout, or the server closed the connection before answering."""


class HttpResponseError(HttpClientError):
    """The server's response is malformed, oversized, or not the JSON it claims to be."""


@dataclass(frozen=True)
class ClientResponse:
    """A received response and the TLS peer of the connection it came on."""

    status: int
    reason: str
    headers: Headers
    body: bytes
    peer: TlsPeer

    @property
    def media_type(self) -> str | None:
        """``Content-Type`` without parameters, lower case."""
        return media_type(self.headers.get("content-type"))

    def json(self) -> object:
        """The body parsed as JSON; :class:`HttpResponseError` if it is not."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise HttpResponseError(f"response body is not JSON: {error}") from error

    def problem(self) -> ProblemDetails | None:
        """The ``ProblemDetails`` of an error response with a JSON body, else ``None``."""
        kind = self.media_type or ""
        if self.status < 400 or not (kind == JSON or kind.endswith("+json")):
            return None
        try:
            document = self.json()
        except HttpResponseError:
            return None
        return ProblemDetails.from_json(document, status=self.status)


@functools.lru_cache(maxsize=256)
def _address_family(host: str) -> socket.AddressFamily | None:
    """The family of an IP address literal; None for a host name (remembered: a client is made per
    connection to the same few hosts)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return socket.AF_INET if address.version == 4 else socket.AF_INET6


def _host_field(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class HttpsClient(Closable):
    """Requests to one server (``host``, ``port``) over ``tls``; the server certificate is checked
    against ``server_name`` (default: ``host``). ``timeout`` bounds connecting, the handshake, and
    each request/response exchange. Thread-safe: requests are serialised on the one connection.

    ``persistent=False`` is for a client that makes one request per connection: each request says
    ``Connection: close`` (RFC 9112 clause 9.6), so the server closes right after its response and
    no server thread waits for, or has to answer, the client's close later."""

    def __init__(
        self,
        tls: ClientTls,
        host: str,
        port: int,
        *,
        server_name: str | None = None,
        timeout: float = 10.0,
        limits: HttpLimits | None = None,
        persistent: bool = True,
    ) -> None:
        self._tls = tls
        self._host = host
        self._port = port
        self._family = _address_family(host)
        self._server_name = server_name or host
        self._timeout = timeout
        self._limits = limits or _DEFAULT_LIMITS
        self._persistent = persistent
        self._fixed_fields = [
            ("Host", _host_field(host, port)),
            ("User-Agent", "capifsec"),
            ("Accept", "application/json, application/problem+json"),
            *([] if persistent else [("Connection", "close")]),
        ]
        """The fields every request carries, built once per client."""
        self._lock = threading.Lock()
        self._channel: TlsChannel | None = None
        self._reader: MessageReader | None = None

    @property
    def peer(self) -> TlsPeer | None:
        """The peer of the open connection, ``None`` when none is open."""
        return self._channel.peer if self._channel else None

    def connect(self) -> TlsPeer:
        """Open the connection now (or keep the open one) and return its peer."""
        with self._lock:
            return self._open().peer

    def close(self) -> None:
        """Close the connection (close_notify); a later request opens a new one."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self._channel, self._reader = None, None

    def _open(self) -> TlsChannel:
        if self._channel is not None and not self._channel.has_incoming():
            return self._channel
        self._drop()
        try:
            sock = self._connected_socket()
        except OSError as error:
            raise HttpConnectionError(f"cannot connect to {self._host}:{self._port}: {error}") from error
        channel = self._tls.connect(sock, server_name=self._server_name, timeout=self._timeout)
        self._channel, self._reader = channel, MessageReader(channel, self._limits)
        return channel

    def _connected_socket(self) -> socket.socket:
        """A TCP connection to the server, Nagle off; an IP literal needs no name resolution."""
        if self._family is None:
            sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        else:
            sock = socket.socket(self._family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self._timeout)
                sock.connect((self._host, self._port))
            except OSError:
                sock.close()
                raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ClientResponse:
        """Send one request and read its response. ``path`` is an already percent-encoded absolute
        path (``urllib.parse.quote(value, safe="")`` for identifiers); ``query`` is encoded here."""
        if method not in _METHODS and not FIELD_NAME.fullmatch(method):
            raise ValueError(f"{method!r} is not an HTTP method token")
        target = path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        if not _TARGET.fullmatch(target) or "#" in target:
            raise ValueError(f"{path!r} is not a percent-encoded absolute path")
        fields = self._fixed_fields.copy()
        for name, value in (headers or {}).items():
            if not FIELD_NAME.fullmatch(name) or not FIELD_VALUE.fullmatch(value):
                raise ValueError(f"invalid header field {name!r}")
            fields.append((name, value))
        if content_type is not None:
            fields.append(("Content-Type", content_type))
        if body or method in ("POST", "PUT", "PATCH"):
            fields.append(("Content-Length", str(len(body))))
        with self._lock:
            return self._exchange(method, serialize_request(method, target, fields, body))

    def _exchange(self, method: str, message: bytes) -> ClientResponse:
        channel = self._open()
        assert self._reader is not None
        try:
            channel.send_all(message, self._timeout)
            head, body = self._reader.read_response(method, self._timeout)
        except MessageError as error:
            self._drop()
            raise HttpResponseError(error.detail) from error
        except PeerClosedError as error:
            self._drop()
            raise HttpConnectionError("the server closed the connection before answering") from error
        except TlsError:
            self._drop()
            raise
        except OSError as error:  # includes TimeoutError
            self._drop()
            raise HttpConnectionError(f"exchange with {self._host}:{self._port} failed: {error!r}") from error
        if not (head.keep_alive and self._persistent):
            self._drop()
        return ClientResponse(head.status, head.reason, head.headers, body, channel.peer)

    def get(
        self, path: str, *, query: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> ClientResponse:
        """GET ``path`` (TS 29.222 resource reads, e.g. ``trustedInvokers/{id}?authenticationInfo=true``)."""
        return self.request("GET", path, query=query, headers=headers)

    def delete(self, path: str, *, headers: Mapping[str, str] | None = None) -> ClientResponse:
        """DELETE ``path`` (e.g. offboarding, TS 29.222 CAPIF_API_Invoker_Management_API)."""
        return self.request("DELETE", path, headers=headers)

    def _json(
        self, method: str, path: str, document: object, content_type: str, headers: Mapping[str, str] | None
    ) -> ClientResponse:
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        return self.request(method, path, body=body, content_type=content_type, headers=headers)

    def post_json(
        self, path: str, document: object, *, headers: Mapping[str, str] | None = None
    ) -> ClientResponse:
        """POST a JSON body (``application/json``)."""
        return self._json("POST", path, document, JSON, headers)

    def put_json(
        self, path: str, document: object, *, headers: Mapping[str, str] | None = None
    ) -> ClientResponse:
        """PUT a JSON body (``application/json``), e.g. ``trustedInvokers/{apiInvokerId}``."""
        return self._json("PUT", path, document, JSON, headers)

    def patch_json(
        self,
        path: str,
        document: object,
        *,
        content_type: str = MERGE_PATCH_JSON,
        headers: Mapping[str, str] | None = None,
    ) -> ClientResponse:
        """PATCH with a JSON merge patch (RFC 7396), the TS 29.222 PATCH body type by default."""
        return self._json("PATCH", path, document, content_type, headers)

    def post_form(
        self, path: str, fields: Mapping[str, str], *, headers: Mapping[str, str] | None = None
    ) -> ClientResponse:
        """POST ``application/x-www-form-urlencoded`` fields (the TS 29.222 token endpoint)."""
        body = urllib.parse.urlencode(fields).encode("ascii")
        return self.request("POST", path, body=body, content_type=FORM_URLENCODED, headers=headers)
