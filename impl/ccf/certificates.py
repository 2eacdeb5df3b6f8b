"""Issuing and recording the client certificates of invokers and provider functions."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

from impl.apitypes.problems import Cause, invalid_body
from impl.ccf.core import CoreParts
from impl.ccf.identity import Role
from impl.ccf.ports import CsrRejectedError
from impl.store.certificates import CertificateRecord, insert_certificate
from impl.store.database import Transaction, epoch


def serial_text(certificate: x509.Certificate) -> str:
    """How the store names a certificate: its serial number in lower-case hex."""
    return format(certificate.serial_number, "x")


def issue_certificate(
    parts: CoreParts,
    tx: Transaction,
    csr_pem: str,
    *,
    role: Role,
    subject_id: str,
    now: datetime,
    pointer: str,
) -> CertificateRecord:
    """Have the CA certify ``csr_pem`` for ``subject_id`` and record the certificate.

    A refused CSR is a 400 naming ``pointer`` (the ``apiInvokerPublicKey``/``apiProvPubKey`` field).
    """
    try:
        pem = parts.authority.issue_for_csr(csr_pem, subject_id=subject_id, role=role, now=now)
    except CsrRejectedError as error:
        reason = f"is not an acceptable certificate signing request ({error})"
        raise invalid_body(Cause.MANDATORY_IE_INCORRECT, pointer, reason) from None
    certificate = x509.load_pem_x509_certificate(pem.encode())
    record = CertificateRecord(
        serial=serial_text(certificate),
        ccf_id=parts.config.ccf_id,
        role=str(role),
        subject_id=subject_id,
        pem=pem,
        issued_at=epoch(now),
        not_after=epoch(certificate.not_valid_after_utc),
        revoked_at=None,
    )
    insert_certificate(tx, record)
    return record
