"""The HTTPS server and client end to end over real TLS on loopback: every TLS mode serves a request,
routing, body decoding, error answers as ProblemDetails / AccessTokenErr, keep-alive, clean stop."""

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import pytest

from impl.http import (
    AccessTokenErr,
    HttpConnectionError,
    HttpLimits,
    HttpsClient,
    HttpsServer,
    InvalidParam,
    ProblemDetails,
    Request,
    Response,
    Router,
)
from impl.tls import (
    Capif1eClientTls,
    Capif1eServerTls,
    CertificateClientTls,
    CertificateServerTls,
    ClientAuth,
    ClientTls,
    PskClientTls,
    PskServerTls,
    ServerHandshake,
    ServerTls,
    TlsChannel,
    TlsHandshakeError,
    TlsPeer,
    TlsVersion,
)
from tests.impl.conftest import TestPki

ONBOARDED = "/api-invoker-management/v1/onboardedInvokers"
TOKEN = "/capif-security/v1/securities/{securityId}/token"
AEFPSK = b"\x5a" * 32


def _describe(peer: TlsPeer) -> dict[str, object]:
    keying = peer.capif1e_keying
    return {
        "version": peer.tls_version.value,
        "certificate": peer.certificate.subject.rfc4514_string() if peer.certificate else None,
        "psk_identity": peer.psk_identity,
        "session_id": keying.session_id.hex() if keying and keying.session_id else None,
    }


def _onboard(request: Request) -> Response:
    document = request.json_object()
    return Response.json(
        {"received": document, "peer": _describe(request.peer)},
        status=201,
        headers={"Location": f"{ONBOARDED}/inv-1"},
    )


def _read_invoker(request: Request) -> Response:
    return Response.json(
        {"onboardingId": request.path_params["onboardingId"], "fields": request.query_value("fields")}
    )


def _token(request: Request) -> Response:
    fields = request.form()
    if fields.get("grant_type") != "client_credentials":
        raise AccessTokenErr("unsupported_grant_type", "only client_credentials")
    if fields.get("client_id") != request.path_params["securityId"]:
        raise AccessTokenErr("invalid_client", "client_id is not the authenticated invoker")
    return Response.json({"access_token": "x.y.z", "token_type": "Bearer", "expires_in": 60})


def _failing(request: Request) -> Response:
    raise RuntimeError("handler bug")


def _refuse(request: Request) -> Response:
    raise ProblemDetails(
        403, detail="not allowed", cause="INVALID_SECURITY_METHOD", invalid_params=[InvalidParam("x")]
    )


def capif_router() -> Router:
    router = Router()
    router.add("POST", ONBOARDED, _onboard)
    router.add("GET", ONBOARDED + "/{onboardingId}", _read_invoker)
    router.add("DELETE", ONBOARDED + "/{onboardingId}", lambda request: Response.no_content())
    router.add("GET", ONBOARDED + "/special", lambda request: Response.json({"literal": True}))
    router.add("POST", TOKEN, _token)
    router.add("GET", "/failing", _failing)
    router.add("GET", "/refuse", _refuse)
    router.add("GET", "/not-a-response", lambda request: "oops")  # type: ignore[arg-type,return-value]
    return router


@contextmanager
def serving(tls: ServerTls, limits: HttpLimits | None = None) -> Iterator[HttpsServer]:
    with HttpsServer(capif_router(), tls, limits=limits) as server:
        yield server


def _client(server: HttpsServer, tls: ClientTls) -> HttpsClient:
    return HttpsClient(tls, "127.0.0.1", server.port, timeout=5)


def _modes(pki: TestPki) -> dict[str, tuple[ServerTls, ClientTls]]:
    return {
        "mutual-tls": (
            CertificateServerTls(pki.server, client_cas=pki.ca.certificate, client_auth=ClientAuth.REQUIRED),
            CertificateClientTls(pki.ca.certificate, credential=pki.client),
        ),
        "server-auth-tls": (CertificateServerTls(pki.server), CertificateClientTls(pki.ca.certificate)),
        "tls-psk": (
            PskServerTls(lambda identity: AEFPSK if identity == "invoker-1" else None),
            PskClientTls("invoker-1", AEFPSK),
        ),
        "capif-1e": (
            Capif1eServerTls(pki.server, client_cas=pki.ca.certificate),
            Capif1eClientTls(pki.ca.certificate, credential=pki.client),
        ),
        "capif-1e-tls13": (
            Capif1eServerTls(pki.server, client_cas=pki.ca.certificate, maximum_version=TlsVersion.TLS1_3),
            Capif1eClientTls(pki.ca.certificate, maximum_version=TlsVersion.TLS1_3),
        ),
    }


@pytest.mark.parametrize("mode", ["mutual-tls", "server-auth-tls", "tls-psk", "capif-1e", "capif-1e-tls13"])
def test_every_tls_mode_serves_a_request(pki: TestPki, mode: str) -> None:
    server_tls, client_tls = _modes(pki)[mode]
    with serving(server_tls) as server, _client(server, client_tls) as client:
        response = client.post_json(ONBOARDED, {"apiInvokerInformation": "sdk", "n": [1, 2]})
        assert response.status == 201
        assert response.headers["location"] == f"{ONBOARDED}/inv-1"
        document = response.json()
        assert isinstance(document, dict)
        assert document["received"] == {"apiInvokerInformation": "sdk", "n": [1, 2]}
        seen_by_server = document["peer"]
        assert isinstance(seen_by_server, dict)
        assert seen_by_server["version"] == response.peer.tls_version.value
        if mode == "tls-psk":
            assert seen_by_server["psk_identity"] == "invoker-1" == response.peer.psk_identity
        if mode in ("mutual-tls", "capif-1e"):
            assert seen_by_server["certificate"] == pki.client.certificate.subject.rfc4514_string()
        if mode == "capif-1e":
            keying = response.peer.capif1e_keying
            assert keying is not None and keying.session_id is not None
            assert seen_by_server["session_id"] == keying.session_id.hex()


class ObservedChannel:
    """A server channel that reports when the server closes it."""

    def __init__(self, inner: TlsChannel, closed: threading.Event) -> None:
        self.inner = inner
        self.closed = closed

    @property
    def peer(self) -> TlsPeer:
        return self.inner.peer

    def recv_into(self, buffer: bytearray | memoryview, timeout: float) -> int:
        return self.inner.recv_into(buffer, timeout)

    def send_all(self, data: bytes, timeout: float) -> None:
        self.inner.send_all(data, timeout)

    def has_incoming(self) -> bool:
        return self.inner.has_incoming()

    def close(self) -> None:
        self.inner.close()
        self.closed.set()


class CountingServerTls:
    """Wraps a server mode: counts handshakes (to see connection reuse), signals closes."""

    def __init__(self, inner: ServerTls) -> None:
        self.inner = inner
        self.handshakes = 0
        self.closed = threading.Event()

    def start(self, sock: socket.socket) -> ServerHandshake:
        self.handshakes += 1
        return ObservedHandshake(self.inner.start(sock), self.closed)

    def accept(self, sock: socket.socket, *, timeout: float) -> TlsChannel:
        self.handshakes += 1
        return ObservedChannel(self.inner.accept(sock, timeout=timeout), self.closed)


class ObservedHandshake:
    """Wraps a server handshake so that its channel signals its close."""

    def __init__(self, inner: ServerHandshake, closed: threading.Event) -> None:
        self.inner = inner
        self.closed = closed

    def fileno(self) -> int:
        return self.inner.fileno()

    def advance(self) -> TlsChannel | None:
        channel = self.inner.advance()
        return None if channel is None else ObservedChannel(channel, self.closed)

    def abort(self) -> None:
        self.inner.abort()


def test_keep_alive_reuses_one_session(pki: TestPki) -> None:
    counting = CountingServerTls(Capif1eServerTls(pki.server, client_cas=pki.ca.certificate))
    with serving(counting) as server, _client(server, Capif1eClientTls(pki.ca.certificate)) as client:
        first = client.get(ONBOARDED + "/a")
        second = client.post_json(ONBOARDED, {})
        third = client.delete(ONBOARDED + "/a")
        assert (first.status, second.status, third.status) == (200, 201, 204)
        assert third.body == b""
        assert counting.handshakes == 1
        assert first.peer.capif1e_keying == second.peer.capif1e_keying == third.peer.capif1e_keying
        document = second.json()
        assert isinstance(document, dict) and isinstance(document["peer"], dict)
        keying = second.peer.capif1e_keying
        assert keying is not None and keying.session_id is not None
        assert document["peer"]["session_id"] == keying.session_id.hex()


def test_client_reconnects_after_the_server_closed_an_idle_connection(pki: TestPki) -> None:
    counting = CountingServerTls(CertificateServerTls(pki.server))
    limits = HttpLimits(idle_timeout=0.2)
    with (
        serving(counting, limits) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        assert client.get(ONBOARDED + "/a").status == 200
        first_peer = client.peer
        assert counting.closed.wait(10)  # the server's idle timeout closed the connection
        assert client.get(ONBOARDED + "/b").status == 200
        assert counting.handshakes == 2
        assert client.peer is not first_peer


def test_connection_close_is_honoured(pki: TestPki) -> None:
    counting = CountingServerTls(CertificateServerTls(pki.server))
    with serving(counting) as server, _client(server, CertificateClientTls(pki.ca.certificate)) as client:
        response = client.get(ONBOARDED + "/a", headers={"Connection": "close"})
        assert response.headers["connection"] == "close"
        assert client.peer is None
        assert client.get(ONBOARDED + "/a").status == 200
        assert counting.handshakes == 2


def test_a_client_for_one_request_per_connection_has_the_server_close_first(pki: TestPki) -> None:
    counting = CountingServerTls(PskServerTls(lambda identity: AEFPSK if identity == "invoker-1" else None))
    tls = PskClientTls("invoker-1", AEFPSK)
    with (
        serving(counting) as server,
        HttpsClient(tls, "127.0.0.1", server.port, timeout=5, persistent=False) as client,
    ):
        first = client.get(ONBOARDED + "/a")
        assert first.status == 200 and first.headers["connection"] == "close"
        assert client.peer is None
        assert counting.closed.wait(5)  # the server closed at its response, not at the client's close
        assert client.get(ONBOARDED + "/b").status == 200
        assert counting.handshakes == 2


def test_path_parameters_query_and_literal_precedence(pki: TestPki) -> None:
    with (
        serving(CertificateServerTls(pki.server)) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        response = client.get(ONBOARDED + "/inv%20%C3%A9%2F1", query={"fields": "a,b"})
        assert response.json() == {"onboardingId": "inv é/1", "fields": "a,b"}
        assert client.get(ONBOARDED + "/special").json() == {"literal": True}
        repeated = client.get(ONBOARDED + "/x?fields=a&fields=b")
        assert repeated.status == 400
        problem = repeated.problem()
        assert problem is not None and problem.cause == "INVALID_QUERY_PARAM"
        assert [param.param for param in problem.invalid_params] == ["fields"]
        bad_encoding = client.get(ONBOARDED + "/%FF")
        assert bad_encoding.status == 400


def _problem(response_body: bytes) -> dict[str, object]:
    document = json.loads(response_body)
    assert isinstance(document, dict)
    return document


class BadRequest(NamedTuple):
    method: str
    path: str
    body: bytes
    content_type: str | None
    status: int
    cause: str | None


JSON_TYPE = "application/json"
BAD_REQUESTS = {
    "unknown-path": BadRequest("GET", "/nowhere", b"", None, 404, "RESOURCE_URI_STRUCTURE_NOT_FOUND"),
    "empty-param": BadRequest("GET", ONBOARDED + "/", b"", None, 404, "RESOURCE_URI_STRUCTURE_NOT_FOUND"),
    "wrong-method": BadRequest("PUT", ONBOARDED, b"{}", JSON_TYPE, 405, None),
    "bad-json": BadRequest("POST", ONBOARDED, b"{bad", JSON_TYPE, 400, "INVALID_MSG_FORMAT"),
    "not-utf8": BadRequest("POST", ONBOARDED, b"\xff", JSON_TYPE, 400, "INVALID_MSG_FORMAT"),
    "not-object": BadRequest("POST", ONBOARDED, b"[1]", JSON_TYPE, 400, "INVALID_MSG_FORMAT"),
    "dup-member": BadRequest("POST", ONBOARDED, b'{"a":1,"a":2}', JSON_TYPE, 400, "INVALID_MSG_FORMAT"),
    "nan": BadRequest("POST", ONBOARDED, b'{"a":NaN}', JSON_TYPE, 400, "INVALID_MSG_FORMAT"),
    "deep": BadRequest("POST", ONBOARDED, b"[" * 100_000, JSON_TYPE, 400, "INVALID_MSG_FORMAT"),
    "wrong-content-type": BadRequest("POST", ONBOARDED, b"{}", "text/plain", 415, None),
    "no-content-type": BadRequest("POST", ONBOARDED, b"{}", None, 415, None),
    "handler-problem": BadRequest("GET", "/refuse", b"", None, 403, "INVALID_SECURITY_METHOD"),
    "handler-bug": BadRequest("GET", "/failing", b"", None, 500, "SYSTEM_FAILURE"),
    "handler-wrong-type": BadRequest("GET", "/not-a-response", b"", None, 500, "SYSTEM_FAILURE"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_get_problem_details(
    pki: TestPki, caplog: pytest.LogCaptureFixture, case: BadRequest
) -> None:
    status = case.status
    with (
        caplog.at_level(logging.ERROR, logger="impl.http.server"),
        serving(CertificateServerTls(pki.server)) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        response = client.request(case.method, case.path, body=case.body, content_type=case.content_type)
        assert response.status == status
        assert response.media_type == "application/problem+json"
        problem = _problem(response.body)
        assert problem["status"] == status and isinstance(problem["title"], str)
        assert problem.get("cause") == case.cause
        assert client.get(ONBOARDED + "/still-usable").status == 200  # the connection survived
    if status == 415:
        assert problem["invalidParams"] == [{"param": "Content-Type", "reason": "must be application/json"}]
    if status == 405:
        assert response.headers["allow"] == "POST"
    if status == 500:
        assert "handler failed" in caplog.text and "handler bug" not in response.body.decode()
    else:
        assert "handler failed" not in caplog.text


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        pytest.param({"grant_type": "client_credentials", "client_id": "inv-1"}, 200, None, id="granted"),
        pytest.param(
            {"grant_type": "password", "client_id": "inv-1"}, 400, "unsupported_grant_type", id="grant"
        ),
        pytest.param(
            {"grant_type": "client_credentials", "client_id": "inv-2"}, 401, "invalid_client", id="client"
        ),
    ],
)
def test_token_endpoint_form_and_access_token_errors(
    pki: TestPki, fields: dict[str, str], status: int, error: str | None
) -> None:
    with (
        serving(CertificateServerTls(pki.server)) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        response = client.post_form("/capif-security/v1/securities/inv-1/token", fields)
    assert response.status == status
    assert response.media_type == "application/json"
    if error:
        document = response.json()
        assert isinstance(document, dict) and document["error"] == error
        assert set(document) == {"error", "error_description"}
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(b"grant_type=a&grant_type=b", "application/x-www-form-urlencoded", 400, id="repeated"),
        pytest.param(b"grant_type=%FF", "application/x-www-form-urlencoded", 400, id="not-utf8"),
        pytest.param(b"grant_type", "application/x-www-form-urlencoded", 400, id="no-equals"),
        pytest.param(b'{"grant_type":"client_credentials"}', "application/json", 415, id="json-body"),
    ],
)
def test_malformed_form_bodies(pki: TestPki, body: bytes, content_type: str, status: int) -> None:
    with (
        serving(CertificateServerTls(pki.server)) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        response = client.request(
            "POST", "/capif-security/v1/securities/inv-1/token", body=body, content_type=content_type
        )
    assert response.status == status
    assert response.media_type == "application/problem+json"


def test_oversized_body_is_refused_with_413(pki: TestPki) -> None:
    limits = HttpLimits(max_body=1024)
    with (
        serving(CertificateServerTls(pki.server), limits) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        response = client.request("POST", ONBOARDED, body=b"x" * 2048, content_type="application/json")
        assert response.status == 413
        assert response.headers["connection"] == "close"
        assert _problem(response.body)["status"] == 413
        assert client.post_json(ONBOARDED, {"small": True}).status == 201


def test_client_certificate_refusal_surfaces_as_handshake_error(pki: TestPki) -> None:
    server_tls = CertificateServerTls(
        pki.server, client_cas=pki.ca.certificate, client_auth=ClientAuth.REQUIRED
    )
    with serving(server_tls) as server:
        for credential in (None, pki.foreign_client, pki.expired_client):
            with _client(server, CertificateClientTls(pki.ca.certificate, credential=credential)) as client:
                with pytest.raises(TlsHandshakeError):
                    client.get(ONBOARDED + "/a")
                assert client.peer is None


def test_psk_refusals_surface_as_handshake_errors(pki: TestPki) -> None:
    with serving(PskServerTls(lambda identity: AEFPSK if identity == "invoker-1" else None)) as server:
        for identity, key in (("stranger", AEFPSK), ("invoker-1", bytes(32))):
            with _client(server, PskClientTls(identity, key)) as client, pytest.raises(TlsHandshakeError):
                client.connect()


def test_connection_refused_is_a_connection_error(pki: TestPki) -> None:
    with socket.socket() as placeholder:  # bound, not listening: refused, and no other process takes it
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        client = HttpsClient(CertificateClientTls(pki.ca.certificate), "127.0.0.1", port, timeout=2)
        with pytest.raises(HttpConnectionError):
            client.get("/")


def test_client_refuses_to_build_bad_requests(pki: TestPki) -> None:
    client = HttpsClient(CertificateClientTls(pki.ca.certificate), "127.0.0.1", 1)
    with pytest.raises(ValueError, match="absolute path"):
        client.get("relative")
    with pytest.raises(ValueError, match="absolute path"):
        client.get("/with space")
    with pytest.raises(ValueError, match="header"):
        client.get("/", headers={"X-Injected": "a\r\nEvil: 1"})


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_stop_closes_everything(pki: TestPki) -> None:
    threads_before = set(threading.enumerate())
    descriptors_before = _open_descriptors()
    server = HttpsServer(capif_router(), CertificateServerTls(pki.server))
    server.start()
    port = server.port
    idle_client = _client(server, CertificateClientTls(pki.ca.certificate))
    assert idle_client.get(ONBOARDED + "/a").status == 200  # an open keep-alive connection
    stalled = socket.create_connection(("127.0.0.1", port))  # a client that never handshakes
    server.stop()
    assert set(threading.enumerate()) <= threads_before  # another test's thread may have ended since
    # Closed by stop() once accepted; reset by the kernel if still in the listen backlog.
    with contextlib.suppress(ConnectionResetError):
        assert stalled.recv(1) == b""
    stalled.close()
    idle_client.close()
    assert _open_descriptors() <= descriptors_before  # another test's socket may have been collected
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    server.stop()  # idempotent


def test_a_stalled_handshake_does_not_block_other_clients(pki: TestPki) -> None:
    limits = HttpLimits(handshake_timeout=30)
    with serving(CertificateServerTls(pki.server), limits) as server:
        stalled = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        with _client(server, CertificateClientTls(pki.ca.certificate)) as client:
            assert client.get(ONBOARDED + "/a").status == 200
        for sock in stalled:
            sock.close()


def test_server_lifecycle_errors(pki: TestPki) -> None:
    server = HttpsServer(capif_router(), CertificateServerTls(pki.server))
    with pytest.raises(RuntimeError):
        _ = server.port
    with server:
        with pytest.raises(RuntimeError):
            server.start()
        assert server.base_url == f"https://127.0.0.1:{server.port}"
    with pytest.raises(ValueError):
        HttpsServer(capif_router(), CertificateServerTls(pki.server), max_connections=0)


class DomainRefusalError(Exception):
    """Stands for a refusal type of the domain layer that the HTTP layer does not know."""


def _translate(error: Exception) -> Response | None:
    if isinstance(error, DomainRefusalError):
        return ProblemDetails(409, detail=str(error), cause="SECURITY_CONTEXT_EXISTS").to_response()
    if isinstance(error, KeyError):
        raise RuntimeError("translator bug")
    return None


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        pytest.param(DomainRefusalError("context exists"), 409, id="translated"),
        pytest.param(ValueError("unexpected"), 500, id="not-translated"),
        pytest.param(KeyError("x"), 500, id="translator-fails"),
    ],
)
def test_domain_errors_are_translated_by_the_wiring(pki: TestPki, raised: Exception, status: int) -> None:
    def handler(request: Request) -> Response:
        raise raised

    router = Router()
    router.add("GET", "/domain", handler)
    with (
        HttpsServer(router, CertificateServerTls(pki.server), error_response=_translate) as server,
        _client(server, CertificateClientTls(pki.ca.certificate)) as client,
    ):
        response = client.get("/domain")
    assert response.status == status
    problem = response.problem()
    assert problem is not None
    assert problem.cause == ("SECURITY_CONTEXT_EXISTS" if status == 409 else "SYSTEM_FAILURE")


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        pytest.param(299, b"", {}, id="unregistered-status"),
        pytest.param(101, b"", {}, id="interim-status"),
        pytest.param(200, "text", {}, id="str-body"),
        pytest.param(200, b"", {"Location": "/a\r\nSet-Cookie: x"}, id="header-injection"),
        pytest.param(200, b"", {"Location": "/é€"}, id="not-latin-1"),
        pytest.param(200, b"", {"Bad Name": "x"}, id="bad-name"),
        pytest.param(200, b"", {"Content-Length": "0"}, id="framing-field"),
    ],
)
def test_handlers_cannot_build_broken_responses(status: int, body: object, headers: dict[str, str]) -> None:
    with pytest.raises((ValueError, TypeError)):
        Response(status, body, headers)  # type: ignore[arg-type]
