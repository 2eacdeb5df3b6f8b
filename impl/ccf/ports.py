"""The CCF core's ports: what it needs from the CA, the token signer and the AEFPSK derivation.

The core depends on these narrow protocols only, so it runs over any implementation of them; the
implementations of this project (``impl.pki``, ``impl.tokens.TokenIssuer``, :mod:`impl.ccf.aefpsk`)
satisfy them directly or through a one-class adapter in the wiring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from impl.aefpsk import KeyingMaterialExporter, ServiceApiInterface
from impl.ccf.identity import Role
from impl.tokens import IssuedToken, ScopeEntry


class CsrRejectedError(ValueError):
    """The CA refuses a certificate signing request (bad PEM, bad signature, unsupported key)."""


class CertificateAuthority(Protocol):
    """Issues client certificates from CSRs (TS 33.122 clause 6.1: the CCF provides the invoker's
    certificate at onboarding; TS 29.222 provider registration does the same for AEF/APF/AMF)."""

    def issue_for_csr(self, csr_pem: str, *, subject_id: str, role: Role, now: datetime) -> str:
        """A PEM client certificate naming ``subject_id`` for the public key in ``csr_pem``.

        Raises :class:`CsrRejectedError` on a CSR it will not certify.
        """
        ...


class AccessTokenSigner(Protocol):
    """Signs access tokens (TS 33.122 clause 6.5.2.2, Annex C); ``impl.tokens.TokenIssuer`` fits.

    The wiring builds it with the claim set of the ``token-claims`` setting.
    """

    def issue(
        self, invoker_id: str, scope: Sequence[ScopeEntry], *, lifetime: int, now: int
    ) -> IssuedToken: ...


@dataclass(frozen=True)
class Capif1eKeying:
    """What the CCF needs of the CAPIF-1e TLS session a request arrived on (TS 33.122 Annex A.1).

    TLS 1.2: the master secret and the session ID of the full handshake; any version: an RFC 5705 /
    RFC 8446 exporter. The HTTP layer fills what its TLS stack exposes.
    """

    tls_version: str
    master_secret: bytes | None = None
    session_id: bytes | None = None
    exporter: KeyingMaterialExporter | None = None


class KeyingUnavailableError(ValueError):
    """The CAPIF-1e session does not give what the configured AEFPSK derivation needs."""


class AefpskDeriver(Protocol):
    """Derives AEFPSK for one AEF interface from the CAPIF-1e session keying (TS 33.122 Annex A.1)."""

    @property
    def derivation(self) -> str:
        """The name of the mapping used (a value of the ``aefpsk-derivation`` setting)."""
        ...

    def derive(self, keying: Capif1eKeying, interface: ServiceApiInterface) -> bytes:
        """Raises :class:`KeyingUnavailableError` when ``keying`` lacks what the mapping needs."""
        ...
