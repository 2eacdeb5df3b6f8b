"""The CAPIF-6/6e client library: one CCF's requests to one peer CCF.

Used by the honest CCF (:mod:`impl.interconnect.home`, :mod:`impl.interconnect.aef_ccf`,
:mod:`impl.interconnect.publications`) and usable as it is by any other program that speaks for a CCF
whose keys it holds (a replayer playing a dishonest CCF): build a :class:`PeerClient` with that CCF's
id, the agreement describing the peer and the client TLS mode of :func:`capif6_client_tls`.

Faults of the peer fail closed, within a bounded time: every exchange runs on a pooled connection with
a deadline for connecting, the handshake and the answer (``timeout`` each), at most
``max_in_flight`` requests per peer at once (a caller waits at most ``timeout`` for a slot). A peer that
is down, slow, resets the connection, presents another identity or answers something that is not the
JSON the flow defines raises :class:`PeerUnavailableError`; an explicit refusal (a 4xx with
ProblemDetails or ``AccessTokenErr``) raises :class:`PeerRefusedError`. A connection that failed is
closed, never reused.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable
from typing import TypeVar

from impl import pki
from impl.aef.identity import certified_as
from impl.apitypes.problems import ProblemError
from impl.apitypes.publish import ServiceAPIDescription
from impl.ccf.service.operations import (
    ACCESS_CONTROL_POLICY_REQUESTS,
    ACCESS_TOKEN_REQUESTS,
    ALL_SERVICE_APIS,
    INTERCONNECT,
    PUBLISHED_APIS,
    REVOCATION_NOTIFICATIONS,
    REVOCATION_REQUESTS,
    SECURITY_INFORMATION_REQUESTS,
    SECURITY_INFORMATION_UPDATES,
    SECURITY_METHOD_REQUESTS,
)
from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.interconnect.agreement import Agreement
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessControlPolicyResponse,
    AccessTokenRelayRequest,
    RevocationNotification,
    RevocationRequest,
    SecurityInformationRequest,
    SecurityInformationResponse,
    SecurityInformationUpdate,
    SecurityMethodRequest,
    SecurityMethodResponse,
)
from impl.lifecycle import Closable
from impl.settings import Capif6Protection
from impl.tls import CertificateClientTls, ClientTls, TlsError, TlsHandshakeError
from impl.tls.plaintext import PlaintextClient

T = TypeVar("T")
__all__ = [
    "ACCESS_CONTROL_POLICY_REQUESTS",
    "ACCESS_TOKEN_REQUESTS",
    "ALL_SERVICE_APIS",
    "INTERCONNECT",
    "PUBLISHED_APIS",
    "REVOCATION_NOTIFICATIONS",
    "REVOCATION_REQUESTS",
    "SECURITY_INFORMATION_REQUESTS",
    "SECURITY_INFORMATION_UPDATES",
    "SECURITY_METHOD_REQUESTS",
    "PeerClient",
    "PeerError",
    "PeerRefusedError",
    "PeerUnavailableError",
    "capif6_client_tls",
]

CLAIMED_CCF_HEADER = "X-Capifsec-Ccf-Id"
"""Without protection (``capif6-protection=none``) nothing authenticates a CCF: it names itself here."""
DEFAULT_TIMEOUT = 3.0
DEFAULT_MAX_IN_FLIGHT = 8


class PeerError(Exception):
    """A CAPIF-6/6e request to a peer did not succeed."""

    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(f"peer CCF {peer}: {reason}")
        self.peer = peer
        self.reason = reason


class PeerUnavailableError(PeerError):
    """The peer could not be asked: down, too slow, connection reset, wrong identity, or an answer that
    is not what the flow defines (the CCF fails closed: it acts on nothing it could not read).
    ``handshake_refused``: the peer refused the TLS handshake (it does not accept this CCF's
    certificate)."""

    def __init__(self, peer: str, reason: str, *, handshake_refused: bool = False) -> None:
        super().__init__(peer, reason)
        self.handshake_refused = handshake_refused


class PeerRefusedError(PeerError):
    """The peer answered with a refusal: ``status`` and the ProblemDetails ``cause`` or the
    ``AccessTokenErr`` ``error`` (``code``), with its description."""

    def __init__(self, peer: str, status: int, code: str | None, detail: str | None) -> None:
        super().__init__(peer, f"refused with {status} {code or ''}: {detail or ''}".strip())
        self.status = status
        self.code = code
        self.detail = detail


def capif6_client_tls(
    protection: Capif6Protection, agreement: Agreement, credential: pki.CertifiedKey
) -> ClientTls:
    """The client TLS mode towards ``agreement``'s peer: mutual TLS with ``credential`` (the CCF's
    certificate) trusting only the peer's CAs (``mutual-tls``, and ``nds-ip``, which this
    implementation runs as mutual TLS); plaintext for ``none``."""
    if protection is Capif6Protection.UNSAFE_NONE:
        return PlaintextClient()
    return CertificateClientTls(list(agreement.ca_certificates), credential=credential)


class PeerClient(Closable):
    """Requests of CCF ``own_ccf_id`` to the peer of ``agreement`` over ``tls``."""

    def __init__(
        self,
        own_ccf_id: str,
        agreement: Agreement,
        tls: ClientTls,
        *,
        authenticated: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        self.own_ccf_id = own_ccf_id
        self.agreement = agreement
        self._tls = tls
        self._authenticated = authenticated
        self._timeout = timeout
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._idle: list[HttpsClient] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def peer(self) -> str:
        return self.agreement.ccf_id

    # -- TS 29.222 Publish and Discover on CAPIF-6/6e (TS 23.222 8.25.3.1 to 8.25.3.6)

    def publish(self, description: ServiceAPIDescription) -> None:
        """``POST /published-apis/v1/{ccfId}/service-apis``: share one of this CCF's APIs (its
        ``apiId``, ``ccfId`` and ``pubApiPath`` set by the caller)."""
        self._expect("API publish", self._json("POST", self._published_apis(), description.to_json()), 201)

    def update(self, description: ServiceAPIDescription) -> None:
        """``PUT .../service-apis/{serviceApiId}``: the shared API changed (e.g. its methods, 004)."""
        assert description.api_id is not None
        path = self._published_apis() + "/" + urllib.parse.quote(description.api_id, safe="")
        self._expect("API update", self._json("PUT", path, description.to_json()), 200)

    def unpublish(self, api_id: str) -> None:
        """``DELETE .../service-apis/{serviceApiId}``; a peer that never had it (404) is fine."""
        path = self._published_apis() + "/" + urllib.parse.quote(api_id, safe="")
        response = self._exchange(
            "API unpublish", lambda client: client.delete(path, headers=self._claimed())
        )
        if response.status not in (204, 404):
            raise self._refusal("API unpublish", response)

    def discover(self) -> tuple[ServiceAPIDescription, ...]:
        """``GET /service-apis/v1/allServiceAPIs?api-invoker-id={ccfId}``: the APIs the peer shares
        with this CCF (on CAPIF-6/6e ``api-invoker-id`` carries the CCF identifier, TS 29.222)."""
        query = {"api-invoker-id": self.own_ccf_id}
        response = self._exchange(
            "API discovery", lambda client: client.get(ALL_SERVICE_APIS, query=query, headers=self._claimed())
        )
        document = self._document("API discovery", self._expect("API discovery", response, 200))
        listed = document.get("serviceAPIDescriptions", []) if isinstance(document, dict) else None
        if not isinstance(listed, list):
            raise PeerUnavailableError(self.peer, "API discovery: the answer is not a DiscoveredAPIs object")
        return self._read("API discovery", lambda: tuple(_description(item) for item in listed))

    # -- the non-standard security flows (impl.interconnect.messages)

    def negotiate(self, request: SecurityMethodRequest) -> SecurityMethodResponse:
        """Relay an invoker's security method request (contribution 001 6.X.2)."""
        response = self._expect(
            "security method request", self._json("POST", SECURITY_METHOD_REQUESTS, request.to_json()), 200
        )
        document = self._document("security method request", response)
        return self._read("security method request", lambda: SecurityMethodResponse.read(document))

    def security_information(self, request: SecurityInformationRequest) -> SecurityInformationResponse:
        """Ask the invoker's home CCF for its security information (contribution 001 6.X.3.1)."""
        response = self._expect(
            "security information request",
            self._json("POST", SECURITY_INFORMATION_REQUESTS, request.to_json()),
            200,
        )
        document = self._document("security information request", response)
        return self._read("security information request", lambda: SecurityInformationResponse.read(document))

    def access_token(self, request: AccessTokenRelayRequest) -> dict[str, object]:
        """Relay an access token request (contribution 001 6.X.3.2); the peer's ``AccessTokenRsp``."""
        response = self._expect(
            "access token request", self._json("POST", ACCESS_TOKEN_REQUESTS, request.to_json()), 200
        )
        document = self._document("access token request", response)
        if not isinstance(document, dict) or not isinstance(document.get("access_token"), str):
            raise PeerUnavailableError(self.peer, "access token request: the answer is no AccessTokenRsp")
        return document

    def access_control_policy(self, request: AccessControlPolicyRequest) -> AccessControlPolicyResponse:
        """Ask the invoker's home CCF for its access control policy (contribution 000 7.2.3)."""
        response = self._expect(
            "access control policy request",
            self._json("POST", ACCESS_CONTROL_POLICY_REQUESTS, request.to_json()),
            200,
        )
        document = self._document("access control policy request", response)
        return self._read("access control policy request", lambda: AccessControlPolicyResponse.read(document))

    def notify_revocation(self, notification: RevocationNotification) -> None:
        """Tell the peer an invoker's security information is void (TS 23.222 8.25.2.13)."""
        self._expect(
            "revocation notification",
            self._json("POST", REVOCATION_NOTIFICATIONS, notification.to_json()),
            204,
        )

    def notify_update(self, update: SecurityInformationUpdate) -> None:
        """Tell the AEF's CCF that the invoker's selection at that AEF changed (cache-update-invalidation)."""
        self._expect(
            "security information update",
            self._json("POST", SECURITY_INFORMATION_UPDATES, update.to_json()),
            204,
        )

    def request_revocation(self, request: RevocationRequest) -> None:
        """Tell the invoker's home CCF that one of this CCF's AEFs revoked its authorization
        (TS 23.222 8.25.2.11/12)."""
        self._expect("revocation request", self._json("POST", REVOCATION_REQUESTS, request.to_json()), 204)

    # -- mechanics

    def _published_apis(self) -> str:
        return PUBLISHED_APIS.replace("{apfId}", urllib.parse.quote(self.own_ccf_id, safe=""))

    def _claimed(self) -> dict[str, str]:
        return {} if self._authenticated else {CLAIMED_CCF_HEADER: self.own_ccf_id}

    def _json(self, method: str, path: str, document: object) -> ClientResponse:
        headers = self._claimed()
        if method == "POST":
            return self._exchange(path, lambda client: client.post_json(path, document, headers=headers))
        return self._exchange(path, lambda client: client.put_json(path, document, headers=headers))

    def _exchange(self, what: str, send: Callable[[HttpsClient], ClientResponse]) -> ClientResponse:
        if not self._slots.acquire(timeout=self._timeout):
            raise PeerUnavailableError(self.peer, f"{what}: too many requests in flight to the peer")
        try:
            client = self._take()
            try:
                response = send(client)
            except (HttpClientError, TlsError, OSError, ValueError) as error:
                client.close()
                refused = isinstance(error, TlsHandshakeError)
                raise PeerUnavailableError(self.peer, f"{what}: {error}", handshake_refused=refused) from None
            if self._authenticated and not self._is_peer(response):
                client.close()
                raise PeerUnavailableError(self.peer, f"{what}: the server is not CCF {self.peer}")
            self._give_back(client)
            return response
        finally:
            self._slots.release()

    def _is_peer(self, response: ClientResponse) -> bool:
        certificate = response.peer.certificate
        return (
            certificate is not None
            and certified_as(certificate, "ccf") == self.peer
            and self.agreement.certifies(certificate)
        )

    def _take(self) -> HttpsClient:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        address = self.agreement.address
        return HttpsClient(
            self._tls, address.host, address.port, server_name=address.server_name, timeout=self._timeout
        )

    def _give_back(self, client: HttpsClient) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(client)
                return
        client.close()

    def _expect(self, what: str, response: ClientResponse, status: int) -> ClientResponse:
        if response.status != status:
            raise self._refusal(what, response)
        return response

    def _refusal(self, what: str, response: ClientResponse) -> PeerError:
        if not 400 <= response.status < 500:
            return PeerUnavailableError(self.peer, f"{what}: the peer answered {response.status}")
        problem = response.problem()
        if problem is not None and (problem.cause or problem.detail):
            return PeerRefusedError(self.peer, response.status, problem.cause, problem.detail)
        try:
            document = response.json()
        except HttpClientError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("error"), str):
            description = document.get("error_description")
            detail = description if isinstance(description, str) else None
            return PeerRefusedError(self.peer, response.status, document["error"], detail)
        return PeerRefusedError(self.peer, response.status, None, f"{what} refused")

    def _document(self, what: str, response: ClientResponse) -> object:
        try:
            return response.json()
        except HttpClientError as error:
            raise PeerUnavailableError(self.peer, f"{what}: {error}") from None

    def _read(self, what: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except ProblemError as error:
            raise PeerUnavailableError(self.peer, f"{what}: malformed answer ({error.detail})") from None

    def close(self) -> None:
        """Close every idle connection; connections in use close when their request ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for client in idle:
            client.close()


def _description(item: object) -> ServiceAPIDescription:
    return ServiceAPIDescription.read(item, creating=False)
