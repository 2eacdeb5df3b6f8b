"""TLS-PSK for CAPIF-2e (TS 33.122 clause 6.5.2.1, AEFPSK of Annex A.1) on the stdlib ``ssl`` module.

Python 3.13 has PSK callbacks on ``ssl.SSLContext``; before that the ``sslpsk3`` package adds the same
two methods. Either way a server callback maps an identity to a key, a client callback gives identity
and key. TLS 1.2 only: with these stacks a TLS 1.3 external PSK falls back to a certificate handshake
when the identity is unknown, so a PSK client could not tell PSK authentication from none. The PSK
identity on CAPIF-2e is the API invoker ID (TS 33.122 leaves it open).
"""

import logging
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from impl.tls.channel import TlsObject
from impl.tls.errors import TlsConfigurationError
from impl.tls.ffdhe import ffdhe3072_pem
from impl.tls.profile import MAX_PSK_IDENTITY_LENGTH, MAX_PSK_LENGTH, PSK_CIPHERS_TLS12

PskLookup = Callable[[str], bytes | None]
"""Server side: the key for a PSK identity, or ``None`` to refuse it ("unknown PSK identity")."""

_LOG = logging.getLogger(__name__)

if sys.version_info >= (3, 13):

    def new_psk_context(*, server_side: bool) -> ssl.SSLContext:
        """An ``SSLContext`` that accepts PSK callbacks (native since Python 3.13)."""
        return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)

    def install_psk_callbacks(tls: TlsObject, context: ssl.SSLContext) -> None:
        """Nothing to do: native callbacks live on the context."""

    def release_psk_callbacks(tls: TlsObject) -> None:
        """Nothing to do: native callbacks live on the context."""

else:
    import sslpsk3

    def new_psk_context(*, server_side: bool) -> ssl.SSLContext:
        """An ``SSLContext`` that accepts PSK callbacks (``sslpsk3`` before Python 3.13)."""
        protocol = ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT
        context: ssl.SSLContext = sslpsk3.SSLPSKContext(protocol)
        return context

    _NATIVE = sslpsk3.sslpsk3._sslpsk3
    _CONTEXT_OF_SOCKET = sslpsk3.sslpsk3.psk_contexts
    """``sslpsk3``'s table: its C callbacks find a connection's context there by the address of the
    connection's OpenSSL object, which its set-callback functions answer."""

    def install_psk_callbacks(tls: TlsObject, context: ssl.SSLContext) -> None:
        """Attach the PSK callbacks of ``context`` (the one ``tls`` was made from) to the connection's
        OpenSSL object, once, before the handshake: the calls ``sslpsk3``'s ``setup_psk_callbacks``
        makes for an ``ssl.SSLSocket``, made on the TLS object itself (no wrapper to unwrap)."""
        if tls.server_side:
            key = _NATIVE.sslpsk3_set_accept_state(tls)
            _NATIVE.sslpsk3_set_psk_server_callback(tls)
            _NATIVE.sslpsk3_use_psk_identity_hint(tls, context.psk_server_hint or "")  # type: ignore[attr-defined]
        else:
            key = _NATIVE.sslpsk3_set_psk_client_callback(tls)
        _CONTEXT_OF_SOCKET[key] = context

    def release_psk_callbacks(tls: TlsObject) -> None:
        """Forget the socket in ``sslpsk3``'s table, once its handshake has ended or been given up.

        ``sslpsk3`` never removes an entry: without this the table grows with every connection and
        keeps each context alive. Call it while the socket is not yet closed (its OpenSSL object
        alive, so the address names no other connection). The callbacks are not needed afterwards:
        our contexts refuse renegotiation (:func:`configure_tls12_psk`).
        """
        # Setting the socket's C callback again changes nothing and answers the socket's key.
        if tls.server_side:
            key = _NATIVE.sslpsk3_set_psk_server_callback(tls)
        else:
            key = _NATIVE.sslpsk3_set_psk_client_callback(tls)
        _CONTEXT_OF_SOCKET.pop(key, None)


def configure_tls12_psk(context: ssl.SSLContext) -> None:
    """TLS 1.2 exactly, the (EC)DHE-PSK AEAD suites, the ffdhe3072 group for DHE-PSK, and no
    renegotiation (a PSK socket's callbacks are released once its handshake is over)."""
    context.options |= ssl.OP_NO_RENEGOTIATION
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(PSK_CIPHERS_TLS12)
    load_ffdhe_parameters(context)


def load_ffdhe_parameters(context: ssl.SSLContext) -> None:
    """Give the context the ffdhe3072 group (``ssl`` reads DH parameters from a file only)."""
    with tempfile.TemporaryDirectory() as directory:
        parameters = Path(directory) / "ffdhe3072.pem"
        parameters.write_bytes(ffdhe3072_pem())
        context.load_dh_params(str(parameters))


class PskIdentityRecorder(Protocol):
    """Where a handshake keeps the PSK identity the client asked for."""

    psk_identity: str | None


class PskServerCallback:
    """The server callback: looks the identity up and records it in the handshake that asked.

    A handshake step runs in the calling thread, so the step binds its handshake (:meth:`bind`) before
    it calls into TLS, and the callback, called from within that step, records the identity there:
    after a successful PSK handshake it is the identity the client proved. It never raises into the
    TLS library: a failing lookup is logged and refuses the identity.
    """

    def __init__(self, lookup: PskLookup) -> None:
        self._lookup = lookup
        self._bound = threading.local()

    def __call__(self, identity: str | None) -> bytes:
        recorder: PskIdentityRecorder | None = getattr(self._bound, "recorder", None)
        if recorder is not None:
            recorder.psk_identity = identity
        if not identity or len(identity) > MAX_PSK_IDENTITY_LENGTH:
            return b""
        try:
            key = self._lookup(identity)
        except Exception:
            _LOG.exception("PSK lookup failed for identity %r; refusing it", identity)
            return b""
        if key is None or not 0 < len(key) <= MAX_PSK_LENGTH:
            return b""
        return key

    def bind(self, recorder: PskIdentityRecorder | None) -> None:
        """Record identities asked for in this thread into ``recorder`` (None: nowhere)."""
        self._bound.recorder = recorder


def psk_client_callback(identity: str, key: bytes) -> Callable[[str | None], tuple[str, bytes]]:
    """The client callback: always answers ``(identity, key)`` whatever the server's hint."""
    if not identity or len(identity) > MAX_PSK_IDENTITY_LENGTH:
        raise TlsConfigurationError(f"a PSK identity is 1 to {MAX_PSK_IDENTITY_LENGTH} characters")
    if not 0 < len(key) <= MAX_PSK_LENGTH:
        raise TlsConfigurationError(f"a PSK is 1 to {MAX_PSK_LENGTH} octets")

    def callback(hint: str | None) -> tuple[str, bytes]:
        return identity, key

    return callback
