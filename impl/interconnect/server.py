"""The CCF's CAPIF-6/6e endpoint: who is calling, and the routes.

**Protection** (``capif6-protection``; contribution 000 7.2.1: as CAPIF-3/4/5 and CAPIF-3e/4e/5e):
``mutual-tls`` and ``nds-ip`` run TLS with a required client certificate (TS 33.210 clause 6.2; this
implementation has no NDS/IP and uses mutual TLS for both); ``none`` is plaintext HTTP, where a caller
names itself in ``X-Capifsec-Ccf-Id`` and nothing checks it.

**Who may call** (``interconnect-agreement-check``): the certificate's ``urn:capifsec:ccf:<ccfId>``
names the caller; under ``enforced`` only a CCF with an agreement, whose certificate its agreement's
CA issued, is served (403 ``REQUEST_NOT_AUTHORIZED`` otherwise); under ``not-enforced`` any CCF a
trusted CA certifies is served under the name its certificate gives.

**Routes.** Standard TS 29.222 on CAPIF-6/6e: ``POST /published-apis/v1/{apfId}/service-apis``,
``PUT|DELETE .../service-apis/{serviceApiId}`` (``apfId`` = the caller's ``ccfId``),
``GET /service-apis/v1/allServiceAPIs?api-invoker-id={ccfId}``. Non-standard (no 3GPP API exists),
under ``/capifsec-interconnect/v1``: ``POST security-method-requests``,
``POST security-information-requests``, ``POST access-token-requests`` (refusals as
``AccessTokenErr``), ``POST access-control-policy-requests``, ``POST revocation-notifications``
(:mod:`impl.interconnect.messages`).
"""

from __future__ import annotations

import socket
import threading

from cryptography import x509

from impl import pki
from impl.aef.identity import certified_as
from impl.apitypes.problems import Cause, ForbiddenError, UnauthorizedError
from impl.ccf.service.notifier import Notifier
from impl.ccf.service.requests import created, ok, query_pairs
from impl.clock import Clock
from impl.http import Request, Response, Router
from impl.interconnect import client as paths
from impl.interconnect.aef_ccf import AefCcf
from impl.interconnect.home import HomeCcf
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessTokenRelayRequest,
    RevocationNotification,
    SecurityInformationRequest,
    SecurityMethodRequest,
)
from impl.interconnect.peers import PeerCaller, Peers
from impl.interconnect.publications import Publications
from impl.settings import Capif6Protection, InterconnectAgreementCheck, Settings
from impl.tls import CertificateServerTls, ClientAuth, ServerHandshake, ServerTls, TlsChannel
from impl.tls.plaintext import PlaintextServer


class Capif6ServerTls:
    """The endpoint's TLS mode, rebuilt when the agreements bring new CA certificates (so a running
    endpoint trusts a new peer without a restart); each new connection uses the current one."""

    def __init__(self, settings: Settings, credential: pki.CertifiedKey, own_ca: x509.Certificate) -> None:
        self._settings = settings
        self._credential = credential
        self._own_ca = own_ca
        self._lock = threading.Lock()
        self._current: ServerTls = self._build(())

    def _build(self, peer_cas: tuple[x509.Certificate, ...]) -> ServerTls:
        if self._settings.capif6_protection is Capif6Protection.UNSAFE_NONE:
            return PlaintextServer()
        return CertificateServerTls(
            self._credential, client_cas=[self._own_ca, *peer_cas], client_auth=ClientAuth.REQUIRED
        )

    def trust(self, peer_cas: tuple[x509.Certificate, ...]) -> None:
        tls = self._build(peer_cas)
        with self._lock:
            self._current = tls

    def _now(self) -> ServerTls:
        with self._lock:
            return self._current

    def start(self, sock: socket.socket) -> ServerHandshake:
        return self._now().start(sock)

    def accept(self, sock: socket.socket, *, timeout: float) -> TlsChannel:
        return self._now().accept(sock, timeout=timeout)


class Capif6Api:
    """The handlers of the CAPIF-6/6e endpoint."""

    def __init__(
        self,
        settings: Settings,
        *,
        peers: Peers,
        home: HomeCcf,
        aef_ccf: AefCcf,
        publications: Publications,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._peers = peers
        self._home = home
        self._aef_ccf = aef_ccf
        self._publications = publications
        self._notifier = notifier
        self._clock = clock

    def router(self) -> Router:
        router = Router()
        published = paths.PUBLISHED_APIS
        router.add("POST", published, self.publish)
        router.add("PUT", published + "/{serviceApiId}", self.update)
        router.add("DELETE", published + "/{serviceApiId}", self.unpublish)
        router.add("GET", paths.ALL_SERVICE_APIS, self.discover)
        router.add("POST", paths.SECURITY_METHOD_REQUESTS, self.negotiate)
        router.add("POST", paths.SECURITY_INFORMATION_REQUESTS, self.security_information)
        router.add("POST", paths.ACCESS_TOKEN_REQUESTS, self.access_token)
        router.add("POST", paths.ACCESS_CONTROL_POLICY_REQUESTS, self.access_control_policy)
        router.add("POST", paths.REVOCATION_NOTIFICATIONS, self.revocation)
        return router

    def caller(self, request: Request) -> PeerCaller:
        """The CCF calling, as the module docstring says; 401/403 otherwise."""
        if self._settings.capif6_protection is Capif6Protection.UNSAFE_NONE:
            claimed = request.headers.get(paths.CLAIMED_CCF_HEADER.lower())
            if not claimed:
                raise UnauthorizedError(
                    Cause.CREDENTIAL_MISSING, f"name the calling CCF in {paths.CLAIMED_CCF_HEADER}"
                )
            return self._admitted(claimed, None)
        certificate = request.peer.certificate
        ccf_id = None if certificate is None else certified_as(certificate, "ccf")
        if certificate is None or ccf_id is None:
            raise UnauthorizedError(Cause.CREDENTIAL_MISSING, "CAPIF-6/6e needs a CCF's client certificate")
        return self._admitted(ccf_id, certificate)

    def _admitted(self, ccf_id: str, certificate: x509.Certificate | None) -> PeerCaller:
        agreement = self._peers.agreements.get(ccf_id)
        if agreement is not None and certificate is not None and not agreement.certifies(certificate):
            agreement = None
        if (
            agreement is None
            and self._settings.interconnect_agreement_check is InterconnectAgreementCheck.ENFORCED
        ):
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, f"no interconnection agreement with CCF {ccf_id}"
            )
        return PeerCaller(ccf_id, agreement)

    def publish(self, request: Request) -> Response:
        """TS 29.222 8.2 on CAPIF-6/6e (TS 23.222 8.25.3.1)."""
        peer = self.caller(request)
        result = self._publications.receive(
            peer, request.path_params["apfId"], request.json(), now=self._clock()
        )
        return created(result.body.to_json(), result.location)

    def update(self, request: Request) -> Response:
        """TS 29.222 8.2 ``PUT`` on CAPIF-6/6e (TS 23.222 8.25.3.6)."""
        peer = self.caller(request)
        result = self._publications.receive(
            peer,
            request.path_params["apfId"],
            request.json(),
            now=self._clock(),
            api_id=request.path_params["serviceApiId"],
        )
        return ok(result.body.to_json())

    def unpublish(self, request: Request) -> Response:
        """TS 29.222 8.2 ``DELETE`` on CAPIF-6/6e (TS 23.222 8.25.3.4)."""
        peer = self.caller(request)
        self._publications.remove(peer, request.path_params["apfId"], request.path_params["serviceApiId"])
        return Response.no_content()

    def discover(self, request: Request) -> Response:
        """TS 29.222 8.1 on CAPIF-6/6e (TS 23.222 8.25.3.3)."""
        peer = self.caller(request)
        return ok(self._publications.discover_for(peer, query_pairs(request)).to_json())

    def negotiate(self, request: Request) -> Response:
        """Contribution 001 6.X.2, relayed by the invoker's home CCF."""
        peer = self.caller(request)
        return ok(self._aef_ccf.select(peer, SecurityMethodRequest.read(request.json())).to_json())

    def security_information(self, request: Request) -> Response:
        """Contribution 001 6.X.3.1; 002 steps 6-8."""
        peer = self.caller(request)
        answer = self._home.release(peer, SecurityInformationRequest.read(request.json()), now=self._clock())
        return ok(answer.to_json())

    def access_token(self, request: Request) -> Response:
        """Contribution 001 6.X.3.2; refusals are ``AccessTokenErr``."""
        peer = self.caller(request)
        relayed = AccessTokenRelayRequest.read(request.json())
        token = self._aef_ccf.sign_relayed_token(peer, relayed, now=self._clock())
        return ok(token.access_token_rsp(), headers={"Cache-Control": "no-store"})

    def access_control_policy(self, request: Request) -> Response:
        """Contribution 000 7.2.3 (the fallback); TS 23.222 8.25.2.14."""
        peer = self.caller(request)
        return ok(self._home.policy(peer, AccessControlPolicyRequest.read(request.json())).to_json())

    def revocation(self, request: Request) -> Response:
        """TS 23.222 8.25.2.13: the AEFs that got the invoker's information are told before the answer."""
        peer = self.caller(request)
        pending = self._aef_ccf.revoked(peer, RevocationNotification.read(request.json()))
        self._notifier.deliver(pending)
        return Response.no_content()
