"""Strict reading of JSON request bodies: every refusal is a 400 naming the JSON Pointer of the field.

The TS 29.222 OpenAPI shapes are read field by field (required fields, types, enumerations, sizes);
attributes a shape does not define are ignored and never stored (TS 29.501 clause 5.2.2 extensibility).
The size limits are this implementation's: the OpenAPI sets none.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from impl.apitypes.problems import Cause, invalid_body

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject = dict[str, JsonValue]

MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 4096
MAX_URI_LENGTH = 2048
MAX_PEM_LENGTH = 16384
MAX_ITEMS = 64
MAX_OPAQUE_DEPTH = 8
MAX_OPAQUE_NODES = 512

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
ItemParser = Callable[[object, str], T]


def child(pointer: str, key: str | int) -> str:
    """The JSON Pointer (RFC 6901) of member ``key`` below ``pointer``."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{token}"


class Fields:
    """The members of one JSON object, read with the refusal naming each member's JSON Pointer."""

    def __init__(self, value: object, pointer: str, *, required: bool = True) -> None:
        if not isinstance(value, dict):
            cause = Cause.MANDATORY_IE_INCORRECT if required else Cause.OPTIONAL_IE_INCORRECT
            raise invalid_body(cause, pointer, "must be a JSON object")
        self._members: dict[str, object] = value
        self.pointer = pointer

    def at(self, name: str) -> str:
        """The JSON Pointer of member ``name``."""
        return child(self.pointer, name)

    def has(self, name: str) -> bool:
        return name in self._members

    def _get(self, name: str, required: bool) -> object | None:
        if name not in self._members or self._members[name] is None:
            if required:
                raise invalid_body(Cause.MANDATORY_IE_MISSING, self.at(name), "is required")
            return None
        return self._members[name]

    def required(self, name: str, parse: ItemParser[T]) -> T:
        value = self._get(name, True)
        return _with_cause(parse, value, self.at(name), Cause.MANDATORY_IE_INCORRECT)

    def optional(self, name: str, parse: ItemParser[T]) -> T | None:
        value = self._get(name, False)
        if value is None:
            return None
        return _with_cause(parse, value, self.at(name), Cause.OPTIONAL_IE_INCORRECT)

    def absent(self, name: str, reason: str) -> None:
        """Refuse a member that must not be sent in this request (``readOnly`` in the OpenAPI)."""
        if name in self._members:
            raise invalid_body(Cause.OPTIONAL_IE_INCORRECT, self.at(name), reason)


def _with_cause(parse: ItemParser[T], value: object, pointer: str, cause: Cause) -> T:
    """Run ``parse``; item parsers raise with a neutral cause, re-raised here with the right one."""
    try:
        return parse(value, pointer)
    except _ItemError as error:
        raise invalid_body(cause, error.pointer, error.reason) from None


class _ItemError(Exception):
    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason


def refuse(pointer: str, reason: str) -> _ItemError:
    """The error an item parser raises; the enclosing field decides mandatory/optional cause."""
    return _ItemError(pointer, reason)


def string(max_length: int = MAX_ID_LENGTH, *, min_length: int = 1) -> ItemParser[str]:
    """A string of ``min_length`` to ``max_length`` characters without control characters."""

    def parse(value: object, pointer: str) -> str:
        if not isinstance(value, str):
            raise refuse(pointer, "must be a string")
        if not min_length <= len(value) <= max_length:
            raise refuse(pointer, f"length must be {min_length} to {max_length} characters")
        if any(ord(char) < 0x20 and char not in "\r\n\t" for char in value):
            raise refuse(pointer, "must not contain control characters")
        return value

    return parse


def identifier(value: object, pointer: str) -> str:
    """An identifier: 1 to 256 printable characters, no white space."""
    text = string()(value, pointer)
    if any(char.isspace() for char in text):
        raise refuse(pointer, "must not contain white space")
    return text


def boolean(value: object, pointer: str) -> bool:
    if not isinstance(value, bool):
        raise refuse(pointer, "must be true or false")
    return value


def integer(minimum: int, maximum: int) -> ItemParser[int]:
    def parse(value: object, pointer: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(pointer, "must be an integer")
        if not minimum <= value <= maximum:
            raise refuse(pointer, f"must be between {minimum} and {maximum}")
        return value

    return parse


def enumeration(enum_type: type[E]) -> ItemParser[E]:
    """One of the enumeration's values (forward-compatible free strings are refused: see module doc)."""

    def parse(value: object, pointer: str) -> E:
        allowed = ", ".join(member.value for member in enum_type)
        if not isinstance(value, str):
            raise refuse(pointer, f"must be one of {allowed}")
        try:
            return enum_type(value)
        except ValueError:
            raise refuse(pointer, f"must be one of {allowed}") from None

    return parse


def array(
    parse_item: ItemParser[T], *, min_items: int = 1, max_items: int = MAX_ITEMS, unique: bool = False
) -> ItemParser[tuple[T, ...]]:
    """An array of ``min_items`` to ``max_items`` items, each read with ``parse_item``."""

    def parse(value: object, pointer: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise refuse(pointer, "must be an array")
        if not min_items <= len(value) <= max_items:
            raise refuse(pointer, f"must have {min_items} to {max_items} items")
        items = tuple(parse_item(item, child(pointer, index)) for index, item in enumerate(value))
        if unique and len(set(items)) != len(items):
            raise refuse(pointer, "must not repeat an item")
        return items

    return parse


def nested(parse_object: Callable[[Fields], T]) -> ItemParser[T]:
    """A nested object read by ``parse_object``; its own fields raise with their own causes."""

    def parse(value: object, pointer: str) -> T:
        if not isinstance(value, dict):
            raise refuse(pointer, "must be a JSON object")
        return parse_object(Fields(value, pointer))

    return parse


def uri(value: object, pointer: str) -> str:
    """An absolute http(s) URI (TS 29.122 ``Uri``, RFC 3986)."""
    text = string(MAX_URI_LENGTH)(value, pointer)
    if any(char.isspace() for char in text):
        raise refuse(pointer, "must be a URI without white space")
    try:
        parts = urlsplit(text)
        has_host = bool(parts.hostname)
    except ValueError:
        raise refuse(pointer, "must be an absolute http or https URI") from None
    if parts.scheme not in ("http", "https") or not has_host:
        raise refuse(pointer, "must be an absolute http or https URI")
    return text


def supported_features(value: object, pointer: str) -> str:
    """TS 29.571 ``SupportedFeatures``: hexadecimal digits."""
    text = string(MAX_ID_LENGTH, min_length=0)(value, pointer)
    if any(char not in "0123456789abcdefABCDEF" for char in text):
        raise refuse(pointer, "must be hexadecimal digits")
    return text


def date_time(value: object, pointer: str) -> str:
    """TS 29.122 ``DateTime`` (RFC 3339 with a time zone); kept as the string sent."""
    text = string(64)(value, pointer)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise refuse(pointer, "must be an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise refuse(pointer, "must carry a time zone")
    return text


def opaque_object(value: object, pointer: str) -> JsonObject:
    """A JSON object this implementation stores and returns but does not interpret (bounded size)."""
    if not isinstance(value, dict):
        raise refuse(pointer, "must be a JSON object")
    budget = [MAX_OPAQUE_NODES]
    copied = _copy_json(value, pointer, 0, budget)
    assert isinstance(copied, dict)
    return copied


def _copy_json(value: object, pointer: str, depth: int, budget: list[int]) -> JsonValue:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_OPAQUE_DEPTH:
        raise refuse(pointer, "is too large or too deeply nested")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise refuse(pointer, "must not hold NaN or infinity")
        return value
    if isinstance(value, list):
        return [_copy_json(item, child(pointer, i), depth + 1, budget) for i, item in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _copy_json(item, child(pointer, key), depth + 1, budget) for key, item in value.items()}
    raise refuse(pointer, "must be JSON")


def negotiated_features(requested: str | None) -> str | None:
    """The ``supportedFeatures`` of an answer (TS 29.500 clause 6.6.2: the features both ends support).

    This CCF supports no optional feature of the CAPIF APIs: ``"0"`` when the request offered any,
    absent when it did not.
    """
    return None if requested is None else "0"


def without_none(members: dict[str, JsonValue | None]) -> JsonObject:
    """A JSON object without the members whose value is None (absent optional attributes)."""
    return {key: value for key, value in members.items() if value is not None}
