"""The routes of one CCF endpoint, built from the role table (:mod:`impl.ccf.service.operations`).

Every endpoint (CAPIF-1e, CAPIF-3/4/5, CAPIF-6/6e, CAPIF-8) routes every operation of the table, so
a path the CCF serves answers a method it does not serve with 405 and ``Allow`` on every port (RFC
9110 clause 15.5.6). Each route first decides who may call, from the request alone, before its
handler looks anything up:

1. an operation authenticated by a one-time secret (onboarding, registration) is served only on the
   endpoints of its reference point; elsewhere 403; its handler checks the secret;
2. otherwise the endpoint's :class:`Authenticator` reads who the credential claims to be (its
   role and id); no credential: 401;
3. that role must be a consumer of the operation on this endpoint's reference point (TS 29.222
   Table 5.1-1, TS 23.222 clauses 6.2 and 8.25), else 403, whatever the credential's state;
4. the authenticator checks the claim (a certificate the CCF issued is live, a peer CCF has an
   agreement, a ROF's password is right): 401 (or 403 without an agreement) otherwise;
5. a parameter that must name the caller itself (its own invoker, function or CCF id) must do so,
   else 403, whether or not what it names exists: no answer tells one party whether another party's
   resource exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Generic, Protocol, TypeVar

from impl.apitypes.problems import AccessTokenError, Cause, ForbiddenError, TokenErrorCode, UnauthorizedError
from impl.ccf.identity import Caller
from impl.ccf.service.operations import Credential, Endpoint, Operation, Subject
from impl.http import Handler, Request, Response, Router

C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)


class Authenticator(Protocol[C_co]):
    """How an endpoint authenticates its callers, in the two steps the gate needs."""

    def claimed(self, request: Request) -> Caller:
        """The role and id the request's credential names (not yet checked); 401 when it has none."""
        ...

    def verified(self, request: Request, claimed: Caller) -> C_co:
        """The caller, once its claim holds; 401 (or 403) otherwise. Called only for consumers."""
        ...


class Gate(Generic[C]):
    """Builds the gated routes of ``endpoint`` for its ``authenticator``."""

    def __init__(self, endpoint: Endpoint, authenticator: Authenticator[C]) -> None:
        self._endpoint = endpoint
        self._authenticator = authenticator

    def router(
        self,
        operations: Iterable[Operation],
        handlers: Mapping[str, Callable[[Request, C], Response]],
        secret_handlers: Mapping[str, Handler] | None = None,
    ) -> Router:
        """A router with a gated route per operation; ``handlers`` (authenticated by the
        authenticator) and ``secret_handlers`` (by a one-time secret) are keyed by
        :attr:`Operation.key` and must cover exactly the operations the endpoint serves
        (``ValueError`` otherwise)."""
        secrets = secret_handlers or {}
        router = Router()
        unused = set(handlers) | set(secrets)
        for operation in operations:
            provided = operation.key in handlers or operation.key in secrets
            if provided != self._endpoint.serves(operation):
                verb = "has no handler" if not provided else "is not served there but has a handler"
                raise ValueError(f"{operation.key} {verb} on the {self._endpoint.name}")
            unused.discard(operation.key)
            if operation.credential.is_secret:
                router.add(operation.method, operation.path, self._secret_route(operation, secrets))
            else:
                router.add(operation.method, operation.path, self._route(operation, handlers))
        if unused:
            raise ValueError(f"handlers for operations not in the table: {', '.join(sorted(unused))}")
        return router

    def _secret_route(self, operation: Operation, handlers: Mapping[str, Handler]) -> Handler:
        handler = handlers.get(operation.key)
        endpoint = self._endpoint

        def route(request: Request) -> Response:
            if handler is None:
                raise _not_here(operation, endpoint)
            return handler(request)

        return route

    def _route(
        self, operation: Operation, handlers: Mapping[str, Callable[[Request, C], Response]]
    ) -> Handler:
        handler = handlers.get(operation.key)
        endpoint = self._endpoint
        authenticator = self._authenticator
        oauth_client = operation.credential is Credential.OAUTH_CLIENT

        def route(request: Request) -> Response:
            try:
                claimed = authenticator.claimed(request)
                if handler is None or not endpoint.admits(operation, claimed.role):
                    raise _not_here(operation, endpoint, claimed)
                caller = authenticator.verified(request, claimed)
            except UnauthorizedError as refusal:
                if oauth_client:
                    raise AccessTokenError(TokenErrorCode.INVALID_CLIENT, refusal.detail) from None
                raise
            if operation.subject is not None and not _names_caller(request, operation.subject, claimed):
                detail = f"{operation.subject.parameter} must be the caller's own id ({claimed.id})"
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
    who = "" if caller is None else f"; the caller is a {caller.role}"
    detail = f"{operation.operation} is served to the {consumers}, not on the {endpoint.name}{who}"
    return ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
