"""The API invokers' security information as the AEF learns it from its CCF over CAPIF-3.

``GET /capif-security/v1/trustedInvokers/{apiInvokerId}?authenticationInfo=true&authorizationInfo=true``
(TS 29.222 clause 8.5.2.2.3.2; TS 33.122 clauses 6.5.2.1 and 6.5.2.2): the methods negotiated for this
AEF, AEFPSK per interface (PSK), the invoker's certificate (PKI) and the APIs it may invoke
(``authorizationInfo``, TS 33.122 Annex C scope syntax), and the selections a method update withdrew
(method only, contribution 004). The cache keeps one answer per invoker, for a bounded lifetime; each
entry is parsed once (PSK octets, certificate, scope). ``revoke-authorization`` drops an invoker's
entry, and a fetch that was in flight when it happened is not stored (a generation per invoker).
"""

from __future__ import annotations

import math
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from impl.aef.identity import certified_as
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.problems import ProblemError
from impl.apitypes.security import SecurityInformation, SecurityNotification, ServiceSecurity
from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.pki import PkiError, load_certificate_pem
from impl.settings import SecurityInfoCaching
from impl.tls import ClientTls, TlsError
from impl.tokens import ScopeEntry, ScopeSyntax, ScopeSyntaxError, parse_scope
from impl.tokens.scope import scope_grants

TRUSTED_INVOKERS = "/capif-security/v1/trustedInvokers/"
InterfaceKey = tuple[str, int | None, str]
"""An interface's (host, port, apiPrefix): :meth:`InterfaceDescription.address_key`."""
_WITH_EVERYTHING = {"authenticationInfo": "true", "authorizationInfo": "true"}
HOME_CCF_QUERY = "ccf-id"
DEFAULT_LIFETIME = 60.0
"""Seconds an answer about an invoker is kept under ``security-info-caching=lifetime``."""


def kept_for(caching: SecurityInfoCaching, lifetime: float = DEFAULT_LIFETIME) -> float:
    """How many seconds an answer about an invoker is used before it is asked again, as
    ``security-info-caching`` says (contribution 001 6.X.3.1 "if the AEF does not have a security
    information"): ``until-revoked`` for ever (a revocation drops it, a check-authentication asks
    again), ``per-authentication`` not at all, ``lifetime`` ``lifetime`` seconds (so that what was
    missed, a notification lost on the way, say, stops counting after a bounded time)."""
    if caching is SecurityInfoCaching.UNTIL_REVOKED:
        return math.inf
    if caching is SecurityInfoCaching.PER_AUTHENTICATION:
        return 0.0
    return lifetime


class CcfUnavailableError(Exception):
    """The CCF could not be asked, or its answer was not what TS 29.222 defines."""


@dataclass(frozen=True)
class KnownEntry:
    """One negotiated entry, parsed once: AEFPSK, certificate, granted scope, the interface it names
    (None when it names the whole AEF by ``aefId``)."""

    information: SecurityInformation
    method: SecurityMethod
    psk: bytes | None
    certificate: x509.Certificate | None
    granted: tuple[ScopeEntry, ...]
    interface_key: InterfaceKey | None

    @property
    def withdrawn(self) -> bool:
        """A selection a method update withdrew: the CCF shows its method only, with no
        ``authorizationInfo`` although the AEF asks for it, so that the AEF can tell an invoker
        still using that method of the mismatch (contribution 004). It grants nothing."""
        return self.information.authorization_info is None

    def grants(self, aef_id: str, api_name: str) -> bool:
        """Whether ``authorizationInfo`` lets the invoker call ``api_name`` on ``aef_id``."""
        return scope_grants(self.granted, aef_id, api_name)

    @property
    def root(self) -> x509.Certificate | None:
        """For an invoker of another provider, the CCF gives the root CA that certified it instead of
        its certificate (contribution 000 7.2.3, "AEFPSK/root CA"): that CA, else None."""
        certificate = self.certificate
        return certificate if certificate is not None and is_ca(certificate) else None


def is_ca(certificate: x509.Certificate) -> bool:
    """Whether the certificate is a CA's (``basicConstraints`` with ``cA``)."""
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    """Whether ``ca`` issued ``certificate`` (name and signature; validity is TLS's job)."""
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class InvokerSecurity:
    """What the CCF said about one invoker for this AEF."""

    entries: tuple[KnownEntry, ...]


def _known(information: SecurityInformation) -> KnownEntry:
    method = information.sel_security_method
    if method is None:
        raise CcfUnavailableError("an entry of the CCF's answer has no selSecurityMethod")
    text = information.authentication_info
    try:
        psk = bytes.fromhex(text) if method is SecurityMethod.PSK and text else None
        with_certificate = method in (SecurityMethod.PKI, SecurityMethod.OAUTH)  # OAUTH: a root CA, unsafe
        certificate = load_certificate_pem(text) if with_certificate and text else None
        granted = (
            parse_scope(information.authorization_info, ScopeSyntax.TS33122)
            if information.authorization_info
            else ()
        )
    except (ValueError, PkiError, ScopeSyntaxError) as error:
        raise CcfUnavailableError(f"the CCF's security information is malformed: {error}") from error
    details = information.interface_details
    interface_key = None if details is None else details.address_key()
    return KnownEntry(information, method, psk, certificate, granted, interface_key)


class CcfSecurityClient:
    """The AEF's CAPIF-3 client: mutual TLS with the certificate the CCF issued at registration."""

    def __init__(
        self, tls: ClientTls, host: str, port: int, *, server_name: str, ccf_id: str, timeout: float = 5.0
    ) -> None:
        self._client = HttpsClient(tls, host, port, server_name=server_name, timeout=timeout)
        self._ccf_id = ccf_id

    def _from_ccf(self, response: ClientResponse) -> ClientResponse:
        """The answer, if the server's certificate names this AEF's CCF (not just any CAPIF CA server)."""
        if certified_as(response.peer.certificate, "ccf") != self._ccf_id:
            raise CcfUnavailableError(f"the server is not CCF {self._ccf_id} (certificate identity)")
        return response

    def security_information(
        self, api_invoker_id: str, home_ccf_id: str | None = None
    ) -> InvokerSecurity | None:
        """The invoker's security information for this AEF; None when the CCF has none (404).
        ``home_ccf_id``: the CCF an invoker of another provider named (query ``ccf-id``, non-standard)."""
        path = TRUSTED_INVOKERS + urllib.parse.quote(api_invoker_id, safe="")
        query = dict(_WITH_EVERYTHING)
        if home_ccf_id is not None and home_ccf_id != self._ccf_id:
            query[HOME_CCF_QUERY] = home_ccf_id
        try:
            response = self._from_ccf(self._client.get(path, query=query))
            if response.status == 404:
                return None
            if response.status != 200:
                raise CcfUnavailableError(f"the CCF answered {response.status}")
            answer = ServiceSecurity.read_answer(response.json())
        except (HttpClientError, TlsError, ProblemError) as error:
            raise CcfUnavailableError(str(error)) from error
        return InvokerSecurity(tuple(_known(information) for information in answer.security_info))

    def revoke(self, notification: SecurityNotification) -> None:
        """``POST .../trustedInvokers/{id}/delete``: the AEF revokes an invoker's authorization
        (TS 29.222 clause 8.5.2.5.3.1, TS 33.122 clause 6.6)."""
        path = TRUSTED_INVOKERS + urllib.parse.quote(notification.api_invoker_id, safe="") + "/delete"
        try:
            response = self._from_ccf(self._client.post_json(path, notification.to_json()))
        except (HttpClientError, TlsError) as error:
            raise CcfUnavailableError(str(error)) from error
        if response.status != 204:
            problem = response.problem()
            raise CcfUnavailableError(f"the CCF refused the revocation: {problem or response.status}")

    def close(self) -> None:
        self._client.close()


class SecurityInformationSource(Protocol):
    """Where the cache asks: the CCF (:class:`CcfSecurityClient`)."""

    def security_information(
        self, api_invoker_id: str, home_ccf_id: str | None = None
    ) -> InvokerSecurity | None: ...


class SecurityInfoCache:
    """Per-invoker security information, filled from the CCF on demand, each answer kept at most
    ``lifetime`` seconds (:func:`kept_for`; 0: asked again every time); ``clock`` is monotonic seconds."""

    def __init__(
        self,
        ccf: SecurityInformationSource,
        *,
        lifetime: float = DEFAULT_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not lifetime >= 0:
            raise ValueError("the lifetime of cached security information must be at least zero")
        self._ccf = ccf
        self._lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[str, tuple[InvokerSecurity, float]] = {}
        self._generation: dict[str, int] = {}
        self._home_ccf: dict[str, str] = {}
        self._anchors: dict[bytes, x509.Certificate] = {}

    def _fresh(self, api_invoker_id: str) -> tuple[InvokerSecurity | None, bool]:
        """(the cached answer if still within its lifetime, whether any answer is cached at all)."""
        with self._lock:
            found = self._known.get(api_invoker_id)
        if found is None:
            return None, False
        security, fetched_at = found
        return (security if self._clock() - fetched_at < self._lifetime else None), True

    def known(self, api_invoker_id: str) -> InvokerSecurity | None:
        """The TLS-PSK callback's view: the cached answer, asked again of the CCF when its lifetime
        is over; None for an invoker the AEF holds nothing of (it never asks the CCF for one, so an
        unknown PSK identity costs nothing: check-authentication comes first)."""
        security, cached = self._fresh(api_invoker_id)
        if security is not None or not cached:
            return security
        return self.refresh(api_invoker_id)[1]

    def get(self, api_invoker_id: str) -> InvokerSecurity | None:
        """The cached answer within its lifetime, or a fresh one from the CCF (None when it has none)."""
        security, _ = self._fresh(api_invoker_id)
        return security if security is not None else self.refresh(api_invoker_id)[1]

    def age(self, api_invoker_id: str) -> float | None:
        """Seconds since the cached answer was fetched; None when nothing is cached."""
        with self._lock:
            found = self._known.get(api_invoker_id)
        return None if found is None else self._clock() - found[1]

    def refresh(
        self, api_invoker_id: str, home_ccf_id: str | None = None
    ) -> tuple[InvokerSecurity | None, InvokerSecurity | None]:
        """Ask the CCF again (check-authentication, with the home CCF the invoker named, remembered
        for later fetches); ``(previously cached, now cached)``."""
        with self._lock:
            generation = self._generation.get(api_invoker_id, 0)
            found = self._known.get(api_invoker_id)
            if home_ccf_id is not None:
                self._home_ccf[api_invoker_id] = home_ccf_id
            named = self._home_ccf.get(api_invoker_id)
        previous = None if found is None else found[0]
        fetched_at = self._clock()
        current = self._ccf.security_information(api_invoker_id, named)
        with self._lock:
            if self._generation.get(api_invoker_id, 0) != generation:
                return previous, None  # dropped while asking: the answer may predate the drop
            if current is None:
                self._known.pop(api_invoker_id, None)
            else:
                self._known[api_invoker_id] = (current, fetched_at)
                for entry in current.entries:
                    if entry.root is not None:
                        self._anchors.setdefault(entry.root.fingerprint(hashes.SHA256()), entry.root)
        return previous, current

    def anchors(self) -> tuple[x509.Certificate, ...]:
        """Every root CA a CCF ever gave for an invoker of another provider (what the AEF trusts under
        ``pki-root-binding=global-trust-anchor``); never forgotten, as a trust anchor is not."""
        with self._lock:
            return tuple(self._anchors.values())

    def drop(self, api_invoker_id: str) -> None:
        """Forget the invoker (``revoke-authorization``); an answer in flight is discarded."""
        with self._lock:
            self._known.pop(api_invoker_id, None)
            self._generation[api_invoker_id] = self._generation.get(api_invoker_id, 0) + 1
