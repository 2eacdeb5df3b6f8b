"""OpenCAPIF's request sequences, translated to capifsec: the environment the 34 cases run in.

The cases are those of ETSI OpenCAPIF's Robot Framework suite (formerly EVOLVED-5G/CAPIF_API_Services,
``tests/features/``) for the CAPIF Security API and the API Invoker Management API. Each case resets
OpenCAPIF, registers users, and sends its requests with one HTTPS URL and per-user certificates. The
translation, applied to every case and nothing else:

* OpenCAPIF's registration token (presented at onboarding) is capifsec's one-time onboarding secret
  (``Authorization: Bearer``); its provider registration token is capifsec's ``regSec``.
* OpenCAPIF's user certificates are the certificates capifsec issues: the invoker's at onboarding, the
  provider functions' at registration, from CSRs naming OpenCAPIF's user names.
* OpenCAPIF's one URL is the CCF endpoint of the caller's reference point (TS 23.222 clause 6.2): the
  invoker's requests go to the CAPIF-1e endpoint, the AEF's and APF's to the CAPIF-3/4/5 endpoint.
* Addresses of OpenCAPIF's test set-up become loopback addresses: its ``http://`` callbacks an
  ``https`` URL on a loopback port nobody listens on (capifsec refuses ``http`` destinations:
  :func:`literal_destination_refused`), the interface its security body names (``127.0.0.1:5248``,
  PSK) an interface its provider publishes, and the ``"string"`` addresses of its service API
  description distinct loopback ports.

"Reset Testing Environment" is a fresh CCF (its own database; the CAPIF CA and the CCF's keys are
shared by the cases of a module). The provider exists from the start of each case; OpenCAPIF's
"Provider Default Registration" step then stands for it. Its AEF publishes the interface OpenCAPIF's
security body names when a case first sends that body.
"""

from __future__ import annotations

import itertools
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from impl import pki
from impl.ccf.service import CCF_URN_PREFIX, CcfService, CcfServiceConfig
from impl.http import ClientResponse, HttpsClient
from impl.settings import Settings
from impl.store.secrets import SecretPurpose
from impl.tls import Capif1eClientTls, CertificateClientTls
from impl.tokens import SigningKey

CCF_ID = "ccf-conformance"
HOST = "127.0.0.1"
INVOKER_USERNAME = "robot_invoker"
PROVIDER_USERNAME = "robot_provider"
ONBOARDED = "/api-invoker-management/v1/onboardedInvokers"
TRUSTED = "/capif-security/v1/trustedInvokers"
DISCOVER = "/service-apis/v1/allServiceAPIs"
REGISTRATIONS = "/api-provider-management/v1/registrations"
OPENCAPIF_CALLBACK = "http://robot.testing:1080"
ONBOARDING_CALLBACK = "http://capif-callback/netapp_callback"
"""OpenCAPIF's onboarding callback (its host and port are variables of its set-up)."""
PLACEHOLDER_API = "opencapif-interface"
PREFERENCES = ["PSK", "PKI", "OAUTH"]
WEBSOCKET = {"requestWebsocketUri": True, "websocketUri": "websocketUri"}
NOT_VALID = "not-valid"


def translated_destination(original: str) -> str:
    """OpenCAPIF's ``http://host:port/path`` callback as an ``https`` URL on loopback port 9 (nothing
    listens there), the original address kept in the path so that two callbacks stay distinct."""
    parts = urllib.parse.urlsplit(original)
    return f"https://{HOST}:9/{parts.netloc}{parts.path}"


@dataclass(frozen=True)
class Invoker:
    """An onboarded invoker: its id, certificate, the onboarding request body, its resource path."""

    api_invoker_id: str
    credential: pki.CertifiedKey
    body: dict[str, object]
    path: str
    secret: str


@dataclass(frozen=True)
class Provider:
    """A registered provider domain: ids and certificates of its AEF, APF and AMF, and the interface
    (loopback port) its AEF publishes for OpenCAPIF's security body."""

    aef_id: str
    apf_id: str
    amf_id: str
    aef: pki.CertifiedKey
    apf: pki.CertifiedKey
    interface_port: int


@dataclass(frozen=True)
class CcfKeys:
    """The CAPIF CA, the CCF's certificate and its token signing key: made once per module."""

    ca: pki.CertificateAuthority
    credential: pki.CertifiedKey
    token_signing_key: SigningKey

    @classmethod
    def create(cls) -> CcfKeys:
        now = datetime.now(UTC)
        ca = pki.CertificateAuthority.create("conformance CAPIF CA", now=now - timedelta(hours=1))
        profile = pki.CertificateProfile(
            CCF_ID,
            ip_addresses=(IPv4Address(HOST),),
            uris=(CCF_URN_PREFIX + CCF_ID,),
            server_auth=True,
            client_auth=True,
        )
        credential = ca.issue_certified_key(profile, now=now - timedelta(minutes=5))
        return cls(ca, credential, SigningKey.generate(f"{CCF_ID}-token-key"))


@dataclass
class Environment:
    """A CCF (CAPIF-1e and CAPIF-3/4/5 endpoints) on a fresh database, and the clients opened to it."""

    ccf: CcfService
    ca: pki.CertificateAuthority
    ports: Iterator[int] = field(default_factory=lambda: itertools.count(20000))
    _clients: list[HttpsClient] = field(default_factory=list)
    _interfaces: set[str] = field(default_factory=set)

    @classmethod
    @contextmanager
    def running(cls, keys: CcfKeys, directory: Path) -> Iterator[Environment]:
        """A CCF on loopback, as OpenCAPIF's suite starts each case from an empty CCF."""
        config = CcfServiceConfig(
            ccf_id=CCF_ID,
            ca=keys.ca,
            credential=keys.credential,
            token_signing_key=keys.token_signing_key,
            database_path=directory / "ccf.sqlite3",
            settings=Settings(),
            host=HOST,
        )
        with CcfService(config) as ccf:
            environment = cls(ccf, keys.ca)
            try:
                yield environment
            finally:
                for client in environment._clients:
                    client.close()

    def anonymous(self) -> HttpsClient:
        """A CAPIF-1e client without certificate (onboarding, registration)."""
        return self._client(HttpsClient(Capif1eClientTls(self.ca.certificate), HOST, self.ccf.capif1e_port))

    def as_invoker(self, credential: pki.CertifiedKey) -> HttpsClient:
        """The invoker's requests: the CAPIF-1e endpoint with its certificate."""
        tls = Capif1eClientTls(self.ca.certificate, credential=credential)
        return self._client(HttpsClient(tls, HOST, self.ccf.capif1e_port))

    def as_provider(self, credential: pki.CertifiedKey) -> HttpsClient:
        """An AEF's or APF's requests: the CAPIF-3/4/5 endpoint with its certificate."""
        tls = CertificateClientTls(self.ca.certificate, credential=credential)
        return self._client(HttpsClient(tls, HOST, self.ccf.capif345_port))

    def _client(self, client: HttpsClient) -> HttpsClient:
        self._clients.append(client)
        return client

    def onboarding_secret(self) -> str:
        return self.ccf.core.operator.create_secret(SecretPurpose.INVOKER_ONBOARDING, now=datetime.now(UTC))

    def onboard_invoker(self, username: str = INVOKER_USERNAME) -> Invoker:
        """OpenCAPIF's "Invoker Default Onboarding": its onboarding body, with a CSR naming the user."""
        key = pki.generate_private_key()
        secret = self.onboarding_secret()
        body = onboarding_body(pki.make_csr(key, username), username)
        response = self.anonymous().post_json(ONBOARDED, body, headers={"Authorization": f"Bearer {secret}"})
        answer = _document(response, 201)
        certificate = pki.load_certificate_pem(
            str(member(answer, "onboardingInformation")["apiInvokerCertificate"])
        )
        path = urllib.parse.urlsplit(response.headers["location"]).path
        return Invoker(str(answer["apiInvokerId"]), pki.CertifiedKey(certificate, key), body, path, secret)

    def register_provider(self) -> Provider:
        """OpenCAPIF's "Provider Default Registration" (its body, ``regSec`` = capifsec's secret)."""
        keys = {role: pki.generate_private_key() for role in ("APF", "AEF", "AMF")}
        reg_sec = self.ccf.core.operator.create_secret(
            SecretPurpose.PROVIDER_REGISTRATION, now=datetime.now(UTC)
        )
        body = {
            "regSec": reg_sec,
            "apiProvFuncs": [
                {
                    "regInfo": {"apiProvPubKey": pki.make_csr(key, f"{PROVIDER_USERNAME}_{role.lower()}")},
                    "apiProvFuncRole": role,
                    "apiProvFuncInfo": f"{PROVIDER_USERNAME}_{role.lower()}",
                }
                for role, key in keys.items()
            ],
            "apiProvDomInfo": "ROBOT_TESTING",
            "suppFeat": "fffffff",
            "failReason": "string",
        }
        answer = _document(self.anonymous().post_json(REGISTRATIONS, body), 201)
        functions: dict[str, tuple[str, pki.CertifiedKey]] = {}
        for function in members(answer, "apiProvFuncs"):
            role = str(function["apiProvFuncRole"])
            certificate = pki.load_certificate_pem(str(member(function, "regInfo")["apiProvCert"]))
            functions[role] = (str(function["apiProvFuncId"]), pki.CertifiedKey(certificate, keys[role]))
        return Provider(
            aef_id=functions["AEF"][0],
            apf_id=functions["APF"][0],
            amf_id=functions["AMF"][0],
            aef=functions["AEF"][1],
            apf=functions["APF"][1],
            interface_port=next(self.ports),
        )

    def security_body(self, provider: Provider, destination: str = OPENCAPIF_CALLBACK) -> dict[str, object]:
        """OpenCAPIF's service security body; the provider's AEF publishes the interface it names
        first (once): one entry for that interface, preferences PSK, PKI, OAUTH, and the placeholder
        credentials OpenCAPIF sends along."""
        if provider.aef_id not in self._interfaces:
            placeholder = {
                "apiName": PLACEHOLDER_API,
                "aefProfiles": [
                    {
                        "aefId": provider.aef_id,
                        "versions": [{"apiVersion": "v1"}],
                        "securityMethods": ["PSK"],
                        "interfaceDescriptions": [
                            {"ipv4Addr": HOST, "port": provider.interface_port, "securityMethods": ["PSK"]}
                        ],
                    }
                ],
            }
            _document(self.as_provider(provider.apf).post_json(_published(provider), placeholder), 201)
            self._interfaces.add(provider.aef_id)
        return {
            "notificationDestination": translated_destination(destination),
            "supportedFeatures": "fffffff",
            "securityInfo": [
                {
                    "authenticationInfo": "authenticationInfo",
                    "authorizationInfo": "authorizationInfo",
                    "interfaceDetails": {
                        "ipv4Addr": HOST,
                        "securityMethods": ["PSK"],
                        "port": provider.interface_port,
                    },
                    "prefSecurityMethods": list(PREFERENCES),
                }
            ],
            "websockNotifConfig": dict(WEBSOCKET),
            "requestTestNotification": True,
        }

    def publish_service(self, provider: Provider, api_name: str = "service_1") -> dict[str, object]:
        """OpenCAPIF's "Publish Service Api": its service API description, addresses translated."""
        description = service_api_description(api_name, provider.aef_id, (next(self.ports), next(self.ports)))
        return _document(self.as_provider(provider.apf).post_json(_published(provider), description), 201)


def onboarding_body(csr: str, username: str) -> dict[str, object]:
    """OpenCAPIF's onboarding request body (callback translated)."""
    return {
        "notificationDestination": translated_destination(ONBOARDING_CALLBACK),
        "supportedFeatures": "fffffff",
        "apiInvokerInformation": username,
        "websockNotifConfig": dict(WEBSOCKET),
        "onboardingInformation": {
            "apiInvokerPublicKey": csr,
            "onboardingSecret": "onboardingSecret",
            "apiInvokerCertificate": "apiInvokerCertificate",
        },
        "requestTestNotification": True,
    }


def security_body_from_discovery(discovered: Mapping[str, object], destination: str) -> dict[str, object]:
    """OpenCAPIF's service security body built from a discovery answer: one entry per (API, AEF)."""
    entries = [
        {
            "authenticationInfo": "authenticationInfo",
            "authorizationInfo": "authorizationInfo",
            "prefSecurityMethods": list(PREFERENCES),
            "aefId": profile["aefId"],
            "apiId": api["apiId"],
        }
        for api in members(discovered, "serviceAPIDescriptions")
        for profile in members(api, "aefProfiles")
    ]
    return {
        "notificationDestination": translated_destination(destination),
        "supportedFeatures": "fffffff",
        "securityInfo": entries,
        "websockNotifConfig": dict(WEBSOCKET),
        "requestTestNotification": True,
    }


def security_notification(api_invoker_id: str, api_ids: list[str]) -> dict[str, object]:
    """OpenCAPIF's revocation body (cause OVERLIMIT_USAGE)."""
    return {"apiIds": api_ids, "apiInvokerId": api_invoker_id, "cause": "OVERLIMIT_USAGE"}


def token_form(client_id: str, scope: str, grant_type: str = "client_credentials") -> dict[str, str]:
    """OpenCAPIF's access token request."""
    return {"client_id": client_id, "grant_type": grant_type, "scope": scope}


def scope(aef_id: str, api_name: str) -> str:
    """OpenCAPIF's scope: ``3gpp#aefId:apiName`` (TS 29.222 ``AccessTokenReq.scope``)."""
    return f"3gpp#{aef_id}:{api_name}"


def service_api_description(api_name: str, aef_id: str, ports: tuple[int, int]) -> dict[str, object]:
    """OpenCAPIF's service API description: PSK at the profile and at two interfaces (its
    ``"string"`` addresses, port 65535, translated to two loopback ports)."""
    resource = {
        "resourceName": "string",
        "commType": "REQUEST_RESPONSE",
        "uri": "string",
        "custOpName": "string",
        "operations": ["GET"],
        "description": "string",
    }
    operation = {
        "commType": "REQUEST_RESPONSE",
        "custOpName": "string",
        "operations": ["GET"],
        "description": "string",
    }
    return {
        "apiName": api_name,
        "aefProfiles": [
            {
                "aefId": aef_id,
                "versions": [
                    {
                        "apiVersion": "v1",
                        "expiry": "2021-11-30T10:32:02.004000Z",
                        "resources": [resource],
                        "custOperations": [operation],
                    }
                ],
                "protocol": "HTTP_1_1",
                "dataFormat": "JSON",
                "securityMethods": ["PSK"],
                "interfaceDescriptions": [
                    {"ipv4Addr": HOST, "port": port, "securityMethods": ["PSK"]} for port in ports
                ],
            }
        ],
        "description": "ROBOT_TESTING",
        "supportedFeatures": "fffff",
        "shareableInfo": {"isShareable": True, "capifProvDoms": ["string"]},
        "serviceAPICategory": "string",
        "apiSuppFeats": "fffff",
        "pubApiPath": {"ccfIds": ["string"]},
        "ccfId": "string",
    }


def _published(provider: Provider) -> str:
    return f"/published-apis/v1/{provider.apf_id}/service-apis"


def _document(response: ClientResponse, status: int) -> dict[str, object]:
    """The JSON object of a set-up step's answer, which must have ``status``."""
    assert response.status == status, response.body
    document = response.json()
    assert isinstance(document, dict)
    return document


def member(document: Mapping[str, object], name: str) -> dict[str, object]:
    value = document[name]
    assert isinstance(value, dict)
    return value


def members(document: Mapping[str, object], name: str) -> list[dict[str, object]]:
    value = document[name]
    assert isinstance(value, list) and all(isinstance(item, dict) for item in value)
    return value
