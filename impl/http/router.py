"""Routing by method and path template, as the TS 29.222 OpenAPI files write resource URIs.

A template is a path of literal segments and ``{name}`` segments, e.g.
``/api-invoker-management/v1/onboardedInvokers/{onboardingId}``. A ``{name}`` segment matches one
non-empty segment, percent-decoded as UTF-8. When several templates match, the one with a literal
where the other has a parameter (leftmost difference) wins. No match: 404; a match for other
methods only: 405 with ``Allow`` (RFC 9110 clause 15.5.6).
"""

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from impl.http.problem import ProblemDetails
from impl.http.request import Request
from impl.http.response import Response

Handler = Callable[[Request], Response]
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LITERAL = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]+")
_METHOD = re.compile(r"[A-Z]+")


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    segments: tuple[str | None, ...]  # None for a parameter segment
    names: tuple[str, ...]
    handler: Handler

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        values: list[str] = []
        for wanted, given in zip(self.segments, segments, strict=True):
            if wanted is None:
                if not given:
                    return None
                values.append(given)
            elif wanted != given:
                return None
        return dict(zip(self.names, values, strict=True))

    def specificity(self) -> tuple[bool, ...]:
        return tuple(segment is not None for segment in self.segments)


def _compile(template: str) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    if not template.startswith("/"):
        raise ValueError(f"template {template!r} must start with '/'")
    segments: list[str | None] = []
    names: list[str] = []
    for segment in template[1:].split("/"):
        parameter = _PARAMETER.fullmatch(segment)
        if parameter:
            if parameter.group(1) in names:
                raise ValueError(f"parameter {parameter.group(1)!r} appears twice in {template!r}")
            names.append(parameter.group(1))
            segments.append(None)
        elif _LITERAL.fullmatch(segment):
            segments.append(segment)
        else:
            raise ValueError(f"segment {segment!r} of {template!r} is neither literal nor {{name}}")
    return tuple(segments), tuple(names)


def _decode_segments(path: str) -> list[str]:
    if "%" not in path:  # nothing to decode (the common case)
        return path[1:].split("/")
    try:
        return [urllib.parse.unquote(segment, errors="strict") for segment in path[1:].split("/")]
    except UnicodeDecodeError as error:
        raise ProblemDetails(
            400, detail="path is not percent-encoded UTF-8", cause="INVALID_MSG_FORMAT"
        ) from error


class Router:
    """Method + path template → handler."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._by_length: dict[int, list[_Route]] = {}
        """The routes by their count of segments, the only ones a path of that count can match."""
        self._literal: dict[tuple[str, str], Handler] = {}
        """The handlers of templates without parameters, by method and template: a path equal to one
        resolves to it (no other template is more specific), without splitting the path."""

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` (upper case) on ``template``. Raises ``ValueError`` for
        a malformed template or one that duplicates an existing route."""
        if not _METHOD.fullmatch(method):
            raise ValueError(f"method {method!r} must be an upper-case token")
        segments, names = _compile(template)
        for route in self._routes:
            if route.method == method and route.segments == segments:
                raise ValueError(f"{method} {template} duplicates {route.method} {route.template}")
        route = _Route(method, template, segments, names, handler)
        self._routes.append(route)
        self._by_length.setdefault(len(segments), []).append(route)
        if not names:
            self._literal[(method, template)] = handler

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters for a request; :class:`ProblemDetails` 404 or 405."""
        literal = self._literal.get((method, path))
        if literal is not None:
            return literal, {}
        segments = _decode_segments(path)
        candidates = self._by_length.get(len(segments), ())
        matches = [(route, params) for route in candidates if (params := route.match(segments)) is not None]
        for_method = [(route, params) for route, params in matches if route.method == method]
        if len(for_method) == 1:
            return for_method[0][0].handler, for_method[0][1]
        if for_method:
            route, params = max(for_method, key=lambda match: match[0].specificity())
            return route.handler, params
        if matches:
            allowed = ", ".join(sorted({route.method for route, _ in matches}))
            raise ProblemDetails(405, detail=f"{method} is not allowed on {path}", headers={"Allow": allowed})
        raise ProblemDetails(404, detail=f"no resource at {path}", cause="RESOURCE_URI_STRUCTURE_NOT_FOUND")
