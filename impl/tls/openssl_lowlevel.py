"""LOW-LEVEL: the one place that reaches OpenSSL through cffi bindings instead of a Python TLS API.

Why: AEFPSK (TS 33.122 Annex A.1) needs the TLS 1.2 session ID of the CAPIF-1e session, and no Python
API returns it together with the master secret. pyOpenSSL gives the master secret
(``Connection.master_key``) and the session (``Connection.get_session``); the session ID is read from
the session's DER encoding (``i2d_SSL_SESSION``), whose layout OpenSSL fixes in ``ssl/ssl_asn1.c``::

    SSL_SESSION_ASN1 ::= SEQUENCE { version INTEGER, sslVersion INTEGER,
        cipher OCTET STRING, sessionID OCTET STRING, masterKey OCTET STRING, ... }

The master key read from the DER must equal ``Connection.master_key()``, which guards the parsing.
Everything here is private to :mod:`impl.tls.capif1e`.
"""

from typing import Any

from cryptography.hazmat.bindings.openssl.binding import Binding
from OpenSSL import SSL

_DER_SEQUENCE = 0x30
_DER_INTEGER = 0x02
_DER_OCTET_STRING = 0x04
_BINDING = Binding()


class SessionEncodingError(ValueError):
    """The DER of an SSL_SESSION did not have the expected layout."""


def _read_tlv(der: bytes, offset: int) -> tuple[int, bytes, int]:
    """One DER TLV at ``offset``: (tag, value, offset after it). Definite lengths only."""
    if offset + 2 > len(der):
        raise SessionEncodingError("truncated DER")
    tag, first = der[offset], der[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(der):
            raise SessionEncodingError("bad DER length")
        length = int.from_bytes(der[offset : offset + count], "big")
        offset += count
    if offset + length > len(der):
        raise SessionEncodingError("truncated DER value")
    return tag, der[offset : offset + length], offset + length


def parse_session_der(der: bytes) -> tuple[bytes, bytes]:
    """(session ID, master key) from the DER of an ``SSL_SESSION``."""
    tag, body, _ = _read_tlv(der, 0)
    if tag != _DER_SEQUENCE:
        raise SessionEncodingError("SSL_SESSION is not a SEQUENCE")
    expected = (_DER_INTEGER, _DER_INTEGER, _DER_OCTET_STRING, _DER_OCTET_STRING, _DER_OCTET_STRING)
    values = []
    offset = 0
    for wanted in expected:
        tag, value, offset = _read_tlv(body, offset)
        if tag != wanted:
            raise SessionEncodingError(f"unexpected DER tag 0x{tag:02x} in SSL_SESSION")
        values.append(value)
    return values[3], values[4]


def _session_der(connection: SSL.Connection) -> bytes:
    session = connection.get_session()
    if session is None:
        raise SessionEncodingError("the connection has no session")
    handle: Any = session._session  # pyOpenSSL keeps the SSL_SESSION* here
    length = _BINDING.lib.i2d_SSL_SESSION(handle, _BINDING.ffi.NULL)
    if length <= 0:
        raise SessionEncodingError("i2d_SSL_SESSION failed")
    buffer = _BINDING.ffi.new("unsigned char[]", length)
    cursor = _BINDING.ffi.new("unsigned char **", buffer)
    if _BINDING.lib.i2d_SSL_SESSION(handle, cursor) != length:
        raise SessionEncodingError("i2d_SSL_SESSION wrote an unexpected length")
    return bytes(_BINDING.ffi.buffer(buffer, length))


def tls12_session_keying(connection: SSL.Connection) -> tuple[bytes, bytes]:
    """(session ID, master secret) of an established TLS 1.2 connection."""
    session_id, master_key = parse_session_der(_session_der(connection))
    if master_key != connection.master_key():
        raise SessionEncodingError("master key in the session DER differs from the connection's")
    return session_id, master_key


def verify_error_text(code: int) -> str:
    """OpenSSL's text for an X.509 verification error code (e.g. 10: "certificate has expired")."""
    text: bytes = _BINDING.ffi.string(_BINDING.lib.X509_verify_cert_error_string(code))
    return text.decode("ascii", "replace")
