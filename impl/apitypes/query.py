"""Strict reading of URI query parameters: every refusal is a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from impl.apitypes.problems import BadRequestError, Cause, InvalidParam

T = TypeVar("T")
MAX_QUERY_VALUE_LENGTH = 1024


class QueryParams:
    """The query parameters of one request; unknown or repeated parameters are refused."""

    def __init__(self, pairs: Iterable[tuple[str, str]], *, known: frozenset[str]) -> None:
        self._values: dict[str, str] = {}
        for name, value in pairs:
            if name not in known:
                raise _refuse(Cause.INVALID_QUERY_PARAM, name, "is not a parameter of this API")
            if name in self._values:
                raise _refuse(Cause.INVALID_QUERY_PARAM, name, "is repeated")
            if len(value) > MAX_QUERY_VALUE_LENGTH or any(ord(char) < 0x20 for char in value):
                raise _refuse(Cause.INVALID_QUERY_PARAM, name, "is too long or holds control characters")
            self._values[name] = value

    def required(self, name: str, parse: Callable[[str], T]) -> T:
        if name not in self._values:
            raise _refuse(Cause.MANDATORY_QUERY_PARAM_MISSING, name, "is required")
        return self._parse(name, parse, Cause.MANDATORY_QUERY_PARAM_INCORRECT)

    def optional(self, name: str, parse: Callable[[str], T]) -> T | None:
        if name not in self._values:
            return None
        return self._parse(name, parse, Cause.OPTIONAL_QUERY_PARAM_INCORRECT)

    def _parse(self, name: str, parse: Callable[[str], T], cause: Cause) -> T:
        try:
            return parse(self._values[name])
        except ValueError as error:
            raise _refuse(cause, name, str(error)) from None


def _refuse(cause: Cause, name: str, reason: str) -> BadRequestError:
    return BadRequestError(cause, f"query parameter {name} {reason}", [InvalidParam(name, reason)])


def non_empty(value: str) -> str:
    if not value or any(char.isspace() for char in value):
        raise ValueError("must be a non-empty value without white space")
    return value


def boolean_text(value: str) -> bool:
    """An OpenAPI boolean query parameter: ``true`` or ``false``."""
    if value not in ("true", "false"):
        raise ValueError("must be true or false")
    return value == "true"


def hex_digits(value: str) -> str:
    """TS 29.571 ``SupportedFeatures`` in a query parameter."""
    if any(char not in "0123456789abcdefABCDEF" for char in value):
        raise ValueError("must be hexadecimal digits")
    return value
