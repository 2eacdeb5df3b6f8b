"""The AEF_Security_API (TS 29.222 clause 8.8) as this AEF serves it.

* ``POST {apiRoot}/aef-security/v1/check-authentication`` on every CAPIF-2e interface (``{apiRoot}``
  = the interface's ``https://host:port`` and ``apiPrefix``): the invoker's "Authentication Initiation
  Request" (TS 33.122 clause 6.5.2.1), sent over certificate TLS with the client certificate the CCF
  issued at onboarding, whose identity must be the ``apiInvokerId`` of the body. 200 with
  ``CheckAuthenticationRsp``, or the refusals of :mod:`impl.aef.refusals`. The CCF an invoker of
  another provider names (``ccfId``, contribution 001 6.X.3.1) is passed on to the AEF's CCF.
* ``POST /aef-security/v1/revoke-authorization`` on the AEF's CAPIF-3 endpoint (mutual TLS): only the
  AEF's own CCF (certificate URI ``urn:capifsec:ccf:<ccfId>``) may call it. The AEF records the
  revocation and forgets the invoker's security information (TS 33.122 clauses 6.2 and 6.6); for the
  CCF's ``CREDENTIAL_UPDATED`` (the invoker has a new certificate) it only forgets the security
  information, which it then asks again. 200 with ``RevokeAuthorizationRsp``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from impl.aef.access import AccessCheck
from impl.aef.identity import certified_as
from impl.aef.interfaces import AefInterface
from impl.aef.revocations import RevocationList
from impl.aef.security_info import SecurityInfoCache
from impl.apitypes.aef_security import CheckAuthenticationReq, RevokeAuthorizationReq, answered_features
from impl.apitypes.enums import RevocationCause
from impl.apitypes.problems import Cause, invalid_body
from impl.clock import Clock, epoch_seconds
from impl.http import ProblemDetails, Request, Response, Router

CHECK_AUTHENTICATION = "/aef-security/v1/check-authentication"
_LOG = logging.getLogger(__name__)
REVOKE_AUTHORIZATION = "/aef-security/v1/revoke-authorization"


def add_check_authentication(router: Router, interface: AefInterface, access: AccessCheck) -> None:
    """Serve check-authentication on ``interface``."""

    def check_authentication(request: Request) -> Response:
        api_invoker_id = certified_as(request.peer.certificate, "invoker")
        if api_invoker_id is None:
            raise ProblemDetails(
                401,
                detail="check-authentication needs the client certificate the CCF issued at onboarding",
                cause="CREDENTIAL_MISSING",
            )
        body = CheckAuthenticationReq.read(request.json())
        if body.api_invoker_id != api_invoker_id:
            raise ProblemDetails(
                403,
                detail="apiInvokerId is not the invoker the client certificate names",
                cause="REQUEST_NOT_AUTHORIZED",
            )
        access.check_authentication(api_invoker_id, interface, home_ccf_id=body.ccf_id)
        return Response.json(answered_features(body.supported_features))

    router.add("POST", interface.api_prefix + CHECK_AUTHENTICATION, check_authentication)


class RevokeAuthorization:
    """``revoke-authorization`` for one AEF; ``api_names_of`` maps the CCF's ``apiIds`` to the API
    names this AEF serves (None when one is unknown: then every API is revoked)."""

    def __init__(
        self,
        *,
        aef_id: str,
        ccf_id: str,
        cache: SecurityInfoCache,
        revocations: RevocationList,
        api_names_of: Callable[[Iterable[str]], frozenset[str] | None],
        clock: Clock,
    ) -> None:
        self._aef_id = aef_id
        self._ccf_id = ccf_id
        self._cache = cache
        self._revocations = revocations
        self._api_names_of = api_names_of
        self._clock = clock

    def router(self) -> Router:
        router = Router()
        router.add("POST", REVOKE_AUTHORIZATION, self.handle)
        return router

    def handle(self, request: Request) -> Response:
        if certified_as(request.peer.certificate, "ccf") != self._ccf_id:
            raise ProblemDetails(
                403,
                detail="only this AEF's CAPIF core function revokes authorizations",
                cause="REQUEST_NOT_AUTHORIZED",
            )
        body = RevokeAuthorizationReq.read(request.json())
        notification = body.revoke_info
        if notification.aef_id is not None and notification.aef_id != self._aef_id:
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/revokeInfo/aefId", "names another AEF")
        if notification.cause is RevocationCause.CREDENTIAL_UPDATED:
            _LOG.info("credential of %s updated: security information forgotten", notification.api_invoker_id)
            self._cache.drop(notification.api_invoker_id)
        else:
            self.record(notification.api_invoker_id, self._api_names_of(notification.api_ids))
        return Response.json(answered_features(body.supported_features))

    def record(self, api_invoker_id: str, api_names: frozenset[str] | None) -> None:
        """Revoke locally: remember when, and forget the invoker's security information."""
        _LOG.info(
            "revoked %s for %s", api_invoker_id, ", ".join(sorted(api_names)) if api_names else "every API"
        )
        self._revocations.revoke(api_invoker_id, api_names, at=epoch_seconds(self._clock()))
        self._cache.drop(api_invoker_id)


def api_names_by_id(api_ids: Mapping[str, str]) -> Callable[[Iterable[str]], frozenset[str] | None]:
    """A mapping from the CCF's ``apiId`` values to API names, None as soon as one is unknown."""

    def names(requested: Iterable[str]) -> frozenset[str] | None:
        found = [api_ids.get(api_id) for api_id in requested]
        return None if any(name is None for name in found) else frozenset(name for name in found if name)

    return names
