"""The TLS library alone, the baseline the connection benchmarks measure our stack against.

Stdlib ``ssl`` contexts (with ``sslpsk3`` before Python 3.13, which has native PSK callbacks) with the
same keys, version and suite as ours, and servers that resume no session as ours do, so that both send
the same handshake flights; a loopback server that handles one connection at a time inline; and, per
call, one new connection: TCP connect, blocking handshake, one octet each way, close.
"""

import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from measure import Operation

from impl.pki import CertifiedKey, certificate_pem, private_key_pem
from impl.tls.stdlib_lowlevel import disable_session_cache

if sys.version_info < (3, 13):
    import sslpsk3

PSK_CIPHER = "ECDHE-PSK-CHACHA20-POLY1305"
"""The suite of the TLS-PSK measurements (TLS 1.2), ours and the library's."""


def connected_socket(address: tuple[str, int]) -> socket.socket:
    """A TCP connection to ``address`` with Nagle off."""
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


@contextmanager
def inline_server(serve_one: Callable[[socket.socket], None]) -> Iterator[tuple[str, int]]:
    """A loopback listener whose thread runs ``serve_one`` on each accepted socket, one at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stopping = threading.Event()

    def serve() -> None:
        while True:
            sock, _ = listener.accept()
            if stopping.is_set():
                sock.close()
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            serve_one(sock)

    thread = threading.Thread(target=serve)
    thread.start()
    address = listener.getsockname()
    try:
        yield address
    finally:
        stopping.set()
        socket.create_connection(address).close()
        thread.join()
        listener.close()


@contextmanager
def bare_library(server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> Iterator[Operation]:
    """One new connection + one octet each way + close per call, with nothing but ``ssl``."""

    def serve_one(sock: socket.socket) -> None:
        with server_context.wrap_socket(sock, server_side=True) as tls_socket:
            tls_socket.sendall(tls_socket.recv(1))

    with inline_server(serve_one) as address:

        def connection() -> None:
            with connected_socket(address) as sock:
                tls_socket = client_context.wrap_socket(sock, server_hostname="127.0.0.1")
                tls_socket.sendall(b"x")
                if tls_socket.recv(1) != b"x":
                    raise RuntimeError("the bare exchange failed")
                tls_socket.close()

        connection()
        yield connection


def certificate_contexts(
    directory: Path, ca_certificate: x509.Certificate, server: CertifiedKey, client: CertifiedKey
) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Server and client contexts for mutual TLS with ``server`` and ``client`` under the CA (the
    key files go to ``directory``, where ``ssl`` reads them)."""
    for name, credential in (("server", server), ("client", client)):
        (directory / f"{name}.pem").write_text(certificate_pem(credential.certificate))
        (directory / f"{name}.key").write_bytes(private_key_pem(credential.private_key))
    ca = certificate_pem(ca_certificate)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(directory / "server.pem", directory / "server.key")
    server_context.load_verify_locations(cadata=ca)
    server_context.verify_mode = ssl.CERT_REQUIRED
    server_context.num_tickets = 0
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(cadata=ca)
    client_context.load_cert_chain(directory / "client.pem", directory / "client.key")
    return server_context, client_context


def psk_contexts(identity: str, psk: bytes) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Server and client contexts for TLS 1.2 with :data:`PSK_CIPHER` and the key ``psk`` of ``identity``.

    The server issues no session ticket and keeps no session cache, as ours (impl/tls/stdlib.py): with
    the library's defaults it would send a NewSessionTicket in its last flight and a session ID in its
    hello, work our server does not do (about 4 % of the bare connection rate).
    """
    if sys.version_info >= (3, 13):
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        server_context = sslpsk3.SSLPSKContext(ssl.PROTOCOL_TLS_SERVER)
        client_context = sslpsk3.SSLPSKContext(ssl.PROTOCOL_TLS_CLIENT)
    for context in (server_context, client_context):
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(PSK_CIPHER)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    server_context.options |= ssl.OP_NO_TICKET
    disable_session_cache(server_context)
    server_context.set_psk_server_callback(lambda name: psk if name == identity else b"")
    client_context.set_psk_client_callback(lambda hint: (identity, psk))
    return server_context, client_context
