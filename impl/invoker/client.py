"""An API invoker: onboarding, discovery, security method negotiation, access tokens and invocation
over each CAPIF-2e method (TS 23.222, TS 29.222, TS 33.122 clauses 6.1 to 6.5).

CAPIF-1e is :class:`~impl.tls.Capif1eClientTls`: server-authenticated for onboarding, then mutual TLS
with the certificate the CCF issued (contribution 004, 5.1.1). The invoker derives AEFPSK itself, from
the very CAPIF-1e session its ``PUT trustedInvokers`` (or ``POST .../update``) travelled on, for the
interface it will use (TS 33.122 Annex A.1; ``tls13-exporter`` is the documented TLS 1.3 deviation,
and needs a TLS 1.3 CAPIF-1e session). On CAPIF-2e it connects:

* PSK: TLS 1.2 PSK, identity = its API invoker ID (TS 33.122 leaves the identity open);
* PKI: TLS with its CCF-issued client certificate;
* OAUTH: TLS with the AEF's server certificate and ``Authorization: Bearer <token>``.

Before using an interface (and after each re-negotiation) it sends check-authentication to the AEF
over certificate TLS (TS 33.122 clause 6.5.2.1, Authentication Initiation Request).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509

from impl import pki
from impl.aefpsk import AefpskInputError, derive_aefpsk_tls12, derive_aefpsk_tls13
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.problems import ProblemError
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.security import SecurityInformation, ServiceSecurity
from impl.ccf.identity import issuing_ccf
from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.invoker.errors import ConnectionFailedError, InvokerError, RefusedError
from impl.invoker.targets import AefTarget, Negotiated, targets_of
from impl.lifecycle import Closable
from impl.settings import AefpskDerivation, MismatchAuthentication
from impl.tls import (
    Capif1eClientTls,
    Capif1eKeying,
    CertificateClientTls,
    ClientTls,
    PskClientTls,
    TlsError,
    TlsHandshakeError,
    TlsVersion,
    UnauthenticatedServerClientTls,
)
from impl.tokens import ScopeEntry, ScopeSyntax, format_scope

ONBOARDED_INVOKERS = "/api-invoker-management/v1/onboardedInvokers"
ALL_SERVICE_APIS = "/service-apis/v1/allServiceAPIs"
TRUSTED_INVOKERS = "/capif-security/v1/trustedInvokers/"
SECURITIES = "/capif-security/v1/securities/"
CHECK_AUTHENTICATION = "/aef-security/v1/check-authentication"


@dataclass(frozen=True)
class CcfEndpoint:
    """Where the invoker reaches its CCF's CAPIF-1e endpoint."""

    host: str
    port: int
    server_name: str


@dataclass(frozen=True)
class InvokerIdentity:
    """An onboarded invoker: its API invoker ID and the key pair the CCF certified."""

    api_invoker_id: str
    credential: pki.CertifiedKey


def _quoted(identifier: str) -> str:
    return urllib.parse.quote(identifier, safe="")


def _refusal(what: str, response: ClientResponse) -> RefusedError:
    """The refusal a response carries: a ProblemDetails ``cause``, or an ``AccessTokenErr`` code."""
    problem = response.problem()
    if problem is not None and (problem.cause is not None or problem.detail is not None):
        return RefusedError(what, response.status, problem.cause, problem.detail)
    try:
        document = response.json()
    except HttpClientError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        description = document.get("error_description")
        detail = description if isinstance(description, str) else None
        return RefusedError(what, response.status, document["error"], detail)
    return RefusedError(what, response.status, None, None)


def _send(what: str, exchange: Callable[[], ClientResponse]) -> ClientResponse:
    """Run one exchange; transport failures become :class:`ConnectionFailedError`."""
    try:
        return exchange()
    except TlsHandshakeError as error:
        raise ConnectionFailedError(
            what, f"TLS handshake refused: {error.reason}", handshake_refused=True
        ) from None
    except (TlsError, HttpClientError, OSError) as error:
        raise ConnectionFailedError(what, str(error), handshake_refused=False) from None


def _expect(what: str, response: ClientResponse, status: int) -> ClientResponse:
    if response.status != status:
        raise _refusal(what, response)
    return response


def _document(what: str, response: ClientResponse) -> object:
    try:
        return response.json()
    except HttpClientError as error:
        raise InvokerError(f"{what}: the answer is not JSON ({error})") from None


class ApiInvoker(Closable):
    """One API invoker and its CCF. ``close()`` (or ``with``) closes its CAPIF-1e connection."""

    def __init__(
        self,
        ccf: CcfEndpoint,
        ca_certificate: x509.Certificate,
        *,
        notification_destination: str,
        aefpsk_derivation: AefpskDerivation = AefpskDerivation.ANNEX_A1_TLS12,
        identity: InvokerIdentity | None = None,
        timeout: float = 10.0,
        aef_ca_certificates: Sequence[x509.Certificate] = (),
        mismatch_authentication: MismatchAuthentication = MismatchAuthentication.AUTHENTICATED,
    ) -> None:
        self._ccf = ccf
        self._mismatch_authentication = mismatch_authentication
        self._ca = ca_certificate
        self._aef_cas = [ca_certificate, *aef_ca_certificates]
        self._notification_destination = notification_destination
        self._derivation = aefpsk_derivation
        self._timeout = timeout
        self._identity = identity
        self._capif1e: HttpsClient | None = None

    @property
    def identity(self) -> InvokerIdentity:
        """The onboarded identity; :class:`InvokerError` before onboarding."""
        if self._identity is None:
            raise InvokerError("the API invoker is not onboarded")
        return self._identity

    def _capif1e_tls(self, credential: pki.CertifiedKey | None) -> Capif1eClientTls:
        """TLS 1.2 for Annex A.1 (master secret and session ID), up to 1.3 for the exporter mapping."""
        version = (
            TlsVersion.TLS1_3 if self._derivation is AefpskDerivation.TLS13_EXPORTER else TlsVersion.TLS1_2
        )
        return Capif1eClientTls(self._ca, credential=credential, maximum_version=version)

    def _ccf_client(self, tls: ClientTls) -> HttpsClient:
        return HttpsClient(
            tls, self._ccf.host, self._ccf.port, server_name=self._ccf.server_name, timeout=self._timeout
        )

    def _client(self) -> HttpsClient:
        """The mutual-TLS CAPIF-1e connection, opened on first use."""
        if self._capif1e is None:
            self._capif1e = self._ccf_client(self._capif1e_tls(self.identity.credential))
        return self._capif1e

    def onboard(
        self, onboarding_secret: str, *, information: str = "capifsec API invoker"
    ) -> InvokerIdentity:
        """``POST onboardedInvokers`` with a fresh key's CSR, the secret as bearer credential
        (TS 29.222 clause 8.4.2.2.3.1; TS 33.122 clause 6.1)."""
        key = pki.generate_private_key()
        body = {
            "onboardingInformation": {"apiInvokerPublicKey": pki.make_csr(key, "api-invoker")},
            "notificationDestination": self._notification_destination,
            "apiInvokerInformation": information,
            "supportedFeatures": "0",
        }
        headers = {"Authorization": f"Bearer {onboarding_secret}"}
        with self._ccf_client(self._capif1e_tls(None)) as client:
            response = _send(
                "onboarding", lambda: client.post_json(ONBOARDED_INVOKERS, body, headers=headers)
            )
        document = _document("onboarding", _expect("onboarding", response, 201))
        answered = document.get("onboardingInformation") if isinstance(document, dict) else None
        api_invoker_id = document.get("apiInvokerId") if isinstance(document, dict) else None
        certificate_pem = answered.get("apiInvokerCertificate") if isinstance(answered, dict) else None
        if not isinstance(api_invoker_id, str) or not isinstance(certificate_pem, str):
            raise InvokerError("onboarding: the CCF's answer lacks apiInvokerId or apiInvokerCertificate")
        try:
            credential = pki.CertifiedKey(pki.load_certificate_pem(certificate_pem), key)
        except pki.PkiError as error:
            raise InvokerError(f"onboarding: the CCF's certificate is unusable ({error})") from None
        self._identity = InvokerIdentity(api_invoker_id, credential)
        return self._identity

    def discover(self, *, api_name: str | None = None, aef_id: str | None = None) -> list[AefTarget]:
        """``GET allServiceAPIs`` (TS 29.222 clause 8.1): every discovered (AEF, interface)."""
        query = {"api-invoker-id": self.identity.api_invoker_id}
        if api_name is not None:
            query["api-name"] = api_name
        if aef_id is not None:
            query["aef-id"] = aef_id
        client = self._client()
        response = _expect(
            "discovery", _send("discovery", lambda: client.get(ALL_SERVICE_APIS, query=query)), 200
        )
        document = _document("discovery", response)
        descriptions = document.get("serviceAPIDescriptions", []) if isinstance(document, dict) else None
        if not isinstance(descriptions, list):
            raise InvokerError("discovery: the answer is not a DiscoveredAPIs object")
        try:
            apis = [ServiceAPIDescription.read(item, creating=False) for item in descriptions]
        except ProblemError as error:
            raise InvokerError(f"discovery: a discovered API is malformed ({error.detail})") from None
        return [target for api in apis for target in targets_of(api)]

    def negotiate(
        self, targets: Sequence[AefTarget], *, preferred: Sequence[SecurityMethod] | None = None
    ) -> list[Negotiated]:
        """Security method negotiation for each target interface (TS 33.122 clause 6.3.1.2):
        ``PUT trustedInvokers/{id}`` the first time, ``POST .../update`` once a context exists (after a
        mismatch, for example). ``preferred`` defaults to the methods the interface offers."""
        if not targets:
            raise InvokerError("negotiation needs at least one target")
        providers = list(dict.fromkeys(target.ccf_id for target in targets))
        if len(providers) > 1:  # one request per provider (the home CCF relays to one peer at a time)
            return [
                negotiated
                for provider in providers
                for negotiated in self.negotiate(
                    [target for target in targets if target.ccf_id == provider], preferred=preferred
                )
            ]
        entries = [
            SecurityInformation(
                pref_security_methods=tuple(preferred or target.methods),
                interface_details=target.interface,
                api_id=target.api_id,
            )
            for target in targets
        ]
        body = {
            "securityInfo": [entry.to_json() for entry in entries],
            "notificationDestination": self._notification_destination,
            "supportedFeatures": "0",
        }
        path = TRUSTED_INVOKERS + _quoted(self.identity.api_invoker_id)
        if targets[0].ccf_id is not None:  # the CCF Discover named for these AEFs (non-standard ccf-id)
            path += "?" + urllib.parse.urlencode({"ccf-id": targets[0].ccf_id})
        client = self._client()
        response = _send("negotiation", lambda: client.put_json(path, body))
        if response.status == 403 and _refusal("negotiation", response).cause == "SECURITY_CONTEXT_EXISTS":
            update = path.replace("?", "/update?", 1) if "?" in path else path + "/update"
            response = _send("re-negotiation", lambda: client.post_json(update, body))
            _expect("re-negotiation", response, 200)
        else:
            _expect("negotiation", response, 201)
        try:
            answer = ServiceSecurity.read_answer(response.json())
        except (HttpClientError, ProblemError) as error:
            raise InvokerError(f"negotiation: the CCF's answer is malformed ({error})") from None
        return [
            self._negotiated(target, entry, answer, response)
            for target, entry in zip(targets, entries, strict=True)
        ]

    def _negotiated(
        self,
        target: AefTarget,
        requested: SecurityInformation,
        answer: ServiceSecurity,
        response: ClientResponse,
    ) -> Negotiated:
        selected = next(
            (
                entry.sel_security_method
                for entry in answer.security_info
                if entry.target_key() == requested.target_key() and entry.sel_security_method is not None
            ),
            None,
        )
        if selected is None:
            raise InvokerError(f"negotiation: the CCF's answer selects nothing for {target.aef_id}")
        if selected is not SecurityMethod.PSK:
            return Negotiated(target, selected)
        keying = response.peer.capif1e_keying
        if keying is None:
            raise InvokerError("negotiation: the CAPIF-1e session gave no keying for AEFPSK")
        return Negotiated(target, selected, self._derive_aefpsk(keying, target))

    def _derive_aefpsk(self, keying: Capif1eKeying, target: AefTarget) -> bytes:
        """AEFPSK for ``target`` from this CAPIF-1e session (TS 33.122 Annex A.1)."""
        try:
            interface = target.kdf_interface()
            if self._derivation is AefpskDerivation.TLS13_EXPORTER:
                return derive_aefpsk_tls13(keying.export_keying_material, interface)
            if keying.master_secret is None or keying.session_id is None:
                raise InvokerError("Annex A.1 AEFPSK needs a TLS 1.2 CAPIF-1e session")
            return derive_aefpsk_tls12(keying.master_secret, keying.session_id, interface)
        except AefpskInputError as error:
            raise InvokerError(f"AEFPSK derivation failed: {error}") from None

    def obtain_token(
        self,
        aef_id: str,
        api_names: Sequence[str],
        *,
        client_id: str | None = None,
        res_owner_id: str | None = None,
        ccf_id: str | None = None,
    ) -> str:
        """``POST securities/{securityId}/token`` (TS 29.222 clause 8.5.2.6; client credentials grant,
        RFC 6749 clause 4.4) for ``api_names`` at ``aef_id``. ``client_id`` other than the invoker's own
        ID is what a dishonest invoker would try (the CCF must refuse it under ``bound``). ``ccf_id``
        names the CCF of another provider's AEF (the non-standard ``ccfId``, the ``ccfId`` Discover
        showed)."""
        named = client_id or self.identity.api_invoker_id
        scope = format_scope([ScopeEntry(aef_id, tuple(api_names))], ScopeSyntax.TS29222)
        form = {"grant_type": "client_credentials", "client_id": named, "scope": scope}
        if res_owner_id is not None:  # a resource owner's authorization, recorded over CAPIF-8
            form["resOwnerId"] = res_owner_id
        if ccf_id is not None:
            form["ccfId"] = ccf_id
        client = self._client()
        response = _send(
            "token request", lambda: client.post_form(SECURITIES + _quoted(named) + "/token", form)
        )
        document = _document("token request", _expect("token request", response, 200))
        token = document.get("access_token") if isinstance(document, dict) else None
        if not isinstance(token, str):
            raise InvokerError("token request: the answer has no access_token")
        return token

    def check_authentication(self, target: AefTarget, *, home_ccf_id: str | None = None) -> None:
        """check-authentication at the target interface (TS 29.222 AEF_Security_API), with the
        invoker's certificate; a refusal (for example a method mismatch) raises :class:`RefusedError`.
        At an AEF of another provider the request names the invoker's home CCF (``ccfId``,
        non-standard; contribution 001 6.X.3.1): ``home_ccf_id``, by default the CCF its ID names."""
        tls = CertificateClientTls(self._aef_cas, credential=self.identity.credential)
        body = {"apiInvokerId": self.identity.api_invoker_id, "supportedFeatures": "0"}
        named = home_ccf_id or (issuing_ccf(self.identity.api_invoker_id) if target.ccf_id else None)
        if named is not None:
            body["ccfId"] = named
        path = target.api_prefix + CHECK_AUTHENTICATION
        try:
            with HttpsClient(
                tls, target.host, target.port, timeout=self._timeout, persistent=False
            ) as client:
                response = _send("check-authentication", lambda: client.post_json(path, body))
        except ConnectionFailedError as failure:
            unsafe = self._mismatch_authentication is MismatchAuthentication.UNSAFE_UNAUTHENTICATED
            if not (unsafe and failure.handshake_refused):
                raise
            self._unauthenticated_mismatch(target, path, body, failure)
            raise
        _expect("check-authentication", response, 200)

    def _unauthenticated_mismatch(
        self, target: AefTarget, path: str, body: dict[str, str], failure: ConnectionFailedError
    ) -> None:
        """``mismatch-authentication=unauthenticated`` (unsafe): when the AEF could not be
        authenticated, ask again without authenticating it, and take a method mismatch indication
        from whoever answers (contribution 004 leaves it unprotected); any other answer is not taken
        and the original failure stands."""
        tls = UnauthenticatedServerClientTls(credential=self.identity.credential)
        try:
            with HttpsClient(
                tls, target.host, target.port, timeout=self._timeout, persistent=False
            ) as client:
                response = _send("check-authentication", lambda: client.post_json(path, body))
        except ConnectionFailedError:
            return
        refusal = _refusal("check-authentication (server not authenticated)", response)
        if response.status != 200 and refusal.is_method_mismatch:
            raise refusal from failure

    def invoke(self, negotiated: Negotiated, resource: str, *, token: str | None = None) -> object:
        """``GET`` the target's ``resource`` with the negotiated method; the JSON answer."""
        target = negotiated.target
        headers: dict[str, str] = {}
        tls: ClientTls
        if negotiated.method is SecurityMethod.PSK:
            if negotiated.aefpsk is None:
                raise InvokerError("PSK was negotiated without an AEFPSK")
            tls = PskClientTls(self.identity.api_invoker_id, negotiated.aefpsk)
        elif negotiated.method is SecurityMethod.PKI:
            tls = CertificateClientTls(self._aef_cas, credential=self.identity.credential)
        else:
            if token is None:
                raise InvokerError("OAUTH needs an access token")
            tls = CertificateClientTls(self._aef_cas)
            headers["Authorization"] = f"Bearer {token}"
        what = f"{negotiated.method.value} invocation of {target.api_name} at {target.aef_id}"
        with HttpsClient(tls, target.host, target.port, timeout=self._timeout, persistent=False) as client:
            response = _send(what, lambda: client.get(target.resource_path(resource), headers=headers))
        return _document(what, _expect(what, response, 200))

    def offboard(self) -> None:
        """``DELETE onboardedInvokers/{onboardingId}`` (TS 33.122 clause 6.2)."""
        path = ONBOARDED_INVOKERS + "/" + _quoted(self.identity.api_invoker_id)
        client = self._client()
        _expect("offboarding", _send("offboarding", lambda: client.delete(path)), 204)
        self.close()

    def close(self) -> None:
        """Close the CAPIF-1e connection (a later call opens a new one)."""
        if self._capif1e is not None:
            self._capif1e.close()
            self._capif1e = None
