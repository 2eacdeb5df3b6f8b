"""The resource owner function's client on CAPIF-8 (contribution 003): a library for the honest ROF and
for any program speaking for a ROF whose credential it holds (a replayer playing a dishonest one).

It connects as the options say (:mod:`impl.capif8.server`): mutual TLS with its certificate, TLS-PSK
with its key, server-authenticated TLS with ``Authorization: Basic`` (password) or naming itself
(``none``), or plaintext under ``capif8-protection=none``.
"""

from __future__ import annotations

import base64
import urllib.parse

from cryptography import x509

from impl.apitypes.problems import ProblemError
from impl.capif8.azf import RofCredential
from impl.capif8.messages import ResourceOwnerAuthorization
from impl.capif8.server import AUTHORIZATIONS
from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.lifecycle import Closable
from impl.settings import Capif8Protection, RofAuthentication, Settings
from impl.tls import CertificateClientTls, ClientTls, PskClientTls, TlsError
from impl.tls.plaintext import PlaintextClient


class RofError(Exception):
    """The AzF refused (``status``, ``cause``) or could not be reached (``status`` None)."""

    def __init__(self, reason: str, status: int | None = None, cause: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.cause = cause


def rof_client_tls(
    settings: Settings, credential: RofCredential, ca_certificate: x509.Certificate
) -> ClientTls:
    """The client TLS mode the options name (see the module docstring)."""
    if settings.capif8_protection is Capif8Protection.UNSAFE_NONE:
        return PlaintextClient()
    method = settings.rof_authentication
    if method is RofAuthentication.PSK:
        if credential.psk is None:
            raise ValueError("rof-authentication=psk needs the ROF's pre-shared key")
        return PskClientTls(credential.rof_id, credential.psk)
    if method is RofAuthentication.CERTIFICATE:
        if credential.certificate is None:
            raise ValueError("rof-authentication=certificate needs the ROF's certificate")
        return CertificateClientTls(ca_certificate, credential=credential.certificate)
    return CertificateClientTls(ca_certificate)


class ResourceOwnerFunction(Closable):
    """A ROF towards the AzF at ``host:port``."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        credential: RofCredential,
        tls: ClientTls,
        server_name: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._credential = credential
        self._client = HttpsClient(tls, host, port, server_name=server_name or host, timeout=timeout)

    def _headers(self) -> dict[str, str]:
        password = self._credential.password
        if password is None:
            return {}
        token = base64.b64encode(f"{self._credential.rof_id}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def authorize(
        self, res_owner_id: str, api_invoker_id: str, aef_id: str, api_names: tuple[str, ...]
    ) -> str:
        """Record that ``res_owner_id`` authorizes the invoker for ``api_names`` at ``aef_id``; the
        AzF's ``authorizationId``."""
        body = ResourceOwnerAuthorization(
            res_owner_id, api_invoker_id, aef_id, api_names, self._credential.rof_id
        )
        try:
            response = self._client.post_json(AUTHORIZATIONS, body.to_json(), headers=self._headers())
        except (HttpClientError, TlsError, OSError) as error:
            raise RofError(f"the AzF could not be reached: {error}") from None
        if response.status != 201:
            raise _refusal("authorization", response)
        try:
            answer = ResourceOwnerAuthorization.read(response.json())
        except (HttpClientError, ProblemError) as error:
            raise RofError(f"the AzF's answer is malformed: {error}") from None
        if answer.authorization_id is None:
            raise RofError("the AzF's answer has no authorizationId")
        return answer.authorization_id

    def withdraw(self, authorization_id: str) -> None:
        """Withdraw an authorization this ROF recorded."""
        path = f"{AUTHORIZATIONS}/{urllib.parse.quote(authorization_id, safe='')}"
        query = {"rofId": self._credential.rof_id}
        try:
            response = self._client.request("DELETE", path, query=query, headers=self._headers())
        except (HttpClientError, TlsError, OSError) as error:
            raise RofError(f"the AzF could not be reached: {error}") from None
        if response.status != 204:
            raise _refusal("withdrawal", response)

    def close(self) -> None:
        self._client.close()


def _refusal(what: str, response: ClientResponse) -> RofError:
    problem = response.problem()
    cause = None if problem is None else problem.cause
    detail = None if problem is None else problem.detail
    return RofError(
        f"{what} refused with {response.status} {cause or ''}: {detail or ''}", response.status, cause
    )
