"""The CCF's CAPIF-6/6e endpoint: who is calling, and the routes.

**Protection** (``capif6-protection``; contribution 000 7.2.1: as CAPIF-3/4/5 and CAPIF-3e/4e/5e):
``mutual-tls`` and ``nds-ip`` run TLS with a required client certificate (TS 33.210 clause 6.2; this
implementation has no NDS/IP and uses mutual TLS for both); ``none`` is plaintext HTTP, where a caller
names itself in ``X-Capifsec-Ccf-Id`` and nothing checks it.

**Who may call** is the CCF's role table (:mod:`impl.ccf.service.operations`), checked by its gate
(:mod:`impl.ccf.service.gate`) as on every other endpoint: the certificate's
``urn:capifsec:<role>:<id>`` names the caller, and only a CCF is a consumer here (any other CAPIF
entity whose certificate a trusted CA issued gets 403). ``interconnect-agreement-check``: under
``enforced`` only a CCF with an agreement, whose certificate its agreement's CA issued, is served (403
``REQUEST_NOT_AUTHORIZED`` otherwise); under ``not-enforced`` any CCF a trusted CA certifies is served
under the name its certificate gives.

**Routes.** Standard TS 29.222 on CAPIF-6/6e: ``POST|GET /published-apis/v1/{apfId}/service-apis``,
``GET|PUT|DELETE .../service-apis/{serviceApiId}`` (``apfId`` = the caller's ``ccfId``),
``GET /service-apis/v1/allServiceAPIs?api-invoker-id={ccfId}``. Non-standard (no 3GPP API exists),
under ``/capifsec-interconnect/v1``: ``POST security-method-requests``,
``POST security-information-requests``, ``POST access-token-requests`` (refusals as
``AccessTokenErr``), ``POST access-control-policy-requests``, ``POST revocation-notifications``,
``POST revocation-requests``, ``POST security-information-updates``
(:mod:`impl.interconnect.messages`). Every other operation of the role table is routed too (403, or
405 with ``Allow``).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping

from cryptography import x509

from impl import pki
from impl.apitypes.problems import Cause, ForbiddenError, UnauthorizedError
from impl.ccf.identity import Caller, Role
from impl.ccf.service.gate import Gate
from impl.ccf.service.notifier import Notifier
from impl.ccf.service.operations import CAPIF6, OPERATIONS
from impl.ccf.service.requests import certificate_claim, created, ok, query_pairs
from impl.clock import Clock
from impl.http import Request, Response, Router
from impl.interconnect import client as paths
from impl.interconnect.aef_ccf import AefCcf
from impl.interconnect.home import HomeCcf
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessTokenRelayRequest,
    RevocationNotification,
    RevocationRequest,
    SecurityInformationRequest,
    SecurityInformationUpdate,
    SecurityMethodRequest,
)
from impl.interconnect.peers import PeerCaller, Peers
from impl.interconnect.publications import Publications
from impl.settings import Capif6Protection, InterconnectAgreementCheck, Settings
from impl.tls import CertificateServerTls, ClientAuth, ServerHandshake, ServerTls, TlsChannel
from impl.tls.plaintext import PlaintextServer

PeerHandler = Callable[[Request, PeerCaller], Response]
"""A CAPIF-6/6e handler: the request and the peer CCF the gate authenticated."""


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


class Capif6Authenticator:
    """The gate's authenticator of the CAPIF-6/6e endpoint, as the module docstring says: the
    certificate names the caller (a CCF, or any other CAPIF entity, which the gate then refuses with
    403); without protection a CCF names itself in a header."""

    def __init__(self, settings: Settings, peers: Peers) -> None:
        self._settings = settings
        self._peers = peers

    def claimed(self, request: Request) -> Caller:
        if self._settings.capif6_protection is Capif6Protection.UNSAFE_NONE:
            named = request.headers.get(paths.CLAIMED_CCF_HEADER.lower())
            if not named:
                raise UnauthorizedError(
                    Cause.CREDENTIAL_MISSING, f"name the calling CCF in {paths.CLAIMED_CCF_HEADER}"
                )
            return Caller(Role.CCF, named)
        return certificate_claim(request)

    def verified(self, request: Request, claimed: Caller) -> PeerCaller:
        """The CCF with its agreement (one whose CA issued the certificate); 403 under ``enforced``
        when there is none."""
        certificate = request.peer.certificate
        agreement = self._peers.agreements.get(claimed.id)
        if agreement is not None and certificate is not None and not agreement.certifies(certificate):
            agreement = None
        if (
            agreement is None
            and self._settings.interconnect_agreement_check is InterconnectAgreementCheck.ENFORCED
        ):
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, f"no interconnection agreement with CCF {claimed.id}"
            )
        return PeerCaller(claimed.id, agreement)


class Capif6Api:
    """The handlers of the CAPIF-6/6e endpoint, behind the gate."""

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
        self._peers = peers
        self._home = home
        self._aef_ccf = aef_ccf
        self._publications = publications
        self._notifier = notifier
        self._clock = clock
        self._gate = Gate(CAPIF6, Capif6Authenticator(settings, peers))

    def router(self, replacing: Mapping[str, PeerHandler] | None = None) -> Router:
        """Every operation of the role table, gated for the CAPIF-6/6e endpoint; ``replacing`` swaps
        the handlers of some operations (by :attr:`~impl.ccf.service.operations.Operation.key`), as a
        replayer playing a dishonest CCF does behind the same gate."""
        handlers: dict[str, PeerHandler] = {
            "publish": self.publish,
            "list-published": self.list_published,
            "get-published": self.get_published,
            "update-published": self.update,
            "unpublish": self.unpublish,
            "discover": self.discover,
            "relay-negotiation": self.negotiate,
            "release-security-information": self.security_information,
            "relay-token": self.access_token,
            "home-policy": self.access_control_policy,
            "revocation-notify": self.revocation,
            "revocation-request": self.revocation_request,
            "security-information-update": self.security_information_update,
        }
        unknown = set(replacing or {}) - set(handlers)
        if unknown:
            raise ValueError(f"no CAPIF-6/6e operation {', '.join(sorted(unknown))}")
        return self._gate.router(OPERATIONS, {**handlers, **(replacing or {})})

    def publish(self, request: Request, peer: PeerCaller) -> Response:
        """TS 29.222 8.2 on CAPIF-6/6e (TS 23.222 8.25.3.1)."""
        result = self._publications.receive(
            peer, request.path_params["apfId"], request.json(), now=self._clock()
        )
        return created(result.body.to_json(), result.location)

    def list_published(self, request: Request, peer: PeerCaller) -> Response:
        """TS 29.222 8.2 ``GET`` on CAPIF-6/6e (TS 23.222 8.25.3.5): what the peer published here."""
        return ok([api.to_json() for api in self._publications.published_by(peer)])

    def get_published(self, request: Request, peer: PeerCaller) -> Response:
        """TS 29.222 8.2 ``GET .../{serviceApiId}`` on CAPIF-6/6e (TS 23.222 8.25.3.5)."""
        return ok(self._publications.published_one(peer, request.path_params["serviceApiId"]).to_json())

    def update(self, request: Request, peer: PeerCaller) -> Response:
        """TS 29.222 8.2 ``PUT`` on CAPIF-6/6e (TS 23.222 8.25.3.6)."""
        result = self._publications.receive(
            peer,
            request.path_params["apfId"],
            request.json(),
            now=self._clock(),
            api_id=request.path_params["serviceApiId"],
        )
        return ok(result.body.to_json())

    def unpublish(self, request: Request, peer: PeerCaller) -> Response:
        """TS 29.222 8.2 ``DELETE`` on CAPIF-6/6e (TS 23.222 8.25.3.4)."""
        self._publications.remove(peer, request.path_params["apfId"], request.path_params["serviceApiId"])
        return Response.no_content()

    def discover(self, request: Request, peer: PeerCaller) -> Response:
        """TS 29.222 8.1 on CAPIF-6/6e (TS 23.222 8.25.3.3)."""
        return ok(self._publications.discover_for(peer, query_pairs(request)).to_json())

    def negotiate(self, request: Request, peer: PeerCaller) -> Response:
        """Contribution 001 6.X.2, relayed by the invoker's home CCF."""
        return ok(self._aef_ccf.select(peer, SecurityMethodRequest.read(request.json())).to_json())

    def security_information(self, request: Request, peer: PeerCaller) -> Response:
        """Contribution 001 6.X.3.1; 002 steps 6-8."""
        answer = self._home.release(peer, SecurityInformationRequest.read(request.json()), now=self._clock())
        return ok(answer.to_json())

    def access_token(self, request: Request, peer: PeerCaller) -> Response:
        """Contribution 001 6.X.3.2; refusals are ``AccessTokenErr``."""
        relayed = AccessTokenRelayRequest.read(request.json())
        token = self._aef_ccf.sign_relayed_token(peer, relayed, now=self._clock())
        return ok(token.access_token_rsp(), headers={"Cache-Control": "no-store"})

    def access_control_policy(self, request: Request, peer: PeerCaller) -> Response:
        """Contribution 000 7.2.3 (the fallback); TS 23.222 8.25.2.14."""
        return ok(self._home.policy(peer, AccessControlPolicyRequest.read(request.json())).to_json())

    def revocation(self, request: Request, peer: PeerCaller) -> Response:
        """TS 23.222 8.25.2.13: the AEFs that got the invoker's information are told before the answer."""
        pending = self._aef_ccf.revoked(peer, RevocationNotification.read(request.json()))
        self._notifier.deliver(pending)
        return Response.no_content()

    def revocation_request(self, request: Request, peer: PeerCaller) -> Response:
        """TS 23.222 8.25.2.11/12: an AEF of the peer revoked an invoker of this (home) CCF; the
        invoker is notified before the answer."""
        pending = self._home.revoked_at_peer(peer, RevocationRequest.read(request.json()), now=self._clock())
        self._notifier.deliver(pending)
        return Response.no_content()

    def security_information_update(self, request: Request, peer: PeerCaller) -> Response:
        """``cache-update-invalidation=notify``: the home CCF selected anew for an invoker at an AEF."""
        self._aef_ccf.updated(peer, SecurityInformationUpdate.read(request.json()))
        return Response.no_content()
