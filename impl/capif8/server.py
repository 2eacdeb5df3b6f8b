"""The CCF's CAPIF-8 endpoint (contribution 003 6.2.2): the AzF as a ROF reaches it.

Protection (``capif8-protection``) and ROF authentication (``rof-authentication``) follow the
options, each for real:

* ``tls`` and ``certificate``: mutual TLS, the ROF's certificate from the CCF's CA
  (``urn:capifsec:rof:<rofId>``);
* ``tls`` and ``psk``: TLS 1.2 PSK, identity ``rofId`` and the ROF's pre-shared key;
* ``tls`` and ``password``: server-authenticated TLS, ``Authorization: Basic`` with ``rofId`` and password;
* ``tls`` and ``none``: server-authenticated TLS; the ROF names itself (``rofId`` in the body);
* ``none`` and ``password``: plaintext HTTP with ``Authorization: Basic`` (readable on the wire);
* ``none`` and any other: plaintext HTTP; the ROF names itself (certificates and PSKs need TLS).

Routes (non-standard, no 3GPP API exists): ``POST /capifsec-capif8/v1/resource-owner-authorizations``
(201 with ``Location``), ``DELETE .../resource-owner-authorizations/{authorizationId}`` (204).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from impl.apitypes.problems import Cause, UnauthorizedError
from impl.capif8 import store
from impl.capif8.azf import Azf, RofCaller
from impl.capif8.messages import ResourceOwnerAuthorization
from impl.ccf.service import CcfService
from impl.ccf.service.requests import created
from impl.http import HttpsServer, Request, Response, Router
from impl.lifecycle import Service
from impl.problem_responses import domain_error_response
from impl.settings import Capif8Protection, RofAuthentication
from impl.tls import CertificateServerTls, ClientAuth, PskServerTls, ServerTls
from impl.tls.plaintext import PlaintextServer

AUTHORIZATIONS = "/capifsec-capif8/v1/resource-owner-authorizations"


@dataclass(frozen=True)
class AzfServiceConfig:
    """Where the CAPIF-8 endpoint listens (0: an ephemeral port)."""

    host: str = "127.0.0.1"
    port: int = 0


class AzfService(Service):
    """``with AzfService(ccf, config) as azf:`` serves CAPIF-8 for the running CCF ``ccf``."""

    def __init__(self, ccf: CcfService, config: AzfServiceConfig) -> None:
        settings = ccf.config.settings
        self._settings = settings
        store.create_tables(ccf.core.parts.database)
        self.azf = Azf(ccf.core.parts, ccf.config.ca)
        router = Router()
        router.add("POST", AUTHORIZATIONS, self._authorize)
        router.add("DELETE", AUTHORIZATIONS + "/{authorizationId}", self._withdraw)
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

    def caller(self, request: Request, named: str | None) -> RofCaller:
        """The ROF of a request, as the module docstring says; 401 otherwise."""
        method = self._settings.rof_authentication
        found: RofCaller | None
        if method is RofAuthentication.PASSWORD:
            found = self._basic(request)
        elif (
            self._settings.capif8_protection is Capif8Protection.UNSAFE_NONE
            or method is RofAuthentication.UNSAFE_NONE
        ):
            found = None if named is None else self.azf.by_name(named)
        elif method is RofAuthentication.PSK:
            identity = request.peer.psk_identity
            found = None if identity is None else RofCaller(identity)
        else:
            found = self.azf.by_certificate(request.peer.certificate)
        if found is None:
            raise UnauthorizedError(
                Cause.CREDENTIAL_INVALID, "the resource owner function could not be authenticated"
            )
        return found

    def _basic(self, request: Request) -> RofCaller | None:
        value = request.headers.get("authorization")
        scheme, _, encoded = (value or "").strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            rof_id, separator, password = (
                base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return None
        return self.azf.by_password(rof_id, password) if separator else None

    def _authorize(self, request: Request) -> Response:
        body = ResourceOwnerAuthorization.read(request.json())
        result = self.azf.authorize(self.caller(request, body.rof_id), body, now=self._clock())
        return created(result.body.to_json(), self._server.base_url + result.location)

    def _withdraw(self, request: Request) -> Response:
        named = request.query.get("rofId", (None,))[0]
        self.azf.withdraw(self.caller(request, named), request.path_params["authorizationId"])
        return Response.no_content()

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
