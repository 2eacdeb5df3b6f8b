"""The CCF's token endpoint: ``POST /securities/{securityId}/token`` (TS 29.222 clause 8.5.2.4;
TS 33.122 clause 6.5.2.2 and Annex C; RFC 6749 clause 4.4, client credentials).

Checks, in order, each refusal an ``AccessTokenErr`` (RFC 6749 clause 5.2):

1. the caller is an authenticated API invoker (CAPIF-1e certificate), else ``invalid_client``;
2. the form is a well-formed ``AccessTokenReq`` (``invalid_request``, ``unsupported_grant_type``,
   ``invalid_scope``);
3. ``client_id`` names the security context ``securityId`` (the TS 29.222 path parameter identifies
   the invoker), else ``invalid_client``; with the ``token-client-binding`` setting ``bound`` it must
   also be the authenticated invoker. ``unbound`` leaves that out, as ETSI OpenCAPIF was seen to do:
   any onboarded invoker then obtains tokens naming another invoker;
4. the named invoker is onboarded here, else ``invalid_client`` (an unknown client);
5. every (aefId, API name) of the scope is published at that AEF and allowed to the invoker by the
   access control policy, else ``invalid_scope``;
6. the invoker negotiated OAUTH for a live entry covering each pair, else ``unauthorized_client``: the
   client authenticated but is not authorized for this grant (RFC 6749 clause 5.2; TS 33.122 clause
   6.5.2.3: a token is the OAUTH method, for an AEF the CCF selected it for). An invoker with no
   security context at all negotiated nothing, so it is refused so too;
7. with ``resOwnerId`` (CAPIF-8, contribution 003): the resource owner authorized the invoker for each
   pair over CAPIF-8 (the AzF's records), else ``invalid_grant``; without CAPIF-8 the parameter is
   refused (``invalid_request``). The token then carries ``resOwnerId``.

The token is signed by the :class:`impl.ccf.ports.AccessTokenSigner` (claim set of the
``token-claims`` setting) for the CCF's ``token_lifetime``; a record of it (hash only) is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from impl.apitypes.enums import SecurityMethod
from impl.apitypes.problems import AccessTokenError, TokenErrorCode
from impl.apitypes.token import AccessTokenRequest
from impl.ccf.core import CoreParts
from impl.ccf.identity import Caller, Role
from impl.ccf.policy import may_use
from impl.ccf.security_targets import live_entries
from impl.settings import TokenClientBinding
from impl.store import apis, tokens
from impl.store.database import Transaction, epoch
from impl.store.invokers import invoker
from impl.tokens import IssuedToken, ScopeEntry


class TokenEndpoint:
    """CAPIF_Security_API ``securities/{securityId}/token``."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def request_token(
        self, caller: Caller, security_id: str, form: Iterable[tuple[str, str]], *, now: datetime
    ) -> IssuedToken:
        """Issue an access token, or raise :class:`AccessTokenError`; ``form`` is the decoded
        ``application/x-www-form-urlencoded`` body as (name, value) pairs, in order."""
        if caller.role is not Role.INVOKER:
            raise _error(TokenErrorCode.INVALID_CLIENT, "the client is not an authenticated API invoker")
        request = AccessTokenRequest.read(form)
        if request.client_id != security_id:
            raise _error(TokenErrorCode.INVALID_CLIENT, "client_id does not name the security context")
        bound = self._parts.settings.token_client_binding is TokenClientBinding.BOUND
        if bound and request.client_id != caller.id:
            raise _error(TokenErrorCode.INVALID_CLIENT, "client_id is not the authenticated API invoker")
        lifetime = int(self._parts.config.token_lifetime.total_seconds())
        with self._parts.database.transaction() as tx:
            self._check_client(tx, request.client_id)
            for entry in request.scope:
                self._check_scope_entry(tx, request.client_id, entry)
                if request.res_owner_id is not None:
                    self._check_resource_owner(tx, request.res_owner_id, request.client_id, entry)
            token = self._parts.token_signer.issue(
                request.client_id,
                request.scope,
                lifetime=lifetime,
                now=epoch(now),
                res_owner_id=request.res_owner_id,
            )
            tokens.insert_token(
                tx,
                ccf_id=self._parts.config.ccf_id,
                api_invoker_id=request.client_id,
                access_token=token.access_token,
                scope=token.scope,
                aef_ids=[entry.aef_id for entry in request.scope],
                issued_at=epoch(now),
                expires_at=epoch(now) + lifetime,
            )
        return token

    def _check_client(self, tx: Transaction, client_id: str) -> None:
        found = invoker(tx, client_id)
        if found is None or not found.onboarded or found.ccf_id != self._parts.config.ccf_id:
            raise _error(TokenErrorCode.INVALID_CLIENT, "client_id is not an onboarded API invoker")

    def _check_scope_entry(self, tx: Transaction, client_id: str, entry: ScopeEntry) -> None:
        live = live_entries(tx, client_id, self._parts.config.ccf_id, aef_id=entry.aef_id)
        for api_name in entry.api_names:
            api_id = apis.api_id_named_at_aef(tx, entry.aef_id, api_name)
            record = None if api_id is None else apis.api(tx, api_id)
            if record is None or not may_use(tx, client_id, record, entry.aef_id):
                raise _error(
                    TokenErrorCode.INVALID_SCOPE,
                    f"{entry.aef_id}:{api_name} is not a service API the invoker may use",
                )
            methods = {
                item.entry.information.sel_security_method for item in live if api_id in item.target.api_ids
            }
            if SecurityMethod.OAUTH not in methods:
                raise _error(
                    TokenErrorCode.UNAUTHORIZED_CLIENT,
                    f"the invoker did not negotiate OAUTH for {entry.aef_id}:{api_name}",
                )

    def _check_resource_owner(
        self, tx: Transaction, res_owner_id: str, client_id: str, entry: ScopeEntry
    ) -> None:
        owners = self._parts.resource_owners
        if owners is None:
            raise _error(
                TokenErrorCode.INVALID_REQUEST, "resOwnerId needs CAPIF-8, which this CCF does not offer"
            )
        for api_name in entry.api_names:
            if not owners.authorized(tx, res_owner_id, client_id, entry.aef_id, api_name):
                raise _error(
                    TokenErrorCode.INVALID_GRANT,
                    f"resource owner {res_owner_id} has not authorized {entry.aef_id}:{api_name}",
                )


def _error(code: TokenErrorCode, description: str) -> AccessTokenError:
    return AccessTokenError(code, description)
