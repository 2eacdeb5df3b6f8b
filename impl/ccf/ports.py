"""The CCF core's ports: what it needs from the CA, the token signer and the AEFPSK derivation.

The core depends on these narrow protocols only, so it runs over any implementation of them; the
implementations of this project (``impl.pki``, ``impl.tokens.TokenIssuer``, :mod:`impl.ccf.psk_deriver`)
satisfy them directly or through a one-class adapter in the wiring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from impl.aefpsk import ServiceApiInterface
from impl.ccf.identity import Role
from impl.store import Transaction
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
        self,
        invoker_id: str,
        scope: Sequence[ScopeEntry],
        *,
        lifetime: int,
        now: int,
        res_owner_id: str | None = None,
    ) -> IssuedToken: ...


class ResourceOwnerAuthorizations(Protocol):
    """What the AzF's CAPIF-8 records say (contribution 003): whether a resource owner authorized the
    invoker for the API at the AEF; ``impl.capif8.azf.RecordedAuthorizations`` fits."""

    def authorized(
        self, tx: Transaction, res_owner_id: str, api_invoker_id: str, aef_id: str, api_name: str
    ) -> bool: ...


class TlsVersionName(Protocol):
    """A TLS version as the TLS layer names it: ``value`` is ``"TLSv1.2"`` or ``"TLSv1.3"``."""

    @property
    def value(self) -> str: ...


class Capif1eKeying(Protocol):
    """What the CCF needs of the CAPIF-1e TLS session a request arrived on (TS 33.122 Annex A.1);
    ``impl.tls`` hands it over per connection.

    TLS 1.2: the master secret and the session ID of the full handshake; any version: the
    RFC 5705 / RFC 8446 exporter of the session.
    """

    @property
    def tls_version(self) -> TlsVersionName: ...

    @property
    def master_secret(self) -> bytes | None: ...

    @property
    def session_id(self) -> bytes | None: ...

    def export_keying_material(self, label: bytes, length: int, context: bytes | None = None) -> bytes: ...


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
