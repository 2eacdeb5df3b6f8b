"""The API provider's side of a deployment: the AMF registers the provider domain and its functions
(TS 29.222 clause 8.9, CAPIF-5), the APF publishes and updates the AEF's service API (clause 8.2,
CAPIF-4) -- including contribution 004's security method update.

Registration travels on the CCF's CAPIF-1e endpoint with the one-time ``regSec`` (the functions have
no certificate yet); publishing uses the APF's CCF-issued certificate on CAPIF-3/4/5.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from impl import pki
from impl.deployment.files import DeploymentError
from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.tls import ClientTls, TlsError

REGISTRATIONS = "/api-provider-management/v1/registrations"
ROLES = ("AMF", "APF", "AEF")


@dataclass(frozen=True)
class RegisteredFunction:
    """A provider function: its CCF-assigned id and its certified key."""

    func_id: str
    credential: pki.CertifiedKey


@dataclass(frozen=True)
class RegisteredProvider:
    """A registered provider domain with one AMF, one APF and one AEF."""

    domain_id: str
    amf: RegisteredFunction
    apf: RegisteredFunction
    aef: RegisteredFunction


def _exchange(what: str, client: HttpsClient, method: str, path: str, document: object) -> ClientResponse:
    try:
        if method == "POST":
            return client.post_json(path, document)
        return client.put_json(path, document)
    except (HttpClientError, TlsError) as error:
        raise DeploymentError(f"{what}: {error}") from error


def _answer(what: str, response: ClientResponse, status: int) -> dict[str, object]:
    if response.status != status:
        problem = response.problem()
        raise DeploymentError(
            f"{what}: the CCF answered {response.status}: {problem or response.body[:200]!r}"
        )
    try:
        document = response.json()
    except HttpClientError as error:
        raise DeploymentError(f"{what}: {error}") from error
    if not isinstance(document, dict):
        raise DeploymentError(f"{what}: the answer is not a JSON object")
    return document


def register_provider(client: HttpsClient, reg_sec: str) -> RegisteredProvider:
    """``POST /registrations`` with a fresh key's CSR per function; the certified functions."""
    keys = {role: pki.generate_private_key() for role in ROLES}
    body = {
        "regSec": reg_sec,
        "apiProvFuncs": [
            {"regInfo": {"apiProvPubKey": pki.make_csr(keys[role], role.lower())}, "apiProvFuncRole": role}
            for role in ROLES
        ],
        "apiProvDomInfo": "capifsec deployment",
    }
    document = _answer(
        "provider registration", _exchange("provider registration", client, "POST", REGISTRATIONS, body), 201
    )
    functions: dict[str, RegisteredFunction] = {}
    listed = document.get("apiProvFuncs")
    for function in listed if isinstance(listed, list) else []:
        role, func_id = _text(function, "apiProvFuncRole"), _text(function, "apiProvFuncId")
        registration = function.get("regInfo") if isinstance(function, dict) else None
        pem = _text(registration, "apiProvCert")
        if role in keys and func_id is not None and pem is not None:
            try:
                certificate = pki.load_certificate_pem(pem)
                functions[role] = RegisteredFunction(func_id, pki.CertifiedKey(certificate, keys[role]))
            except pki.PkiError as error:
                raise DeploymentError(
                    f"provider registration: unusable certificate for {role}: {error}"
                ) from error
    domain_id = _text(document, "apiProvDomId")
    if domain_id is None or set(functions) != set(ROLES):
        raise DeploymentError("provider registration: the answer lacks the domain id or a certified function")
    return RegisteredProvider(domain_id, functions["AMF"], functions["APF"], functions["AEF"])


def _text(document: object, name: str) -> str | None:
    """A string member of a JSON object, or None."""
    value = document.get(name) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


class ApfClient:
    """The APF's CAPIF-4 client (mutual TLS with its CCF-issued certificate)."""

    def __init__(self, tls: ClientTls, host: str, port: int, *, server_name: str, apf_id: str) -> None:
        self._client = HttpsClient(tls, host, port, server_name=server_name)
        self._path = f"/published-apis/v1/{urllib.parse.quote(apf_id, safe='')}/service-apis"

    def publish(self, description: Mapping[str, object]) -> str:
        """``POST {apfId}/service-apis``; the ``apiId`` the CCF assigned."""
        document = _answer(
            "publishing", _exchange("publishing", self._client, "POST", self._path, description), 201
        )
        api_id = document.get("apiId")
        if not isinstance(api_id, str):
            raise DeploymentError("publishing: the answer has no apiId")
        return api_id

    def update(self, api_id: str, description: Mapping[str, object]) -> None:
        """``PUT {apfId}/service-apis/{serviceApiId}``: e.g. new security methods (contribution 004)."""
        path = f"{self._path}/{urllib.parse.quote(api_id, safe='')}"
        _answer(
            "publication update",
            _exchange("publication update", self._client, "PUT", path, {**description, "apiId": api_id}),
            200,
        )

    def close(self) -> None:
        self._client.close()
