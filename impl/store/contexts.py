"""Security contexts (TS 29.222 CAPIF_Security_API ``trustedInvokers``) and their AEFPSKs."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import InterfaceDescription
from impl.apitypes.reader import Fields
from impl.apitypes.security import SecurityInformation
from impl.store.database import Transaction


@dataclass(frozen=True)
class StoredPsk:
    interface: InterfaceDescription
    psk: bytes
    derivation: str


@dataclass(frozen=True)
class EntryRecord:
    """One negotiated ``SecurityInformation`` of an invoker, for one AEF."""

    entry_id: int
    api_invoker_id: str
    aef_id: str
    information: SecurityInformation
    stale: bool


@dataclass(frozen=True)
class ContextRecord:
    api_invoker_id: str
    ccf_id: str
    notification_destination: str
    entries: tuple[EntryRecord, ...]


def context(tx: Transaction, api_invoker_id: str) -> ContextRecord | None:
    row = tx.row(
        "SELECT api_invoker_id, ccf_id, notification_destination FROM security_contexts WHERE"
        " api_invoker_id = ?",
        (api_invoker_id,),
    )
    if row is None:
        return None
    rows = tx.rows(
        "SELECT entry_id, api_invoker_id, aef_id, entry_json, selected_method, stale FROM security_entries"
        " WHERE api_invoker_id = ? ORDER BY entry_id",
        (api_invoker_id,),
    )
    return ContextRecord(
        api_invoker_id=row["api_invoker_id"],
        ccf_id=row["ccf_id"],
        notification_destination=row["notification_destination"],
        entries=tuple(_entry(r) for r in rows),
    )


def upsert_context(
    tx: Transaction, api_invoker_id: str, *, ccf_id: str, notification_destination: str, now: int
) -> None:
    tx.execute(
        "INSERT INTO security_contexts (api_invoker_id, ccf_id, notification_destination, created_at,"
        " updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_invoker_id)"
        " DO UPDATE SET notification_destination = excluded.notification_destination, updated_at ="
        " excluded.updated_at",
        (api_invoker_id, ccf_id, notification_destination, now, now),
    )


def delete_context(tx: Transaction, api_invoker_id: str) -> None:
    """Delete the context, its entries and their AEFPSKs (cascade)."""
    tx.execute("DELETE FROM security_contexts WHERE api_invoker_id = ?", (api_invoker_id,))


def put_entry(
    tx: Transaction, api_invoker_id: str, information: SecurityInformation, *, aef_id: str, now: int
) -> int:
    """Insert or replace the entry with the same target (its AEFPSKs go with the old entry)."""
    assert information.sel_security_method is not None
    target_key = "|".join(str(part) for part in information.target_key())
    tx.execute(
        "DELETE FROM security_entries WHERE api_invoker_id = ? AND target_key = ?",
        (api_invoker_id, target_key),
    )
    return tx.insert(
        "INSERT INTO security_entries"
        " (api_invoker_id, target_key, aef_id, api_id, entry_json, selected_method, stale, negotiated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
        (
            api_invoker_id,
            target_key,
            aef_id,
            information.api_id,
            json.dumps(information.to_json()),
            str(information.sel_security_method),
            now,
        ),
    )


def entries_at_aef(tx: Transaction, aef_id: str) -> list[EntryRecord]:
    rows = tx.rows(
        "SELECT entry_id, api_invoker_id, aef_id, entry_json, selected_method, stale FROM"
        " security_entries WHERE aef_id = ?"
        " ORDER BY entry_id",
        (aef_id,),
    )
    return [_entry(row) for row in rows]


def mark_stale(tx: Transaction, entry_id: int) -> None:
    """The AEF no longer supports the selected method: keep the entry, drop its AEFPSKs (contribution 004)."""
    tx.execute("UPDATE security_entries SET stale = 1 WHERE entry_id = ?", (entry_id,))
    tx.execute("DELETE FROM aef_psks WHERE entry_id = ?", (entry_id,))


def delete_entry(tx: Transaction, entry_id: int) -> None:
    tx.execute("DELETE FROM security_entries WHERE entry_id = ?", (entry_id,))


def insert_psk(
    tx: Transaction, entry_id: int, interface: InterfaceDescription, psk: bytes, *, derivation: str
) -> None:
    tx.execute(
        "INSERT INTO aef_psks (entry_id, interface_json, psk, derivation) VALUES (?, ?, ?, ?)",
        (entry_id, json.dumps(interface.to_json(), sort_keys=True), psk, derivation),
    )


def psks(tx: Transaction, entry_id: int) -> list[StoredPsk]:
    rows = tx.rows(
        "SELECT interface_json, psk, derivation FROM aef_psks WHERE entry_id = ? ORDER BY interface_json",
        (entry_id,),
    )
    return [
        StoredPsk(
            interface=InterfaceDescription.read(Fields(json.loads(row["interface_json"]), "")),
            psk=bytes(row["psk"]),
            derivation=row["derivation"],
        )
        for row in rows
    ]


def _entry(row: sqlite3.Row) -> EntryRecord:
    information = SecurityInformation.read(Fields(json.loads(row["entry_json"]), ""))
    return EntryRecord(
        entry_id=row["entry_id"],
        api_invoker_id=row["api_invoker_id"],
        aef_id=row["aef_id"],
        information=information.selected(SecurityMethod(row["selected_method"])),
        stale=bool(row["stale"]),
    )
