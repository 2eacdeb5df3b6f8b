"""What a handler receives: the parsed request, its body decoders, and the TLS peer."""

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from impl.http.headers import Headers
from impl.http.problem import InvalidParam, ProblemDetails
from impl.tls import TlsPeer

FORM_URLENCODED = "application/x-www-form-urlencoded"
MAX_QUERY_FIELDS = 100
MAX_FORM_FIELDS = 100


def media_type(content_type: str | None) -> str | None:
    """The lower-case ``type/subtype`` of a ``Content-Type`` value, parameters dropped."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def unsupported_media_type(expected: str, received: str | None) -> ProblemDetails:
    """The 415 ProblemDetails for a body of media type ``received`` where ``expected`` is required."""
    return ProblemDetails(
        415,
        detail=f"expected {expected}, received {received or 'no Content-Type'}",
        invalid_params=[InvalidParam("Content-Type", f"must be {expected}")],
    )


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` fields as (name, value) pairs, repeated names kept, at
    most :data:`MAX_FORM_FIELDS`; :class:`ValueError` if the body is not such a form."""
    return urllib.parse.parse_qsl(
        body.decode("ascii"),
        keep_blank_values=True,
        strict_parsing=bool(body),
        errors="strict",
        max_num_fields=MAX_FORM_FIELDS,
    )


def _reject_duplicate_members(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document: dict[str, object] = {}
    for name, value in pairs:
        if name in document:
            raise ValueError(f"duplicate member {name!r}")
        document[name] = value
    return document


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def parse_query(query_string: str) -> dict[str, tuple[str, ...]]:
    """Query parameters (values percent-decoded as UTF-8, repeated names kept in order);
    400 ``INVALID_QUERY_PARAM`` if undecodable or too many."""
    if not query_string:
        return {}
    try:
        pairs = urllib.parse.parse_qsl(
            query_string, keep_blank_values=True, errors="strict", max_num_fields=MAX_QUERY_FIELDS
        )
    except ValueError as error:
        raise ProblemDetails(400, detail=f"malformed query: {error}", cause="INVALID_QUERY_PARAM") from error
    parameters: dict[str, tuple[str, ...]] = {}
    for name, value in pairs:
        parameters[name] = (*parameters.get(name, ()), value)
    return parameters


@dataclass(frozen=True)
class Request:
    """An HTTP request as a handler sees it.

    ``target`` is the request target as received, ``path`` the target without the query;
    ``path_params`` the decoded values of the route template's ``{name}`` segments; ``query`` maps
    each query name to all its values; ``peer`` is who is on the other end of the TLS connection
    (certificate, PSK identity, CAPIF-1e keying). Body decoders raise :class:`ProblemDetails`
    (400/415) on bad input.
    """

    method: str
    target: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, tuple[str, ...]]
    headers: Headers
    body: bytes
    peer: TlsPeer

    @property
    def media_type(self) -> str | None:
        """The body's media type (``Content-Type`` without parameters), lower case."""
        return media_type(self.headers.get("content-type"))

    def query_value(self, name: str) -> str | None:
        """The single value of a query parameter, ``None`` if absent; 400 if it is repeated."""
        values = self.query.get(name, ())
        if len(values) > 1:
            raise ProblemDetails(
                400,
                detail=f"query parameter {name!r} given more than once",
                cause="INVALID_QUERY_PARAM",
                invalid_params=[InvalidParam(name, "must appear at most once")],
            )
        return values[0] if values else None

    def json(self) -> object:
        """The body as JSON (RFC 8259: UTF-8, no NaN/Infinity, no duplicate member names).

        415 unless the media type is ``application/json`` or ends in ``+json``; 400
        ``INVALID_MSG_FORMAT`` with an ``invalidParams`` entry when the body is not valid JSON.
        """
        kind = self.media_type
        if kind != "application/json" and not (kind or "").endswith("+json"):
            raise unsupported_media_type("application/json", kind)
        try:
            return json.loads(
                self.body.decode("utf-8"),
                object_pairs_hook=_reject_duplicate_members,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise ProblemDetails(
                400,
                detail="the body is not valid JSON",
                cause="INVALID_MSG_FORMAT",
                invalid_params=[InvalidParam("/", str(error) or type(error).__name__)],
            ) from error

    def json_object(self) -> dict[str, object]:
        """The body as a JSON object (400 ``INVALID_MSG_FORMAT`` for any other JSON value)."""
        document = self.json()
        if not isinstance(document, dict):
            raise ProblemDetails(
                400,
                detail="the body must be a JSON object",
                cause="INVALID_MSG_FORMAT",
                invalid_params=[InvalidParam("/", "must be an object")],
            )
        return document

    def form(self) -> dict[str, str]:
        """The body as ``application/x-www-form-urlencoded`` fields (the TS 29.222 token endpoint).

        415 for another media type; 400 ``INVALID_MSG_FORMAT`` for undecodable fields, and for a
        repeated field (RFC 6749 clause 3.2: parameters must not be included more than once).
        """
        if self.media_type != FORM_URLENCODED:
            raise unsupported_media_type(FORM_URLENCODED, self.media_type)
        try:
            pairs = parse_form(self.body)
        except ValueError as error:
            raise ProblemDetails(
                400, detail=f"malformed form body: {error}", cause="INVALID_MSG_FORMAT"
            ) from error
        fields: dict[str, str] = {}
        for name, value in pairs:
            if name in fields:
                raise ProblemDetails(
                    400,
                    detail=f"form field {name!r} given more than once",
                    cause="INVALID_MSG_FORMAT",
                    invalid_params=[InvalidParam(name, "must appear at most once")],
                )
            fields[name] = value
        return fields
