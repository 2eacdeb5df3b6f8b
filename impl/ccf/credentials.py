"""From a verified TLS client certificate to the caller it authenticates (TS 33.122 clause 5)."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from impl.ccf.certificates import serial_text
from impl.ccf.core import CoreParts
from impl.ccf.identity import Caller, Role
from impl.store.certificates import certificate as stored_certificate
from impl.store.database import epoch
from impl.store.invokers import invoker
from impl.store.providers import function


class Credentials:
    """Maps client certificates the CCF issued to callers, honouring revocation and offboarding."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def caller_for_certificate(self, certificate: x509.Certificate, *, now: datetime) -> Caller | None:
        """The caller ``certificate`` authenticates, or None: unknown to this CCF, revoked, outside its
        validity, or its subject offboarded/deregistered.

        The HTTP layer calls this after TLS verified the chain to the CCF's CA; the certificate must
        also be byte-identical to the one recorded at issuance.
        """
        moment = epoch(now)
        with self._parts.database.transaction() as tx:
            record = stored_certificate(tx, serial_text(certificate))
            if record is None or record.ccf_id != self._parts.config.ccf_id or record.revoked_at is not None:
                return None
            issued = x509.load_pem_x509_certificate(record.pem.encode())
            if issued.public_bytes(Encoding.DER) != certificate.public_bytes(Encoding.DER):
                return None
            if not epoch(issued.not_valid_before_utc) <= moment < record.not_after:
                return None
            role = Role(record.role)
            if role is Role.INVOKER:
                found = invoker(tx, record.subject_id)
                active = found is not None and found.onboarded and found.certificate_serial == record.serial
            else:
                provider_function = function(tx, record.subject_id)
                active = (
                    provider_function is not None and provider_function.certificate_serial == record.serial
                )
            return Caller(role, record.subject_id) if active else None
