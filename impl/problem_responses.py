"""The one translator from the domain refusals of :mod:`impl.apitypes.problems` to HTTP answers.

The CCF core and the TS 29.222 body readers refuse with :class:`~impl.apitypes.problems.ProblemError`
(ProblemDetails of TS 29.122) or :class:`~impl.apitypes.problems.AccessTokenError` (``AccessTokenErr``,
TS 29.222 clause 8.5.4, RFC 6749 clause 5.2). The HTTP layer renders its own
:class:`~impl.http.ProblemDetails` / :class:`~impl.http.AccessTokenErr`; every CAPIF server passes
:func:`domain_error_response` as ``error_response=`` to :class:`~impl.http.HttpsServer`.
"""

from impl.apitypes.problems import AccessTokenError, ProblemError
from impl.http import AccessTokenErr, InvalidParam, ProblemDetails, Response


def domain_error_response(error: Exception) -> Response | None:
    """The answer to a domain refusal, or None for any other exception (left to the server)."""
    if isinstance(error, ProblemError):
        params = [InvalidParam(param.param, param.reason) for param in error.invalid_params]
        problem = ProblemDetails(
            error.status, error.title, detail=error.detail, cause=str(error.cause), invalid_params=params
        )
        return problem.to_response()
    if isinstance(error, AccessTokenError):
        return AccessTokenErr(str(error.error), error.description, status=error.status).to_response()
    return None
