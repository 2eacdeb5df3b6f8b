"""Issue 13, defect 4: no TLS session resumption on CAPIF-2e. A resumed TLS 1.2 PSK session would skip
the PSK callback, so the AEF could neither re-check the identity (an offboarded invoker's session
resumed, then every request failed with 401) nor keep its memory flat (a server session cache grows
with every handshake). The AEF's servers keep no session cache (``impl.tls.stdlib_lowlevel``): a client
offering a session gets a full handshake, which runs the PSK callback."""

import socket
import ssl

import pytest

from impl.deployment import HELLO_API, Deployment
from impl.tls.psk import configure_tls12_psk, new_psk_context, psk_client_callback
from tests.impl.test_e2e_world import RESOURCE, Ready, ready_invoker

GREETING = f"/psk/{HELLO_API}/v1{RESOURCE}"


def psk_client_context(identity: str, key: bytes) -> ssl.SSLContext:
    context = new_psk_context(server_side=False)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    configure_tls12_psk(context)
    context.set_psk_client_callback(psk_client_callback(identity, key))  # type: ignore[attr-defined]
    return context


def greet(deployment: Deployment, context: ssl.SSLContext, session: ssl.SSLSession | None) -> ssl.SSLSession:
    """One PSK connection to the AEF's ``psk`` interface offering ``session``; asserts a full handshake
    and a 200, and returns the connection's session."""
    port = deployment.aef.interfaces["psk"].port
    assert port is not None
    with (
        socket.create_connection((deployment.host, port), timeout=10) as sock,
        context.wrap_socket(sock, session=session) as tls,
    ):
        assert not tls.session_reused
        tls.sendall(
            f"GET {GREETING} HTTP/1.1\r\nHost: {deployment.host}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
        assert tls.session is not None
        return tls.session


def test_an_offered_session_is_not_resumed(deployment: Deployment, ready: Ready) -> None:
    ready.invoke("/psk")  # check-authentication first
    aefpsk = ready.negotiated["/psk"].aefpsk
    assert aefpsk is not None
    context = psk_client_context(ready.api_invoker_id, aefpsk)
    session = greet(deployment, context, None)
    for _ in range(3):
        session = greet(deployment, context, session)


def test_an_offboarded_invoker_cannot_resume_its_session(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    ready.invoke("/psk")
    aefpsk = ready.negotiated["/psk"].aefpsk
    assert aefpsk is not None
    context = psk_client_context(ready.api_invoker_id, aefpsk)
    session = greet(deployment, context, None)
    ready.invoker.offboard()
    port = deployment.aef.interfaces["psk"].port
    assert port is not None
    with (
        socket.create_connection((deployment.host, port), timeout=10) as sock,
        pytest.raises((ssl.SSLError, ConnectionError)),
    ):
        context.wrap_socket(sock, session=session)
