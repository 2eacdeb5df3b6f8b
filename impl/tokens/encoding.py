"""Strict base64url and JSON codecs for JWS (RFC 7515 clause 2 and clause 7.1; RFC 8259).

Lenient decoders are a classic source of token-parsing bugs, so these refuse anything that is not the
one canonical encoding: characters outside the base64url alphabet, padding, non-zero unused bits,
invalid UTF-8, duplicate JSON member names, ``NaN``/``Infinity`` and any JSON value other than an
object.
"""

import base64
import json
import re
from typing import Any

BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_BASE64URL_TEXT = re.compile(r"[A-Za-z0-9_-]*")
_UNUSED_BITS_MASK = {2: 0x0F, 3: 0x03}


class DuplicateMemberError(ValueError):
    """A JSON object names the same member twice (RFC 7515 clause 4, RFC 7519 clause 4)."""


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 clause 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """Decode canonical base64url without padding; raise ValueError on anything else.

    A final group of 2 or 3 characters carries 4 or 2 unused bits, which must be zero (RFC 4648
    clause 3.5), so that each octet string has exactly one encoding.
    """
    remainder = len(segment) % 4
    if remainder == 1 or not _BASE64URL_TEXT.fullmatch(segment):
        raise ValueError("not a base64url string")
    if remainder and BASE64URL_ALPHABET.index(segment[-1]) & _UNUSED_BITS_MASK[remainder]:
        raise ValueError("non-canonical base64url (unused bits set)")
    return base64.urlsafe_b64decode(segment + "=" * (4 - remainder) if remainder else segment)


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise DuplicateMemberError("duplicate JSON member name")
    return members


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant)


def decode_json_object(data: bytes) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object; raise ValueError (or DuplicateMemberError)."""
    try:
        value = _STRICT_JSON.decode(data.decode("utf-8"))
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error
    if not isinstance(value, dict):
        raise ValueError("JSON value is not an object")
    return value


def encode_json(value: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON for a JOSE header or claims set."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
