"""What the AEF's CCF (where the AEF is registered) does for invokers of other providers.

* **Selects a method** for a negotiation the invoker's home CCF relays (contribution 001 6.X.2: "the
  CCF-A shall select a security method ... considering the information received from CCF-B, access
  scenarios and AEF capabilities"): from the invoker's preferences and the AEF's current methods, for
  the APIs its own policy lets the invoker use (:mod:`impl.interconnect.policy`).
* **Signs a token** a peer relays (001 6.X.3.2: "signed by the CCF-A"), if the agreement lets the peer
  relay, the peer is the home CCF the ``client_id`` names (``token-relay-check=home-of-client``;
  ``none`` checks nothing beyond the agreement, 000 7.2.3 leaves it to normative work) and its policy
  allows every (AEF, API) of the scope.
* **Fetches security information** when one of its AEFs asks for an invoker of another provider
  (``GET trustedInvokers/{id}`` on CAPIF-3; 001 6.X.3.1: "If it has no security information, the
  CCF-A shall request the security information (AEFPSK/root CA) from CCF-B over CAPIF-6/6e"; 002 steps
  5-9): it finds the home CCF as ``home-ccf-resolution`` says, asks it for the methods the AEF offers
  now, and answers the AEF with what its policy authorizes (``authorizationInfo``); when the home
  CCF cannot be found or refuses, the AEF gets 404 (it has no security information to go by, and
  refuses the invoker), when it cannot be reached 503. Under
  ``access-policy-source=aef-ccf-fallback-home`` an API its own policy does not grant is asked of the
  home CCF's policy (contribution 000 7.2.3). It asks afresh whenever its AEF asks, and keeps the
  answer as ``security-info-caching`` says (:mod:`impl.interconnect.held`), to answer from while the
  home CCF cannot be reached; which AEF got which invoker's information from which home CCF is
  recorded, so that a revocation reaches it after a restart too.
* **Drops what it keeps** of an invoker when the home CCF relays a new negotiation, or tells it that
  it selected anew (``cache-update-invalidation=notify``; ``none`` keeps the old information, AEFPSK
  included, until revoked or expired).
* **Handles a revocation** from the invoker's home CCF: tells each AEF that got the invoker's
  information (``revoke-authorization``) and forgets it.
* **Reports a revocation** by one of its AEFs of an invoker of another provider to the invoker's home
  CCF (TS 23.222 8.25.2.11), after denying it here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from impl.aef.security_info import DEFAULT_LIFETIME, kept_for
from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.apitypes.problems import (
    AccessTokenError,
    Cause,
    ForbiddenError,
    InvalidParam,
    NotFoundError,
    TokenErrorCode,
    invalid_body,
)
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.query import QueryParams, boolean_text, non_empty
from impl.apitypes.security import SecurityInformation, SecurityNotification, ServiceSecurity
from impl.apitypes.token import AccessTokenRequest
from impl.ccf.core import CoreParts
from impl.ccf.identity import Caller, Role, issuing_ccf
from impl.ccf.notifications import PendingNotification
from impl.ccf.security_targets import resolve_or_none
from impl.ccf.selection import select_method
from impl.interconnect import store
from impl.interconnect.client import PeerClient, PeerError, PeerRefusedError, PeerUnavailableError
from impl.interconnect.held import HeldAnswers, HeldKey
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessTokenRelayRequest,
    RevocationNotification,
    RevocationRequest,
    SecurityInformationRequest,
    SecurityInformationResponse,
    SecurityInformationUpdate,
    SecurityMethodRequest,
    SecurityMethodResponse,
)
from impl.interconnect.peers import PeerCaller, Peers, peer_failure, resolve_home, speaks_for
from impl.interconnect.policy import foreign_may_use, foreign_usable_apis
from impl.settings import (
    AccessPolicySource,
    InterconnectMethods,
    RevocationPropagation,
    TokenClientBinding,
    TokenRelayCheck,
)
from impl.store import Transaction, apis
from impl.store.database import epoch
from impl.tokens import IssuedToken, ScopeEntry, ScopeSyntax, format_scope

_LOG = logging.getLogger(__name__)
HOME_HINT = "ccf-id"
"""The query parameter of ``GET trustedInvokers/{id}`` on CAPIF-3 in which an AEF passes on the CCF the
invoker named in its Authentication Initiation Request (non-standard; contribution 001 6.X.3.1)."""
_GET_PARAMETERS = frozenset({"authenticationInfo", "authorizationInfo", HOME_HINT})


@dataclass(frozen=True)
class _Covered:
    """An entry of the home CCF's answer, the APIs it names at the AEF, and the names of those the
    policy lets the invoker use there."""

    information: SecurityInformation
    published: tuple[ServiceAPIDescription, ...]
    granted: tuple[str, ...]


class AefCcf:
    """The AEF's CCF's side of interconnection, over the core's parts and its peers."""

    def __init__(self, parts: CoreParts, peers: Peers, *, held_for: float = DEFAULT_LIFETIME) -> None:
        """``held_for``: seconds a home CCF's answer is kept under ``security-info-caching=lifetime``."""
        self._parts = parts
        self._peers = peers
        self._held = HeldAnswers(kept_for(parts.settings.security_info_caching, held_for))

    # -- a relayed negotiation (CAPIF-6/6e)

    def select(self, peer: PeerCaller, request: SecurityMethodRequest) -> SecurityMethodResponse:
        settings = self._parts.settings
        if not speaks_for(settings.home_ccf_resolution, peer, request.api_invoker_id):
            detail = f"CCF {peer.ccf_id} is not the home CCF of API invoker {request.api_invoker_id}"
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
        self._held.drop(request.api_invoker_id, home_ccf_id=peer.ccf_id)  # what it negotiates replaces it
        ccf_id = self._parts.config.ccf_id
        with self._parts.database.transaction() as tx:
            published = [record.description for record in apis.apis_of_ccf(tx, ccf_id)]
            usable = foreign_usable_apis(tx, ccf_id, peer.agreement, request.api_invoker_id)
        selected = []
        for index, information in enumerate(request.security_info):
            pointer = f"/securityInfo/{index}"
            exists = resolve_or_none(information, published)
            if exists is None:
                raise invalid_body(Cause.MANDATORY_IE_INCORRECT, pointer, "names no published service API")
            target = resolve_or_none(information, usable)
            if target is None:
                detail = f"{pointer}: the API invoker may use none of these service APIs at {exists.aef_id}"
                raise ForbiddenError(Cause.API_INVOKER_NOT_AUTHORIZED, detail)
            supported = target.supported
            if settings.interconnect_methods is InterconnectMethods.PSK_ONLY:
                supported = supported & {SecurityMethod.PSK}
            method = select_method(
                information.pref_security_methods, supported, settings.method_selection_rule
            )
            if method is None:
                offered = ", ".join(sorted(supported)) or "none"
                reason = f"no preferred method is supported by AEF {target.aef_id} (it supports: {offered})"
                raise ForbiddenError(
                    Cause.NO_COMMON_SECURITY_METHOD,
                    f"{pointer}: {reason}",
                    [InvalidParam(pointer + "/prefSecurityMethods", reason)],
                )
            selected.append(information.selected(method))
        return SecurityMethodResponse(tuple(selected))

    # -- a relayed token request (CAPIF-6/6e)

    def sign_relayed_token(
        self, peer: PeerCaller, request: AccessTokenRelayRequest, *, now: datetime
    ) -> IssuedToken:
        settings = self._parts.settings
        if peer.agreement is not None and not peer.agreement.relays_tokens:
            raise AccessTokenError(
                TokenErrorCode.UNAUTHORIZED_CLIENT,
                f"the agreement does not let CCF {peer.ccf_id} relay tokens",
            )
        relayer_is_home = issuing_ccf(request.client_id) == peer.ccf_id
        if settings.token_relay_check is TokenRelayCheck.HOME_OF_CLIENT and not relayer_is_home:
            raise AccessTokenError(
                TokenErrorCode.INVALID_CLIENT, f"CCF {peer.ccf_id} is not the home CCF of {request.client_id}"
            )
        bound = settings.token_client_binding is TokenClientBinding.BOUND
        if bound and request.requested_by != request.client_id:
            raise AccessTokenError(
                TokenErrorCode.INVALID_CLIENT, "client_id is not the authenticated API invoker"
            )
        scope = AccessTokenRequest.read(
            [("grant_type", "client_credentials"), ("client_id", request.client_id), ("scope", request.scope)]
        ).scope
        lifetime = int(self._parts.config.token_lifetime.total_seconds())
        with self._parts.database.transaction() as tx:
            for entry in scope:
                for api_name in entry.api_names:
                    self._check_granted(tx, peer, request.client_id, entry.aef_id, api_name)
            token = self._parts.token_signer.issue(
                request.client_id, scope, lifetime=lifetime, now=epoch(now)
            )
            store.record_relayed_token(
                tx,
                peer_ccf_id=peer.ccf_id,
                api_invoker_id=request.client_id,
                scope=token.scope,
                access_token=token.access_token,
                issued_at=epoch(now),
                expires_at=epoch(now) + lifetime,
            )
        return token

    def _check_granted(
        self, tx: Transaction, peer: PeerCaller, invoker_id: str, aef_id: str, api_name: str
    ) -> None:
        api_id = apis.api_id_named_at_aef(tx, aef_id, api_name)
        record = None if api_id is None else apis.api(tx, api_id)
        if record is None or not foreign_may_use(tx, peer.agreement, invoker_id, record, aef_id):
            raise AccessTokenError(
                TokenErrorCode.INVALID_SCOPE, f"{aef_id}:{api_name} is not a service API the invoker may use"
            )

    # -- an AEF asks for an invoker of another provider (CAPIF-3, then CAPIF-6/6e)

    def security_information(
        self, caller: Caller, api_invoker_id: str, query: Iterable[tuple[str, str]], *, now: datetime
    ) -> ServiceSecurity:
        if caller.role is not Role.AEF:
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "only an AEF retrieves security information")
        parameters = QueryParams(query, known=_GET_PARAMETERS)
        with_authentication = parameters.optional("authenticationInfo", boolean_text) or False
        with_authorization = parameters.optional("authorizationInfo", boolean_text) or False
        supplied = parameters.optional(HOME_HINT, non_empty)
        try:
            home = resolve_home(self._parts.settings.home_ccf_resolution, api_invoker_id, supplied)
        except ForbiddenError as refusal:
            raise NotFoundError(Cause.RESOURCE_NOT_FOUND, refusal.detail) from None
        client = self._peers.require_client(home)
        aef_id = caller.id
        ccf_id = self._parts.config.ccf_id
        with self._parts.database.transaction() as tx:
            here = [record.description for record in apis.apis_at_aef(tx, aef_id)]
            methods = _offered_methods(here, aef_id)
        if not methods:
            raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"AEF {aef_id} offers no security method")
        answer = self._answer(client, SecurityInformationRequest(api_invoker_id, aef_id, methods), home)
        agreement = client.agreement
        with self._parts.database.transaction() as tx:
            here = [
                record.description.restricted_to(frozenset({aef_id}))
                for record in apis.apis_at_aef(tx, aef_id)
            ]
            usable = [
                view.restricted_to(frozenset({aef_id}))
                for view in foreign_usable_apis(tx, ccf_id, agreement, api_invoker_id)
                if any(profile.aef_id == aef_id for profile in view.aef_profiles)
            ]
            covered = [self._covered(information, here, usable) for information in answer.security_info]
        covered = self._with_home_policy(home, api_invoker_id, aef_id, covered)
        items = [
            item
            for entry in covered
            if (item := _for_aef(entry, aef_id, with_authentication, with_authorization)) is not None
        ]
        if not items:
            detail = f"no security information of {api_invoker_id} for AEF {aef_id}"
            raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)
        with self._parts.database.transaction() as tx:
            received = {item.sel_security_method for item in items if item.sel_security_method is not None}
            store.record_fetch(tx, api_invoker_id, aef_id, home, received, now=epoch(now))
        return ServiceSecurity(
            security_info=tuple(items), notification_destination=answer.notification_destination
        )

    def _answer(
        self, client: PeerClient, request: SecurityInformationRequest, home: str
    ) -> SecurityInformationResponse:
        """The home CCF's answer, asked afresh (so that a re-negotiation is seen) and kept as
        ``security-info-caching`` says; what is kept stands in while the home CCF cannot be reached.
        A refusal by the home CCF drops what is kept of the invoker at that AEF."""
        key = HeldKey(request.api_invoker_id, request.aef_id, home, tuple(sorted(request.security_methods)))
        generation = self._held.generation(request.api_invoker_id)
        try:
            answer = client.security_information(request)
        except PeerRefusedError as refusal:  # the home CCF gives nothing: for the AEF, there is nothing
            self._held.drop(request.api_invoker_id, home_ccf_id=home, aef_id=request.aef_id)
            detail = f"the home CCF {home} gives no security information: {refusal.detail or refusal.code}"
            raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail) from None
        except PeerError as error:
            held = self._held.get(key)
            if held is None:
                raise peer_failure(error) from None
            _LOG.warning("%s; answering from what is kept of %s", error, request.api_invoker_id)
            return held
        if answer.api_invoker_id != request.api_invoker_id:
            raise peer_failure(PeerUnavailableError(home, "it answered for another API invoker"))
        self._held.keep(key, answer, generation)
        return answer

    def _covered(
        self,
        information: SecurityInformation,
        here: list[ServiceAPIDescription],
        usable: list[ServiceAPIDescription],
    ) -> _Covered:
        published = resolve_or_none(information, here)
        target = resolve_or_none(information, usable)
        named = () if published is None else tuple(api for api in here if api.api_id in published.api_ids)
        granted = (
            () if target is None else tuple(api.api_name for api in usable if api.api_id in target.api_ids)
        )
        return _Covered(information, named, granted)

    def _with_home_policy(
        self, home: str, api_invoker_id: str, aef_id: str, covered: list[_Covered]
    ) -> list[_Covered]:
        """``aef-ccf-fallback-home``: for entries the AEF's CCF's own policy grants nothing, ask the
        home CCF's policy (contribution 000 7.2.3)."""
        if self._parts.settings.access_policy_source is not AccessPolicySource.UNSAFE_AEF_CCF_FALLBACK_HOME:
            return covered
        wanted = sorted(
            {
                api.api_name
                for entry in covered
                for api in entry.published
                if api.api_name not in entry.granted
            }
        )
        if not wanted:
            return covered
        client = self._peers.require_client(home)
        try:
            answer = client.access_control_policy(
                AccessControlPolicyRequest(api_invoker_id, aef_id, tuple(wanted))
            )
        except PeerError as error:
            raise peer_failure(error) from None
        allowed = set(answer.api_names)
        return [
            replace(
                entry,
                granted=tuple(
                    api.api_name for api in entry.published if api.api_name in allowed | set(entry.granted)
                ),
            )
            for entry in covered
        ]

    def updated(self, peer: PeerCaller, update: SecurityInformationUpdate) -> None:
        """The home CCF selected anew for the invoker at one of this CCF's AEFs
        (``cache-update-invalidation=notify``): what is held of it from that CCF goes, and the AEF's
        next question is answered afresh."""
        if not speaks_for(self._parts.settings.home_ccf_resolution, peer, update.api_invoker_id):
            detail = f"CCF {peer.ccf_id} is not the home CCF of API invoker {update.api_invoker_id}"
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
        self._held.drop(update.api_invoker_id, home_ccf_id=peer.ccf_id, aef_id=update.aef_id)

    # -- revocations

    def revoked(
        self, peer: PeerCaller, notification: RevocationNotification
    ) -> tuple[PendingNotification, ...]:
        """The home CCF voids an invoker's security information: tell the AEFs that got it."""
        self._held.drop(notification.api_invoker_id, home_ccf_id=peer.ccf_id)
        with self._parts.database.transaction() as tx:
            aef_ids = store.fetched_by(tx, notification.api_invoker_id, peer.ccf_id)
            store.forget_fetches(tx, notification.api_invoker_id, peer.ccf_id)
            pending = []
            for aef_id in aef_ids:
                api_ids = tuple(record.api_id for record in apis.apis_at_aef(tx, aef_id))
                if api_ids:
                    body = SecurityNotification(
                        notification.api_invoker_id, api_ids, notification.cause, aef_id
                    )
                    pending.append(PendingNotification(Caller(Role.AEF, aef_id), None, body))
        return tuple(pending)

    def revoke_by_aef(
        self, caller: Caller, api_invoker_id: str, api_ids: Iterable[str] | None, *, now: datetime
    ) -> None:
        """One of this CCF's AEFs revokes an invoker of another provider (TS 33.122 clause 6.6): its
        policy denies it those APIs (None: every API) at that AEF from now on, committed first; then,
        under ``revocation-propagation=capif6-notify``, the home CCF the AEF got the invoker's
        information from is told (TS 23.222 8.25.2.11), so that it grants them no more and notifies
        the invoker. 404 when the AEF never got the invoker's information (as for an invoker of this
        CCF without security context entries at that AEF); a home CCF that cannot be reached or
        refuses is logged (the denial here stands)."""
        cause = RevocationCause.UNEXPECTED_REASON
        self._held.drop(api_invoker_id, aef_id=caller.id)
        with self._parts.database.transaction() as tx:
            homes = store.homes_fetched_from(tx, api_invoker_id, caller.id)
            if not homes:  # as for this CCF's own invokers: unknown at this AEF, whoever it is
                detail = f"API invoker {api_invoker_id} has no security information at AEF {caller.id}"
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)
            published = {record.api_id for record in apis.apis_at_aef(tx, caller.id)}
            revoked = tuple(sorted(published) if api_ids is None else api_ids)
            for index, api_id in enumerate(revoked):
                if api_id not in published:
                    reason = "is not a service API published at this AEF"
                    raise invalid_body(Cause.MANDATORY_IE_INCORRECT, f"/apiIds/{index}", reason)
                store.deny_foreign(tx, api_invoker_id, caller.id, api_id, cause=str(cause), now=epoch(now))
        if not revoked or self._parts.settings.revocation_propagation is RevocationPropagation.UNSAFE_NONE:
            return
        request = RevocationRequest(api_invoker_id, caller.id, revoked, cause)
        for home in homes:
            client = self._peers.client(home)
            if client is None:
                _LOG.warning(
                    "revocation of %s at %s: no interconnected CCF %s", api_invoker_id, caller.id, home
                )
                continue
            try:
                client.request_revocation(request)
            except PeerError as error:
                _LOG.warning("revocation of %s at %s not reported: %s", api_invoker_id, caller.id, error)


def _offered_methods(here: list[ServiceAPIDescription], aef_id: str) -> tuple[SecurityMethod, ...]:
    """Every method the AEF offers now on some interface of its APIs (fetch for current methods only)."""
    offered: set[SecurityMethod] = set()
    for api in here:
        for profile in api.active_profiles():
            if profile.aef_id != aef_id:
                continue
            offered.update(profile.security_methods or ())
            for interface in profile.interface_descriptions or ():
                offered.update(interface.security_methods or ())
    return tuple(method for method in SecurityMethod if method in offered)


def _for_aef(
    entry: _Covered, aef_id: str, with_authentication: bool, with_authorization: bool
) -> SecurityInformation | None:
    """The entry as the AEF gets it: with ``authorizationInfo`` for what the policy grants, its
    ``authenticationInfo`` as the home CCF gave it; method only when the AEF no longer offers the
    method (contribution 004: the AEF tells the invoker of the mismatch); None when it names nothing
    published at the AEF or grants nothing."""
    information = entry.information
    method = information.sel_security_method
    target = resolve_or_none(information, entry.published)
    if target is None or method is None:
        return None
    if method not in target.supported:
        return replace(information, authentication_info=None, authorization_info=None)
    if not entry.granted:
        return None
    scope = format_scope([ScopeEntry(aef_id, entry.granted)], ScopeSyntax.TS33122)
    return replace(
        information,
        authentication_info=information.authentication_info if with_authentication else None,
        authorization_info=scope if with_authorization else None,
    )
