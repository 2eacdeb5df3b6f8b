"""One-time onboarding and registration secrets, stored hashed (TS 33.122 clause 6.1: the
onboarding credential is provisioned out of band; this is the operator's part of it)."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from impl.store.database import Transaction


class SecretPurpose(StrEnum):
    """What a one-time secret may be spent on."""

    INVOKER_ONBOARDING = "invoker-onboarding"
    PROVIDER_REGISTRATION = "provider-registration"


def secret_digest(secret: str) -> bytes:
    """SHA-256 of the secret's UTF-8; enough for 256-bit random secrets (no password stretching needed)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def insert_secret(
    tx: Transaction, secret: str, *, ccf_id: str, purpose: SecretPurpose, created_at: int, expires_at: int
) -> None:
    tx.execute(
        "INSERT INTO onboarding_secrets (secret_hash, ccf_id, purpose, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (secret_digest(secret), ccf_id, str(purpose), created_at, expires_at),
    )


def consume_secret(
    tx: Transaction, secret: str, *, ccf_id: str, purpose: SecretPurpose, consumer: str, now: int
) -> bool:
    """Spend an unspent, unexpired secret of this CCF and purpose; False when there is none."""
    changed = tx.execute(
        "UPDATE onboarding_secrets SET consumed_at = ?, consumed_by = ?"
        " WHERE secret_hash = ? AND ccf_id = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?",
        (now, consumer, secret_digest(secret), ccf_id, str(purpose), now),
    )
    return changed == 1
