"""Certificates issued by the CCF's CA, with revocation (TS 33.122 clauses 5.1 and 6.4)."""

from __future__ import annotations

from dataclasses import dataclass

from impl.store.database import Transaction


@dataclass(frozen=True)
class CertificateRecord:
    serial: str
    ccf_id: str
    role: str
    subject_id: str
    pem: str
    issued_at: int
    not_after: int
    revoked_at: int | None


def insert_certificate(tx: Transaction, record: CertificateRecord) -> None:
    tx.execute(
        "INSERT INTO certificates (serial, ccf_id, role, subject_id, pem, issued_at, not_after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            record.serial,
            record.ccf_id,
            record.role,
            record.subject_id,
            record.pem,
            record.issued_at,
            record.not_after,
        ),
    )


def certificate(tx: Transaction, serial: str) -> CertificateRecord | None:
    row = tx.row(
        "SELECT serial, ccf_id, role, subject_id, pem, issued_at, not_after, revoked_at"
        " FROM certificates WHERE serial = ?",
        (serial,),
    )
    return None if row is None else CertificateRecord(*row)


def revoke_certificate(tx: Transaction, serial: str, *, now: int, reason: str) -> None:
    tx.execute(
        "UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS"
        " NULL",
        (now, reason, serial),
    )
