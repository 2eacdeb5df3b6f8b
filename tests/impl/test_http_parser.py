"""Malformed HTTP on the wire (RFC 9112) answered with the right 4xx/5xx ProblemDetails, over real
TLS; and property tests of the request reader and the router."""

import json
import socket
import ssl
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.http import HttpLimits, HttpsServer, ProblemDetails, Request, Response, Router
from impl.http.headers import Headers
from impl.http.message import MessageError, MessageReader, PeerClosedError
from impl.pki import certificate_pem
from impl.tls import CertificateServerTls, TlsPeer, TlsVersion
from tests.impl.conftest import TestPki

LIMITS = HttpLimits(
    max_start_line=256, max_field_line=256, max_fields=10, max_body=64, head_timeout=0.5, io_timeout=0.5
)


def _echo(request: Request) -> Response:
    return Response.json({"body": request.body.decode("latin-1"), "params": dict(request.path_params)})


@pytest.fixture(scope="module")
def server(pki: TestPki) -> Iterator[HttpsServer]:
    router = Router()
    router.add("POST", "/echo/{item}", _echo)
    router.add("GET", "/echo/{item}", _echo)
    with HttpsServer(router, CertificateServerTls(pki.server), limits=LIMITS) as running:
        yield running


def _exchange(server: HttpsServer, pki: TestPki, *messages: bytes) -> bytes:
    """Send raw octets over a verified TLS connection and read everything until the server closes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=certificate_pem(pki.ca.certificate))
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_socket,
    ):
        for message in messages:
            tls_socket.sendall(message)
        received = b""
        while chunk := tls_socket.recv(65536):
            received += chunk
    return received


def _responses(received: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a stream of responses (each with Content-Length) into (status, fields, body)."""
    responses = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {
            name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])
        }
        length = int(fields.get("content-length", "0"))
        responses.append((status, fields, rest[:length]))
        received = rest[length:]
    return responses


HOST = b"Host: 127.0.0.1\r\n"
MALFORMED = {
    "bad-request-line": (b"GARBAGE\r\n\r\n", 400),
    "two-spaces": (b"GET  /echo/a HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "absolute-form": (b"GET http://x/echo/a HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "fragment": (b"GET /echo/a#b HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "lower-case-version": (b"GET /echo/a http/1.1\r\n" + HOST + b"\r\n", 400),
    "http-1.2": (b"GET /echo/a HTTP/1.2\r\n" + HOST + b"\r\n", 505),
    "control-in-target": (b"GET /echo/a\x7f HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "http-2": (b"GET /echo/a HTTP/2.0\r\n" + HOST + b"\r\n", 505),
    "no-version": (b"GET /echo/a\r\n\r\n", 400),
    "bad-method": (b"G(T /echo/a HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "long-target": (b"GET /echo/" + b"a" * 400 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414),
    "huge-header": (b"GET /echo/a HTTP/1.1\r\n" + HOST + b"X-Big: " + b"b" * 400 + b"\r\n\r\n", 431),
    "too-many-headers": (b"GET /echo/a HTTP/1.1\r\n" + HOST + b"X-A: 1\r\n" * 12 + b"\r\n", 431),
    "no-host": (b"GET /echo/a HTTP/1.1\r\n\r\n", 400),
    "two-hosts": (b"GET /echo/a HTTP/1.1\r\n" + HOST + HOST + b"\r\n", 400),
    "obs-fold": (b"GET /echo/a HTTP/1.1\r\n" + HOST + b"X-A: 1\r\n 2\r\n\r\n", 400),
    "space-before-colon": (b"GET /echo/a HTTP/1.1\r\n" + HOST + b"X-A : 1\r\n\r\n", 400),
    "bare-cr": (b"GET /echo/a HTTP/1.1\r\n" + HOST + b"X-A: 1\r2\r\n\r\n", 400),
    "nul-in-value": (b"GET /echo/a HTTP/1.1\r\n" + HOST + b"X-A: 1\x002\r\n\r\n", 400),
    "bad-content-length": (b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400),
    "conflicting-lengths": (
        b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
    ),
    "length-and-chunked": (
        b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    "gzip-coding": (b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    "oversized-body": (b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Content-Length: 65\r\n\r\n" + b"x" * 65, 413),
    "oversized-chunks": (
        b"POST /echo/a HTTP/1.1\r\n"
        + HOST
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + b"20\r\n"
        + b"x" * 32
        + b"\r\n"
        b"21\r\n" + b"x" * 33 + b"\r\n0\r\n\r\n",
        413,
    ),
    "bad-chunk-size": (
        b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
    ),
    "short-body": (b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Content-Length: 10\r\n\r\nabc", 408),
    "unknown-expectation": (
        b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Expect: magic\r\nContent-Length: 0\r\n\r\n",
        417,
    ),
    "unknown-path": (b"GET /nowhere HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n", 404),
    "wrong-method": (b"DELETE /echo/a HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n", 405),
}


DETAILS = {
    MALFORMED["obs-fold"][0]: "obsolete line folding",
    MALFORMED["bare-cr"][0]: "bare CR",
    MALFORMED["space-before-colon"][0]: "malformed header field",
    MALFORMED["conflicting-lengths"][0]: "invalid Content-Length",
    MALFORMED["length-and-chunked"][0]: "both Transfer-Encoding and Content-Length",
}


@pytest.mark.parametrize(("message", "status"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_requests_get_problem_details(
    server: HttpsServer, pki: TestPki, message: bytes, status: int
) -> None:
    responses = _responses(_exchange(server, pki, message))
    assert len(responses) == 1
    received_status, fields, body = responses[0]
    assert received_status == status
    assert fields["content-type"] == "application/problem+json"
    assert fields["connection"] == "close"
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"]
    assert DETAILS.get(message, "") in problem.get("detail", "")


def test_incomplete_head_times_out_with_408(server: HttpsServer, pki: TestPki) -> None:
    responses = _responses(_exchange(server, pki, b"GET /echo/a HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
    assert [status for status, _, _ in responses] == [408]


def test_pipelined_and_chunked_requests(server: HttpsServer, pki: TestPki) -> None:
    first = (
        b"POST /echo/one HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\nContent-Type: text/plain\r\n\r\nabc"
    )
    second = b"POST /echo/two HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"
    second += b"2;ext=1\r\nde\r\n1\r\nf\r\n0\r\nTrailer: x\r\n\r\n"
    third = b"GET /echo/three HTTP/1.0\r\n\r\n"  # HTTP/1.0 without keep-alive: last one
    responses = _responses(_exchange(server, pki, first + second + third))
    assert [status for status, _, _ in responses] == [200, 200, 200]
    bodies = [json.loads(body) for _, _, body in responses]
    assert bodies == [
        {"body": "abc", "params": {"item": "one"}},
        {"body": "def", "params": {"item": "two"}},
        {"body": "", "params": {"item": "three"}},
    ]
    assert "connection" not in responses[0][1] and responses[2][1]["connection"] == "close"


def test_expect_100_continue(server: HttpsServer, pki: TestPki) -> None:
    head = b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Expect: 100-continue\r\nContent-Length: 2\r\n"
    head += b"Connection: close\r\n\r\n"
    received = _exchange(server, pki, head, b"ok")
    assert received.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    over = b"POST /echo/a HTTP/1.1\r\n" + HOST + b"Expect: 100-continue\r\nContent-Length: 999\r\n\r\n"
    assert _responses(_exchange(server, pki, over))[0][0] == 413  # refused before the body is sent


class BytesChannel:
    """An in-memory stand-in for a TLS channel, feeding the reader fixed octets in small pieces
    (the reader, not the transport, is under test here)."""

    def __init__(self, data: bytes, piece: int) -> None:
        self._data = data
        self._piece = piece

    @property
    def peer(self) -> TlsPeer:
        return TlsPeer(TlsVersion.TLS1_3, "TLS_AES_128_GCM_SHA256")

    def recv_into(self, buffer: bytearray | memoryview, timeout: float) -> int:
        size = min(len(buffer), self._piece, len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size

    def send_all(self, data: bytes, timeout: float) -> None:
        raise AssertionError("the reader never writes")

    def has_incoming(self) -> bool:
        return bool(self._data)

    def close(self) -> None:
        self._data = b""


request_lines = st.one_of(
    st.binary(max_size=80),
    st.builds(
        lambda method, target, version: b" ".join((method, target, version)),
        st.sampled_from([b"GET", b"POST", b"PUT", b"G T", b""]),
        st.one_of(st.just(b"/a?b=c"), st.binary(max_size=30)),
        st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1 ", b"http/1.1"]),
    ),
)
field_lines = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from(
            [
                b"Host: a",
                b"Content-Length: 3",
                b"Content-Length: 99999",
                b"Transfer-Encoding: chunked",
                b"Connection: close",
                b"Expect: 100-continue",
            ]
        ),
    ),
    max_size=12,
)
ALLOWED_STATUSES = {400, 408, 411, 413, 414, 417, 431, 501, 505}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    request_lines, field_lines, st.binary(max_size=80), st.integers(1, 17), st.sampled_from([b"\r\n", b"\n"])
)
def test_reader_answers_any_input_with_a_head_or_a_clean_error(
    line: bytes, fields: list[bytes], body: bytes, piece: int, newline: bytes
) -> None:
    message = newline.join([line, *fields, b"", b""]) + body
    reader = MessageReader(BytesChannel(message, piece), LIMITS)
    try:
        head = reader.read_request_head()
        if head is not None:
            reader.read_request_body(head)
    except MessageError as error:
        assert error.status in ALLOWED_STATUSES
    except PeerClosedError:
        pass


def _head_or_error(message: bytes, piece: int) -> tuple[str, object]:
    try:
        head = MessageReader(BytesChannel(message, piece), LIMITS).read_request_head()
    except MessageError as error:
        return "error", error.status
    except PeerClosedError:
        return "closed", None
    return "head", None if head is None else list(head.headers.items())


field_lines_for_parsing = st.one_of(
    st.sampled_from(
        [b"X-A: \t b \t", b"X-A:", b"x-a:  ", b"Accept: a, b", b"X-B:v\xe9", b"X-C: a\x00b", b"X-D:\x7f"]
    ),
    st.builds(
        lambda name, separator, value: name + separator + value,
        st.sampled_from([b"X-A", b"x-a", b"A b", b"", b" X", b"\tX", b"X/"]),
        st.sampled_from([b":", b" :", b""]),
        st.lists(
            st.sampled_from([b"v", b" ", b"\t", b":", b"\x00", b"\x01", b"\x7f", b"\xe9", b"\r"]), max_size=8
        ).map(b"".join),
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(field_lines_for_parsing, max_size=4))
def test_a_buffered_header_block_parses_as_line_by_line(fields: list[bytes]) -> None:
    """All at once, the reader parses a head's fields in one pass (when they are plainly well formed);
    arriving an octet at a time, it reads them line by line: the same fields or the same error."""
    message = b"\r\n".join([b"GET /echo/a HTTP/1.1", b"Host: h", *fields, b"", b""])
    assert _head_or_error(message, len(message)) == _head_or_error(message, 1)


segment_values = st.text(min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(None), st.from_regex(r"[a-z][a-zA-Z0-9-]{0,8}", fullmatch=True)),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_router_recovers_path_parameters(shape: list[str | None], data: st.DataObject) -> None:
    names = [f"p{index}" for index, literal in enumerate(shape) if literal is None]
    template = "/" + "/".join(
        literal if literal is not None else f"{{p{index}}}" for index, literal in enumerate(shape)
    )
    router = Router()
    router.add("GET", template, lambda request: Response.no_content())
    values = {name: data.draw(segment_values) for name in names}
    path = "/" + "/".join(
        literal if literal is not None else urllib.parse.quote(values[f"p{index}"], safe="")
        for index, literal in enumerate(shape)
    )
    _, params = router.resolve("GET", path)
    assert params == values
    with pytest.raises(ProblemDetails) as refused:
        router.resolve("POST", path)
    assert refused.value.status == 405
    with pytest.raises(ProblemDetails) as missing:
        router.resolve("GET", path + "/extra")
    assert missing.value.status == 404


def test_router_refuses_bad_or_duplicate_templates() -> None:
    router = Router()
    router.add("GET", "/a/{x}", lambda request: Response.no_content())
    for method, template in [
        ("GET", "/a/{y}"),
        ("GET", "a/b"),
        ("GET", "/a/{x}/{x}"),
        ("GET", "/a/b c"),
        ("get", "/b"),
        ("GET", "/a/{x"),
    ]:
        with pytest.raises(ValueError):
            router.add(method, template, lambda request: Response.no_content())


def test_a_literal_template_wins_whether_or_not_the_path_is_percent_encoded() -> None:
    router = Router()
    router.add("GET", "/a/{x}", lambda request: Response.json("parameter"))
    router.add("GET", "/a/b", lambda request: Response.json("literal"))
    router.add("POST", "/a/b", lambda request: Response.json("post"))
    for path in ("/a/b", "/a/%62"):
        handler, params = router.resolve("GET", path)
        assert (handler(_request(path)).body, params) == (b'"literal"', {})
    handler, params = router.resolve("GET", "/a/c")
    assert (handler(_request("/a/c")).body, params) == (b'"parameter"', {"x": "c"})
    with pytest.raises(ProblemDetails) as refused:
        router.resolve("DELETE", "/a/b")
    assert refused.value.status == 405 and refused.value.headers == {"Allow": "GET, POST"}


def _request(path: str) -> Request:
    peer = TlsPeer(TlsVersion.TLS1_3, "TLS_AES_128_GCM_SHA256")
    return Request("GET", path, path, {}, {}, Headers(), b"", peer)


def test_header_lookups_ignore_case_and_keep_repeated_fields() -> None:
    headers = Headers([("Accept", "a"), ("Host", "h"), ("accept", "b")])
    assert headers["ACCEPT"] == headers.get("accept") == "a, b"
    assert headers.get_all("Accept") == ["a", "b"]
    assert headers.get("Expect") is None and headers.get("expect", "none") == "none"
    assert headers.get_all("expect") == []
    headers.get_all("accept").append("c")  # a copy: the fields stay as received
    assert headers.get_all("accept") == ["a", "b"] and len(headers) == 2 and "HOST" in headers


def test_accepted_connections_keep_nagle_off_from_the_listener(server: HttpsServer) -> None:
    """The server turns Nagle off once, on its listener, and the platform hands that to every
    accepted connection (a response and its close_notify would otherwise wait for the client's ACK)."""
    assert server._listener is not None
    assert server._listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with socket.create_connection(listener.getsockname()), listener.accept()[0] as accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
