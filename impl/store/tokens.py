"""Records of issued access tokens (TS 29.222 ``securities/{securityId}/token``).

Only a SHA-256 of each token is kept, never the token: the record says what was issued to whom
and until when, and lets offboarding and revocation account for outstanding bearer tokens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from impl.store.database import Transaction


@dataclass(frozen=True)
class TokenRecord:
    token_id: int
    api_invoker_id: str
    scope: str
    aef_ids: tuple[str, ...]
    issued_at: int
    expires_at: int
    revoked_at: int | None


def insert_token(
    tx: Transaction,
    *,
    ccf_id: str,
    api_invoker_id: str,
    access_token: str,
    scope: str,
    aef_ids: Sequence[str],
    issued_at: int,
    expires_at: int,
) -> int:
    return tx.insert(
        "INSERT INTO issued_tokens"
        " (ccf_id, api_invoker_id, scope, aef_ids_json, token_sha256, issued_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            ccf_id,
            api_invoker_id,
            scope,
            json.dumps(list(aef_ids)),
            hashlib.sha256(access_token.encode()).digest(),
            issued_at,
            expires_at,
        ),
    )


def tokens_of(tx: Transaction, api_invoker_id: str) -> list[TokenRecord]:
    rows = tx.rows(
        "SELECT token_id, api_invoker_id, scope, aef_ids_json, issued_at, expires_at, revoked_at"
        " FROM issued_tokens WHERE api_invoker_id = ? ORDER BY token_id",
        (api_invoker_id,),
    )
    return [
        TokenRecord(
            token_id=row["token_id"],
            api_invoker_id=row["api_invoker_id"],
            scope=row["scope"],
            aef_ids=tuple(json.loads(row["aef_ids_json"])),
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
        )
        for row in rows
    ]


def revoke_tokens_at(tx: Transaction, api_invoker_id: str, aef_id: str, *, now: int) -> None:
    """Mark the invoker's tokens whose scope names ``aef_id`` revoked (bearer tokens still work until
    ``exp`` at an AEF that does not ask the CCF)."""
    for record in tokens_of(tx, api_invoker_id):
        if aef_id in record.aef_ids and record.revoked_at is None:
            tx.execute("UPDATE issued_tokens SET revoked_at = ? WHERE token_id = ?", (now, record.token_id))


def delete_tokens_of(tx: Transaction, api_invoker_id: str) -> None:
    tx.execute("DELETE FROM issued_tokens WHERE api_invoker_id = ?", (api_invoker_id,))
