"""Low-level layer: JWS Compact Serialization, parsed strictly (RFC 7515 clauses 3.1, 5.2, 7.1).

The JOSE header may hold only ``alg``, ``kid`` and ``typ``. Headers that bring their own key or a key
URL (``jku``, ``jwk``, ``x5u``, ``x5c``, ``x5t``, ``x5t#S256``) are refused, since the AEF verifies
only with keys it was configured to trust (TS 33.122 clause 6.5.2.3); ``crit`` is refused because this
implementation understands no extension (RFC 7515 clause 4.1.11); so is anything else unknown.
The key is found by ``kid`` and must be bound to the header's ``alg``.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from impl.tokens.encoding import (
    DuplicateMemberError,
    b64url_decode,
    b64url_encode,
    decode_json_object,
    encode_json,
)
from impl.tokens.errors import InvalidToken, TokenRefusal
from impl.tokens.jwa import Algorithm
from impl.tokens.keys import SigningKey, TrustedKey, TrustedKeySet

_COMPACT_FORM = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)")
_KEY_CARRYING_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"})
_ALLOWED_HEADERS = frozenset({"alg", "kid", "typ"})


class CompactJws(NamedTuple):
    """The three parts of a compact JWS, with the signature already decoded (RFC 7515 clause 7.1)."""

    header_segment: str
    payload_segment: str
    signing_input: bytes
    signature: bytes


@dataclass(frozen=True)
class VerifiedJws:
    """A JWS whose signature checked out: the key that signed it and the raw payload."""

    key: TrustedKey
    payload: bytes


def split_compact(token: object, max_length: int) -> CompactJws:
    """Split ``header.payload.signature``; refuse non-strings, oversize input and non-base64url."""
    if not isinstance(token, str):
        raise InvalidToken(TokenRefusal.NOT_A_STRING)
    if len(token) > max_length:
        raise InvalidToken(TokenRefusal.OVERSIZED)
    parts = _COMPACT_FORM.fullmatch(token)
    if parts is None:
        raise InvalidToken(TokenRefusal.MALFORMED)
    return CompactJws(parts[1], parts[2], token[: parts.end(2)].encode("ascii"), decode_segment(parts[3]))


def decode_segment(segment: str) -> bytes:
    """base64url-decode one part of the token, strictly."""
    try:
        return b64url_decode(segment)
    except ValueError as error:
        raise InvalidToken(TokenRefusal.MALFORMED) from error


def decode_json_segment(segment: str) -> dict[str, object]:
    """Decode a part that must be a JSON object without duplicate members (RFC 7515 clause 5.2)."""
    try:
        return decode_json_object(decode_segment(segment))
    except DuplicateMemberError as error:
        raise InvalidToken(TokenRefusal.DUPLICATE_MEMBER) from error
    except ValueError as error:
        raise InvalidToken(TokenRefusal.MALFORMED) from error


def _check_header_members(header: dict[str, object]) -> None:
    algorithm = header.get("alg")
    if isinstance(algorithm, str) and algorithm.lower() == "none":
        raise InvalidToken(TokenRefusal.ALG_NONE)
    if "crit" in header:
        raise InvalidToken(TokenRefusal.CRITICAL_HEADER)
    if not _KEY_CARRYING_HEADERS.isdisjoint(header):
        raise InvalidToken(TokenRefusal.FORBIDDEN_KEY_HEADER)
    if not _ALLOWED_HEADERS.issuperset(header):
        raise InvalidToken(TokenRefusal.UNKNOWN_HEADER)


@dataclass(frozen=True, slots=True)
class ResolvedHeader:
    """What a JOSE header names: the trusted key (bound to the header's ``alg``) and ``typ``."""

    key: TrustedKey
    media_type: str | None

    def has_type(self, required_type: str | None) -> bool:
        """Whether ``typ`` is ``required_type`` (compared case-insensitively, RFC 7515 clause 4.1.9);
        any ``typ`` passes when none is required."""
        if required_type is None:
            return True
        return self.media_type is not None and self.media_type.lower() == required_type.lower()


def resolve_header(
    header_segment: str, keys: TrustedKeySet, allowed_algorithms: frozenset[Algorithm] | None = None
) -> ResolvedHeader:
    """Read the JOSE header and return the trusted key it names, with its ``typ`` (a string or absent).

    ``alg`` must be one of ``allowed_algorithms`` (every algorithm of :class:`Algorithm` when None):
    a token in any other algorithm is refused as such before any key is looked up.
    """
    header = decode_json_segment(header_segment)
    _check_header_members(header)
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in Algorithm.__members__:
        raise InvalidToken(TokenRefusal.UNSUPPORTED_ALGORITHM)
    if allowed_algorithms is not None and Algorithm(algorithm) not in allowed_algorithms:
        raise InvalidToken(TokenRefusal.UNSUPPORTED_ALGORITHM)
    media_type = header.get("typ")
    if media_type is not None and not isinstance(media_type, str):
        raise InvalidToken(TokenRefusal.WRONG_TYPE)
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidToken(TokenRefusal.MISSING_KID)
    key = keys.get(kid)
    if key is None:
        raise InvalidToken(TokenRefusal.UNKNOWN_KID)
    if key.algorithm != algorithm:
        raise InvalidToken(TokenRefusal.ALGORITHM_KEY_MISMATCH)
    return ResolvedHeader(key, media_type)


def verify_compact(
    token: object, keys: TrustedKeySet, *, max_length: int, required_type: str | None = None
) -> VerifiedJws:
    """Verify a compact JWS against a trusted key set: the signature layer, no claims (RFC 7515 5.2).

    ``typ`` is compared once the signature holds, so that a forged token is refused as forged."""
    jws = split_compact(token, max_length)
    header = resolve_header(jws.header_segment, keys)
    if not header.key.signature_is_valid(jws.signature, jws.signing_input):
        raise InvalidToken(TokenRefusal.BAD_SIGNATURE)
    if not header.has_type(required_type):
        raise InvalidToken(TokenRefusal.WRONG_TYPE)
    return VerifiedJws(header.key, decode_segment(jws.payload_segment))


def encode_header(signing_key: SigningKey, media_type: str) -> str:
    """The protected header segment for tokens signed with ``signing_key`` (RFC 7515 clause 4.1)."""
    header = {"alg": signing_key.algorithm.value, "typ": media_type, "kid": signing_key.kid}
    return b64url_encode(encode_json(header))


def sign_compact(header_segment: str, payload: bytes, signing_key: SigningKey) -> str:
    """Produce ``header.payload.signature`` (RFC 7515 clause 5.1)."""
    signing_input = f"{header_segment}.{b64url_encode(payload)}"
    return f"{signing_input}.{b64url_encode(signing_key.sign(signing_input.encode('ascii')))}"
