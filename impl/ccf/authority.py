"""The CCF's certificate authority (:mod:`impl.pki`) behind the :class:`~impl.ccf.ports.CertificateAuthority`
port: client certificates for invokers and provider functions (TS 33.122 clause 6.1; TS 33.310 clause
6.1.3a profile: ECDSA, ``clientAuth``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from impl import pki
from impl.ccf.identity import Role
from impl.ccf.ports import CsrRejectedError

CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
"""How far before its issuance a certificate's validity starts (:attr:`impl.pki.CertificateProfile.backdate`):
the invoker presents it at once, to this CCF and to AEFs whose clocks may trail the CCF's. The CCF's
own check of a certificate (:mod:`impl.ccf.credentials`) still needs its record, written at issuance."""


class PkiCertificateAuthority:
    """Issues a ``clientAuth`` certificate naming the CCF-assigned id: as common name, and with the
    role as ``subjectAltName`` URI ``urn:capifsec:<role>:<id>``, valid from :data:`CLOCK_SKEW_ALLOWANCE`
    before issuance. The CSR's own names are ignored (the CCF decides the identity)."""

    def __init__(
        self, authority: pki.CertificateAuthority, *, validity: timedelta = timedelta(days=365)
    ) -> None:
        self._authority = authority
        self._validity = validity

    def issue_for_csr(self, csr_pem: str, *, subject_id: str, role: Role, now: datetime) -> str:
        profile = pki.CertificateProfile(
            common_name=subject_id,
            uris=(f"urn:capifsec:{role.value.lower()}:{subject_id}",),
            client_auth=True,
            validity=self._validity,
            backdate=CLOCK_SKEW_ALLOWANCE,
        )
        try:
            certificate = self._authority.issue_certificate_for_csr(csr_pem, profile, now=now)
        except pki.PkiError as error:  # a bad CSR, or a CA that cannot certify it now
            raise CsrRejectedError(str(error)) from error
        return pki.certificate_pem(certificate)
