"""Which negotiated security entries still hold, and marking those that no longer do as stale.

An entry is *live* when it is not stale, still names published APIs the invoker may use, and its
selected method is still supported there. Contribution 004 (TS 33.122 clause 6.7 proposal): when the
APF updates an AEF's security methods, contexts that selected a method the AEF no longer supports are
marked stale (their AEFPSKs deleted); the AEF answers such an invoker with a mismatch failure and the
invoker re-negotiates (``POST trustedInvokers/{id}/update``).

A stale entry whose target is still there but no longer supports the selected method is *withdrawn*:
the AEF is still shown it (method only, no credential, no authorization), so that it can tell an
invoker still using that method that it no longer matches even if it never fetched the invoker's
security information before the update (TS 33.122 clause 5.1.1 as changed by contribution 004).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from impl.apitypes.enums import RevocationCause
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.security import SecurityInformation, SecurityNotification
from impl.ccf.identity import Caller, Role
from impl.ccf.notifications import PendingNotification
from impl.ccf.policy import usable_apis
from impl.ccf.selection import AmbiguousInterfaceError, Target, resolve
from impl.store import contexts
from impl.store.apis import apis_at_aef
from impl.store.contexts import EntryRecord
from impl.store.database import Transaction


@dataclass(frozen=True)
class LiveEntry:
    entry: EntryRecord
    target: Target


def resolve_or_none(information: SecurityInformation, apis: Iterable[ServiceAPIDescription]) -> Target | None:
    try:
        return resolve(information, apis)
    except AmbiguousInterfaceError:
        return None


def _live(entry: EntryRecord, apis: tuple[ServiceAPIDescription, ...]) -> Target | None:
    if entry.stale:
        return None
    target = resolve_or_none(entry.information, apis)
    if target is None or entry.information.sel_security_method not in target.supported:
        return None
    return target


def live_entries(
    tx: Transaction, api_invoker_id: str, ccf_id: str, *, aef_id: str | None = None
) -> list[LiveEntry]:
    """The invoker's live entries (at ``aef_id`` only, when given)."""
    record = contexts.context(tx, api_invoker_id)
    if record is None:
        return []
    apis = usable_apis(tx, ccf_id, api_invoker_id)
    found = []
    for entry in record.entries:
        if aef_id is not None and entry.aef_id != aef_id:
            continue
        target = _live(entry, apis)
        if target is not None:
            found.append(LiveEntry(entry, target))
    return found


def withdrawn_entries(tx: Transaction, api_invoker_id: str, ccf_id: str, *, aef_id: str) -> list[EntryRecord]:
    """The invoker's entries at ``aef_id`` whose selected method a method update withdrew: stale, and
    their target, still published and usable by the invoker, no longer supports that method (once
    the method is offered again there is no mismatch to tell, only a re-negotiation to do)."""
    record = contexts.context(tx, api_invoker_id)
    if record is None:
        return []
    apis = usable_apis(tx, ccf_id, api_invoker_id)
    found = []
    for entry in record.entries:
        if entry.aef_id != aef_id or not entry.stale:
            continue
        target = resolve_or_none(entry.information, apis)
        if target is not None and entry.information.sel_security_method not in target.supported:
            found.append(entry)
    return found


def live_targets(tx: Transaction, api_invoker_id: str, ccf_id: str) -> list[Target]:
    return [live.target for live in live_entries(tx, api_invoker_id, ccf_id)]


def mark_stale_entries(tx: Transaction, ccf_id: str, aef_ids: Iterable[str]) -> int:
    """Mark stale every entry at ``aef_ids`` that is no longer live; the number marked."""
    marked = 0
    usable_by_invoker: dict[str, tuple[ServiceAPIDescription, ...]] = {}
    for aef_id in sorted(set(aef_ids)):
        for entry in contexts.entries_at_aef(tx, aef_id):
            if entry.stale:
                continue
            if entry.api_invoker_id not in usable_by_invoker:
                usable_by_invoker[entry.api_invoker_id] = usable_apis(tx, ccf_id, entry.api_invoker_id)
            if _live(entry, usable_by_invoker[entry.api_invoker_id]) is None:
                contexts.mark_stale(tx, entry.entry_id)
                marked += 1
    return marked


def aef_notifications(
    tx: Transaction,
    api_invoker_id: str,
    ccf_id: str,
    cause: RevocationCause = RevocationCause.UNEXPECTED_REASON,
) -> tuple[PendingNotification, ...]:
    """One ``SecurityNotification`` per AEF that may hold security information of the invoker, stale
    entries included (an AEF that caches security information must drop it too): offboarding
    (TS 33.122 clause 6.2), a deleted security context, and a new certificate (``CREDENTIAL_UPDATED``).
    ``apiIds`` are the APIs the entry covers; for an entry that no longer resolves, its ``apiId`` or
    else every API now published at the AEF."""
    record = contexts.context(tx, api_invoker_id)
    if record is None:
        return ()
    live = {item.entry.entry_id: item.target for item in live_entries(tx, api_invoker_id, ccf_id)}
    api_ids_by_aef: dict[str, dict[str, None]] = {}
    for entry in record.entries:
        target = live.get(entry.entry_id)
        if target is not None:
            api_ids: tuple[str, ...] = target.api_ids
        elif entry.information.api_id is not None:
            api_ids = (entry.information.api_id,)
        else:
            api_ids = tuple(api.api_id for api in apis_at_aef(tx, entry.aef_id))
        api_ids_by_aef.setdefault(entry.aef_id, {}).update(dict.fromkeys(api_ids))
    return tuple(
        PendingNotification(
            recipient=Caller(Role.AEF, aef_id),
            destination=None,
            body=SecurityNotification(
                api_invoker_id=api_invoker_id,
                api_ids=tuple(api_ids),
                cause=cause,
                aef_id=aef_id,
            ),
        )
        for aef_id, api_ids in sorted(api_ids_by_aef.items())
        if api_ids
    )
