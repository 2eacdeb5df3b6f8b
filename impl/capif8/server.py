"""The CCF's CAPIF-8 endpoint (contribution 003 6.2.2): the AzF as a ROF reaches it.

Protection (``capif8-protection``) and ROF authentication (``rof-authentication``) follow the
options, each for real:

* ``tls`` and ``certificate``: mutual TLS, the ROF's certificate from the CCF's CA
  (``urn:capifsec:rof:<rofId>``);
* ``tls`` and ``psk``: TLS 1.2 PSK, identity ``rofId`` and the ROF's pre-shared key;
* ``tls`` and ``password``: server-authenticated TLS, ``Authorization: Basic`` with ``rofId`` and password;
* ``tls`` and ``none``: server-authenticated TLS; the ROF names itself (``rofId`` in the body or query);
* ``none`` and ``password``: plaintext HTTP with ``Authorization: Basic`` (readable on the wire);
* ``none`` and any other: plaintext HTTP; the ROF names itself (certificates and PSKs need TLS).

Who may call what is the CCF's role table (:mod:`impl.ccf.service.operations`), checked by its gate
(:mod:`impl.ccf.service.gate`) with the authenticator below: any other CAPIF entity's certificate
gets 403 here, a ROF without its credential 401. Routes (non-standard, no 3GPP API exists):
``POST /capifsec-capif8/v1/resource-owner-authorizations`` (201 with ``Location``),
``DELETE .../resource-owner-authorizations/{authorizationId}`` (204); every other operation of the
table is routed too (403, or 405 with ``Allow``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from impl.apitypes.problems import Cause, UnauthorizedError
from impl.capif8 import store
from impl.capif8.azf import Azf, RofCaller
from impl.capif8.messages import ResourceOwnerAuthorization
from impl.ccf.identity import Caller, Role
from impl.ccf.service import CcfService
from impl.ccf.service.gate import Gate
from impl.ccf.service.operations import CAPIF8, OPERATIONS, RESOURCE_OWNER_AUTHORIZATIONS
from impl.ccf.service.requests import certificate_claim, created
from impl.http import HttpsServer, ProblemDetails, Request, Response
from impl.lifecycle import Service
from impl.problem_responses import domain_error_response
from impl.settings import Capif8Protection, RofAuthentication, Settings
from impl.tls import CertificateServerTls, ClientAuth, PskServerTls, ServerTls
from impl.tls.plaintext import PlaintextServer

AUTHORIZATIONS = RESOURCE_OWNER_AUTHORIZATIONS
ROF_ID = "rofId"
"""Where a ROF names itself without authentication: the body member and the query parameter."""


@dataclass(frozen=True)
class AzfServiceConfig:
    """Where the CAPIF-8 endpoint listens (0: an ephemeral port)."""

    host: str = "127.0.0.1"
    port: int = 0


class RofAuthenticator:
    """The gate's authenticator of the CAPIF-8 endpoint, as the module docstring says."""

    def __init__(self, settings: Settings, azf: Azf) -> None:
        self._settings = settings
        self._azf = azf

    def _self_named(self) -> bool:
        return self._settings.rof_authentication is not RofAuthentication.PASSWORD and (
            self._settings.capif8_protection is Capif8Protection.UNSAFE_NONE
            or self._settings.rof_authentication is RofAuthentication.UNSAFE_NONE
        )

    def claimed(self, request: Request) -> Caller:
        method = self._settings.rof_authentication
        if method is RofAuthentication.PASSWORD:
            named = _basic(request)
            return _rof(None if named is None else named[0])
        if self._self_named():
            return _rof(_named(request))
        if method is RofAuthentication.PSK:
            return _rof(request.peer.psk_identity)
        return certificate_claim(request)

    def verified(self, request: Request, claimed: Caller) -> RofCaller:
        method = self._settings.rof_authentication
        found: RofCaller | None
        if method is RofAuthentication.PASSWORD:
            named = _basic(request)
            found = None if named is None else self._azf.by_password(*named)
        elif self._self_named():
            found = self._azf.by_name(claimed.id)
        elif method is RofAuthentication.PSK:
            found = RofCaller(claimed.id)  # the TLS-PSK handshake used the key of this identity
        else:
            found = self._azf.by_certificate(request.peer.certificate)
        if found is None or found.rof_id != claimed.id:
            raise UnauthorizedError(
                Cause.CREDENTIAL_INVALID, "the resource owner function could not be authenticated"
            )
        return found


def _rof(rof_id: str | None) -> Caller:
    if not rof_id:
        raise UnauthorizedError(Cause.CREDENTIAL_MISSING, "the resource owner function gave no credential")
    return Caller(Role.ROF, rof_id)


def _basic(request: Request) -> tuple[str, str] | None:
    """``(rofId, password)`` of an ``Authorization: Basic`` header (RFC 7617), or None."""
    value = request.headers.get("authorization")
    scheme, _, encoded = (value or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        rof_id, separator, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (rof_id, password) if separator and rof_id else None


def _named(request: Request) -> str | None:
    """The ``rofId`` a ROF names itself by: in the query, else in a JSON object body."""
    named = request.query.get(ROF_ID, (None,))[0]
    if named is not None or not request.body:
        return named
    try:
        document = request.json()
    except ProblemDetails:
        return None
    value = document.get(ROF_ID) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


class AzfService(Service):
    """``with AzfService(ccf, config) as azf:`` serves CAPIF-8 for the running CCF ``ccf``."""

    def __init__(self, ccf: CcfService, config: AzfServiceConfig) -> None:
        settings = ccf.config.settings
        self._settings = settings
        store.create_tables(ccf.core.parts.database)
        self.azf = Azf(ccf.core.parts, ccf.config.ca)
        gate = Gate(CAPIF8, RofAuthenticator(settings, self.azf))
        router = gate.router(
            OPERATIONS, {"record-authorization": self._authorize, "withdraw-authorization": self._withdraw}
        )
        self._clock = ccf.config.clock
        self._server = HttpsServer(
            router, self._tls(ccf), host=config.host, port=config.port, error_response=domain_error_response
        )

    def _tls(self, ccf: CcfService) -> ServerTls:
        if self._settings.capif8_protection is Capif8Protection.UNSAFE_NONE:
            return PlaintextServer()
        method = self._settings.rof_authentication
        if method is RofAuthentication.PSK:
            return PskServerTls(self.azf.psk_of)
        if method is RofAuthentication.CERTIFICATE:
            return CertificateServerTls(
                ccf.config.credential, client_cas=ccf.config.ca.certificate, client_auth=ClientAuth.REQUIRED
            )
        return CertificateServerTls(ccf.config.credential)

    @property
    def port(self) -> int:
        return self._server.port

    def _authorize(self, request: Request, caller: RofCaller) -> Response:
        body = ResourceOwnerAuthorization.read(request.json())
        result = self.azf.authorize(caller, body, now=self._clock())
        return created(result.body.to_json(), self._server.base_url + result.location)

    def _withdraw(self, request: Request, caller: RofCaller) -> Response:
        self.azf.withdraw(caller, request.path_params["authorizationId"])
        return Response.no_content()

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
