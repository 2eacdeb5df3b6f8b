"""Errors of the CAPIF APIs as exceptions: ProblemDetails (TS 29.122 / TS 29.571) and AccessTokenErr.

Every refusal of the CAPIF core function is one of these exceptions; the HTTP layer renders
:class:`ProblemError` as ``application/problem+json`` with ``status`` as the HTTP status code, and
:class:`AccessTokenError` as the ``AccessTokenErr`` body of the token endpoint (TS 29.222 clause
8.5.4, RFC 6749 clause 5.2). Each subclass fixes the HTTP status; the ``cause`` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class Cause(StrEnum):
    """Machine-readable ``cause`` values of ProblemDetails.

    The first group comes from TS 29.500 Table 5.2.7.2-1 (which TS 29.122 clause 5.2.6 applies to
    northbound APIs). TS 29.222 defines no application errors for the refusals below, so the second
    group is specific to this implementation; each is documented where it is raised.
    """

    # TS 29.500 Table 5.2.7.2-1
    INVALID_MSG_FORMAT = "INVALID_MSG_FORMAT"
    MANDATORY_IE_MISSING = "MANDATORY_IE_MISSING"
    MANDATORY_IE_INCORRECT = "MANDATORY_IE_INCORRECT"
    OPTIONAL_IE_INCORRECT = "OPTIONAL_IE_INCORRECT"
    MANDATORY_QUERY_PARAM_MISSING = "MANDATORY_QUERY_PARAM_MISSING"
    MANDATORY_QUERY_PARAM_INCORRECT = "MANDATORY_QUERY_PARAM_INCORRECT"
    OPTIONAL_QUERY_PARAM_INCORRECT = "OPTIONAL_QUERY_PARAM_INCORRECT"
    INVALID_QUERY_PARAM = "INVALID_QUERY_PARAM"
    MODIFICATION_NOT_ALLOWED = "MODIFICATION_NOT_ALLOWED"
    # capifsec-specific (no TS 29.222 application error covers these)
    CREDENTIAL_MISSING = "CREDENTIAL_MISSING"
    CREDENTIAL_INVALID = "CREDENTIAL_INVALID"
    REQUEST_NOT_AUTHORIZED = "REQUEST_NOT_AUTHORIZED"
    API_INVOKER_NOT_AUTHORIZED = "API_INVOKER_NOT_AUTHORIZED"
    NO_COMMON_SECURITY_METHOD = "NO_COMMON_SECURITY_METHOD"
    PSK_KEYING_UNAVAILABLE = "PSK_KEYING_UNAVAILABLE"
    SECURITY_CONTEXT_EXISTS = "SECURITY_CONTEXT_EXISTS"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    API_ALREADY_PUBLISHED_AT_AEF = "API_ALREADY_PUBLISHED_AT_AEF"
    FUNCTION_IN_USE = "FUNCTION_IN_USE"
    # capifsec-specific, CAPIF-6/6e interconnection (impl.interconnect)
    PEER_CCF_UNAVAILABLE = "PEER_CCF_UNAVAILABLE"
    PEER_CCF_REFUSED = "PEER_CCF_REFUSED"


@dataclass(frozen=True)
class InvalidParam:
    """One invalid parameter (TS 29.122 ``InvalidParam``): a JSON Pointer or header/query name."""

    param: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"param": self.param, "reason": self.reason}


class ProblemError(Exception):
    """A refusal rendered as ProblemDetails; subclasses fix ``status`` and ``title``."""

    status: ClassVar[int]
    title: ClassVar[str]

    def __init__(self, cause: Cause, detail: str, invalid_params: Sequence[InvalidParam] = ()) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail
        self.invalid_params = tuple(invalid_params)

    def to_problem_details(self) -> dict[str, object]:
        """The ProblemDetails body (TS 29.122 ``ProblemDetails``)."""
        body: dict[str, object] = {
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "cause": str(self.cause),
        }
        if self.invalid_params:
            body["invalidParams"] = [param.to_json() for param in self.invalid_params]
        return body


class BadRequestError(ProblemError):
    """400: the request is malformed or names something that does not fit (TS 29.500 5.2.7.2)."""

    status = 400
    title = "Bad Request"


class UnauthorizedError(ProblemError):
    """401: the caller presented no valid credential."""

    status = 401
    title = "Unauthorized"


class ForbiddenError(ProblemError):
    """403: the caller is authenticated but not allowed to do this."""

    status = 403
    title = "Forbidden"


class NotFoundError(ProblemError):
    """404: the addressed resource does not exist (for this caller)."""

    status = 404
    title = "Not Found"


class ServiceUnavailableError(ProblemError):
    """503: the request is sound but cannot be served now, e.g. a peer CCF it depends on cannot be
    reached (TS 29.222 lists 503 for every CAPIF operation)."""

    status = 503
    title = "Service Unavailable"


def invalid_body(cause: Cause, pointer: str, reason: str) -> BadRequestError:
    """A 400 naming one JSON Pointer in the request body."""
    where = pointer or "/"
    return BadRequestError(cause, f"{where}: {reason}", [InvalidParam(where, reason)])


class TokenErrorCode(StrEnum):
    """``AccessTokenErr.error`` (TS 29.222 clause 8.5.4, RFC 6749 clause 5.2)."""

    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"


class AccessTokenError(Exception):
    """A refused token request; ``status`` is 401 for ``invalid_client`` and 400 otherwise (RFC 6749 5.2)."""

    def __init__(self, error: TokenErrorCode, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description

    @property
    def status(self) -> int:
        return 401 if self.error is TokenErrorCode.INVALID_CLIENT else 400

    def to_json(self) -> dict[str, str]:
        """The ``AccessTokenErr`` body."""
        return {"error": str(self.error), "error_description": self.description}
