"""What the home CCF (where the API invoker is onboarded) does across providers.

Towards its invokers, on CAPIF-1e (the contributions' procedures, letters mapped to roles):

* **Security method negotiation** for an AEF of a peer (contribution 001 6.X.2; 000 7.2.2): the
  invoker's request names the peer's AEF (as Discover showed it); under
  ``interconnect-method-selection=aef-ccf-selects`` the home CCF forwards the request to the AEF's CCF
  over CAPIF-6/6e and passes its selection on; under ``home-ccf-selects`` it selects from its own
  record of the AEF's published methods (TS 33.122 6.3.1.2 as is). For PSK it derives AEFPSK from the
  CAPIF-1e session, as the invoker does (contribution 002 step 3). ``interconnect-methods=psk-only``
  offers PSK only. A request names the AEFs of one provider (its own, or one peer).
* **Access tokens** for an AEF of a peer (001 6.X.3.2; 000 7.2.3): after the checks of the token
  endpoint (client binding, policy, OAUTH negotiated), ``cross-domain-token-issuer=aef-ccf`` relays the
  request to the AEF's CCF, which signs; ``home-ccf`` signs with the home CCF's own key.
* **Discovery** lists the peers' APIs its policy lets the invoker use, beside its own.

Towards its peers, on CAPIF-6/6e: it **releases** an invoker's security information (AEFPSK per
interface, the root CA that certified the invoker, or the method only) to the CCF that hosts the AEF
(``info-release-check=requester-hosts-aef``; ``interconnected-only`` answers any interconnected CCF),
answers **policy** requests (000 7.2.3's fallback), **propagates revocations**
(``revocation-propagation=capif6-notify``) to every peer that holds the invoker's information, and
takes in a peer's report that one of its AEFs revoked an invoker's authorization (TS 23.222
8.25.2.11): it grants those APIs no more and notifies the invoker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from impl.apitypes.discover import DiscoverQuery
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
from impl.apitypes.security import SecurityInformation, SecurityNotification, ServiceSecurity
from impl.apitypes.token import AccessTokenRequest
from impl.ccf.core import CoreParts
from impl.ccf.discovery import matching
from impl.ccf.guards import onboarded_invoker, require_invoker_itself
from impl.ccf.identity import Caller, Role
from impl.ccf.notifications import PendingNotification, require_deliverable
from impl.ccf.ports import Capif1eKeying, KeyingUnavailableError
from impl.ccf.security_targets import live_entries, resolve_or_none
from impl.ccf.selection import Target, psk_interface, select_method
from impl.interconnect import store
from impl.interconnect.client import PeerError, PeerRefusedError, PeerUnavailableError
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessControlPolicyResponse,
    AccessTokenRelayRequest,
    RevocationNotification,
    RevocationRequest,
    SecurityInformationRequest,
    SecurityInformationResponse,
    SecurityInformationUpdate,
    SecurityMethodRequest,
)
from impl.interconnect.peers import PeerCaller, Peers, peer_failure
from impl.interconnect.policy import home_may_use, home_usable_apis
from impl.settings import (
    CacheUpdateInvalidation,
    CrossDomainTokenIssuer,
    InfoReleaseCheck,
    InterconnectMethods,
    InterconnectMethodSelection,
    NegotiationRouting,
    OauthSecurityInformation,
    RevocationPropagation,
    Settings,
    TokenClientBinding,
    TokenRequestRouting,
)
from impl.store import Transaction, contexts, tokens
from impl.store.database import epoch
from impl.store.invokers import InvokerRecord
from impl.tokens import IssuedToken, ScopeEntry, ScopeSyntax, format_scope

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteTarget:
    """What an entry of an invoker's request names among the peers' APIs."""

    peer_ccf_id: str
    target: Target


def remote_target(tx: Transaction, information: SecurityInformation) -> RemoteTarget | None:
    """The peer's AEF, APIs and interfaces an entry names, from the peers' publications; None when it
    names none (then it may name one of this CCF's own)."""
    for peer in sorted({api.peer_ccf_id for api in store.remote_apis(tx)}):
        descriptions = [api.description for api in store.remote_apis(tx, peer)]
        target = resolve_or_none(information, descriptions)
        if target is not None:
            return RemoteTarget(peer, target)
    return None


def names_a_peer(tx: Transaction, request: ServiceSecurity) -> bool:
    """Whether a security method request names an AEF of a peer (then the home CCF handles it here)."""
    return any(remote_target(tx, information) is not None for information in request.security_info)


TOKEN_CCF_PARAMETER = "ccfId"
"""The non-standard token request parameter naming the CCF of the scope's AEFs (the ``ccfId`` Discover
showed), followed only under ``token-request-routing=invoker-supplied``."""


class HomeCcf:
    """The home CCF's side of interconnection, over the core's parts and its peers."""

    def __init__(self, parts: CoreParts, peers: Peers, ca_certificate: x509.Certificate) -> None:
        self._parts = parts
        self._peers = peers
        self._ca_pem = ca_certificate.public_bytes(Encoding.PEM).decode("ascii")

    @property
    def _settings(self) -> Settings:
        return self._parts.settings

    # -- negotiation (CAPIF-1e, relayed or selected here)

    def negotiate(
        self,
        caller: Caller,
        api_invoker_id: str,
        request: ServiceSecurity,
        *,
        keying: Capif1eKeying | None,
        now: datetime,
        creating: bool,
        supplied_ccf_id: str | None = None,
    ) -> ServiceSecurity:
        """``PUT trustedInvokers/{id}`` (``creating``) or ``POST .../update`` naming a peer's AEFs.
        The peer is where those AEFs are registered, as the peers published them
        (``negotiation-routing=aef-registration``), or under ``invoker-supplied`` the interconnected
        CCF the invoker names in ``supplied_ccf_id`` (the query parameter ``ccf-id``), as is."""
        require_invoker_itself(caller, api_invoker_id)
        require_deliverable(request.notification_destination)
        with self._parts.database.transaction() as tx:
            onboarded_invoker(tx, api_invoker_id)
            exists = contexts.context(tx, api_invoker_id) is not None
            if creating and exists:
                detail = "the security context exists; re-negotiate with POST .../update"
                raise ForbiddenError(Cause.SECURITY_CONTEXT_EXISTS, detail)
            if not creating and not exists:
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"no security context of {api_invoker_id}")
            targets = self._remote_targets(tx, api_invoker_id, request)
        peer = targets[0].peer_ccf_id
        routing = self._settings.negotiation_routing
        if routing is NegotiationRouting.UNSAFE_INVOKER_SUPPLIED and supplied_ccf_id is not None:
            peer = self._peers.require_client(supplied_ccf_id).peer
        if self._settings.interconnect_method_selection is InterconnectMethodSelection.AEF_CCF_SELECTS:
            selected = self._relay_negotiation(peer, api_invoker_id, request)
        else:
            selected = self._select_here(request, targets)
        with self._parts.database.transaction() as tx:
            onboarded_invoker(tx, api_invoker_id)
            if creating and contexts.context(tx, api_invoker_id) is not None:
                raise ForbiddenError(
                    Cause.SECURITY_CONTEXT_EXISTS, "the security context was created meanwhile"
                )
            contexts.upsert_context(
                tx,
                api_invoker_id,
                ccf_id=self._parts.config.ccf_id,
                notification_destination=request.notification_destination,
                now=epoch(now),
            )
            for information, remote in zip(selected, targets, strict=True):
                entry_id = store.put_remote_entry(
                    tx,
                    api_invoker_id,
                    information,
                    peer_ccf_id=peer,
                    aef_id=remote.target.aef_id,
                    now=epoch(now),
                )
                if information.sel_security_method is SecurityMethod.PSK:
                    self._store_aefpsks(tx, entry_id, remote.target, keying)
            answered = list(selected)
            if not creating:
                answered = [
                    *(
                        live.entry.information
                        for live in live_entries(tx, api_invoker_id, self._parts.config.ccf_id)
                    ),
                    *(entry.information for entry in store.remote_entries(tx, api_invoker_id)),
                ]
        self._invalidate(peer, api_invoker_id, {remote.target.aef_id for remote in targets})
        return request.answered(tuple(answered))

    def _invalidate(self, peer: str, api_invoker_id: str, aef_ids: Iterable[str]) -> None:
        """``cache-update-invalidation=notify``: the AEF's CCF drops what it keeps of the invoker for
        those AEFs (its AEFs ask it again at check-authentication); a failure is logged (the new
        selection stands; the AEF's CCF keeps the old information until revoked or expired)."""
        if self._settings.cache_update_invalidation is not CacheUpdateInvalidation.NOTIFY:
            return
        client = self._peers.client(peer)
        if client is None:
            return
        for aef_id in sorted(aef_ids):
            try:
                client.notify_update(SecurityInformationUpdate(api_invoker_id, aef_id))
            except PeerError as error:
                _LOG.warning("update of %s at %s not delivered: %s", api_invoker_id, aef_id, error)

    def _remote_targets(
        self, tx: Transaction, api_invoker_id: str, request: ServiceSecurity
    ) -> list[RemoteTarget]:
        targets = []
        for index, information in enumerate(request.security_info):
            pointer = f"/securityInfo/{index}"
            remote = remote_target(tx, information)
            if remote is None:
                field = pointer + (
                    "/interfaceDetails" if information.interface_details is not None else "/aefId"
                )
                reason = "names no service API of the peer CCF the other entries name"
                raise invalid_body(Cause.MANDATORY_IE_INCORRECT, field, reason)
            targets.append(remote)
        if len({remote.peer_ccf_id for remote in targets}) > 1:
            reason = "a security method request names the AEFs of one CAPIF provider"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/securityInfo", reason)
        if self._settings.interconnect_method_selection is InterconnectMethodSelection.HOME_CCF_SELECTS:
            usable = [
                view for peer, view in home_usable_apis(tx, api_invoker_id) if peer == targets[0].peer_ccf_id
            ]
            for index, information in enumerate(request.security_info):
                if resolve_or_none(information, usable) is None:
                    detail = (
                        f"/securityInfo/{index}: the API invoker is not authorized for these service APIs"
                    )
                    raise ForbiddenError(Cause.API_INVOKER_NOT_AUTHORIZED, detail)
        return targets

    def _offered(self, methods: Iterable[SecurityMethod]) -> frozenset[SecurityMethod]:
        """``interconnect-methods=psk-only`` (contribution 002, TLS-PKI FFS) offers PSK only."""
        offered = frozenset(methods)
        if self._settings.interconnect_methods is InterconnectMethods.PSK_ONLY:
            return offered & {SecurityMethod.PSK}
        return offered

    def _relay_negotiation(
        self, peer: str, api_invoker_id: str, request: ServiceSecurity
    ) -> tuple[SecurityInformation, ...]:
        """The AEF's CCF's selection, passed on as it answers (contribution 001 6.X.2: "The CCF-A shall
        send Security Method Response message to the API invoker via CCF-B"; the AEF's CCF selects,
        "considering the information received from CCF-B", and the home CCF checks nothing of it but
        that it answers the request's entries, and, under ``interconnect-methods=psk-only``, that the
        method is PSK). A selection outside the invoker's preferences is the AEF's CCF's to prevent:
        the model's ``method-selection`` shows what an unprotected CAPIF-6/6e then allows."""
        client = self._peers.require_client(peer)
        forwarded = SecurityMethodRequest(api_invoker_id, request.security_info)
        try:
            answer = client.negotiate(forwarded)
        except PeerError as error:
            raise peer_failure(error) from None
        if len(answer.security_info) != len(request.security_info):
            raise peer_failure(PeerUnavailableError(peer, "its answer does not match the request's entries"))
        selected = []
        for asked, given in zip(request.security_info, answer.security_info, strict=True):
            method = given.sel_security_method
            if given.target_key() != asked.target_key() or method is None:
                raise peer_failure(
                    PeerUnavailableError(peer, "its answer does not match the request's entries")
                )
            if method not in self._offered([method]):
                raise peer_failure(
                    PeerUnavailableError(
                        peer, f"it selected {method}, which interconnect-methods does not offer"
                    )
                )
            selected.append(asked.selected(method))
        return tuple(selected)

    def _select_here(
        self, request: ServiceSecurity, targets: list[RemoteTarget]
    ) -> tuple[SecurityInformation, ...]:
        selected = []
        for index, (information, remote) in enumerate(zip(request.security_info, targets, strict=True)):
            supported = self._offered(remote.target.supported)
            method = select_method(
                information.pref_security_methods, supported, self._settings.method_selection_rule
            )
            if method is None:
                pointer = f"/securityInfo/{index}"
                offered = ", ".join(sorted(supported)) or "none"
                reason = (
                    f"no preferred method is supported by AEF {remote.target.aef_id} (it supports: {offered})"
                )
                raise ForbiddenError(
                    Cause.NO_COMMON_SECURITY_METHOD,
                    f"{pointer}: {reason}",
                    [InvalidParam(pointer + "/prefSecurityMethods", reason)],
                )
            selected.append(information.selected(method))
        return tuple(selected)

    def _store_aefpsks(
        self, tx: Transaction, entry_id: int, target: Target, keying: Capif1eKeying | None
    ) -> None:
        """AEFPSK for every covered interface offering PSK, from this CAPIF-1e session (Annex A.1)."""
        if keying is None:
            detail = "PSK needs the keying of the CAPIF-1e TLS session, which this request did not come with"
            raise ForbiddenError(Cause.PSK_KEYING_UNAVAILABLE, detail)
        for interface in target.interfaces_offering(SecurityMethod.PSK):
            kdf_interface = psk_interface(interface)
            if kdf_interface is None:
                continue
            try:
                psk = self._parts.aefpsk.derive(keying, kdf_interface)
            except KeyingUnavailableError as error:
                raise ForbiddenError(Cause.PSK_KEYING_UNAVAILABLE, str(error)) from None
            store.insert_remote_psk(tx, entry_id, interface, psk, derivation=self._parts.aefpsk.derivation)

    # -- discovery (CAPIF-1e)

    def discover(self, api_invoker_id: str, query: DiscoverQuery) -> tuple[ServiceAPIDescription, ...]:
        """The peers' APIs the invoker may use that match the query (TS 23.222 8.25.3.2: discovery
        involving multiple CCFs), each naming its CCF (``ccfId``)."""
        with self._parts.database.transaction() as tx:
            views = home_usable_apis(tx, api_invoker_id)
        found = []
        for peer, view in views:
            matched = matching(view, query)
            if matched is not None:
                found.append(replace(matched, ccf_id=matched.ccf_id or peer))
        return tuple(found)

    # -- access tokens (CAPIF-1e, relayed or signed here)

    def names_peer_aefs(self, form: list[tuple[str, str]]) -> bool:
        """Whether a token request's scope names an AEF of a peer."""
        try:
            request = AccessTokenRequest.read(form)
        except AccessTokenError:
            return False
        with self._parts.database.transaction() as tx:
            return any(store.peer_of_aef(tx, entry.aef_id) is not None for entry in request.scope)

    def token(
        self, caller: Caller, security_id: str, form: list[tuple[str, str]], *, now: datetime
    ) -> IssuedToken:
        """The token endpoint for a scope naming AEFs of one peer (contribution 001 6.X.3.2). The
        request goes to the CCF where those AEFs are registered (``token-request-routing=
        aef-registration``), or under ``invoker-supplied`` to the interconnected CCF the form names in
        the non-standard parameter ``ccfId``, as is (000 7.2.3 leaves it to normative work)."""
        if caller.role is not Role.INVOKER:
            raise AccessTokenError(
                TokenErrorCode.INVALID_CLIENT, "the client is not an authenticated API invoker"
            )
        request = AccessTokenRequest.read(form)
        if request.res_owner_id is not None:
            raise AccessTokenError(
                TokenErrorCode.INVALID_REQUEST, "resOwnerId is not supported for an AEF of another provider"
            )
        if request.client_id != security_id:
            raise AccessTokenError(
                TokenErrorCode.INVALID_CLIENT, "client_id does not name the security context"
            )
        bound = self._settings.token_client_binding is TokenClientBinding.BOUND
        if bound and request.client_id != caller.id:
            raise AccessTokenError(
                TokenErrorCode.INVALID_CLIENT, "client_id is not the authenticated API invoker"
            )
        with self._parts.database.transaction() as tx:
            peer = self._check_remote_scope(tx, request.client_id, request.scope)
        supplied = dict(form).get(TOKEN_CCF_PARAMETER)
        if self._settings.token_request_routing is TokenRequestRouting.INVOKER_SUPPLIED and supplied:
            peer = supplied
        scope_text = format_scope(request.scope, ScopeSyntax.TS29222)
        if self._settings.cross_domain_token_issuer is CrossDomainTokenIssuer.HOME_CCF:
            return self._sign_here(request.client_id, request.scope, now)
        client = self._peers.client(peer)
        if client is None:
            raise AccessTokenError(TokenErrorCode.INVALID_REQUEST, f"no interconnected CCF {peer}")
        try:
            answer = client.access_token(AccessTokenRelayRequest(request.client_id, scope_text, caller.id))
        except PeerRefusedError as refusal:
            raise AccessTokenError(
                _token_error(refusal.code), f"the CCF of the AEF refused: {refusal.detail}"
            ) from None
        except PeerError as error:
            raise peer_failure(error) from None
        expires_in = answer.get("expires_in")
        scope = answer.get("scope")
        token = answer["access_token"]
        assert isinstance(token, str)
        return IssuedToken(
            token,
            expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else 0,
            scope if isinstance(scope, str) else scope_text,
        )

    def _check_remote_scope(self, tx: Transaction, client_id: str, scope: tuple[ScopeEntry, ...]) -> str:
        if onboarded_invoker_or_none(tx, client_id) is None:
            raise AccessTokenError(TokenErrorCode.INVALID_CLIENT, "client_id is not an onboarded API invoker")
        peers = set()
        entries = store.remote_entries(tx, client_id)
        for entry in scope:
            peer = store.peer_of_aef(tx, entry.aef_id)
            if peer is None:
                raise AccessTokenError(
                    TokenErrorCode.INVALID_SCOPE, f"{entry.aef_id} is no AEF of an interconnected CCF"
                )
            peers.add(peer)
            for api_name in entry.api_names:
                api = _remote_api_named(tx, entry.aef_id, api_name)
                if api is None or not home_may_use(tx, client_id, api, entry.aef_id):
                    raise AccessTokenError(
                        TokenErrorCode.INVALID_SCOPE,
                        f"{entry.aef_id}:{api_name} is not a service API the invoker may use",
                    )
                negotiated = any(
                    item.aef_id == entry.aef_id
                    and item.information.sel_security_method is SecurityMethod.OAUTH
                    and (item.information.api_id in (None, api.api_id))
                    for item in entries
                )
                if not negotiated:
                    raise AccessTokenError(
                        TokenErrorCode.UNAUTHORIZED_CLIENT,
                        f"the invoker did not negotiate OAUTH for {entry.aef_id}:{api_name}",
                    )
        if len(peers) != 1:
            raise AccessTokenError(
                TokenErrorCode.INVALID_SCOPE, "a token request names the AEFs of one CAPIF provider"
            )
        return peers.pop()

    def _sign_here(self, client_id: str, scope: tuple[ScopeEntry, ...], now: datetime) -> IssuedToken:
        """``cross-domain-token-issuer=home-ccf``: the home CCF signs for the peer's AEF (contribution
        000 7.2.3 FFS); the AEF accepts it only if it trusts the home CCF's key."""
        lifetime = int(self._parts.config.token_lifetime.total_seconds())
        token = self._parts.token_signer.issue(client_id, scope, lifetime=lifetime, now=epoch(now))
        with self._parts.database.transaction() as tx:
            tokens.insert_token(
                tx,
                ccf_id=self._parts.config.ccf_id,
                api_invoker_id=client_id,
                access_token=token.access_token,
                scope=token.scope,
                aef_ids=[entry.aef_id for entry in scope],
                issued_at=epoch(now),
                expires_at=epoch(now) + lifetime,
            )
        return token

    # -- towards peers (CAPIF-6/6e)

    def release(
        self, peer: PeerCaller, request: SecurityInformationRequest, *, now: datetime
    ) -> SecurityInformationResponse:
        """Answer an AEF's CCF asking for an invoker's security information (001 6.X.3.1; 002 step 8):
        the credentials of the entries whose method the AEF offers now, the others as method only."""
        with self._parts.database.transaction() as tx:
            record = onboarded_invoker_or_none(tx, request.api_invoker_id)
            if record is None or record.ccf_id != self._parts.config.ccf_id:
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"no API invoker {request.api_invoker_id} is onboarded here"
                )
            if self._settings.info_release_check is InfoReleaseCheck.REQUESTER_HOSTS_AEF:
                host = store.peer_of_aef(tx, request.aef_id)
                if host != peer.ccf_id:
                    detail = f"AEF {request.aef_id} is not registered at the requesting CCF {peer.ccf_id}"
                    raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
            context = contexts.context(tx, request.api_invoker_id)
            items: list[SecurityInformation] = []
            for entry in store.remote_entries(tx, request.api_invoker_id, aef_id=request.aef_id):
                method = entry.information.sel_security_method
                if method in request.security_methods:
                    items.extend(self._released(tx, entry, method))
                else:  # the AEF no longer offers it: the method only, for the mismatch indication (004)
                    items.append(entry.information)
            if self._settings.info_release_check is InfoReleaseCheck.UNSAFE_INTERCONNECTED_ONLY:
                items.extend(self._released_for_own_aef(tx, request))
            if context is None or not items:
                detail = f"no security information of {request.api_invoker_id} for AEF {request.aef_id}"
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)
            store.record_release(tx, request.api_invoker_id, peer.ccf_id, request.aef_id, now=epoch(now))
            destination = context.notification_destination
        return SecurityInformationResponse(request.api_invoker_id, tuple(items), destination)

    def _released_for_own_aef(
        self, tx: Transaction, request: SecurityInformationRequest
    ) -> list[SecurityInformation]:
        """Under ``info-release-check=interconnected-only`` nothing stops the home CCF answering for one
        of its own AEFs either (the check it leaves out is that the requester hosts the AEF): the
        invoker's live entries for that AEF, with AEFPSK per interface (PSK) or its CA (PKI)."""
        items: list[SecurityInformation] = []
        ccf_id = self._parts.config.ccf_id
        for live in live_entries(tx, request.api_invoker_id, ccf_id, aef_id=request.aef_id):
            information = live.entry.information
            method = information.sel_security_method
            if method not in request.security_methods:
                items.append(information)
            elif method is SecurityMethod.PSK:
                items.extend(
                    replace(
                        information,
                        interface_details=stored.interface,
                        aef_id=None,
                        authentication_info=stored.psk.hex(),
                    )
                    for stored in contexts.psks(tx, live.entry.entry_id)
                )
            elif method is SecurityMethod.PKI:
                items.append(replace(information, authentication_info=self._ca_pem))
            else:
                items.append(information)
        return items

    def _released(
        self, tx: Transaction, entry: store.RemoteEntry, method: SecurityMethod | None
    ) -> list[SecurityInformation]:
        information = entry.information
        if method is SecurityMethod.PSK:
            return [
                SecurityInformation(
                    pref_security_methods=information.pref_security_methods,
                    interface_details=stored.interface,
                    api_id=information.api_id,
                    sel_security_method=SecurityMethod.PSK,
                    authentication_info=stored.psk.hex(),
                )
                for stored in store.remote_psks(tx, entry.entry_id)
            ]
        if method is SecurityMethod.PKI:
            return [replace(information, authentication_info=self._ca_pem)]
        if method is SecurityMethod.OAUTH and self._oauth_root_ca:
            return [replace(information, authentication_info=self._ca_pem)]
        return [information]

    @property
    def _oauth_root_ca(self) -> bool:
        """``oauth-security-information=root-ca`` (unsafe; 000 7.2.3's OAuth bullet read as written):
        the invoker's root CA is released for an OAUTH selection too."""
        return self._settings.oauth_security_information is OauthSecurityInformation.UNSAFE_ROOT_CA

    def policy(self, peer: PeerCaller, request: AccessControlPolicyRequest) -> AccessControlPolicyResponse:
        """The home CCF's policy for its invoker at a peer's AEF (contribution 000 7.2.3 fallback)."""
        with self._parts.database.transaction() as tx:
            record = onboarded_invoker_or_none(tx, request.api_invoker_id)
            if record is None or record.ccf_id != self._parts.config.ccf_id:
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"no API invoker {request.api_invoker_id} is onboarded here"
                )
            allowed = tuple(
                name
                for name in request.api_names
                if (api := _remote_api_named(tx, request.aef_id, name)) is not None
                and home_may_use(tx, request.api_invoker_id, api, request.aef_id)
            )
        return AccessControlPolicyResponse(allowed)

    def revoked_at_peer(
        self, peer: PeerCaller, request: RevocationRequest, *, now: datetime
    ) -> tuple[PendingNotification, ...]:
        """An AEF of the peer revoked this CCF's invoker's authorization for some of its APIs and the
        peer reports it (TS 23.222 8.25.2.11; 8.23.3 steps 3 and 6 within one provider): the home CCF
        grants those APIs at that AEF no more, deletes its selections there that cover nothing the
        invoker may still use, revokes the tokens it signed for that AEF, and notifies the invoker.
        Only the CCF the AEF is registered at reports for it (403 otherwise)."""
        invoker_id, aef_id = request.api_invoker_id, request.aef_id
        with self._parts.database.transaction() as tx:
            record = onboarded_invoker_or_none(tx, invoker_id)
            if record is None or record.ccf_id != self._parts.config.ccf_id:
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"no API invoker {invoker_id} is onboarded here"
                )
            if store.peer_of_aef(tx, aef_id) != peer.ccf_id:
                detail = f"AEF {aef_id} is not registered at the reporting CCF {peer.ccf_id}"
                raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
            for index, api_id in enumerate(request.api_ids):
                api = store.remote_api(tx, api_id)
                if api is None or not any(
                    profile.aef_id == aef_id for profile in api.description.aef_profiles
                ):
                    reason = f"is not a service API the peer published at AEF {aef_id}"
                    raise invalid_body(Cause.MANDATORY_IE_INCORRECT, f"/apiIds/{index}", reason)
                store.deny_at_peer(
                    tx,
                    invoker_id,
                    aef_id,
                    api_id,
                    peer_ccf_id=peer.ccf_id,
                    cause=str(request.cause),
                    now=epoch(now),
                )
            usable = [view for holder, view in home_usable_apis(tx, invoker_id) if holder == peer.ccf_id]
            for entry in store.remote_entries(tx, invoker_id, aef_id=aef_id):
                if resolve_or_none(entry.information, usable) is None:
                    store.delete_remote_entry(tx, entry.entry_id)
            tokens.revoke_tokens_at(tx, invoker_id, aef_id, now=epoch(now))
            context = contexts.context(tx, invoker_id)
        if context is None:
            return ()
        body = SecurityNotification(invoker_id, request.api_ids, request.cause, aef_id)
        return (
            PendingNotification(Caller(Role.INVOKER, invoker_id), context.notification_destination, body),
        )

    def holders(self, api_invoker_id: str) -> list[str]:
        """The peers that hold (or may hold) the invoker's security information, before it goes."""
        with self._parts.database.transaction() as tx:
            return store.peers_holding(tx, api_invoker_id)

    def propagate_revocation(self, api_invoker_id: str, peers: Iterable[str], *, detail: str) -> None:
        """``revocation-propagation=capif6-notify``: tell each peer once; a failure is logged (the peer
        still refuses what it fetches afresh: the home CCF then answers 404)."""
        with self._parts.database.transaction() as tx:
            store.forget_releases(tx, api_invoker_id)
        if self._settings.revocation_propagation is RevocationPropagation.UNSAFE_NONE:
            return
        notification = RevocationNotification(api_invoker_id, RevocationCause.UNEXPECTED_REASON, detail)
        for peer in peers:
            client = self._peers.client(peer)
            if client is None:
                continue
            try:
                client.notify_revocation(notification)
            except PeerError as error:
                _LOG.warning("revocation of %s not delivered: %s", api_invoker_id, error)


def onboarded_invoker_or_none(tx: Transaction, api_invoker_id: str) -> InvokerRecord | None:
    """The onboarded invoker, or None."""
    try:
        return onboarded_invoker(tx, api_invoker_id)
    except NotFoundError:
        return None


def _remote_api_named(tx: Transaction, aef_id: str, api_name: str) -> store.RemoteApi | None:
    return next(
        (
            api
            for api in store.remote_apis(tx)
            if api.description.api_name == api_name
            and any(profile.aef_id == aef_id for profile in api.description.aef_profiles)
        ),
        None,
    )


def _token_error(code: str | None) -> TokenErrorCode:
    try:
        return TokenErrorCode(code) if code else TokenErrorCode.INVALID_REQUEST
    except ValueError:
        return TokenErrorCode.INVALID_REQUEST
