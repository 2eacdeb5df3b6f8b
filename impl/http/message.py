"""HTTP/1.1 message framing over a :class:`~impl.tls.TlsChannel` (RFC 9112), strict and bounded.

Every limit is a :class:`HttpLimits` field; every violation is a :class:`MessageError` carrying the
status the server answers with (400, 408, 411, 413, 414, 431, 501, 505). Request smuggling vectors
are refused outright: obsolete line folding, whitespace before the colon, bare CR, both
``Content-Length`` and ``Transfer-Encoding``, conflicting lengths, codings other than ``chunked``.
"""

import email.utils
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus

from impl.http.headers import Headers
from impl.tls import TlsChannel

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_FIELD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_FIELD_BLOCK = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*\r\n)*")
"""Header field lines (as Latin-1 text) with nothing to object to, each ending in CRLF: token name,
colon, value without controls other than tab."""
_FIELD = re.compile(
    r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*((?:[^\x00-\x20\x7f]+(?:[ \t]+[^\x00-\x20\x7f]+)*)?)[ \t]*\r\n"
)
"""Name and value of each line of a block :data:`_FIELD_BLOCK` matched, the value without the
whitespace around it (RFC 9112 clause 5)."""
_TARGET = re.compile(rb"/[\x21-\x7e]*")
_REQUEST_LINE = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (/[\x21\x22\x24-\x7e]*) (HTTP/1\.[01])")
"""A request line (as Latin-1 text) with nothing to object to: method token, origin-form target
without a fragment, HTTP/1.1 or 1.0; anything else is looked at piece by piece, to name the fault."""
_HTTP_VERSION = re.compile(rb"HTTP/[0-9]\.[0-9]")
_STATUS_LINE = re.compile(rb"(HTTP/1\.[01]) ([1-9][0-9]{2})(?: ([\t\x20-\x7e\x80-\xff]*))?")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")
_DIGITS = re.compile(r"[0-9]{1,15}")
_MAX_LEADING_EMPTY_LINES = 4
_READ_SIZE = 16 * 1024
_THREAD = threading.local()


def _read_chunk() -> bytearray:
    """This thread's receive area: octets are copied out of it at once, so one per thread serves
    every connection the thread reads from (no 16 KiB allocation per connection)."""
    chunk: bytearray | None = getattr(_THREAD, "chunk", None)
    if chunk is None:
        chunk = _THREAD.chunk = bytearray(_READ_SIZE)
    return chunk


@dataclass(frozen=True)
class HttpLimits:
    """Bounds on what one connection may send and how long it may take (seconds)."""

    max_start_line: int = 8 * 1024
    max_field_line: int = 8 * 1024
    max_fields: int = 100
    max_body: int = 1024 * 1024
    handshake_timeout: float = 5.0
    head_timeout: float = 10.0
    idle_timeout: float = 30.0
    io_timeout: float = 30.0


class MessageError(Exception):
    """A malformed or oversized message; ``status`` is the answer a server gives to it."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class PeerClosedError(Exception):
    """The peer closed the connection before a complete message."""


@dataclass(frozen=True)
class RequestHead:
    """Request line and header fields of a request, and how its body is framed: ("chunked" |
    "length" | "none", declared length), RFC 9112 clause 6.3."""

    method: str
    target: str
    version: str
    headers: Headers
    framing: tuple[str, int]

    @property
    def keep_alive(self) -> bool:
        """Persistence per RFC 9112 clause 9.3."""
        return _keep_alive(self.version, self.headers)


@dataclass(frozen=True)
class ResponseHead:
    """Status line and header fields of a response."""

    version: str
    status: int
    reason: str
    headers: Headers

    @property
    def keep_alive(self) -> bool:
        """Persistence per RFC 9112 clause 9.3."""
        return _keep_alive(self.version, self.headers)


def _connection_options(headers: Headers) -> set[str]:
    return {token.strip().lower() for value in headers.get_all("connection") for token in value.split(",")}


def _keep_alive(version: str, headers: Headers) -> bool:
    options = _connection_options(headers)
    if version == "HTTP/1.1":
        return "close" not in options
    return "keep-alive" in options and "close" not in options


def _framing(headers: Headers, version: str) -> tuple[str, int]:
    """("chunked" | "length" | "none", declared length) per RFC 9112 clause 6.3."""
    transfer_encodings = headers.get_all("transfer-encoding")
    lengths = headers.get_all("content-length")
    if transfer_encodings:
        if lengths:
            raise MessageError(400, "both Transfer-Encoding and Content-Length")
        if version != "HTTP/1.1":
            raise MessageError(400, "Transfer-Encoding in an HTTP/1.0 message")
        codings = [c.strip().lower() for value in transfer_encodings for c in value.split(",")]
        if codings != ["chunked"]:
            raise MessageError(501, f"transfer coding {', '.join(codings)!r} is not supported")
        return "chunked", 0
    if lengths:
        values = {item.strip() for value in lengths for item in value.split(",")}
        value = values.pop() if len(values) == 1 else ""
        if not _DIGITS.fullmatch(value):
            raise MessageError(400, "invalid Content-Length")
        return "length", int(value)
    return "none", 0


class MessageReader:
    """Reads requests (server side) or responses (client side) from one channel, buffering the
    octets that belong to the next message."""

    def __init__(self, channel: TlsChannel, limits: HttpLimits) -> None:
        self._channel = channel
        self._limits = limits
        self._buffer = bytearray()
        self._peer_closed = False

    @property
    def buffered(self) -> bool:
        """Whether octets of the next message have been read and not yet consumed."""
        return bool(self._buffer)

    def fill_available(self) -> int | None:
        """Read what the peer has sent so far without waiting: the number of octets added, 0 when the
        peer closed, None when nothing is there yet."""
        if self._peer_closed:
            return 0
        try:
            chunk = _read_chunk()
            received = self._channel.recv_into(chunk, 0.0)
        except TimeoutError:
            return None
        self._buffer += memoryview(chunk)[:received]
        self._peer_closed = not received
        return received

    def head_ready(self) -> bool:
        """Whether reading a request head can end without waiting for the peer: a whole head is
        buffered (an empty line ends it), or what is buffered already breaks a limit."""
        buffer = self._buffer
        if not buffer:
            return False
        if b"\n\r\n" in buffer or b"\n\n" in buffer:
            return True
        lines = buffer.split(b"\n")
        limit = max(self._limits.max_start_line, self._limits.max_field_line) + 1
        return len(lines) > self._limits.max_fields + _MAX_LEADING_EMPTY_LINES + 1 or any(
            len(line) > limit for line in lines
        )

    def _fill(self, deadline: float) -> bool:
        if self._peer_closed:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("HTTP read timed out")
        chunk = _read_chunk()
        received = self._channel.recv_into(chunk, remaining)
        self._buffer += memoryview(chunk)[:received]
        self._peer_closed = not received
        return received > 0

    def _line(self, max_length: int, deadline: float, too_long_status: int) -> bytes:
        scanned = 0
        while True:
            end = self._buffer.find(b"\n", scanned)
            if end >= 0:
                line = bytes(self._buffer[:end]).removesuffix(b"\r")
                del self._buffer[: end + 1]
                if len(line) > max_length:
                    raise MessageError(too_long_status, f"line longer than {max_length} octets")
                if b"\r" in line:
                    raise MessageError(400, "bare CR in a line")
                return line
            if len(self._buffer) > max_length + 1:
                raise MessageError(too_long_status, f"line longer than {max_length} octets")
            scanned = len(self._buffer)
            if not self._fill(deadline):
                raise PeerClosedError("connection closed inside a message")

    def _buffered_fields(self) -> Headers | None:
        """The header fields, when the whole block is buffered and plainly well formed (the common
        case, parsed at once); None to read them line by line, which also names what is wrong."""
        buffer = self._buffer
        if buffer.startswith(b"\r\n"):
            del buffer[:2]
            return Headers()
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        block = buffer[: end + 2].decode("latin-1")
        if not _FIELD_BLOCK.fullmatch(block):
            return None
        fields: list[tuple[str, str]] = _FIELD.findall(block)
        limits = self._limits
        if len(fields) > limits.max_fields or (
            len(block) > limits.max_field_line and max(map(len, block.split("\r\n"))) > limits.max_field_line
        ):
            return None
        del buffer[: end + 4]
        return Headers(fields)

    def _fields(self, deadline: float) -> Headers:
        fast = self._buffered_fields()
        if fast is not None:
            return fast
        fields: list[tuple[str, str]] = []
        while True:
            line = self._line(self._limits.max_field_line, deadline, 431)
            if not line:
                return Headers(fields)
            if len(fields) >= self._limits.max_fields:
                raise MessageError(431, f"more than {self._limits.max_fields} header fields")
            if line[0] in b" \t":
                raise MessageError(400, "obsolete line folding")
            name, colon, value = line.partition(b":")
            value = value.strip(b" \t")
            if not colon or not _TOKEN.fullmatch(name):
                raise MessageError(400, "malformed header field")
            if _BAD_FIELD_VALUE.search(value):
                raise MessageError(400, f"control character in header field {name.decode('ascii')!r}")
            fields.append((name.decode("ascii"), value.decode("latin-1")))

    def _exact(self, length: int, deadline: float) -> bytes:
        while len(self._buffer) < length:
            if not self._fill(deadline):
                raise PeerClosedError("connection closed inside a message body")
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data

    def _chunked(self, deadline: float) -> bytes:
        body = bytearray()
        while True:
            size_line = self._line(self._limits.max_field_line, deadline, 400)
            size_text = size_line.split(b";", 1)[0].strip(b" \t")
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise MessageError(400, "malformed chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > self._limits.max_body:
                raise MessageError(413, f"body larger than {self._limits.max_body} octets")
            body += self._exact(size, deadline)
            if self._line(0, deadline, 400):
                raise MessageError(400, "chunk data longer than its size")
        self._fields(deadline)  # trailer fields are read and dropped (RFC 9112 clause 7.1.2)
        return bytes(body)

    def read_request_head(self) -> RequestHead | None:
        """The next request's head; ``None`` when the client closed or stayed idle past
        ``idle_timeout`` between requests. Once a request has begun, its head must arrive within
        ``head_timeout`` (408 otherwise)."""
        if not self._buffer:
            try:
                if not self._fill(time.monotonic() + self._limits.idle_timeout):
                    return None
            except TimeoutError:
                return None
        deadline = time.monotonic() + self._limits.head_timeout
        try:
            for _ in range(_MAX_LEADING_EMPTY_LINES):
                line = self._line(self._limits.max_start_line, deadline, 414)
                if line:
                    break
            method, target, version = _request_line(line)
            headers = self._fields(deadline)
        except TimeoutError as error:
            raise MessageError(408, "request head not received in time") from error
        if version == "HTTP/1.1" and len(headers.get_all("host")) != 1:
            raise MessageError(400, "an HTTP/1.1 request needs exactly one Host header field")
        return RequestHead(method, target, version, headers, _framing(headers, version))

    def request_body_length(self, head: RequestHead) -> int | None:
        """The declared body length (``None`` when chunked); 413 when it exceeds ``max_body``."""
        kind, length = head.framing
        if kind == "chunked":
            return None
        if length > self._limits.max_body:
            raise MessageError(413, f"body larger than {self._limits.max_body} octets")
        return length

    def read_request_body(self, head: RequestHead) -> bytes:
        """The request body (de-chunked), at most ``max_body`` octets, within ``io_timeout``."""
        length = self.request_body_length(head)
        if length == 0:
            return b""
        deadline = time.monotonic() + self._limits.io_timeout
        try:
            return self._chunked(deadline) if length is None else self._exact(length, deadline)
        except TimeoutError as error:
            raise MessageError(408, "request body not received in time") from error

    def read_response(self, request_method: str, timeout: float) -> tuple[ResponseHead, bytes]:
        """The final response to a request (interim 1xx responses skipped), within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            match = _STATUS_LINE.fullmatch(self._line(self._limits.max_start_line, deadline, 502))
            if not match:
                raise MessageError(502, "malformed status line")
            status = int(match.group(2))
            headers = self._fields(deadline)
            if status >= 200:
                break
            if status == 101:
                raise MessageError(502, "unexpected protocol switch")
        head = ResponseHead(
            match.group(1).decode(), status, (match.group(3) or b"").decode("latin-1"), headers
        )
        if request_method == "HEAD" or status in (204, 304):
            return head, b""
        kind, length = _framing(headers, head.version)
        if kind == "chunked":
            return head, self._chunked(deadline)
        if kind == "length":
            if length > self._limits.max_body:
                raise MessageError(502, f"response body larger than {self._limits.max_body} octets")
            return head, self._exact(length, deadline)
        return head, self._until_close(deadline)

    def _until_close(self, deadline: float) -> bytes:
        while self._fill(deadline):
            if len(self._buffer) > self._limits.max_body:
                raise MessageError(502, f"response body larger than {self._limits.max_body} octets")
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def _request_line(line: bytes) -> tuple[str, str, str]:
    well_formed = _REQUEST_LINE.fullmatch(line.decode("latin-1"))
    if well_formed:
        method, target, version = well_formed.groups()
        return method, target, version
    parts = line.split(b" ")
    if len(parts) != 3:
        raise MessageError(400, "malformed request line")
    method, target, version = parts
    if not _TOKEN.fullmatch(method):
        raise MessageError(400, "malformed method")
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        if _HTTP_VERSION.fullmatch(version):
            raise MessageError(505, f"{version.decode('ascii')} is not supported")
        raise MessageError(400, "malformed HTTP version")
    if not _TARGET.fullmatch(target) or b"#" in target:
        raise MessageError(400, "request target is not an origin-form path")
    return method.decode("ascii"), target.decode("ascii"), version.decode("ascii")


_STATUS_LINES = {status.value: f"HTTP/1.1 {status.value} {status.phrase}" for status in HTTPStatus}


def serialize_response(response_status: int, fields: list[tuple[str, str]], body: bytes) -> bytes:
    """Status line, fields (the caller includes framing fields), blank line, body."""
    lines = [_STATUS_LINES[response_status]]
    lines += [f"{name}: {value}" for name, value in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def serialize_request(method: str, target: str, fields: list[tuple[str, str]], body: bytes) -> bytes:
    """Request line, fields (the caller includes ``Host`` and framing fields), blank line, body."""
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _DateField:
    """The ``Date`` value, formatted once per second (a second is its resolution)."""

    def __init__(self) -> None:
        self._cached: tuple[int, str] = (-1, "")

    def __call__(self) -> str:
        now = time.time()
        second, text = self._cached
        if int(now) != second:
            text = email.utils.formatdate(now, usegmt=True)
            self._cached = (int(now), text)
        return text


http_date = _DateField()
"""The current time as an IMF-fixdate for the ``Date`` field (RFC 9110 clause 6.6.1)."""
