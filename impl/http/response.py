"""What a handler returns: status, header fields, body."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import MappingProxyType

from impl.http.headers import FIELD_NAME, FIELD_VALUE

JSON = "application/json"
_KNOWN_STATUSES = frozenset(status.value for status in HTTPStatus)
_SERVER_FIELDS = frozenset({"content-length", "transfer-encoding", "connection", "date"})
_JSON_FIELDS: Mapping[str, str] = MappingProxyType({"Content-Type": JSON})
"""The fields of a JSON response without others: a read-only constant, valid as written, so not
checked again for every response."""
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(..., separators=(",", ":"))`` without building an encoder per call."""


@dataclass(frozen=True)
class Response:
    """An HTTP response. The server adds ``Content-Length``, ``Date`` and ``Connection``;
    ``headers`` carries the rest (``Content-Type``, ``Location``, ...)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 200 <= self.status <= 599 or self.status not in _KNOWN_STATUSES:
            raise ValueError(f"{self.status} is not a registered final status code")
        if not isinstance(self.body, bytes):
            raise TypeError("a response body is bytes")
        if self.headers is _JSON_FIELDS:
            return
        for name, value in self.headers.items():
            if not FIELD_NAME.fullmatch(name) or not FIELD_VALUE.fullmatch(value):
                raise ValueError(f"invalid header field {name!r}: {value!r}")
            if name.lower() in _SERVER_FIELDS:
                raise ValueError(f"{name} is set by the server")

    @classmethod
    def json(
        cls, document: object, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> "Response":
        """A JSON body (``application/json``), e.g. ``Response.json(invoker, status=201,
        headers={"Location": uri})`` for a created TS 29.222 resource."""
        body = _COMPACT_JSON.encode(document).encode("utf-8")
        return cls(status, body, {"Content-Type": JSON, **headers} if headers else _JSON_FIELDS)

    @classmethod
    def no_content(cls, headers: Mapping[str, str] | None = None) -> "Response":
        """204 No Content (e.g. a successful TS 29.222 DELETE)."""
        return cls(204, b"", dict(headers or {}))
