"""Security contexts: method negotiation, security information for AEFs, revocation (TS 29.222 8.5;
TS 33.122 clauses 6.3 to 6.5, contribution 004).

Decisions where the specifications leave a choice (see also :mod:`impl.ccf.selection`):

* ``PUT trustedInvokers/{id}`` creates the context; a second PUT is refused (403
  ``SECURITY_CONTEXT_EXISTS``): re-negotiation is ``POST .../update``, which replaces the entries
  naming the same target (AEF or interface, and API) and keeps the others.
* When an entry's preferences and the AEF's methods do not meet, nothing is selected and the whole
  request is refused: 403 ``NO_COMMON_SECURITY_METHOD`` with ``invalidParams`` naming the entry's
  ``prefSecurityMethods`` (TS 29.222 defines no application error for it; 403 because the request is
  well formed and the CCF refuses it by the AEF's configuration). An entry naming nothing published
  is a 400; one naming APIs the invoker may not use, a 403 ``API_INVOKER_NOT_AUTHORIZED``.
* PSK: AEFPSK is derived per covered AEF interface from the CAPIF-1e session the request arrived on;
  without usable keying the request is refused (403 ``PSK_KEYING_UNAVAILABLE``) rather than another
  method chosen silently. AEFPSK is never sent to the invoker (it derives it itself); the AEF gets it
  in ``authenticationInfo`` as lower-case hex, one ``SecurityInformation`` per interface.
* PKI: ``authenticationInfo`` for the AEF is the invoker's current certificate (PEM).
* ``authorizationInfo`` for the AEF: the APIs the invoker may use there, as a TS 33.122 Annex C scope
  (``aefId:api1,api2``).
* A selection a method update withdrew (contribution 004) stays visible to the AEF as its entry with
  neither ``authenticationInfo`` nor ``authorizationInfo`` (TS 29.222 has no field saying "stale"):
  the AEF learns the method the invoker still uses and tells it of the mismatch, even if it never
  fetched the invoker's security information before the update.
* ``DELETE`` and ``POST .../delete`` are Revoke_Authorization, whose only consumer is the AEF
  (TS 29.222 Table 5.1-1): ``DELETE`` revokes the invoker's authorization for every API at that AEF,
  ``POST .../delete`` the APIs listed in the ``SecurityNotification``; both only for an invoker with
  security context entries at that AEF (404 otherwise, as for an unknown invoker, so an AEF learns
  nothing of contexts at other AEFs). An invoker ends its context by offboarding. Revocations are
  permanent denials in the policy; the invoker gets the ``SecurityNotification`` at its
  ``notificationDestination``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.apitypes.problems import (
    Cause,
    ForbiddenError,
    InvalidParam,
    NotFoundError,
    invalid_body,
)
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.query import QueryParams, boolean_text
from impl.apitypes.security import SecurityInformation, SecurityNotification, ServiceSecurity
from impl.ccf.core import CoreParts, Created
from impl.ccf.guards import onboarded_invoker, require_invoker_itself
from impl.ccf.identity import Caller, Role
from impl.ccf.notifications import PendingNotification, require_deliverable
from impl.ccf.policy import usable_apis
from impl.ccf.ports import Capif1eKeying, KeyingUnavailableError
from impl.ccf.security_targets import (
    LiveEntry,
    live_entries,
    resolve_or_none,
    withdrawn_entries,
)
from impl.ccf.selection import AmbiguousInterfaceError, Target, psk_interface, resolve, select_method
from impl.store import apis, contexts, policy, tokens
from impl.store.database import Transaction, epoch
from impl.store.invokers import InvokerRecord
from impl.tokens import ScopeEntry, ScopeSyntax, format_scope

API_NAME = "capif-security"
_GET_PARAMETERS = frozenset({"authenticationInfo", "authorizationInfo"})


class SecurityService:
    """CAPIF_Security_API ``trustedInvokers`` resources (TS 29.222 clause 8.5)."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def create_context(
        self,
        caller: Caller,
        api_invoker_id: str,
        body: object,
        *,
        keying: Capif1eKeying | None,
        now: datetime,
    ) -> Created[ServiceSecurity]:
        """``PUT /trustedInvokers/{apiInvokerId}`` by the invoker itself: select a method per entry.

        ``keying`` is the CAPIF-1e TLS session of this very request (needed when PSK is selected).
        """
        require_invoker_itself(caller, api_invoker_id)
        request = ServiceSecurity.read(body)
        require_deliverable(request.notification_destination)
        with self._parts.database.transaction() as tx:
            onboarded_invoker(tx, api_invoker_id)
            if contexts.context(tx, api_invoker_id) is not None:
                detail = "the security context exists; re-negotiate with POST .../update"
                raise ForbiddenError(Cause.SECURITY_CONTEXT_EXISTS, detail)
            contexts.upsert_context(
                tx,
                api_invoker_id,
                ccf_id=self._parts.config.ccf_id,
                notification_destination=request.notification_destination,
                now=epoch(now),
            )
            selected = self._negotiate(tx, api_invoker_id, request, keying, now)
        location = self._parts.config.location(API_NAME, "trustedInvokers", api_invoker_id)
        return Created(request.answered(selected), location)

    def update_context(
        self,
        caller: Caller,
        api_invoker_id: str,
        body: object,
        *,
        keying: Capif1eKeying | None,
        now: datetime,
    ) -> ServiceSecurity:
        """``POST /trustedInvokers/{apiInvokerId}/update``: re-negotiate the listed entries; the
        answer lists every live entry of the context."""
        require_invoker_itself(caller, api_invoker_id)
        request = ServiceSecurity.read(body)
        require_deliverable(request.notification_destination)
        with self._parts.database.transaction() as tx:
            onboarded_invoker(tx, api_invoker_id)
            if contexts.context(tx, api_invoker_id) is None:
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"no security context of {api_invoker_id}")
            contexts.upsert_context(
                tx,
                api_invoker_id,
                ccf_id=self._parts.config.ccf_id,
                notification_destination=request.notification_destination,
                now=epoch(now),
            )
            self._negotiate(tx, api_invoker_id, request, keying, now)
            live = live_entries(tx, api_invoker_id, self._parts.config.ccf_id)
        return request.answered(tuple(entry.entry.information for entry in live))

    def get_context(
        self, caller: Caller, api_invoker_id: str, query: Iterable[tuple[str, str]]
    ) -> ServiceSecurity:
        """``GET /trustedInvokers/{apiInvokerId}`` by an AEF: the invoker's live security information
        for that AEF only (TS 33.122 clause 6.5.2: the AEF fetches what it needs to authenticate), and
        its selections a method update withdrew, without credential or authorization (contribution
        004: the AEF must tell an invoker still using the old method that it no longer matches)."""
        if caller.role is not Role.AEF:
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "only an AEF retrieves security information")
        parameters = QueryParams(query, known=_GET_PARAMETERS)
        with_authentication = parameters.optional("authenticationInfo", boolean_text) or False
        with_authorization = parameters.optional("authorizationInfo", boolean_text) or False
        ccf_id = self._parts.config.ccf_id
        with self._parts.database.transaction() as tx:
            record = onboarded_invoker(tx, api_invoker_id)
            context = contexts.context(tx, api_invoker_id)
            live = live_entries(tx, api_invoker_id, ccf_id, aef_id=caller.id)
            withdrawn = withdrawn_entries(tx, api_invoker_id, ccf_id, aef_id=caller.id)
            if context is None or not (live or withdrawn):
                detail = f"no security information of {api_invoker_id} for AEF {caller.id}"
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)
            items: list[SecurityInformation] = []
            for entry in live:
                authorization = _scope_text(tx, entry.target) if with_authorization else None
                items.extend(self._for_aef(tx, entry, record, with_authentication, authorization))
            items.extend(_withdrawn(entry.information) for entry in withdrawn)
        return ServiceSecurity(
            security_info=tuple(items), notification_destination=context.notification_destination
        )

    def revoke_all(
        self, caller: Caller, api_invoker_id: str, *, now: datetime
    ) -> tuple[PendingNotification, ...]:
        """``DELETE /trustedInvokers/{apiInvokerId}`` by an AEF (Revoke_Authorization, TS 29.222
        Table 5.1-1): revoke the invoker's authorization for every API at that AEF."""
        if caller.role is not Role.AEF:
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "only an AEF revokes an authorization")
        with self._parts.database.transaction() as tx:
            _known_at_aef(tx, api_invoker_id, caller.id)
            api_ids = tuple(record.api_id for record in apis.apis_at_aef(tx, caller.id))
            cause = RevocationCause.UNEXPECTED_REASON
            return self._revoke(tx, api_invoker_id, caller.id, api_ids, cause=cause, now=now)

    def revoke(
        self, caller: Caller, api_invoker_id: str, body: object, *, now: datetime
    ) -> tuple[PendingNotification, ...]:
        """``POST /trustedInvokers/{apiInvokerId}/delete`` by an AEF: revoke the invoker's
        authorization for the listed APIs at that AEF (TS 33.122 clause 6.6)."""
        if caller.role is not Role.AEF:
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "only an AEF revokes an authorization")
        notification = SecurityNotification.read(body)
        if notification.api_invoker_id != api_invoker_id:
            reason = "must be the apiInvokerId of the URI"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/apiInvokerId", reason)
        if notification.cause is RevocationCause.CREDENTIAL_UPDATED:
            reason = "is a notification of the CCF, not a revocation cause"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/cause", reason)
        if notification.aef_id is not None and notification.aef_id != caller.id:
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, "an AEF revokes authorizations for itself only"
            )
        with self._parts.database.transaction() as tx:
            _known_at_aef(tx, api_invoker_id, caller.id)
            published = {record.api_id for record in apis.apis_at_aef(tx, caller.id)}
            for index, api_id in enumerate(notification.api_ids):
                if api_id not in published:
                    reason = "is not a service API published at this AEF"
                    raise invalid_body(Cause.MANDATORY_IE_INCORRECT, f"/apiIds/{index}", reason)
            return self._revoke(
                tx, api_invoker_id, caller.id, notification.api_ids, cause=notification.cause, now=now
            )

    def _negotiate(
        self,
        tx: Transaction,
        api_invoker_id: str,
        request: ServiceSecurity,
        keying: Capif1eKeying | None,
        now: datetime,
    ) -> tuple[SecurityInformation, ...]:
        """Select and store a method per entry; any refusal refuses the whole request (rollback)."""
        ccf_id = self._parts.config.ccf_id
        published = [record.description for record in apis.apis_of_ccf(tx, ccf_id)]
        usable = usable_apis(tx, ccf_id, api_invoker_id)
        selected: list[SecurityInformation] = []
        for index, information in enumerate(request.security_info):
            pointer = f"/securityInfo/{index}"
            target = _usable_target(information, published, usable, pointer)
            method = select_method(
                information.pref_security_methods,
                target.supported,
                self._parts.settings.method_selection_rule,
            )
            if method is None:
                offered = ", ".join(sorted(target.supported)) or "none"
                reason = f"no preferred method is supported by AEF {target.aef_id} (it supports: {offered})"
                raise ForbiddenError(
                    Cause.NO_COMMON_SECURITY_METHOD,
                    f"{pointer}: {reason}",
                    [InvalidParam(pointer + "/prefSecurityMethods", reason)],
                )
            chosen = information.selected(method)
            entry_id = contexts.put_entry(tx, api_invoker_id, chosen, aef_id=target.aef_id, now=epoch(now))
            if method is SecurityMethod.PSK:
                self._store_aefpsks(tx, entry_id, target, keying)
            selected.append(chosen)
        return tuple(selected)

    def _store_aefpsks(
        self, tx: Transaction, entry_id: int, target: Target, keying: Capif1eKeying | None
    ) -> None:
        """Derive AEFPSK for every covered interface that offers PSK (TS 33.122 Annex A.1)."""
        if keying is None:
            detail = "PSK needs the keying of the CAPIF-1e TLS session, which this request did not come with"
            raise ForbiddenError(Cause.PSK_KEYING_UNAVAILABLE, detail)
        for interface in target.interfaces_offering(SecurityMethod.PSK):
            kdf_interface = psk_interface(interface)
            assert kdf_interface is not None  # PSK is offered only on interfaces the KDF encodes
            try:
                psk = self._parts.aefpsk.derive(keying, kdf_interface)
            except KeyingUnavailableError as error:
                raise ForbiddenError(Cause.PSK_KEYING_UNAVAILABLE, str(error)) from None
            contexts.insert_psk(tx, entry_id, interface, psk, derivation=self._parts.aefpsk.derivation)

    def _for_aef(
        self,
        tx: Transaction,
        live: LiveEntry,
        record: InvokerRecord,
        with_authentication: bool,
        authorization: str | None,
    ) -> list[SecurityInformation]:
        information = replace(live.entry.information, authorization_info=authorization)
        method = information.sel_security_method
        if not with_authentication or method is SecurityMethod.OAUTH:
            return [information]
        if method is SecurityMethod.PKI:
            certificate = record.enrolment.onboarding_information.api_invoker_certificate
            return [replace(information, authentication_info=certificate)]
        return [
            SecurityInformation(
                pref_security_methods=information.pref_security_methods,
                interface_details=stored.interface,
                api_id=information.api_id,
                sel_security_method=SecurityMethod.PSK,
                authentication_info=stored.psk.hex(),
                authorization_info=authorization,
            )
            for stored in contexts.psks(tx, live.entry.entry_id)
        ]

    def _revoke(
        self,
        tx: Transaction,
        api_invoker_id: str,
        aef_id: str,
        api_ids: tuple[str, ...],
        *,
        cause: RevocationCause,
        now: datetime,
    ) -> tuple[PendingNotification, ...]:
        """Deny (invoker, AEF, API) for each API, delete the entries at the AEF that cover nothing
        usable any more, mark the invoker's tokens for the AEF revoked; notify the AEF (whichever
        process of it sent the revocation, every one must stop accepting the invoker, TS 33.122
        clause 6.6) and the invoker."""
        for api_id in api_ids:
            policy.deny(tx, api_invoker_id, aef_id, api_id, cause=str(cause), now=epoch(now))
        usable = usable_apis(tx, self._parts.config.ccf_id, api_invoker_id)
        context = contexts.context(tx, api_invoker_id)
        for entry in context.entries if context is not None else ():
            if entry.aef_id == aef_id and resolve_or_none(entry.information, usable) is None:
                contexts.delete_entry(tx, entry.entry_id)
        tokens.revoke_tokens_at(tx, api_invoker_id, aef_id, now=epoch(now))
        if not api_ids:
            return ()
        body = SecurityNotification(
            api_invoker_id=api_invoker_id, api_ids=api_ids, cause=cause, aef_id=aef_id
        )
        to_aef = PendingNotification(Caller(Role.AEF, aef_id), None, body)
        if context is None:
            return (to_aef,)
        to_invoker = PendingNotification(
            Caller(Role.INVOKER, api_invoker_id), context.notification_destination, body
        )
        return to_aef, to_invoker


def _usable_target(
    information: SecurityInformation,
    published: list[ServiceAPIDescription],
    usable: tuple[ServiceAPIDescription, ...],
    pointer: str,
) -> Target:
    field = pointer + ("/interfaceDetails" if information.interface_details is not None else "/aefId")
    try:
        exists = resolve(information, published)
    except AmbiguousInterfaceError as error:
        raise invalid_body(Cause.MANDATORY_IE_INCORRECT, field, str(error)) from None
    if exists is None:
        qualifier = "" if information.api_id is None else f" with apiId {information.api_id}"
        raise invalid_body(Cause.MANDATORY_IE_INCORRECT, field, f"names no published service API{qualifier}")
    target = resolve(information, usable)
    if target is None:
        detail = f"{pointer}: the API invoker is not authorized for these service APIs at AEF {exists.aef_id}"
        raise ForbiddenError(Cause.API_INVOKER_NOT_AUTHORIZED, detail)
    return target


def _known_at_aef(tx: Transaction, api_invoker_id: str, aef_id: str) -> None:
    """404 unless the invoker is onboarded and holds security context entries at AEF ``aef_id``: an
    AEF revokes only invokers it may have served, and learns nothing of contexts at other AEFs."""
    onboarded_invoker(tx, api_invoker_id)
    context = contexts.context(tx, api_invoker_id)
    if context is None or all(entry.aef_id != aef_id for entry in context.entries):
        detail = f"no security context of {api_invoker_id} at AEF {aef_id}"
        raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)


def _withdrawn(information: SecurityInformation) -> SecurityInformation:
    """A withdrawn selection as the AEF sees it: which method, for which interface or AEF and API;
    no ``authenticationInfo`` and no ``authorizationInfo``, so it authenticates and grants nothing."""
    return replace(information, authentication_info=None, authorization_info=None)


def _scope_text(tx: Transaction, target: Target) -> str:
    names = tuple(
        dict.fromkeys(
            record.description.api_name for api_id in target.api_ids if (record := apis.api(tx, api_id))
        )
    )
    return format_scope([ScopeEntry(target.aef_id, names)], ScopeSyntax.TS33122)
