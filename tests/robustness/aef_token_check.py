"""The AEF's own OAUTH decision, wired as :class:`~impl.aef.AefService` wires it, for token vectors
whose keys the AEF must be configured with (a running AEF trusts only its own CCF's key).

:func:`aef_verdict` runs a token through :meth:`impl.aef.access.AccessCheck.authorize` (the decision an
OAUTH request gets, answered 401/403) and through the same :class:`~impl.tokens.TokenVerifier`
(:func:`impl.aef.service.token_verifier`) to learn why it was refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from impl import pki
from impl.aef.access import AccessCheck
from impl.aef.interfaces import AefInterface, InterfaceSpec
from impl.aef.revocations import RevocationList
from impl.aef.security_info import InvokerSecurity, SecurityInfoCache
from impl.aef.service import AefConfig, CcfLocation, token_verifier
from impl.apitypes.enums import SecurityMethod
from impl.http import Headers, ProblemDetails, Request
from impl.settings import Settings
from impl.tls import TlsPeer, TlsVersion
from impl.tokens import InvalidToken, TokenRefusal, TrustedKeySet

AEF_ID = "AEF0123456789abcdef0123456789ab"
CCF_ID = "ccf-home"
API_NAME = "hello"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class _NoCcf:
    """An OAUTH decision never asks the CCF."""

    def security_information(
        self, api_invoker_id: str, home_ccf_id: str | None = None
    ) -> InvokerSecurity | None:
        raise AssertionError("an OAUTH request made the AEF ask its CCF")


@dataclass(frozen=True)
class Verdict:
    """What the AEF answered (200, or the refusal's status) and, when refused, the verifier's reason."""

    status: int
    reason: TokenRefusal | None


class AefTokenCheck:
    """An AEF (``AEF_ID``, CCF ``CCF_ID``) trusting ``keys`` for tokens, with ``settings``."""

    def __init__(self, keys: TrustedKeySet, settings: Settings | None = None, *, now: datetime = NOW) -> None:
        authority = pki.CertificateAuthority.create("token-check CA", now=now - timedelta(days=1))
        credential = authority.issue_certified_key(pki.CertificateProfile("aef", client_auth=True), now=now)
        config = AefConfig(
            aef_id=AEF_ID,
            ccf_id=CCF_ID,
            ccf=CcfLocation("127.0.0.1", 9, "127.0.0.1"),
            ca_certificate=authority.certificate,
            capif3_credential=credential,
            server_credential=credential,
            trusted_token_keys=keys,
            interfaces=(InterfaceSpec("oauth", (SecurityMethod.OAUTH,), "/oauth"),),
            settings=settings or Settings(),
            clock=lambda: now,
        )
        self.verifier = token_verifier(config)
        self._now = int(now.timestamp())
        self._access = AccessCheck(
            aef_id=AEF_ID,
            settings=config.settings,
            cache=SecurityInfoCache(_NoCcf()),
            revocations=RevocationList(),
            verifier=self.verifier,
            clock=config.clock,
        )
        self._interface = AefInterface(config.interfaces[0], "127.0.0.1")
        self._interface.listening_on(9003)

    def verdict(self, token: str) -> Verdict:
        request = Request(
            method="GET",
            target=f"/oauth/{API_NAME}/v1/greeting",
            path=f"/oauth/{API_NAME}/v1/greeting",
            path_params={},
            query={},
            headers=Headers([("Host", "127.0.0.1:9003"), ("Authorization", f"Bearer {token}")]),
            body=b"",
            peer=TlsPeer(TlsVersion.TLS1_3, "TLS_AES_128_GCM_SHA256"),
        )
        try:
            self._access.authorize(request, self._interface, API_NAME)
        except ProblemDetails as refusal:
            return Verdict(refusal.status, self.reason(token))
        return Verdict(200, None)

    def reason(self, token: str) -> TokenRefusal | None:
        """Why the AEF's verifier refuses ``token`` (None: it accepts it)."""
        try:
            self.verifier.verify(token, api_name=API_NAME, now=self._now)
        except InvalidToken as refused:
            return refused.reason
        return None
