"""LOW-LEVEL: the one place that reaches the OpenSSL under the stdlib ``ssl`` module directly.

Why: a TLS 1.2 server keeps every full handshake's session in a cache so that a client may resume it,
and the stdlib ``ssl`` module can neither turn that cache off nor see who a resumed session belongs to.
On CAPIF-2e a resumed TLS-PSK session skips the PSK callback, so the AEF would not learn (or re-check)
the PSK identity, and the cache grows with every handshake. :func:`disable_session_cache` sets
``SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF)``: no session is stored, no session ID is
issued, every connection is a full handshake that runs the callbacks and verifies the peer afresh.

How: ``ssl.SSLContext`` is CPython's ``PySSLContext``, whose first member after the object header is the
``SSL_CTX *``; the functions come from the ``libssl`` that CPython's ``_ssl`` module is linked to (not the
one inside ``cryptography``). Before writing, the pointer is checked: OpenSSL's options read through it
must equal ``context.options``.
"""

import ctypes
import ssl

from impl.tls.errors import TlsConfigurationError

_SSL_CTRL_OPTIONS = 32
_SSL_CTRL_SET_SESS_CACHE_MODE = 44
_SSL_CTRL_GET_SESS_CACHE_MODE = 45
_SSL_SESS_CACHE_OFF = 0


def _libssl() -> ctypes.CDLL:
    library = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]  # symbols of its libssl
    library.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    library.SSL_CTX_ctrl.restype = ctypes.c_long
    return library


def _options(library: ctypes.CDLL, handle: int) -> int:
    """``SSL_CTX_get_options``: a function since OpenSSL 3.0, a control code before."""
    try:
        get_options = library.SSL_CTX_get_options
    except AttributeError:
        return int(library.SSL_CTX_ctrl(handle, _SSL_CTRL_OPTIONS, 0, None)) & 0xFFFFFFFFFFFFFFFF
    get_options.argtypes = [ctypes.c_void_p]
    get_options.restype = ctypes.c_uint64
    return int(get_options(handle))


def disable_session_cache(context: ssl.SSLContext) -> None:
    """Turn the server session cache of ``context`` off (see the module note)."""
    library = _libssl()
    handle = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not handle or _options(library, handle) != int(context.options):
        raise TlsConfigurationError("cannot reach the OpenSSL context under this ssl.SSLContext")
    library.SSL_CTX_ctrl(handle, _SSL_CTRL_SET_SESS_CACHE_MODE, _SSL_SESS_CACHE_OFF, None)
    if library.SSL_CTX_ctrl(handle, _SSL_CTRL_GET_SESS_CACHE_MODE, 0, None) != _SSL_SESS_CACHE_OFF:
        raise TlsConfigurationError("the TLS server session cache could not be turned off")
