"""The AzF's tables in the CCF's SQLite database (created when CAPIF-8 is on; the core's untouched).

``azf_rofs``: each ROF the operator registered, the resource owners it acts for and what
authenticates it (the serial of its certificate, its pre-shared key, or a salted scrypt hash of its
password). ``azf_authorizations``: each resource owner's authorization a ROF recorded, per (invoker,
AEF, API), until the ROF withdraws it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from impl.store import Database, Transaction

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS azf_rofs (
        rof_id TEXT PRIMARY KEY,
        res_owner_ids_json TEXT NOT NULL,
        certificate_serial TEXT,
        psk BLOB,
        password_salt BLOB,
        password_hash BLOB,
        registered_at INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS azf_authorizations (
        authorization_id TEXT NOT NULL,
        rof_id TEXT NOT NULL REFERENCES azf_rofs (rof_id),
        res_owner_id TEXT NOT NULL,
        api_invoker_id TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        api_name TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (authorization_id, api_name)
    )""",
    """CREATE INDEX IF NOT EXISTS azf_authorizations_by_grant
        ON azf_authorizations (res_owner_id, api_invoker_id, aef_id, api_name)""",
)


def create_tables(database: Database) -> None:
    with database.transaction() as tx:
        for statement in SCHEMA:
            tx.execute(statement)


@dataclass(frozen=True)
class RofRecord:
    rof_id: str
    res_owner_ids: frozenset[str]
    certificate_serial: str | None
    psk: bytes | None
    password_salt: bytes | None
    password_hash: bytes | None


def insert_rof(
    tx: Transaction,
    rof_id: str,
    res_owner_ids: frozenset[str],
    *,
    certificate_serial: str | None,
    psk: bytes | None,
    password_salt: bytes | None,
    password_hash: bytes | None,
    now: int,
) -> None:
    tx.execute(
        "INSERT INTO azf_rofs (rof_id, res_owner_ids_json, certificate_serial, psk, password_salt,"
        " password_hash, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            rof_id,
            json.dumps(sorted(res_owner_ids)),
            certificate_serial,
            psk,
            password_salt,
            password_hash,
            now,
        ),
    )


def rof(tx: Transaction, rof_id: str) -> RofRecord | None:
    row = tx.row(
        "SELECT rof_id, res_owner_ids_json, certificate_serial, psk, password_salt, password_hash"
        " FROM azf_rofs WHERE rof_id = ?",
        (rof_id,),
    )
    if row is None:
        return None
    return RofRecord(
        rof_id=row["rof_id"],
        res_owner_ids=frozenset(json.loads(row["res_owner_ids_json"])),
        certificate_serial=row["certificate_serial"],
        psk=None if row["psk"] is None else bytes(row["psk"]),
        password_salt=None if row["password_salt"] is None else bytes(row["password_salt"]),
        password_hash=None if row["password_hash"] is None else bytes(row["password_hash"]),
    )


def insert_authorization(
    tx: Transaction,
    authorization_id: str,
    rof_id: str,
    *,
    res_owner_id: str,
    api_invoker_id: str,
    aef_id: str,
    api_names: tuple[str, ...],
    now: int,
) -> None:
    for api_name in api_names:
        tx.execute(
            "INSERT INTO azf_authorizations (authorization_id, rof_id, res_owner_id, api_invoker_id, aef_id,"
            " api_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (authorization_id, rof_id, res_owner_id, api_invoker_id, aef_id, api_name, now),
        )


def authorization_owner(tx: Transaction, authorization_id: str) -> str | None:
    row = tx.row(
        "SELECT rof_id FROM azf_authorizations WHERE authorization_id = ? LIMIT 1", (authorization_id,)
    )
    return None if row is None else str(row["rof_id"])


def delete_authorization(tx: Transaction, authorization_id: str) -> None:
    tx.execute("DELETE FROM azf_authorizations WHERE authorization_id = ?", (authorization_id,))


def authorized(tx: Transaction, res_owner_id: str, api_invoker_id: str, aef_id: str, api_name: str) -> bool:
    found = tx.row(
        "SELECT 1 FROM azf_authorizations WHERE res_owner_id = ? AND api_invoker_id = ? AND aef_id = ?"
        " AND api_name = ?",
        (res_owner_id, api_invoker_id, aef_id, api_name),
    )
    return found is not None
