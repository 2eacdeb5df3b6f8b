"""The access control policy's data (TS 23.222 clause 8.16; TS 29.222 CAPIF_Access_Control_Policy_API).

The model is deliberately small: a published API is open to every onboarded invoker of its CCF
unless the operator gave it an audience list; a revocation (TS 29.222 ``trustedInvokers/{id}/delete``
or ``DELETE``) denies one (invoker, AEF, API) for good.
"""

from __future__ import annotations

from collections.abc import Sequence

from impl.store.database import Transaction


def set_audience(tx: Transaction, api_id: str, invoker_ids: Sequence[str] | None) -> None:
    """Restrict ``api_id`` to ``invoker_ids``, or open it to every onboarded invoker (None)."""
    tx.execute("DELETE FROM api_audience WHERE api_id = ?", (api_id,))
    tx.execute("DELETE FROM restricted_apis WHERE api_id = ?", (api_id,))
    if invoker_ids is None:
        return
    tx.execute("INSERT INTO restricted_apis (api_id) VALUES (?)", (api_id,))
    for invoker_id in invoker_ids:
        tx.execute("INSERT INTO api_audience (api_id, api_invoker_id) VALUES (?, ?)", (api_id, invoker_id))


def in_audience(tx: Transaction, api_id: str, invoker_id: str) -> bool:
    if tx.row("SELECT 1 FROM restricted_apis WHERE api_id = ?", (api_id,)) is None:
        return True
    found = tx.row("SELECT 1 FROM api_audience WHERE api_id = ? AND api_invoker_id = ?", (api_id, invoker_id))
    return found is not None


def deny(tx: Transaction, invoker_id: str, aef_id: str, api_id: str, *, cause: str, now: int) -> None:
    tx.execute(
        "INSERT OR IGNORE INTO api_denials (api_invoker_id, aef_id, api_id, cause, denied_at) VALUES (?,"
        " ?, ?, ?, ?)",
        (invoker_id, aef_id, api_id, cause, now),
    )


def is_denied(tx: Transaction, invoker_id: str, aef_id: str, api_id: str) -> bool:
    found = tx.row(
        "SELECT 1 FROM api_denials WHERE api_invoker_id = ? AND aef_id = ? AND api_id = ?",
        (invoker_id, aef_id, api_id),
    )
    return found is not None
