"""The routes of one CCF endpoint, built from the role table (:mod:`impl.ccf.service.operations`).

Every endpoint routes every operation of the table, so a path the CCF serves answers a method it does
not serve with 405 and ``Allow`` on either port (RFC 9110 clause 15.5.6). Each route first decides
who may call, from the request alone, before its handler looks anything up:

1. an operation authenticated by a one-time secret (onboarding, registration) is served only on the
   endpoints of its reference point; elsewhere 403; its handler checks the secret;
2. otherwise the client certificate authenticates the caller (401 when absent or not live);
3. the caller's role must be a consumer of the operation on this endpoint's reference point
   (TS 29.222 Table 5.1-1, TS 23.222 clause 6.2), else 403;
4. a parameter that must name the caller itself (its own invoker or function id) must do so, else
   403, whether or not what it names exists: no answer tells one party whether another party's
   resource exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from impl.apitypes.problems import Cause, ForbiddenError
from impl.ccf import Caller
from impl.ccf.service.operations import Credential, Endpoint, Operation, Subject
from impl.ccf.service.requests import CallerAuthenticator
from impl.http import Handler, Request, Response, Router

CallerHandler = Callable[[Request, Caller], Response]


def build_router(
    endpoint: Endpoint,
    operations: Iterable[Operation],
    authenticator: CallerAuthenticator,
    handlers: Mapping[str, CallerHandler],
    secret_handlers: Mapping[str, Handler],
) -> Router:
    """A router with a gated route per operation; ``handlers`` (certificate-authenticated) and
    ``secret_handlers`` (secret-authenticated) are keyed by :attr:`Operation.key` and must cover
    exactly the operations ``endpoint`` serves (``ValueError`` otherwise)."""
    router = Router()
    unused = set(handlers) | set(secret_handlers)
    for operation in operations:
        provided = operation.key in handlers or operation.key in secret_handlers
        if provided != endpoint.serves(operation):
            verb = "has no handler" if not provided else "is not served there but has a handler"
            raise ValueError(f"{operation.key} {verb} on the {endpoint.name}")
        unused.discard(operation.key)
        if operation.credential.is_secret:
            router.add(operation.method, operation.path, _secret_route(endpoint, operation, secret_handlers))
        else:
            router.add(operation.method, operation.path, _route(endpoint, operation, authenticator, handlers))
    if unused:
        raise ValueError(f"handlers for operations not in the table: {', '.join(sorted(unused))}")
    return router


def _secret_route(endpoint: Endpoint, operation: Operation, handlers: Mapping[str, Handler]) -> Handler:
    handler = handlers.get(operation.key)

    def route(request: Request) -> Response:
        if handler is None:
            raise _not_here(operation, endpoint)
        return handler(request)

    return route


def _route(
    endpoint: Endpoint,
    operation: Operation,
    authenticator: CallerAuthenticator,
    handlers: Mapping[str, CallerHandler],
) -> Handler:
    handler = handlers.get(operation.key)
    oauth_client = operation.credential is Credential.OAUTH_CLIENT
    authenticate = authenticator.token_client if oauth_client else authenticator.caller

    def route(request: Request) -> Response:
        caller = authenticate(request)
        if handler is None or not endpoint.admits(operation, caller.role):
            raise _not_here(operation, endpoint, caller)
        if operation.subject is not None and not _names_caller(request, operation.subject, caller):
            detail = f"{operation.subject.parameter} must be the caller's own id ({caller.id})"
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
        return handler(request, caller)

    return route


def _names_caller(request: Request, subject: Subject, caller: Caller) -> bool:
    """Absent query parameters pass (the handler's reader refuses them as missing)."""
    if subject.in_query:
        return all(value == caller.id for value in request.query.get(subject.parameter, ()))
    return request.path_params[subject.parameter] == caller.id


def _not_here(operation: Operation, endpoint: Endpoint, caller: Caller | None = None) -> ForbiddenError:
    consumers = " or ".join(str(consumer) for consumer in operation.consumers)
    who = "" if caller is None else f"; the caller is an {caller.role}"
    detail = f"{operation.operation} is served to the {consumers}, not on the {endpoint.name}{who}"
    return ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
