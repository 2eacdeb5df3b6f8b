"""What a CCF keeps about its CAPIF-6/6e peers, in its own SQLite database (the core's tables untouched).

The tables are created when a CCF first interconnects (``CREATE TABLE IF NOT EXISTS``); every row is
written in the same transaction as the decision it records, so a restart loses nothing committed:

* ``ic_remote_apis`` / ``ic_remote_profiles``: service APIs peers published or shared here (TS 29.222
  Publish on CAPIF-6/6e, TS 23.222 8.25.3.1), by the ``apiId`` their CCF assigned, with the peer that
  sent them: how the home CCF knows which CCF an AEF is registered at.
* ``ic_remote_entries`` / ``ic_remote_psks``: the home CCF's security method selections for AEFs of
  peers, and the AEFPSKs it derived for them from the CAPIF-1e session (contribution 002 step 3). They
  belong to the invoker's security context (deleted with it).
* ``ic_remote_audience`` / ``ic_restricted_remote_apis``: the home operator's access control policy
  for peers' APIs (what contribution 000 7.2.3's fallback asks).
* ``ic_releases``: which peer the home CCF gave an invoker's security information to, for which AEF
  (so a revocation reaches it, and an audit shows it).
* ``ic_foreign_fetches``: which of its AEFs the AEF's CCF gave security information of another
  provider's invoker to, learnt from which home CCF (so the home CCF's revocation reaches them).
* ``ic_foreign_denials``: revocations by this CCF's AEFs of invokers of other providers (the core's
  denials name only its own invokers).
* ``ic_peer_denials``: revocations by peers' AEFs of this CCF's invokers, as their CCFs reported them
  (TS 23.222 8.25.2.11): the home CCF grants those APIs at that AEF no more.
* ``ic_published_to``: which of this CCF's APIs it published to which peer (to update and withdraw).
* ``ic_issued_tokens``: tokens this CCF signed on a peer's relay (hash only).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import InterfaceDescription, ServiceAPIDescription
from impl.apitypes.reader import Fields
from impl.apitypes.security import SecurityInformation
from impl.store import Database, Transaction

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ic_remote_apis (
        api_id TEXT PRIMARY KEY,
        peer_ccf_id TEXT NOT NULL,
        description_json TEXT NOT NULL,
        received_at INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ic_remote_profiles (
        api_id TEXT NOT NULL REFERENCES ic_remote_apis (api_id) ON DELETE CASCADE,
        aef_id TEXT NOT NULL,
        peer_ccf_id TEXT NOT NULL,
        PRIMARY KEY (api_id, aef_id)
    )""",
    """CREATE INDEX IF NOT EXISTS ic_remote_profiles_by_aef ON ic_remote_profiles (aef_id)""",
    """CREATE TABLE IF NOT EXISTS ic_remote_entries (
        entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
        api_invoker_id TEXT NOT NULL REFERENCES security_contexts (api_invoker_id) ON DELETE CASCADE,
        peer_ccf_id TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        target_key TEXT NOT NULL,
        entry_json TEXT NOT NULL,
        selected_method TEXT NOT NULL CHECK (selected_method IN ('PSK', 'PKI', 'OAUTH')),
        negotiated_at INTEGER NOT NULL,
        UNIQUE (api_invoker_id, target_key)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_remote_psks (
        entry_id INTEGER NOT NULL REFERENCES ic_remote_entries (entry_id) ON DELETE CASCADE,
        interface_json TEXT NOT NULL,
        psk BLOB NOT NULL,
        derivation TEXT NOT NULL,
        PRIMARY KEY (entry_id, interface_json)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_restricted_remote_apis (api_id TEXT PRIMARY KEY)""",
    """CREATE TABLE IF NOT EXISTS ic_remote_audience (
        api_id TEXT NOT NULL,
        api_invoker_id TEXT NOT NULL,
        PRIMARY KEY (api_id, api_invoker_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_releases (
        api_invoker_id TEXT NOT NULL,
        peer_ccf_id TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        released_at INTEGER NOT NULL,
        PRIMARY KEY (api_invoker_id, peer_ccf_id, aef_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_foreign_fetches (
        api_invoker_id TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        home_ccf_id TEXT NOT NULL,
        methods TEXT NOT NULL,
        fetched_at INTEGER NOT NULL,
        PRIMARY KEY (api_invoker_id, aef_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_foreign_denials (
        api_invoker_id TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        api_id TEXT NOT NULL,
        cause TEXT NOT NULL,
        denied_at INTEGER NOT NULL,
        PRIMARY KEY (api_invoker_id, aef_id, api_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_peer_denials (
        api_invoker_id TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        api_id TEXT NOT NULL,
        peer_ccf_id TEXT NOT NULL,
        cause TEXT NOT NULL,
        denied_at INTEGER NOT NULL,
        PRIMARY KEY (api_invoker_id, aef_id, api_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_published_to (
        peer_ccf_id TEXT NOT NULL,
        api_id TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (peer_ccf_id, api_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ic_issued_tokens (
        token_id INTEGER PRIMARY KEY AUTOINCREMENT,
        peer_ccf_id TEXT NOT NULL,
        api_invoker_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        token_sha256 BLOB NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    )""",
)


def create_tables(database: Database) -> None:
    """Create the interconnection tables if they are not there yet."""
    with database.transaction() as tx:
        for statement in SCHEMA:
            tx.execute(statement)


# -- service APIs of peers


@dataclass(frozen=True)
class RemoteApi:
    api_id: str
    peer_ccf_id: str
    description: ServiceAPIDescription


def put_remote_api(
    tx: Transaction, peer_ccf_id: str, description: ServiceAPIDescription, *, now: int
) -> None:
    """Insert or replace a peer's API (its profiles re-indexed by AEF)."""
    assert description.api_id is not None
    tx.execute("DELETE FROM ic_remote_apis WHERE api_id = ?", (description.api_id,))
    tx.execute(
        "INSERT INTO ic_remote_apis (api_id, peer_ccf_id, description_json, received_at) VALUES (?, ?, ?, ?)",
        (description.api_id, peer_ccf_id, json.dumps(description.to_json()), now),
    )
    for profile in description.aef_profiles:
        tx.execute(
            "INSERT INTO ic_remote_profiles (api_id, aef_id, peer_ccf_id) VALUES (?, ?, ?)",
            (description.api_id, profile.aef_id, peer_ccf_id),
        )


def delete_remote_api(tx: Transaction, api_id: str) -> None:
    tx.execute("DELETE FROM ic_remote_apis WHERE api_id = ?", (api_id,))


def remote_api(tx: Transaction, api_id: str) -> RemoteApi | None:
    row = tx.row(
        "SELECT api_id, peer_ccf_id, description_json FROM ic_remote_apis WHERE api_id = ?", (api_id,)
    )
    return None if row is None else _remote(row["api_id"], row["peer_ccf_id"], row["description_json"])


def remote_apis(tx: Transaction, peer_ccf_id: str | None = None) -> list[RemoteApi]:
    """Every peer's API (or one peer's), in the order received."""
    rows = tx.rows(
        "SELECT api_id, peer_ccf_id, description_json FROM ic_remote_apis"
        + ("" if peer_ccf_id is None else " WHERE peer_ccf_id = ?")
        + " ORDER BY received_at, api_id",
        () if peer_ccf_id is None else (peer_ccf_id,),
    )
    return [_remote(row["api_id"], row["peer_ccf_id"], row["description_json"]) for row in rows]


def peer_of_aef(tx: Transaction, aef_id: str) -> str | None:
    """The peer CCF an AEF of another provider is registered at, as the peers' publications say."""
    row = tx.row("SELECT peer_ccf_id FROM ic_remote_profiles WHERE aef_id = ? LIMIT 1", (aef_id,))
    return None if row is None else str(row["peer_ccf_id"])


def _remote(api_id: str, peer_ccf_id: str, description_json: str) -> RemoteApi:
    description = ServiceAPIDescription.read(json.loads(description_json), creating=False)
    return RemoteApi(api_id, peer_ccf_id, description)


# -- the home operator's policy for peers' APIs


def set_remote_audience(tx: Transaction, api_id: str, invoker_ids: Iterable[str] | None) -> None:
    tx.execute("DELETE FROM ic_remote_audience WHERE api_id = ?", (api_id,))
    tx.execute("DELETE FROM ic_restricted_remote_apis WHERE api_id = ?", (api_id,))
    if invoker_ids is None:
        return
    tx.execute("INSERT INTO ic_restricted_remote_apis (api_id) VALUES (?)", (api_id,))
    for invoker_id in invoker_ids:
        tx.execute(
            "INSERT INTO ic_remote_audience (api_id, api_invoker_id) VALUES (?, ?)", (api_id, invoker_id)
        )


def in_remote_audience(tx: Transaction, api_id: str, invoker_id: str) -> bool:
    if tx.row("SELECT 1 FROM ic_restricted_remote_apis WHERE api_id = ?", (api_id,)) is None:
        return True
    found = tx.row(
        "SELECT 1 FROM ic_remote_audience WHERE api_id = ? AND api_invoker_id = ?", (api_id, invoker_id)
    )
    return found is not None


# -- the home CCF's selections for AEFs of peers


@dataclass(frozen=True)
class RemoteEntry:
    entry_id: int
    api_invoker_id: str
    peer_ccf_id: str
    aef_id: str
    information: SecurityInformation


@dataclass(frozen=True)
class RemotePsk:
    interface: InterfaceDescription
    psk: bytes


def put_remote_entry(
    tx: Transaction,
    api_invoker_id: str,
    information: SecurityInformation,
    *,
    peer_ccf_id: str,
    aef_id: str,
    now: int,
) -> int:
    """Insert or replace the entry for the same target (its AEFPSKs go with the old one)."""
    assert information.sel_security_method is not None
    target_key = "|".join(str(part) for part in information.target_key())
    tx.execute(
        "DELETE FROM ic_remote_entries WHERE api_invoker_id = ? AND target_key = ?",
        (api_invoker_id, target_key),
    )
    return tx.insert(
        "INSERT INTO ic_remote_entries (api_invoker_id, peer_ccf_id, aef_id, target_key, entry_json,"
        " selected_method, negotiated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            api_invoker_id,
            peer_ccf_id,
            aef_id,
            target_key,
            json.dumps(information.to_json()),
            str(information.sel_security_method),
            now,
        ),
    )


def remote_entries(tx: Transaction, api_invoker_id: str, *, aef_id: str | None = None) -> list[RemoteEntry]:
    rows = tx.rows(
        "SELECT entry_id, api_invoker_id, peer_ccf_id, aef_id, entry_json, selected_method"
        " FROM ic_remote_entries WHERE api_invoker_id = ?"
        + ("" if aef_id is None else " AND aef_id = ?")
        + " ORDER BY entry_id",
        (api_invoker_id,) if aef_id is None else (api_invoker_id, aef_id),
    )
    return [
        RemoteEntry(
            entry_id=row["entry_id"],
            api_invoker_id=row["api_invoker_id"],
            peer_ccf_id=row["peer_ccf_id"],
            aef_id=row["aef_id"],
            information=SecurityInformation.read(Fields(json.loads(row["entry_json"]), "")).selected(
                SecurityMethod(row["selected_method"])
            ),
        )
        for row in rows
    ]


def delete_remote_entry(tx: Transaction, entry_id: int) -> None:
    tx.execute("DELETE FROM ic_remote_entries WHERE entry_id = ?", (entry_id,))


def delete_remote_entries(tx: Transaction, api_invoker_id: str) -> None:
    tx.execute("DELETE FROM ic_remote_entries WHERE api_invoker_id = ?", (api_invoker_id,))


def insert_remote_psk(
    tx: Transaction, entry_id: int, interface: InterfaceDescription, psk: bytes, *, derivation: str
) -> None:
    tx.execute(
        "INSERT INTO ic_remote_psks (entry_id, interface_json, psk, derivation) VALUES (?, ?, ?, ?)",
        (entry_id, json.dumps(interface.to_json(), sort_keys=True), psk, derivation),
    )


def remote_psks(tx: Transaction, entry_id: int) -> list[RemotePsk]:
    rows = tx.rows(
        "SELECT interface_json, psk FROM ic_remote_psks WHERE entry_id = ? ORDER BY interface_json",
        (entry_id,),
    )
    return [
        RemotePsk(InterfaceDescription.read(Fields(json.loads(row["interface_json"]), "")), bytes(row["psk"]))
        for row in rows
    ]


# -- releases (home side) and fetches (AEF's CCF side)


def record_release(tx: Transaction, api_invoker_id: str, peer_ccf_id: str, aef_id: str, *, now: int) -> None:
    tx.execute(
        "INSERT INTO ic_releases (api_invoker_id, peer_ccf_id, aef_id, released_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (api_invoker_id, peer_ccf_id, aef_id) DO UPDATE SET released_at = excluded.released_at",
        (api_invoker_id, peer_ccf_id, aef_id, now),
    )


def peers_holding(tx: Transaction, api_invoker_id: str) -> list[str]:
    """The peers that hold (or may hold) the invoker's security information: those it was released to
    and those it negotiated with."""
    rows = tx.rows(
        "SELECT peer_ccf_id FROM ic_releases WHERE api_invoker_id = ?"
        " UNION SELECT peer_ccf_id FROM ic_remote_entries WHERE api_invoker_id = ?",
        (api_invoker_id, api_invoker_id),
    )
    return sorted(str(row["peer_ccf_id"]) for row in rows)


def forget_releases(tx: Transaction, api_invoker_id: str) -> None:
    tx.execute("DELETE FROM ic_releases WHERE api_invoker_id = ?", (api_invoker_id,))


def record_fetch(
    tx: Transaction,
    api_invoker_id: str,
    aef_id: str,
    home_ccf_id: str,
    methods: Iterable[SecurityMethod],
    *,
    now: int,
) -> None:
    tx.execute(
        "INSERT INTO ic_foreign_fetches (api_invoker_id, aef_id, home_ccf_id, methods, fetched_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_invoker_id, aef_id) DO UPDATE SET"
        " home_ccf_id = excluded.home_ccf_id, methods = excluded.methods, fetched_at = excluded.fetched_at",
        (api_invoker_id, aef_id, home_ccf_id, ",".join(sorted(str(m) for m in methods)), now),
    )


def fetched_by(tx: Transaction, api_invoker_id: str, home_ccf_id: str) -> list[str]:
    """The AEFs given security information of the invoker learnt from ``home_ccf_id``."""
    rows = tx.rows(
        "SELECT aef_id FROM ic_foreign_fetches WHERE api_invoker_id = ? AND home_ccf_id = ? ORDER BY aef_id",
        (api_invoker_id, home_ccf_id),
    )
    return [str(row["aef_id"]) for row in rows]


def forget_fetches(tx: Transaction, api_invoker_id: str, home_ccf_id: str) -> None:
    tx.execute(
        "DELETE FROM ic_foreign_fetches WHERE api_invoker_id = ? AND home_ccf_id = ?",
        (api_invoker_id, home_ccf_id),
    )


# -- revocations of other providers' invokers by this CCF's AEFs


def deny_foreign(
    tx: Transaction, api_invoker_id: str, aef_id: str, api_id: str, *, cause: str, now: int
) -> None:
    tx.execute(
        "INSERT OR IGNORE INTO ic_foreign_denials (api_invoker_id, aef_id, api_id, cause, denied_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (api_invoker_id, aef_id, api_id, cause, now),
    )


def foreign_denied(tx: Transaction, api_invoker_id: str, aef_id: str, api_id: str) -> bool:
    found = tx.row(
        "SELECT 1 FROM ic_foreign_denials WHERE api_invoker_id = ? AND aef_id = ? AND api_id = ?",
        (api_invoker_id, aef_id, api_id),
    )
    return found is not None


def homes_fetched_from(tx: Transaction, api_invoker_id: str, aef_id: str) -> list[str]:
    """The home CCF the local AEF got the invoker's security information from (none: never)."""
    rows = tx.rows(
        "SELECT home_ccf_id FROM ic_foreign_fetches WHERE api_invoker_id = ? AND aef_id = ?",
        (api_invoker_id, aef_id),
    )
    return [str(row["home_ccf_id"]) for row in rows]


def deny_at_peer(
    tx: Transaction, api_invoker_id: str, aef_id: str, api_id: str, *, peer_ccf_id: str, cause: str, now: int
) -> None:
    tx.execute(
        "INSERT OR IGNORE INTO ic_peer_denials"
        " (api_invoker_id, aef_id, api_id, peer_ccf_id, cause, denied_at) VALUES (?, ?, ?, ?, ?, ?)",
        (api_invoker_id, aef_id, api_id, peer_ccf_id, cause, now),
    )


def denied_at_peer(tx: Transaction, api_invoker_id: str, aef_id: str, api_id: str) -> bool:
    found = tx.row(
        "SELECT 1 FROM ic_peer_denials WHERE api_invoker_id = ? AND aef_id = ? AND api_id = ?",
        (api_invoker_id, aef_id, api_id),
    )
    return found is not None


# -- this CCF's publications at peers


def record_published(tx: Transaction, peer_ccf_id: str, api_id: str, *, now: int) -> None:
    tx.execute(
        "INSERT INTO ic_published_to (peer_ccf_id, api_id, published_at) VALUES (?, ?, ?)"
        " ON CONFLICT (peer_ccf_id, api_id) DO UPDATE SET published_at = excluded.published_at",
        (peer_ccf_id, api_id, now),
    )


def forget_published(tx: Transaction, peer_ccf_id: str, api_id: str) -> None:
    tx.execute("DELETE FROM ic_published_to WHERE peer_ccf_id = ? AND api_id = ?", (peer_ccf_id, api_id))


def published_to(tx: Transaction, peer_ccf_id: str) -> list[str]:
    rows = tx.rows("SELECT api_id FROM ic_published_to WHERE peer_ccf_id = ? ORDER BY api_id", (peer_ccf_id,))
    return [str(row["api_id"]) for row in rows]


# -- tokens signed on a peer's relay


def record_relayed_token(
    tx: Transaction,
    *,
    peer_ccf_id: str,
    api_invoker_id: str,
    scope: str,
    access_token: str,
    issued_at: int,
    expires_at: int,
) -> None:
    tx.execute(
        "INSERT INTO ic_issued_tokens"
        " (peer_ccf_id, api_invoker_id, scope, token_sha256, issued_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            peer_ccf_id,
            api_invoker_id,
            scope,
            hashlib.sha256(access_token.encode()).digest(),
            issued_at,
            expires_at,
        ),
    )
