"""Error bodies as exceptions a handler raises: ``ProblemDetails`` and ``AccessTokenErr``.

``ProblemDetails`` and ``InvalidParam`` are the TS 29.122 CommonData types (TS29122_CommonData.yaml,
RFC 9457 semantics) that every TS 29.222 API uses for 4xx/5xx answers, sent as
``application/problem+json``. ``AccessTokenErr`` is the token endpoint's error body
(TS 29.222 CAPIF_Security_API, RFC 6749 clause 5.2), sent as ``application/json``.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from impl.http.response import Response

PROBLEM_JSON = "application/problem+json"
ACCESS_TOKEN_ERROR_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)


@dataclass(frozen=True)
class InvalidParam:
    """One rejected parameter: ``param`` is a JSON pointer into the body, or a header/query name."""

    param: str
    reason: str | None = None

    def to_json(self) -> dict[str, str]:
        """The ``InvalidParam`` JSON object."""
        document = {"param": self.param}
        if self.reason is not None:
            document["reason"] = self.reason
        return document


class ProblemDetails(Exception):  # noqa: N818 -- the TS 29.122 type name
    """An error answer (TS 29.122 ``ProblemDetails``); raise it from a handler.

    ``title`` defaults to the status phrase; ``cause`` is the machine-readable cause (the protocol
    error causes of TS 29.500 clause 5.2.7.2 where one fits, e.g. ``INVALID_MSG_FORMAT``).
    ``headers`` go onto the response (e.g. ``Allow`` on 405).
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        *,
        detail: str | None = None,
        cause: str | None = None,
        invalid_params: Sequence[InvalidParam] = (),
        type_uri: str | None = None,
        instance: str | None = None,
        supported_features: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"a problem has a 4xx or 5xx status, not {status}")
        self.status = status
        self.title = title if title is not None else HTTPStatus(status).phrase
        self.detail = detail
        self.cause = cause
        self.invalid_params = tuple(invalid_params)
        self.type_uri = type_uri
        self.instance = instance
        self.supported_features = supported_features
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.title}" + (f": {detail}" if detail else ""))

    def to_json(self) -> dict[str, object]:
        """The ``ProblemDetails`` JSON object (absent members omitted, ``invalidParams`` only if any)."""
        document: dict[str, object] = {"status": self.status, "title": self.title}
        optional = {
            "type": self.type_uri,
            "detail": self.detail,
            "instance": self.instance,
            "cause": self.cause,
            "supportedFeatures": self.supported_features,
        }
        document.update({name: value for name, value in optional.items() if value is not None})
        if self.invalid_params:
            document["invalidParams"] = [param.to_json() for param in self.invalid_params]
        return document

    def to_response(self) -> Response:
        """The HTTP answer: this status, ``application/problem+json``."""
        body = json.dumps(self.to_json()).encode("utf-8")
        return Response(self.status, body, {"Content-Type": PROBLEM_JSON, **self.headers})

    @classmethod
    def from_json(cls, document: object, *, status: int) -> "ProblemDetails":
        """Read a received ``ProblemDetails`` body leniently (client side); ``status`` is the HTTP one."""
        fields = document if isinstance(document, dict) else {}

        def text(name: str) -> str | None:
            value = fields.get(name)
            return value if isinstance(value, str) else None

        raw_params = fields.get("invalidParams")
        params = [
            InvalidParam(
                str(item.get("param")), item.get("reason") if isinstance(item.get("reason"), str) else None
            )
            for item in (raw_params if isinstance(raw_params, list) else [])
            if isinstance(item, dict) and isinstance(item.get("param"), str)
        ]
        return cls(
            status if 400 <= status <= 599 else 500,
            text("title"),
            detail=text("detail"),
            cause=text("cause"),
            invalid_params=params,
            type_uri=text("type"),
            instance=text("instance"),
            supported_features=text("supportedFeatures"),
        )


class AccessTokenErr(Exception):  # noqa: N818 -- the TS 29.222 type name
    """An error answer of the token endpoint (RFC 6749 clause 5.2, TS 29.222 ``AccessTokenErr``).

    ``status`` defaults to 401 for ``invalid_client`` (RFC 6749 clause 5.2 allows it, TS 29.222
    lists 401 with this body) and 400 for every other code.
    """

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        uri: str | None = None,
        status: int | None = None,
    ) -> None:
        if error not in ACCESS_TOKEN_ERROR_CODES:
            raise ValueError(f"{error!r} is not an RFC 6749 clause 5.2 error code")
        self.error = error
        self.description = description
        self.uri = uri
        self.status = status if status is not None else (401 if error == "invalid_client" else 400)
        super().__init__(error + (f": {description}" if description else ""))

    def to_json(self) -> dict[str, str]:
        """The ``AccessTokenErr`` JSON object."""
        document = {"error": self.error}
        if self.description is not None:
            document["error_description"] = self.description
        if self.uri is not None:
            document["error_uri"] = self.uri
        return document

    def to_response(self) -> Response:
        """The HTTP answer, ``application/json``, not cacheable (RFC 6749 clause 5.2 via 5.1)."""
        body = json.dumps(self.to_json()).encode("utf-8")
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        return Response(self.status, body, headers)
