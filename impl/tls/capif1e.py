"""The CAPIF-1e endpoint (CCF server, API invoker client) with the session keying AEFPSK needs.

Contribution 004, clause 5.1.1 (CAPIF-1e in TS 33.122): TLS with server certificate, the client
certificate once the invoker is onboarded (so optional here: onboarding itself runs before the invoker
has one), verified against the CA when sent. TS 33.122 Annex A.1 derives AEFPSK from the TLS 1.2
master secret and session ID of this session, so TLS 1.2 is the default maximum version: the server
keeps a session ID for every full handshake (server session cache on, tickets off) and never resumes
(no internal cache lookup), and both ends expose the same :class:`~impl.tls.peer.Capif1eKeying`.
TLS 1.3 may be enabled; it exposes only the RFC 8446 exporter (the deviation lives in impl.aefpsk).

Built on pyOpenSSL, the Python API that exposes the master secret and the exporter; the session ID
comes from :mod:`impl.tls.openssl_lowlevel`. pyOpenSSL checks no host names, so the client checks the
server certificate's ``subjectAltName`` itself (:func:`matches_server_name`).
"""

import functools
import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from cryptography import x509
from OpenSSL import SSL, crypto

from impl.pki import CertifiedKey
from impl.tls.channel import (
    HANDSHAKE_WRITE_WAIT,
    close_after_refusal,
    complete_handshake,
    readable_now,
    tls_failure,
    unconfirmed_reset,
    wait_until_ready,
)
from impl.tls.errors import TlsConfigurationError, TlsError, TlsHandshakeError
from impl.tls.openssl_lowlevel import SessionEncodingError, tls12_session_keying, verify_error_text
from impl.tls.peer import Capif1eKeying, TlsPeer
from impl.tls.profile import CERTIFICATE_CIPHERS_TLS12, CIPHERSUITES_TLS13, ClientAuth, TlsVersion

SESSION_ID_CONTEXT = b"capifsec-capif1e"
_OPENSSL_VERSIONS = {TlsVersion.TLS1_2: SSL.TLS1_2_VERSION, TlsVersion.TLS1_3: SSL.TLS1_3_VERSION}
_VERIFY_MODES = {
    ClientAuth.NONE: SSL.VERIFY_NONE,
    ClientAuth.OPTIONAL: SSL.VERIFY_PEER,
    ClientAuth.REQUIRED: SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT,
}
_Result = TypeVar("_Result")


def matches_server_name(certificate: x509.Certificate, server_name: str) -> bool:
    """RFC 9525 identity check on ``subjectAltName`` only: an IP literal matches an iPAddress entry,
    a host name a dNSName entry exactly (case-insensitive, no wildcards: CAPIF certificates name hosts)."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        address = ipaddress.ip_address(server_name)
    except ValueError:
        wanted = server_name.lower().removesuffix(".")
        dns_names = names.get_values_for_type(x509.DNSName)
        return any(name.lower().removesuffix(".") == wanted for name in dns_names)
    return address in names.get_values_for_type(x509.IPAddress)


def _openssl_reason(error: SSL.Error) -> str:
    parts: list[str] = []
    for argument in error.args:
        if isinstance(argument, list):
            parts += [str(entry[-1]) for entry in argument if isinstance(entry, tuple) and entry]
        else:
            parts.append(str(argument))
    return "; ".join(part for part in parts if part) or type(error).__name__


def _verify_callback(
    connection: SSL.Connection, certificate: crypto.X509, code: int, depth: int, ok: int
) -> bool:
    """Keeps OpenSSL's verdict; records why a certificate failed, for the error message."""
    if not ok:
        failures: list[str] = connection.get_app_data()
        failures.append(f"{verify_error_text(code)} (depth {depth})")
    return bool(ok)


def _retry(operation: Callable[[], _Result], sock: socket.socket, deadline: float) -> _Result:
    while True:
        try:
            return operation()
        except SSL.WantReadError:
            wait_until_ready(sock, for_write=False, deadline=deadline)
        except SSL.WantWriteError:
            wait_until_ready(sock, for_write=True, deadline=deadline)


def _base_context(
    credential: CertifiedKey | None,
    trusted: x509.Certificate | Sequence[x509.Certificate],
    maximum_version: TlsVersion,
) -> SSL.Context:
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_max_proto_version(_OPENSSL_VERSIONS[maximum_version])
    context.set_options(SSL.OP_NO_TICKET | SSL.OP_NO_COMPRESSION | SSL.OP_NO_RENEGOTIATION)
    context.set_cipher_list(CERTIFICATE_CIPHERS_TLS12.encode("ascii"))
    context.set_tls13_ciphersuites(CIPHERSUITES_TLS13.encode("ascii"))
    if credential is not None:
        context.use_certificate(credential.certificate)
        context.use_privatekey(credential.private_key)
        context.check_privatekey()
    anchors = [trusted] if isinstance(trusted, x509.Certificate) else list(trusted)
    if not anchors:
        raise TlsConfigurationError("at least one trusted CA certificate is required")
    store = context.get_cert_store()
    if store is None:
        raise TlsConfigurationError("OpenSSL context without a certificate store")
    for anchor in anchors:
        store.add_cert(crypto.X509.from_cryptography(anchor))
    return context


class OpenSslChannel:
    """:class:`~impl.tls.channel.TlsChannel` over a pyOpenSSL connection on a non-blocking socket."""

    def __init__(self, connection: SSL.Connection, sock: socket.socket, peer: TlsPeer, *, client_side: bool):
        self._connection = connection
        self._socket = sock
        self._peer = peer
        self._handshake_confirmed = not client_side
        self._closed = False

    @property
    def peer(self) -> TlsPeer:
        """The authenticated peer, with the CAPIF-1e keying."""
        return self._peer

    def _tls_error(self, error: SSL.Error) -> TlsError:
        return tls_failure(_openssl_reason(error), confirmed=self._handshake_confirmed)

    def _os_error(self, error: SSL.SysCallError) -> Exception:
        """pyOpenSSL reports socket failures as ``(errno, text)``; ``OSError`` picks the subclass."""
        code, message = (*error.args, None, None)[:2]
        failure = OSError(code, message)
        if isinstance(failure, ConnectionError):
            return unconfirmed_reset(failure, confirmed=self._handshake_confirmed)
        return failure

    def recv_into(self, buffer: bytearray | memoryview, timeout: float) -> int:
        """See :meth:`impl.tls.channel.TlsChannel.recv_into`."""
        deadline = time.monotonic() + timeout
        try:
            received = _retry(lambda: self._connection.recv_into(buffer), self._socket, deadline)
        except SSL.ZeroReturnError:
            return 0
        except SSL.SysCallError as error:
            if error.args and error.args[0] == -1:  # end of stream without close_notify
                return 0
            raise self._os_error(error) from error
        except SSL.Error as error:
            raise self._tls_error(error) from error
        self._handshake_confirmed = True
        return received

    def send_all(self, data: bytes, timeout: float) -> None:
        """See :meth:`impl.tls.channel.TlsChannel.send_all`."""
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        try:
            while view:
                sent = _retry(functools.partial(self._connection.send, view), self._socket, deadline)
                view = view[sent:]
        except SSL.SysCallError as error:
            raise self._os_error(error) from error
        except SSL.Error as error:
            raise self._tls_error(error) from error

    def has_incoming(self) -> bool:
        """See :meth:`impl.tls.channel.TlsChannel.has_incoming`."""
        return self._closed or self._connection.pending() > 0 or readable_now(self._socket)

    def close(self) -> None:
        """See :meth:`impl.tls.channel.TlsChannel.close`."""
        if self._closed:
            return
        self._closed = True
        try:
            self._connection.shutdown()
        except (SSL.Error, OSError):
            pass
        finally:
            self._socket.close()


def _refusal(connection: SSL.Connection, sock: socket.socket, error: Exception) -> TlsHandshakeError:
    """Close a refused handshake's socket; the error, with the certificate failures recorded."""
    failures: list[str] = connection.get_app_data()
    reason = _openssl_reason(error) if isinstance(error, SSL.Error) else str(error)
    if isinstance(error, TimeoutError):
        reason = "handshake timed out"
    close_after_refusal(sock)
    return TlsHandshakeError("; ".join([reason, *failures]))


def _handshake(connection: SSL.Connection, sock: socket.socket, deadline: float) -> None:
    try:
        _retry(connection.do_handshake, sock, deadline)
    except (SSL.Error, OSError) as error:
        raise _refusal(connection, sock, error) from error


def _keying(connection: SSL.Connection, sock: socket.socket) -> tuple[TlsVersion, str, Capif1eKeying]:
    version = TlsVersion(connection.get_protocol_version_name())
    cipher = connection.get_cipher_name() or ""
    session_id: bytes | None = None
    master_secret: bytes | None = None
    if version is TlsVersion.TLS1_2:
        try:
            session_id, master_secret = tls12_session_keying(connection)
        except SessionEncodingError as error:
            sock.close()
            raise TlsHandshakeError(f"CAPIF-1e keying unavailable: {error}") from error
        if not session_id:
            sock.close()
            raise TlsHandshakeError("TLS 1.2 CAPIF-1e session without a session ID")
    keying = Capif1eKeying(version, master_secret, session_id, connection.export_keying_material)
    return version, cipher, keying


class Capif1eServerTls:
    """CCF side of CAPIF-1e: server certificate; client certificate per ``client_auth`` (optional by
    default), verified against ``client_cas``; TLS 1.2 session IDs for AEFPSK."""

    def __init__(
        self,
        credential: CertifiedKey,
        *,
        client_cas: x509.Certificate | Sequence[x509.Certificate],
        client_auth: ClientAuth = ClientAuth.OPTIONAL,
        maximum_version: TlsVersion = TlsVersion.TLS1_2,
    ) -> None:
        self._context = _base_context(credential, client_cas, maximum_version)
        self._context.set_options(SSL.OP_CIPHER_SERVER_PREFERENCE)
        self._context.set_session_cache_mode(SSL.SESS_CACHE_SERVER | SSL.SESS_CACHE_NO_INTERNAL)
        self._context.set_session_id(SESSION_ID_CONTEXT)
        self._context.set_verify(_VERIFY_MODES[client_auth], _verify_callback)

    def start(self, sock: socket.socket) -> "Capif1eServerHandshake":
        """See :meth:`impl.tls.channel.ServerTls.start`."""
        sock.setblocking(False)
        connection = SSL.Connection(self._context, sock)
        connection.set_app_data([])
        connection.set_accept_state()
        return Capif1eServerHandshake(connection, sock)

    def accept(self, sock: socket.socket, *, timeout: float) -> OpenSslChannel:
        """See :meth:`impl.tls.channel.ServerTls.accept`."""
        channel = complete_handshake(self.start(sock), time.monotonic() + timeout)
        assert isinstance(channel, OpenSslChannel)
        return channel


class Capif1eServerHandshake:
    """:class:`~impl.tls.channel.ServerHandshake` of the CAPIF-1e endpoint (pyOpenSSL)."""

    def __init__(self, connection: SSL.Connection, sock: socket.socket) -> None:
        self._connection = connection
        self._socket = sock
        self._descriptor = sock.fileno()

    def fileno(self) -> int:
        """See :meth:`impl.tls.channel.ServerHandshake.fileno`."""
        return self._descriptor

    def advance(self) -> OpenSslChannel | None:
        """See :meth:`impl.tls.channel.ServerHandshake.advance`."""
        try:
            while True:
                try:
                    self._connection.do_handshake()
                    break
                except SSL.WantReadError:
                    return None
                except SSL.WantWriteError:
                    deadline = time.monotonic() + HANDSHAKE_WRITE_WAIT
                    wait_until_ready(self._socket, for_write=True, deadline=deadline)
        except (SSL.Error, OSError) as error:
            raise _refusal(self._connection, self._socket, error) from error
        version, cipher, keying = _keying(self._connection, self._socket)
        certificate = self._connection.get_peer_certificate(as_cryptography=True)
        peer = TlsPeer(version, cipher, certificate=certificate, capif1e_keying=keying)
        return OpenSslChannel(self._connection, self._socket, peer, client_side=False)

    def abort(self) -> None:
        """See :meth:`impl.tls.channel.ServerHandshake.abort`."""
        close_after_refusal(self._socket)


class Capif1eClientTls:
    """API invoker side of CAPIF-1e: verifies the CCF's certificate and name; presents ``credential``
    (the CCF-issued invoker certificate) once onboarded."""

    def __init__(
        self,
        server_cas: x509.Certificate | Sequence[x509.Certificate],
        *,
        credential: CertifiedKey | None = None,
        maximum_version: TlsVersion = TlsVersion.TLS1_2,
    ) -> None:
        self._context = _base_context(credential, server_cas, maximum_version)
        self._context.set_verify(SSL.VERIFY_PEER, _verify_callback)

    def connect(self, sock: socket.socket, *, server_name: str, timeout: float) -> OpenSslChannel:
        """See :meth:`impl.tls.channel.ClientTls.connect`."""
        deadline = time.monotonic() + timeout
        sock.setblocking(False)
        connection = SSL.Connection(self._context, sock)
        connection.set_app_data([])
        connection.set_connect_state()
        try:
            ipaddress.ip_address(server_name)
        except ValueError:
            connection.set_tlsext_host_name(server_name.encode("idna"))
        _handshake(connection, sock, deadline)
        certificate = connection.get_peer_certificate(as_cryptography=True)
        if certificate is None or not matches_server_name(certificate, server_name):
            sock.close()
            raise TlsHandshakeError(f"server certificate does not name {server_name!r}")
        version, cipher, keying = _keying(connection, sock)
        peer = TlsPeer(version, cipher, certificate=certificate, capif1e_keying=keying)
        return OpenSslChannel(connection, sock, peer, client_side=True)
