"""The RFC 7919 ``ffdhe3072`` group, for the DHE-PSK suites of CAPIF-2e TLS-PSK (TS 33.210 clause 6.2).

The stdlib ``ssl`` module loads finite-field DH parameters only from a PEM file, so the group is built
here from its definition (RFC 7919 Appendix A.2: ``p = 2^3072 - 2^3008 + (floor(2^2942 * e) + 2625351)
* 2^64 - 1``, ``g = 2``) and written as PKCS#3 PEM. ``e`` is computed exactly with integers.
"""

import base64

FFDHE3072_BITS = 3072
FFDHE3072_X = 2625351
FFDHE_GENERATOR = 2
_GUARD_BITS = 64


def _floor_e_scaled(bits: int) -> int:
    """``floor(e * 2^bits)`` from the series ``sum 1/k!``, with guard bits against truncation."""
    unit = 1 << (bits + _GUARD_BITS)
    total, term, k = 0, unit, 0
    while term:
        total += term
        k += 1
        term //= k
    return total >> _GUARD_BITS


def ffdhe3072_prime() -> int:
    """The ``ffdhe3072`` safe prime (RFC 7919 Appendix A.2)."""
    b = FFDHE3072_BITS
    prime: int = 2**b - 2 ** (b - 64) + (_floor_e_scaled(b - 130) + FFDHE3072_X) * 2**64 - 1
    return prime


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _der_integer(value: int) -> bytes:
    octets = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0x00 keeps it positive
    return b"\x02" + _der_length(len(octets)) + octets


def ffdhe3072_pem() -> bytes:
    """PKCS#3 ``DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }`` in PEM."""
    body = _der_integer(ffdhe3072_prime()) + _der_integer(FFDHE_GENERATOR)
    der = b"\x30" + _der_length(len(body)) + body
    lines = base64.encodebytes(der).replace(b"\n", b"")
    wrapped = b"\n".join(lines[i : i + 64] for i in range(0, len(lines), 64))
    return b"-----BEGIN DH PARAMETERS-----\n" + wrapped + b"\n-----END DH PARAMETERS-----\n"
