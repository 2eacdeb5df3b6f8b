"""The AEF's decision on each CAPIF-2e connection and request (TS 33.122 clause 6.5.2, contribution 004).

Which method a request uses follows from how it arrived: a TLS-PSK session is PSK (clause 6.5.2.1), an
``Authorization: Bearer`` token is OAUTH (clause 6.5.2.3), otherwise a client certificate is PKI
(clause 6.5.2.2). Then, in order:

1. method check, per the ``aef-method-check`` setting: ``current-configuration`` accepts only the
   methods the interface is configured for now, anything else is a mismatch (contribution 004);
   ``cached-security-info`` accepts any method for which the AEF still holds security information;
2. the credential: PSK and PKI against the invoker's security information from the CCF (AEFPSK for
   this interface; the very certificate the CCF issued), OAUTH with the token verifier (signature by a
   trusted CCF key, ``exp`` with at most 30 s skew, this aefId and the API in ``scope`` per the
   ``aef-scope-check`` setting) and the revocation list;
3. authorization: the API must be in the invoker's ``authorizationInfo`` (PSK, PKI) or token scope.

Check-authentication (TS 29.222 AEF_Security_API, the "Authentication Initiation Request" of clause
6.5.2.1) always asks the CCF again, so that a re-negotiated AEFPSK or a method update is seen; it is
where an invoker whose PSK handshake failed learns that its method no longer matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from impl.aef import refusals
from impl.aef.identity import certified_as
from impl.aef.interfaces import AefInterface
from impl.aef.revocations import RevocationList
from impl.aef.security_info import (
    CcfUnavailableError,
    InvokerSecurity,
    KnownEntry,
    SecurityInfoCache,
    issued_by,
)
from impl.apitypes.enums import SecurityMethod
from impl.clock import Clock, epoch_seconds
from impl.http import ProblemDetails, Request
from impl.settings import AefMethodCheck, OauthSecurityInformation, PkiRootBinding, Settings
from impl.tls import PskLookup
from impl.tokens import InvalidToken, TokenVerifier

CERTIFICATE_RECHECK_INTERVAL = 1.0
"""Seconds: how often at most the AEF asks its CCF again about an invoker whose client certificate is
not the one it cached."""


@dataclass(frozen=True)
class Invocation:
    """An accepted request: the invoker (None for a token whose claim set names none) and the method."""

    api_invoker_id: str | None
    method: SecurityMethod


def ccf_unavailable() -> ProblemDetails:
    """The AEF could not ask its CCF (a transient failure on CAPIF-3, never the invoker's fault)."""
    return ProblemDetails(503, detail="the CAPIF core function cannot be reached; retry later")


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 clause 2.1), None without the header."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise refusals.not_authenticated(bearer=True)
    return token.strip()


def _rejected(interface: AefInterface) -> ProblemDetails:
    """The answer to a credential the AEF does not accept (a bearer challenge where OAUTH is offered)."""
    return refusals.not_authenticated(bearer=SecurityMethod.OAUTH in interface.methods)


class AccessCheck:
    """One AEF's checks, shared by all its interfaces."""

    def __init__(
        self,
        *,
        aef_id: str,
        settings: Settings,
        cache: SecurityInfoCache,
        revocations: RevocationList,
        verifier: TokenVerifier,
        clock: Clock,
    ) -> None:
        self._aef_id = aef_id
        self._settings = settings
        self._cache = cache
        self._revocations = revocations
        self._verifier = verifier
        self._clock = clock

    def _method_accepted(self, method: SecurityMethod, interface: AefInterface) -> bool:
        if self._settings.aef_method_check is AefMethodCheck.UNSAFE_CACHED_SECURITY_INFO:
            return True
        return method in interface.methods

    def _accepts(self, entry: KnownEntry, interface: AefInterface) -> bool:
        """Whether a negotiated entry lets the invoker authenticate here: not withdrawn by a method
        update, and its method accepted on this interface."""
        return not entry.withdrawn and self._method_accepted(entry.method, interface)

    def _mismatch(
        self, used: SecurityMethod, interface: AefInterface, otherwise: ProblemDetails
    ) -> ProblemDetails:
        return refusals.method_mismatch(
            used, interface.methods, self._settings.mismatch_indication, otherwise=otherwise
        )

    def psk_lookup(self, interface: AefInterface) -> PskLookup:
        """The TLS-PSK callback of ``interface``: the cached AEFPSK of the identity (the API invoker ID)
        for this interface. It never asks the CCF about an identity it holds nothing of:
        check-authentication comes first (clause 6.5.2.1), and an unknown identity costs nothing."""

        def lookup(identity: str) -> bytes | None:
            if not self._method_accepted(SecurityMethod.PSK, interface):
                return None
            try:
                security = self._cache.known(identity)
            except CcfUnavailableError:
                return None
            for entry in () if security is None else security.entries:
                if entry.method is SecurityMethod.PSK and entry.psk and interface.covers(entry, self._aef_id):
                    return entry.psk
            return None

        return lookup

    def check_authentication(
        self, api_invoker_id: str, interface: AefInterface, *, home_ccf_id: str | None = None
    ) -> None:
        """Accept, or raise: mismatch (the invoker's negotiated method is not accepted here any more,
        or the CCF shows it withdrawn, whether or not this AEF held it before) or not authorized (the
        CCF has no security information of the invoker for this interface). ``home_ccf_id``: the CCF
        the invoker named as its own (contribution 001 6.X.3.1), passed on to the AEF's CCF."""
        try:
            previous, current = self._cache.refresh(api_invoker_id, home_ccf_id)
        except CcfUnavailableError:
            raise ccf_unavailable() from None
        generic = refusals.not_authorized("this interface; negotiate with the CAPIF core function")
        entries = self._covering(current, interface)
        if entries:
            if any(self._accepts(entry, interface) for entry in entries):
                return
            raise self._mismatch(entries[0].method, interface, generic)
        outdated = [
            entry
            for entry in self._covering(previous, interface)
            if not self._method_accepted(entry.method, interface)
        ]
        if outdated:
            raise self._mismatch(outdated[0].method, interface, generic)
        raise generic

    def _covering(self, security: InvokerSecurity | None, interface: AefInterface) -> list[KnownEntry]:
        if security is None:
            return []
        return [entry for entry in security.entries if interface.covers(entry, self._aef_id)]

    def authorize(self, request: Request, interface: AefInterface, api_name: str) -> Invocation:
        """Accept the request for ``api_name`` on ``interface``, or raise the refusal."""
        peer = request.peer
        token = bearer_token(request)
        if peer.psk_identity is not None:
            method, api_invoker_id = SecurityMethod.PSK, peer.psk_identity
        elif token is not None:
            method, api_invoker_id = SecurityMethod.OAUTH, None
        elif peer.certificate is not None:
            method, api_invoker_id = SecurityMethod.PKI, certified_as(peer.certificate, "invoker")
        else:
            raise refusals.missing_credential(bearer=SecurityMethod.OAUTH in interface.methods)
        if not self._method_accepted(method, interface):
            raise self._mismatch(method, interface, _rejected(interface))
        if token is not None and method is SecurityMethod.OAUTH:
            return self._by_token(token, api_name)
        if api_invoker_id is None:
            raise _rejected(interface)
        entries = self._known_entries(api_invoker_id, interface)
        matching = [entry for entry in entries if self._authenticates(entry, method)]
        if not matching:
            raise self._mismatch(method, interface, _rejected(interface)) if entries else _rejected(interface)
        if method is SecurityMethod.PKI and not any(
            self._certifies(entry, peer.certificate) for entry in matching
        ):
            matching = self._after_certificate_change(api_invoker_id, interface, method)
            if not any(self._certifies(entry, peer.certificate) for entry in matching):
                raise _rejected(interface)
        if not any(entry.grants(self._aef_id, api_name) for entry in matching):
            raise refusals.not_authorized(f"API {api_name}")
        return Invocation(api_invoker_id, method)

    def _authenticates(self, entry: KnownEntry, method: SecurityMethod) -> bool:
        """Whether a negotiated entry lets the invoker in with ``method``: its own method; under
        ``oauth-security-information=root-ca`` (unsafe) also PKI for an OAUTH entry that came with the
        invoker's root CA, a TLS-PKI session nobody selected."""
        if entry.method is method:
            return True
        unsafe = self._settings.oauth_security_information is OauthSecurityInformation.UNSAFE_ROOT_CA
        return unsafe and method is SecurityMethod.PKI and entry.root is not None

    def _certifies(self, entry: KnownEntry, presented: x509.Certificate | None) -> bool:
        """Whether the presented certificate is the one the entry gives, or, for an invoker of another
        provider, was issued by the root CA the entry gives (``pki-root-binding=bound-to-invoker``:
        that root only; ``global-trust-anchor``: any root a CCF ever gave). The certificate names the
        invoker the entry is for: the caller took the invoker from it."""
        if presented is None or entry.certificate is None:
            return False
        if entry.root is None:
            return entry.certificate == presented
        if issued_by(presented, entry.root):
            return True
        if self._settings.pki_root_binding is PkiRootBinding.UNSAFE_GLOBAL_TRUST_ANCHOR:
            return any(issued_by(presented, anchor) for anchor in self._cache.anchors())
        return False

    def _after_certificate_change(
        self, api_invoker_id: str, interface: AefInterface, method: SecurityMethod
    ) -> list[KnownEntry]:
        """The invoker's entries asked again of the CCF, when the certificate it presents is not the
        one cached (it may have a new one, TS 29.222 ``PUT onboardedInvokers``): at most once per
        ``CERTIFICATE_RECHECK_INTERVAL`` per invoker, so an old certificate cannot make the AEF ask
        its CCF on every request."""
        age = self._cache.age(api_invoker_id)
        if age is not None and age < CERTIFICATE_RECHECK_INTERVAL:
            return []
        try:
            _, current = self._cache.refresh(api_invoker_id)
        except CcfUnavailableError:
            raise ccf_unavailable() from None
        return [entry for entry in self._covering(current, interface) if self._authenticates(entry, method)]

    def _known_entries(self, api_invoker_id: str, interface: AefInterface) -> list[KnownEntry]:
        try:
            security = self._cache.get(api_invoker_id)
        except CcfUnavailableError:
            raise ccf_unavailable() from None
        return self._covering(security, interface)

    def _by_token(self, token: str, api_name: str) -> Invocation:
        try:
            verified = self._verifier.verify(token, api_name=api_name, now=epoch_seconds(self._clock()))
        except InvalidToken:
            raise refusals.not_authenticated(bearer=True) from None
        if verified.subject is not None and self._revocations.refuses_token(
            verified.subject, api_name, verified.issued_at
        ):
            raise refusals.not_authenticated(bearer=True)
        return Invocation(verified.subject, SecurityMethod.OAUTH)
