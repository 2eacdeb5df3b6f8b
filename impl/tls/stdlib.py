"""Certificate TLS (mutual or server-only) and TLS-PSK endpoints on the stdlib ``ssl`` module.

- :class:`CertificateServerTls` / :class:`CertificateClientTls`: TLS with certificates, for CAPIF-3/4/5,
  CAPIF-6/6e, CAPIF-8 (mutual; contribution 000 clause 7.2.1, contribution 003) and CAPIF-2e with the PKI
  method (mutual) or the OAuth method (server certificate, client certificate optional,
  TS 33.122 clauses 6.5.2.2 and 6.5.2.3). The server may also accept TLS-PSK on the same port.
- :class:`PskServerTls` / :class:`PskClientTls`: TLS-PSK on CAPIF-2e (TS 33.122 clause 6.5.2.1).

Certificate validity is checked by OpenSSL against the system clock, as in any deployed TLS stack.
Servers resume no session (no tickets, no session cache, :mod:`impl.tls.stdlib_lowlevel`): every
connection is a full handshake that runs the PSK callback or verifies the certificate afresh.
"""

import secrets
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from impl.pki import CertifiedKey
from impl.tls.channel import (
    HANDSHAKE_WRITE_WAIT,
    StdlibChannel,
    TlsObject,
    close_after_refusal,
    complete_handshake,
    peer_certificate,
    ssl_error_reason,
    stdlib_handshake,
    tls_object,
    wait_until_ready,
)
from impl.tls.errors import TlsConfigurationError, TlsHandshakeError
from impl.tls.peer import TlsPeer
from impl.tls.profile import (
    CERTIFICATE_CIPHERS_TLS12,
    PSK_CIPHERS_TLS12,
    ClientAuth,
    TlsVersion,
    is_psk_cipher,
)
from impl.tls.psk import (
    PskLookup,
    PskServerCallback,
    configure_tls12_psk,
    install_psk_callbacks,
    load_ffdhe_parameters,
    new_psk_context,
    psk_client_callback,
    release_psk_callbacks,
)
from impl.tls.stdlib_lowlevel import disable_session_cache

TrustAnchors = x509.Certificate | Sequence[x509.Certificate]
_STDLIB_VERSIONS = {TlsVersion.TLS1_2: ssl.TLSVersion.TLSv1_2, TlsVersion.TLS1_3: ssl.TLSVersion.TLSv1_3}
_VERIFY_MODES = {
    ClientAuth.NONE: ssl.CERT_NONE,
    ClientAuth.OPTIONAL: ssl.CERT_OPTIONAL,
    ClientAuth.REQUIRED: ssl.CERT_REQUIRED,
}


def _anchor_list(anchors: TrustAnchors) -> list[x509.Certificate]:
    return [anchors] if isinstance(anchors, x509.Certificate) else list(anchors)


def _trust(context: ssl.SSLContext, anchors: TrustAnchors) -> None:
    certificates = _anchor_list(anchors)
    if not certificates:
        raise TlsConfigurationError("at least one trusted CA certificate is required")
    pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates)
    context.load_verify_locations(cadata=pem)


def _load_credential(context: ssl.SSLContext, credential: CertifiedKey) -> None:
    """``ssl`` reads keys only from files: the key goes through a private temporary directory,
    encrypted under a random one-time password, and is deleted at once."""
    password = secrets.token_bytes(32)
    encrypted_key = credential.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    with tempfile.TemporaryDirectory() as directory:
        certificate_file = Path(directory) / "certificate.pem"
        key_file = Path(directory) / "key.pem"
        certificate_file.write_bytes(credential.certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(encrypted_key)
        context.load_cert_chain(str(certificate_file), str(key_file), password=password)


def _versions(context: ssl.SSLContext, minimum: TlsVersion, maximum: TlsVersion) -> None:
    if _STDLIB_VERSIONS[minimum] > _STDLIB_VERSIONS[maximum]:
        raise TlsConfigurationError("minimum TLS version above maximum")
    context.minimum_version = _STDLIB_VERSIONS[minimum]
    context.maximum_version = _STDLIB_VERSIONS[maximum]


def _harden_server(context: ssl.SSLContext) -> None:
    context.options |= ssl.OP_NO_TICKET | ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    context.num_tickets = 0
    disable_session_cache(context)


_VERSIONS = {version.value: version for version in TlsVersion}


def _negotiated(tls: TlsObject) -> tuple[TlsVersion, str]:
    version, cipher = tls.version(), tls.cipher()
    if version not in _VERSIONS or cipher is None:
        raise TlsHandshakeError(f"no TLS 1.2 or 1.3 session after the handshake ({version})")
    return _VERSIONS[version], cipher[0]


def _run_handshake(tls: TlsObject, sock: socket.socket, deadline: float, *, psk: bool = False) -> None:
    """A client handshake; ``psk``: the connection's PSK callbacks are installed, and released at its
    end."""
    try:
        stdlib_handshake(tls, sock, deadline=deadline)
    except TlsHandshakeError:
        if psk:
            release_psk_callbacks(tls)
        close_after_refusal(sock)
        raise
    if psk:
        release_psk_callbacks(tls)


def _wrap(
    context: ssl.SSLContext, sock: socket.socket, server_name: str | None, *, server_side: bool = False
) -> TlsObject:
    """The TLS object for a connected socket's handshake (``server_name`` only on the client): a
    server's runs in steps on a non-blocking socket; a client's keeps the socket's timeout (it sets
    its own)."""
    try:
        if server_side:
            sock.setblocking(False)
        return tls_object(context, sock, server_name, server_side=server_side)
    except (OSError, ValueError) as error:
        sock.close()
        raise TlsHandshakeError(f"cannot start TLS: {error}") from error


PeerOf = Callable[[TlsObject, str | None], TlsPeer]
"""What a completed server handshake yields: the peer, from the TLS object and the PSK identity asked
for (or a :class:`TlsHandshakeError`, the connection then closed)."""


class StdlibServerHandshake:
    """:class:`~impl.tls.channel.ServerHandshake` over a socket and its TLS object."""

    def __init__(
        self, sock: socket.socket, tls: TlsObject, peer_of: PeerOf, psk_callback: PskServerCallback | None
    ):
        self._socket = sock
        self._tls = tls
        self._descriptor = sock.fileno()
        self._peer_of = peer_of
        self._psk_callback = psk_callback
        self.psk_identity: str | None = None

    def fileno(self) -> int:
        """See :meth:`impl.tls.channel.ServerHandshake.fileno`."""
        return self._descriptor

    def advance(self) -> StdlibChannel | None:
        """See :meth:`impl.tls.channel.ServerHandshake.advance`."""
        if self._psk_callback is not None:
            self._psk_callback.bind(self)
        try:
            while True:
                try:
                    self._tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    return None
                except ssl.SSLWantWriteError:
                    deadline = time.monotonic() + HANDSHAKE_WRITE_WAIT
                    wait_until_ready(self._socket, for_write=True, deadline=deadline)
        except ssl.SSLError as error:
            raise self._refused(ssl_error_reason(error)) from error
        except TimeoutError as error:
            raise self._refused("handshake timed out") from error
        except OSError as error:
            raise self._refused(f"connection failed during handshake: {error}") from error
        finally:
            if self._psk_callback is not None:
                self._psk_callback.bind(None)
        self._release_psk_callbacks()
        try:
            peer = self._peer_of(self._tls, self.psk_identity)
        except TlsHandshakeError:
            self._socket.close()
            raise
        return StdlibChannel(self._socket, self._tls, peer, client_side=False)

    def _refused(self, reason: str) -> TlsHandshakeError:
        self.abort()
        return TlsHandshakeError(reason)

    def abort(self) -> None:
        """See :meth:`impl.tls.channel.ServerHandshake.abort`: the peer reads our alert, if any, and
        an orderly close."""
        if self._socket.fileno() >= 0:
            self._release_psk_callbacks()
            close_after_refusal(self._socket)

    def _release_psk_callbacks(self) -> None:
        if self._psk_callback is not None:
            release_psk_callbacks(self._tls)


def _start(
    context: ssl.SSLContext, sock: socket.socket, peer_of: PeerOf, psk: PskServerCallback | None
) -> StdlibServerHandshake:
    tls = _wrap(context, sock, None, server_side=True)
    if psk is not None:
        install_psk_callbacks(tls, context)
    return StdlibServerHandshake(sock, tls, peer_of, psk)


class CertificateServerTls:
    """Server with a certificate; asks for a client certificate per ``client_auth`` and verifies it
    against ``client_cas``. With ``psk_lookup`` it accepts TLS 1.2 PSK clients on the same port too
    (e.g. an AEF offering PSK and PKI on one interface, TS 33.122 clause 6.5.2)."""

    def __init__(
        self,
        credential: CertifiedKey,
        *,
        client_cas: TrustAnchors = (),
        client_auth: ClientAuth = ClientAuth.NONE,
        psk_lookup: PskLookup | None = None,
        minimum_version: TlsVersion = TlsVersion.TLS1_2,
        maximum_version: TlsVersion = TlsVersion.TLS1_3,
    ) -> None:
        self._psk_callback = PskServerCallback(psk_lookup) if psk_lookup else None
        if self._psk_callback:
            self._context = new_psk_context(server_side=True)
            self._context.set_ciphers(f"{CERTIFICATE_CIPHERS_TLS12}:{PSK_CIPHERS_TLS12}")
            load_ffdhe_parameters(self._context)
            self._context.set_psk_server_callback(self._psk_callback)  # type: ignore[attr-defined]
        else:
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.set_ciphers(CERTIFICATE_CIPHERS_TLS12)
        _versions(self._context, minimum_version, maximum_version)
        _harden_server(self._context)
        _load_credential(self._context, credential)
        if client_auth is not ClientAuth.NONE:
            _trust(self._context, client_cas)
        self._context.verify_mode = _VERIFY_MODES[client_auth]

    def start(self, sock: socket.socket) -> StdlibServerHandshake:
        """See :meth:`impl.tls.channel.ServerTls.start`."""
        return _start(self._context, sock, self._peer, self._psk_callback)

    def accept(self, sock: socket.socket, *, timeout: float) -> StdlibChannel:
        """See :meth:`impl.tls.channel.ServerTls.accept`."""
        channel = complete_handshake(self.start(sock), time.monotonic() + timeout)
        assert isinstance(channel, StdlibChannel)
        return channel

    def _peer(self, tls: TlsObject, psk_identity: str | None) -> TlsPeer:
        version, cipher = _negotiated(tls)
        if self._psk_callback and is_psk_cipher(cipher):
            return TlsPeer(version, cipher, psk_identity=psk_identity)
        return TlsPeer(version, cipher, certificate=peer_certificate(tls))


class PskServerTls:
    """TLS 1.2 PSK-only server: ``psk_lookup`` maps the client's identity to its key or refuses it
    (TS 33.122 clause 6.5.2.1; on CAPIF-2e the key is AEFPSK and the identity the API invoker ID)."""

    def __init__(self, psk_lookup: PskLookup, *, identity_hint: str | None = None) -> None:
        self._psk_callback = PskServerCallback(psk_lookup)
        self._context = new_psk_context(server_side=True)
        configure_tls12_psk(self._context)
        _harden_server(self._context)
        self._context.set_psk_server_callback(self._psk_callback, identity_hint)  # type: ignore[attr-defined]

    def start(self, sock: socket.socket) -> StdlibServerHandshake:
        """See :meth:`impl.tls.channel.ServerTls.start`."""
        return _start(self._context, sock, _psk_peer, self._psk_callback)

    def accept(self, sock: socket.socket, *, timeout: float) -> StdlibChannel:
        """See :meth:`impl.tls.channel.ServerTls.accept`."""
        channel = complete_handshake(self.start(sock), time.monotonic() + timeout)
        assert isinstance(channel, StdlibChannel)
        return channel


def _psk_peer(tls: TlsObject, psk_identity: str | None) -> TlsPeer:
    version, cipher = _negotiated(tls)
    if not is_psk_cipher(cipher) or psk_identity is None:
        raise TlsHandshakeError(f"negotiated {cipher} without a PSK")
    return TlsPeer(version, cipher, psk_identity=psk_identity)


class CertificateClientTls:
    """Client that verifies the server certificate against ``server_cas`` and the server name, and
    presents ``credential`` as client certificate when given (mutual TLS)."""

    def __init__(
        self,
        server_cas: TrustAnchors,
        *,
        credential: CertifiedKey | None = None,
        minimum_version: TlsVersion = TlsVersion.TLS1_2,
        maximum_version: TlsVersion = TlsVersion.TLS1_3,
    ) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._context.set_ciphers(CERTIFICATE_CIPHERS_TLS12)
        _versions(self._context, minimum_version, maximum_version)
        _trust(self._context, server_cas)
        if credential is not None:
            _load_credential(self._context, credential)

    def connect(self, sock: socket.socket, *, server_name: str, timeout: float) -> StdlibChannel:
        """See :meth:`impl.tls.channel.ClientTls.connect`."""
        deadline = time.monotonic() + timeout
        tls = _wrap(self._context, sock, server_name)
        _run_handshake(tls, sock, deadline)
        version, cipher = _negotiated(tls)
        peer = TlsPeer(version, cipher, certificate=peer_certificate(tls))
        return StdlibChannel(sock, tls, peer, client_side=True)


class UnauthenticatedServerClientTls:
    """Client that does **not** authenticate the server (any certificate, any name) and presents
    ``credential``: only for ``mismatch-authentication=unauthenticated``, which the catalogue marks
    unsafe, where an invoker takes a method mismatch indication from whoever answers."""

    def __init__(self, *, credential: CertifiedKey | None = None) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._context.set_ciphers(CERTIFICATE_CIPHERS_TLS12)
        _versions(self._context, TlsVersion.TLS1_2, TlsVersion.TLS1_3)
        self._context.check_hostname = False
        self._context.verify_mode = ssl.CERT_NONE
        if credential is not None:
            _load_credential(self._context, credential)

    def connect(self, sock: socket.socket, *, server_name: str, timeout: float) -> StdlibChannel:
        """See :meth:`impl.tls.channel.ClientTls.connect`."""
        deadline = time.monotonic() + timeout
        tls = _wrap(self._context, sock, server_name)
        _run_handshake(tls, sock, deadline)
        version, cipher = _negotiated(tls)
        return StdlibChannel(sock, tls, TlsPeer(version, cipher), client_side=True)


class PskClientTls:
    """TLS 1.2 PSK client offering only (EC)DHE-PSK suites, so the handshake authenticates the server
    by the PSK or fails (TS 33.122 clause 6.5.2.1)."""

    def __init__(self, identity: str, key: bytes) -> None:
        self._identity = identity
        self._context = new_psk_context(server_side=False)
        self._context.check_hostname = False
        self._context.verify_mode = ssl.CERT_NONE
        configure_tls12_psk(self._context)
        self._context.set_psk_client_callback(psk_client_callback(identity, key))  # type: ignore[attr-defined]

    def connect(self, sock: socket.socket, *, server_name: str, timeout: float) -> StdlibChannel:
        """See :meth:`impl.tls.channel.ClientTls.connect`; ``server_name`` is not checked (no certificate)."""
        deadline = time.monotonic() + timeout
        tls = _wrap(self._context, sock, None)
        install_psk_callbacks(tls, self._context)
        _run_handshake(tls, sock, deadline, psk=True)
        version, cipher = _negotiated(tls)
        if not is_psk_cipher(cipher):
            sock.close()
            raise TlsHandshakeError(f"negotiated {cipher} without a PSK")
        return StdlibChannel(
            sock, tls, TlsPeer(version, cipher, psk_identity=self._identity), client_side=True
        )
