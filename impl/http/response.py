"""What a handler returns: status, header fields, body."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

JSON = "application/json"


@dataclass(frozen=True)
class Response:
    """An HTTP response. The server adds ``Content-Length``, ``Date`` and ``Connection``;
    ``headers`` carries the rest (``Content-Type``, ``Location``, ...)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 200 <= self.status <= 599:
            raise ValueError(f"a final response has a status in 200..599, not {self.status}")
        for name, value in self.headers.items():
            if not name or any(c in name for c in " \t\r\n:") or any(c in value for c in "\r\n\0"):
                raise ValueError(f"invalid header field {name!r}")

    @classmethod
    def json(
        cls, document: object, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> "Response":
        """A JSON body (``application/json``), e.g. ``Response.json(invoker, status=201,
        headers={"Location": uri})`` for a created TS 29.222 resource."""
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        return cls(status, body, {"Content-Type": JSON, **(headers or {})})

    @classmethod
    def no_content(cls, headers: Mapping[str, str] | None = None) -> "Response":
        """204 No Content (e.g. a successful TS 29.222 DELETE)."""
        return cls(204, b"", dict(headers or {}))
