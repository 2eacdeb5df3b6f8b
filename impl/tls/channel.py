"""The connection abstraction the HTTP layer runs on, and its implementation over the stdlib ``ssl``.

A :class:`TlsChannel` is an established, authenticated TLS connection: every read and write takes its
own timeout, a read returning 0 means the peer closed. A :class:`ServerTls` turns an accepted TCP
socket into a channel, a :class:`ClientTls` a connected one; both finish the handshake within a total
deadline (a stalled peer cannot hold a worker longer) or raise :class:`TlsHandshakeError`. A server may
also run a handshake in steps (:meth:`ServerTls.start`, :class:`ServerHandshake`), each step going as
far as the octets already received allow, so that a peer that sends nothing holds no thread meanwhile.
"""

import contextlib
import errno
import select
import socket
import ssl
import time
from typing import Protocol

from cryptography import x509

from impl.tls.errors import TlsError, TlsHandshakeError
from impl.tls.peer import TlsPeer

_DRAIN_SIZE = 16 * 1024


class TlsChannel(Protocol):
    """An established TLS connection."""

    @property
    def peer(self) -> TlsPeer:
        """The authenticated peer."""
        ...

    def recv_into(self, buffer: bytearray | memoryview, timeout: float) -> int:
        """Read up to ``len(buffer)`` octets; 0 when the peer closed. Raises :class:`TimeoutError`
        (nothing within ``timeout``; with 0, nothing there now), :class:`TlsError` or :class:`OSError`."""
        ...

    def send_all(self, data: bytes, timeout: float) -> None:
        """Write all of ``data``. Raises :class:`TimeoutError`, :class:`TlsError` or :class:`OSError`."""
        ...

    def has_incoming(self) -> bool:
        """True if the peer sent something not yet read (data, close_notify or end of stream)."""
        ...

    def close(self) -> None:
        """Send close_notify if possible and close the socket. Idempotent."""
        ...


class ServerHandshake(Protocol):
    """A server handshake in progress on a non-blocking socket."""

    def fileno(self) -> int:
        """The socket's descriptor (to wait until the peer sends more)."""
        ...

    def advance(self) -> TlsChannel | None:
        """Go as far as the octets received so far allow, without waiting for the peer: the channel
        once the handshake is complete, None while it needs more from the peer. A refused handshake
        raises :class:`TlsHandshakeError`, the socket closed."""
        ...

    def abort(self) -> None:
        """Give up (a deadline passed): close the socket."""
        ...


class ServerTls(Protocol):
    """The TLS mode of a listening endpoint."""

    def start(self, sock: socket.socket) -> ServerHandshake:
        """Begin the server handshake on an accepted socket, which belongs to the handshake from now
        on (and then to the channel). Raises :class:`TlsHandshakeError` (socket closed) if TLS cannot
        even start."""
        ...

    def accept(self, sock: socket.socket, *, timeout: float) -> TlsChannel:
        """Run the server handshake on an accepted socket within ``timeout`` seconds in total
        (:func:`complete_handshake`). The socket belongs to the channel afterwards."""
        ...


HANDSHAKE_WRITE_WAIT = 5.0
"""Seconds a handshake step may wait to write (the socket buffer full: never, in practice)."""


def complete_handshake(handshake: ServerHandshake, deadline: float) -> TlsChannel:
    """Drive ``handshake`` to its end, waiting for the peer between steps, by ``deadline``
    (``time.monotonic``); :class:`TlsHandshakeError` when it is refused or the deadline passes."""
    while True:
        channel = handshake.advance()
        if channel is not None:
            return channel
        try:
            wait_until_ready(handshake.fileno(), for_write=False, deadline=deadline)
        except TimeoutError as error:
            handshake.abort()
            raise TlsHandshakeError("handshake timed out") from error


class ClientTls(Protocol):
    """The TLS mode of a connecting endpoint."""

    def connect(self, sock: socket.socket, *, server_name: str, timeout: float) -> TlsChannel:
        """Run the client handshake on a connected socket within ``timeout`` seconds in total,
        authenticating the server as ``server_name`` (a host name or an IP address literal)."""
        ...


def wait_until_ready(sock: socket.socket | int, *, for_write: bool, deadline: float) -> None:
    """Block until ``sock`` (a socket or descriptor) is readable (or writable) or ``deadline``
    (``time.monotonic``) passes; :class:`TimeoutError` then."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("TLS operation timed out")
    poller = select.poll()
    poller.register(sock, select.POLLOUT if for_write else select.POLLIN)
    if not poller.poll(remaining * 1000):
        raise TimeoutError("TLS operation timed out")


def readable_now(sock: socket.socket) -> bool:
    """True if ``sock`` has something to read at once (data, close_notify or end of stream)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def tls_failure(reason: str, *, confirmed: bool) -> TlsError:
    """A TLS error before the peer's first octet is a refused handshake (TLS 1.3: a refused client
    certificate arrives after the client finished); after it, an ordinary :class:`TlsError`."""
    return TlsError(reason) if confirmed else TlsHandshakeError(reason)


def close_after_refusal(sock: socket.socket) -> None:
    """Close a socket whose handshake failed without resetting the connection: discard what the peer
    has already sent, so that it reads our TLS alert and an orderly close rather than a TCP reset."""
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        while sock.recv(_DRAIN_SIZE):
            pass
    sock.close()


def ssl_error_reason(error: ssl.SSLError) -> str:
    """A short reason: OpenSSL's reason code, with the verification message when there is one."""
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return f"{error.reason}: {error.verify_message}"
    if error.reason:
        return str(error.reason)
    text = str(error.args[1]) if len(error.args) > 1 else str(error)
    return text.removeprefix("[SSL] ").split(" (_ssl.c")[0]


class TlsObject(Protocol):
    """The TLS library's object for one connection: ``ssl``'s ``_ssl._SSLSocket``, created by
    :func:`tls_object` on a plain socket that it reads and writes itself (``ssl.SSLSocket`` wraps the
    same object as ``_sslobj``)."""

    @property
    def server_side(self) -> bool:
        """Whether this end is the server."""
        ...

    def do_handshake(self) -> None:
        """Go on with the handshake as far as the socket allows (its timeout decides how long)."""
        ...

    def read(self, size: int, buffer: bytearray | memoryview) -> int:
        """Decrypt up to ``size`` octets into ``buffer``."""
        ...

    def write(self, data: bytes | memoryview) -> int:
        """Encrypt and send ``data`` (or a part of it); the octets taken."""
        ...

    def pending(self) -> int:
        """Octets decrypted and not yet read."""
        ...

    def shutdown(self) -> socket.socket:
        """Send close_notify (and read the peer's if it is there)."""
        ...

    def version(self) -> str | None:
        """The negotiated protocol version."""
        ...

    def cipher(self) -> tuple[str, str, int] | None:
        """The negotiated cipher suite."""
        ...

    def getpeercert(self, binary_form: bool) -> bytes | None:
        """The peer's verified certificate (DER with ``binary_form``)."""
        ...


def tls_object(
    context: ssl.SSLContext, sock: socket.socket, server_name: str | None, *, server_side: bool
) -> TlsObject:
    """The TLS library's object for a connected ``sock``, the server's end or a client's (a client
    may name the server, ``server_name``; ``server_side`` is the caller's, who knows it, so that no
    connection asks the context for its protocol, a conversion to an enumeration each time).

    What ``SSLContext.wrap_socket`` makes is an ``ssl.SSLSocket``: a second socket object on the same
    descriptor that asks the kernel for its type, name, peer and mode on creation (four system calls,
    each handing the interpreter lock to another thread that waits for it) and puts a layer of Python
    in front of every read, write and handshake step (with ``sslpsk3`` the step even installs the PSK
    callbacks again, which resets a handshake in progress). Our endpoints keep the plain socket and
    call this object, which is the one ``SSLSocket`` itself calls. ``wrap_socket``'s checks that
    apply are made here: a name to verify when the context checks names, encoded as it would be."""
    if context.check_hostname and not server_name:
        raise ValueError("check_hostname requires server_hostname")
    hostname = context._encode_hostname(server_name)  # type: ignore[attr-defined]
    created: TlsObject = context._wrap_socket(  # type: ignore[attr-defined]
        sock, server_side, hostname, owner=None, session=None
    )
    return created


def stdlib_handshake(tls: TlsObject, sock: socket.socket, *, deadline: float) -> None:
    """Run a client handshake to completion or raise :class:`TlsHandshakeError`: the library waits
    for the server itself, each wait bounded by the time left until ``deadline``."""
    try:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no time left for the handshake")
        sock.settimeout(remaining)
        tls.do_handshake()
        if time.monotonic() > deadline:
            raise TimeoutError("the handshake ended after its deadline")
    except ssl.SSLError as error:
        raise TlsHandshakeError(ssl_error_reason(error)) from error
    except TimeoutError as error:
        raise TlsHandshakeError("handshake timed out") from error
    except OSError as error:
        raise TlsHandshakeError(f"connection failed during handshake: {error}") from error


def unconfirmed_reset(error: ConnectionError, *, confirmed: bool) -> Exception:
    """A reset before the server's first octet is a refused handshake (TLS 1.3: the server checks the
    client certificate after the client finished); after it, an ordinary connection error."""
    if confirmed:
        return error
    return TlsHandshakeError(f"the server closed the connection before confirming the handshake: {error}")


def peer_certificate(tls: TlsObject) -> x509.Certificate | None:
    """The verified peer certificate of a stdlib connection, if the peer sent one."""
    der = tls.getpeercert(True)
    return x509.load_der_x509_certificate(der) if der else None


class StdlibChannel:
    """:class:`TlsChannel` over a socket and its TLS object (:func:`tls_object`; certificate and PSK
    modes).

    The socket stays non-blocking and the channel waits for it itself (``poll``) only when the TLS
    library wants more, so a read or write costs no change of socket mode and no wait beforehand.
    On the client side, a TLS error before the first octet from the server is a
    :class:`TlsHandshakeError`: under TLS 1.3 that is how a refused client certificate arrives.
    """

    def __init__(self, sock: socket.socket, tls: TlsObject, peer: TlsPeer, *, client_side: bool) -> None:
        if sock.gettimeout() != 0.0:
            sock.setblocking(False)
        self._socket = sock
        self._tls = tls
        self._peer = peer
        self._handshake_confirmed = not client_side
        self._closed = False

    @property
    def peer(self) -> TlsPeer:
        """The authenticated peer."""
        return self._peer

    def _tls_error(self, error: ssl.SSLError) -> TlsError:
        return tls_failure(ssl_error_reason(error), confirmed=self._handshake_confirmed)

    def recv_into(self, buffer: bytearray | memoryview, timeout: float) -> int:
        """See :meth:`TlsChannel.recv_into`. With time to wait and nothing decrypted in hand, the
        channel first waits for the socket: a read that the caller expects to wait for then needs no
        failed attempt before it."""
        self._check_open()
        deadline: float | None = None
        if timeout > 0 and not self._tls.pending():
            deadline = time.monotonic() + timeout
            wait_until_ready(self._socket, for_write=False, deadline=deadline)
        while True:
            try:
                received = self._tls.read(len(buffer), buffer)
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return 0
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as error:
                if timeout <= 0:
                    raise TimeoutError("nothing to read") from error
                deadline = deadline or time.monotonic() + timeout
                self._wait(error, deadline)
            except ssl.SSLError as error:
                raise self._tls_error(error) from error
            except ConnectionError as error:
                raise unconfirmed_reset(error, confirmed=self._handshake_confirmed) from error
        self._handshake_confirmed = True
        return received

    def send_all(self, data: bytes, timeout: float) -> None:
        """See :meth:`TlsChannel.send_all`: a write the library could not finish is repeated with
        the same octets once the socket is ready (as OpenSSL requires)."""
        self._check_open()
        view = memoryview(data)
        deadline: float | None = None
        while view:
            try:
                view = view[self._tls.write(view) :]
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as error:
                deadline = deadline or time.monotonic() + timeout
                self._wait(error, deadline)
            except ssl.SSLError as error:
                raise self._tls_error(error) from error
            except ConnectionError as error:
                raise unconfirmed_reset(error, confirmed=self._handshake_confirmed) from error

    def _check_open(self) -> None:
        if self._closed:
            raise OSError(errno.EBADF, "the TLS channel is closed")

    def _wait(self, wanted: ssl.SSLError, deadline: float) -> None:
        wait_until_ready(self._socket, for_write=isinstance(wanted, ssl.SSLWantWriteError), deadline=deadline)

    def has_incoming(self) -> bool:
        """See :meth:`TlsChannel.has_incoming`."""
        return self._closed or self._tls.pending() > 0 or readable_now(self._socket)

    def close(self) -> None:
        """See :meth:`TlsChannel.close`: close_notify without waiting for the peer's."""
        if self._closed:
            return
        self._closed = True
        try:
            self._tls.shutdown()
        except (OSError, ValueError):
            pass
        finally:
            self._socket.close()
