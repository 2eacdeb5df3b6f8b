"""Who may call what on the CCF (TS 29.222 Table 5.1-1 over the reference points of TS 23.222, with
CAPIF-6/6e and CAPIF-8): the role table against the specification and the documentation, the role
matrix (every operation x every role x every endpoint) over real TLS against a CCF interconnected with
a peer and serving CAPIF-8, and the regressions of issue 13 defects 5 and 8."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from impl import pki
from impl.ccf import Role
from impl.ccf.service.operations import (
    CAPIF1E,
    CAPIF6,
    CAPIF8,
    CAPIF345,
    ENDPOINTS,
    OPERATIONS,
    RESOURCE_OWNER_AUTHORIZATIONS,
    REVOCATION_REQUESTS,
    Credential,
    Endpoint,
    Operation,
    ReferencePoint,
    markdown_table,
)
from impl.deployment import Deployment
from impl.deployment.interconnected import InterconnectedDeployment
from impl.deployment.provider import register_provider
from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.settings import Settings
from impl.store.secrets import SecretPurpose
from impl.tls import Capif1eClientTls, CertificateClientTls, ClientTls, TlsError
from tests.impl.test_e2e_world import Ready

TRUSTED = "/capif-security/v1/trustedInvokers"
ONBOARDED = "/api-invoker-management/v1/onboardedInvokers"


def _cause(response: ClientResponse) -> str | None:
    problem = response.problem()
    return None if problem is None else problem.cause


def test_an_aef_certificate_on_capif1e_revokes_nothing(deployment: Deployment, ready: Ready) -> None:
    """Issue 13 defect 5: the AEF's certificate chains to the CCF's CA, so the CAPIF-1e handshake
    accepts it; Revoke_Authorization is the AEF's operation on CAPIF-3 only, so on CAPIF-1e it is
    refused and the invoker keeps its security context."""
    aef_credential = deployment.aef.config.capif3_credential
    on_capif1e = Capif1eClientTls(deployment.ca.certificate, credential=aef_credential)
    with HttpsClient(on_capif1e, deployment.host, deployment.ccf.capif1e_port) as capif1e:
        response = capif1e.delete(f"{TRUSTED}/{ready.api_invoker_id}")
    assert (response.status, _cause(response)) == (403, "REQUEST_NOT_AUTHORIZED")
    on_capif3 = CertificateClientTls(deployment.ca.certificate, credential=aef_credential)
    with HttpsClient(on_capif3, deployment.host, deployment.ccf.capif345_port) as capif3:
        still = capif3.get(f"{TRUSTED}/{ready.api_invoker_id}")
    assert still.status == 200


def test_a_route_of_the_other_endpoint_answers_405_with_allow(deployment: Deployment, ready: Ready) -> None:
    """Issue 13 defect 8: a path the CCF serves answers a method it does not serve with 405 and
    ``Allow`` (RFC 9110 clause 15.5.6) on either endpoint, not 404 on the endpoint that does not
    serve the path's operations."""
    aef_tls = CertificateClientTls(
        deployment.ca.certificate, credential=deployment.aef.config.capif3_credential
    )
    with HttpsClient(aef_tls, deployment.host, deployment.ccf.capif345_port) as capif345:
        onboarded = capif345.request("PATCH", f"{ONBOARDED}/{ready.api_invoker_id}")
    invoker_tls = Capif1eClientTls(deployment.ca.certificate, credential=ready.invoker.identity.credential)
    with HttpsClient(invoker_tls, deployment.host, deployment.ccf.capif1e_port) as capif1e:
        policy = capif1e.request("PATCH", "/access-control-policy/v1/accessControlPolicyList/any")
    assert (onboarded.status, onboarded.headers.get("allow")) == (405, "DELETE, PUT")
    assert (policy.status, policy.headers.get("allow")) == (405, "GET")


# --- the role table, its documentation, and the role matrix over TLS ------------------------------------

TS29222_TABLE_5_1_1 = {
    "Onboard_API_Invoker": {Role.INVOKER},
    "Update_API_Invoker_Details": {Role.INVOKER},
    "Offboard_API_Invoker": {Role.INVOKER},
    "Discover_Service_API": {Role.INVOKER, Role.CCF},
    "Obtain_Security_Method": {Role.INVOKER},
    "Obtain_Security_Method (update)": {Role.INVOKER},
    "Obtain_Authorization": {Role.INVOKER},
    "Obtain_API_Invoker_Info": {Role.AEF},
    "Revoke_Authorization": {Role.AEF},
    "Obtain_Access_Control_Policy": {Role.AEF},
    "Publish_Service_API": {Role.APF, Role.CCF},
    "Get_Service_API": {Role.APF, Role.CCF},
    "Update_Service_API": {Role.APF, Role.CCF},
    "Unpublish_Service_API": {Role.APF, Role.CCF},
    "Register_API_Provider": {Role.AMF},
    "Update_API_Provider": {Role.AMF},
    "Deregister_API_Provider": {Role.AMF},
}
"""TS 29.222 Table 5.1-1 ("CAPIF core function" being another provider's, TS 23.222 clause 8.25),
written down independently of the role table to check it."""

NON_STANDARD = {
    "Interconnection_Security_Method": {Role.CCF},
    "Interconnection_Security_Information": {Role.CCF},
    "Interconnection_Obtain_Authorization": {Role.CCF},
    "Interconnection_Obtain_Access_Control_Policy": {Role.CCF},
    "Interconnection_Revoke_Authorization_Notify": {Role.CCF},
    "Interconnection_Revoke_Authorization": {Role.CCF},
    "Interconnection_Security_Information_Update": {Role.CCF},
    "Record_Resource_Owner_Authorization": {Role.ROF},
    "Withdraw_Resource_Owner_Authorization": {Role.ROF},
}
"""This implementation's own operations (no 3GPP API carries their flows): the CCF-to-CCF security
flows of contributions 000 to 002 on CAPIF-6/6e and contribution 003's on CAPIF-8."""

REFERENCE_POINT_OF = {
    Role.INVOKER: ReferencePoint.CAPIF_1E,
    Role.AEF: ReferencePoint.CAPIF_3,
    Role.APF: ReferencePoint.CAPIF_4,
    Role.AMF: ReferencePoint.CAPIF_5,
    Role.CCF: ReferencePoint.CAPIF_6,
    Role.ROF: ReferencePoint.CAPIF_8,
}
"""TS 23.222 clauses 6.2 and 8.25, contribution 003: the reference point each consumer reaches the CCF on."""

HANDLER_ANSWER = {
    "onboard": 401,  # no onboarding secret
    "update-invoker": 400,  # empty body
    "offboard": 204,
    "discover": 200,
    "create-context": 400,
    "update-context": 400,
    "token": 400,  # empty form: AccessTokenErr invalid_request
    "security-information": 404,  # an invoker unknown to this AEF
    "revoke-all": 404,
    "revoke": 400,
    "policy-list": 404,  # no such service API at this AEF
    "publish": 400,
    "list-published": 200,
    "get-published": 404,
    "update-published": 400,
    "unpublish": 404,
    "register": 400,  # no regSec
    "update-registration": 400,
    "deregister": 204,
    "relay-negotiation": 400,
    "release-security-information": 400,
    "relay-token": 400,
    "home-policy": 400,
    "revocation-notify": 400,
    "revocation-request": 400,
    "security-information-update": 400,
    "record-authorization": 400,
    "withdraw-authorization": 404,  # no such authorization of this ROF
}
"""What each operation's handler answers the matrix's probe when the gate lets its consumer through."""

DESTRUCTIVE = {"offboard", "deregister"}
"""Operations whose probe, when let through, ends the caller: probed last."""

ANONYMOUS = "anonymous"
PARTIES = (ANONYMOUS, *(str(role) for role in REFERENCE_POINT_OF))
NO_HANDSHAKE = {
    (ANONYMOUS, CAPIF345),
    (ANONYMOUS, CAPIF6),
    (ANONYMOUS, CAPIF8),
    (str(Role.CCF), CAPIF1E),
    (str(Role.CCF), CAPIF345),
    (str(Role.CCF), CAPIF8),
}
"""Who cannot even complete the TLS handshake: the CAPIF-3/4/5, CAPIF-6/6e and CAPIF-8 endpoints
require a client certificate, and only CAPIF-6/6e trusts the peer's CA, which issued its CCF's."""


def test_the_role_table_names_the_consumers_of_ts29222_table_5_1_1() -> None:
    for operation in OPERATIONS:
        roles = {consumer.role for consumer in operation.consumers}
        expected = (TS29222_TABLE_5_1_1 if operation.standard else NON_STANDARD)[operation.operation]
        assert roles == expected, operation.key
        for consumer in operation.consumers:
            assert consumer.reference_point is REFERENCE_POINT_OF[consumer.role], operation.key
    assert {op.operation for op in OPERATIONS if op.standard} == set(TS29222_TABLE_5_1_1)
    assert {op.operation for op in OPERATIONS if not op.standard} == set(NON_STANDARD)
    assert set(HANDLER_ANSWER) == {operation.key for operation in OPERATIONS}
    for operation in OPERATIONS:  # one endpoint per reference point a consumer uses
        serving = [endpoint for endpoint in ENDPOINTS if endpoint.serves(operation)]
        assert len(serving) == len(operation.consumers), operation.key


def test_the_documentation_shows_the_role_table() -> None:
    page = (Path(__file__).parents[2] / "docs" / "implementation.md").read_text()
    shown = page.split("<!-- role-table", 1)[1].split("-->", 1)[1].split("<!-- /role-table -->", 1)[0]
    expected = markdown_table(OPERATIONS, ENDPOINTS)
    assert shown.strip() == expected.strip(), f"docs/implementation.md must show:\n{expected}"
    assert expected.count("(non-standard)") == len(NON_STANDARD)


@dataclass
class Party:
    """A caller of the matrix: its role (or none), its id, and its credential."""

    role: Role | None
    id: str
    credential: pki.CertifiedKey | None
    domain_id: str | None = None


@dataclass
class Matrix:
    """The matrix's parties at provider b (a fresh invoker, a fresh provider domain, a ROF, and
    provider a's CCF) and a client per party and endpoint of b that the party can connect to."""

    parties: dict[str, Party]
    clients: dict[tuple[str, str], HttpsClient]
    tls: dict[tuple[str, str], tuple[ClientTls, int]]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    with InterconnectedDeployment(tmp_path_factory.mktemp("roles"), Settings()) as providers:
        home, peer = providers["b"], providers["a"]
        ca = home.ca.certificate
        invoker = home.invoker()
        invoker.onboard(home.onboarding_secret())
        reg_sec = home.ccf.core.operator.create_secret(SecretPurpose.PROVIDER_REGISTRATION, now=home.clock())
        with HttpsClient(Capif1eClientTls(ca), home.host, home.ccf.capif1e_port) as client:
            provider = register_provider(client, reg_sec)
        rof = home.register_rof("rof-matrix", ["owner-1"])
        parties = {
            ANONYMOUS: Party(None, "", None),
            str(Role.INVOKER): Party(
                Role.INVOKER, invoker.identity.api_invoker_id, invoker.identity.credential
            ),
            **{
                str(role): Party(role, function.func_id, function.credential, provider.domain_id)
                for role, function in (
                    (Role.AEF, provider.aef),
                    (Role.APF, provider.apf),
                    (Role.AMF, provider.amf),
                )
            },
            str(Role.CCF): Party(Role.CCF, peer.ccf_id, peer.ccf.config.credential),
            str(Role.ROF): Party(Role.ROF, rof.rof_id, rof.certificate),
        }
        ports = {
            CAPIF1E.name: home.ccf.capif1e_port,
            CAPIF345.name: home.ccf.capif345_port,
            CAPIF6.name: home.interconnected_ccf.capif6_port,
            CAPIF8.name: home.azf.port,
        }
        tls: dict[tuple[str, str], tuple[ClientTls, int]] = {}
        clients: dict[tuple[str, str], HttpsClient] = {}
        for name, party in parties.items():
            for endpoint in ENDPOINTS:
                mode: ClientTls = (
                    Capif1eClientTls(ca, credential=party.credential)
                    if endpoint is CAPIF1E
                    else CertificateClientTls(ca, credential=party.credential)
                )
                tls[name, endpoint.name] = (mode, ports[endpoint.name])
                if (name, endpoint) not in NO_HANDSHAKE:
                    clients[name, endpoint.name] = HttpsClient(mode, home.host, ports[endpoint.name])
        built = Matrix(parties, clients, tls)
        yield built
        built.close()
        invoker.close()


def _cells() -> list[tuple[Operation, str, Endpoint]]:
    """Every operation x every party x every endpoint it can reach; a probe that ends its caller
    comes after every other probe."""
    cells = [
        (operation, party, endpoint)
        for operation in OPERATIONS
        for party in PARTIES
        for endpoint in ENDPOINTS
        if (party, endpoint) not in NO_HANDSHAKE
    ]

    def lets_through_destructive(cell: tuple[Operation, str, Endpoint]) -> bool:
        operation, party, endpoint = cell
        return operation.key in DESTRUCTIVE and party != ANONYMOUS and endpoint.admits(operation, Role(party))

    return sorted(cells, key=lets_through_destructive)


def _probe(operation: Operation, party: Party) -> tuple[str, dict[str, str], bytes, str | None]:
    """The probe request: parameters naming the caller where they must, the caller's own provider
    domain for ``registrationId``, an unknown id elsewhere; an empty JSON body or form."""
    values = {}
    for name in re.findall(r"\{(\w+)\}", operation.path):
        if operation.subject is not None and operation.subject.parameter == name:
            values[name] = party.id or "nobody"
        elif name == "registrationId":
            values[name] = party.domain_id or "DOMunknown"
        else:
            values[name] = f"unknown-{name}"
    path = operation.path.format(
        **{name: urllib.parse.quote(value, safe="") for name, value in values.items()}
    )
    query = {}
    if operation.subject is not None and operation.subject.in_query:
        query[operation.subject.parameter] = party.id or "nobody"
    if operation.method in ("GET", "DELETE"):
        return path, query, b"", None
    if operation.credential is Credential.OAUTH_CLIENT:
        return path, query, b"", "application/x-www-form-urlencoded"
    return path, query, b"{}", "application/json"


@pytest.mark.parametrize(
    ("party", "endpoint"),
    sorted(NO_HANDSHAKE, key=str),
    ids=[f"{party}-{endpoint.name.split()[0]}" for party, endpoint in sorted(NO_HANDSHAKE, key=str)],
)
def test_who_cannot_complete_the_handshake(matrix: Matrix, party: str, endpoint: Endpoint) -> None:
    """The rest of the matrix for these pairs: TLS refuses them before any request."""
    tls, port = matrix.tls[party, endpoint.name]
    with pytest.raises((TlsError, HttpClientError)), HttpsClient(tls, "127.0.0.1", port, timeout=5) as client:
        client.get("/")


@pytest.mark.parametrize(
    ("operation", "party", "endpoint"),
    _cells(),
    ids=[f"{operation.key}-{party}-{endpoint.name.split()[0]}" for operation, party, endpoint in _cells()],
)
def test_role_matrix(matrix: Matrix, operation: Operation, party: str, endpoint: Endpoint) -> None:
    """Each cell over real TLS: a consumer of the operation on this endpoint's reference point reaches
    its handler; every other authenticated caller gets 403 before anything is looked up; a caller
    without certificate gets 401 (secret-authenticated operations: their handler's answer where
    served, 403 elsewhere)."""
    caller = matrix.parties[party]
    path, query, body, content_type = _probe(operation, caller)
    response = matrix.clients[party, endpoint.name].request(
        operation.method, path, query=query, body=body, content_type=content_type
    )
    if operation.credential.is_secret:
        expected = HANDLER_ANSWER[operation.key] if endpoint.serves(operation) else 403
    elif caller.role is None:
        expected = 401
    elif endpoint.admits(operation, caller.role):
        expected = HANDLER_ANSWER[operation.key]
    else:
        expected = 403
    assert response.status == expected, response.body
    if expected == 403:
        assert _cause(response) == "REQUEST_NOT_AUTHORIZED"


@pytest.mark.parametrize(
    ("party", "endpoint", "path", "allow"),
    [
        (str(Role.CCF), CAPIF6, "/published-apis/v1/ccf-a/service-apis", "GET, POST"),
        (str(Role.CCF), CAPIF6, RESOURCE_OWNER_AUTHORIZATIONS, "POST"),
        (str(Role.ROF), CAPIF8, RESOURCE_OWNER_AUTHORIZATIONS + "/any", "DELETE"),
        (str(Role.ROF), CAPIF8, REVOCATION_REQUESTS, "POST"),
        (str(Role.INVOKER), CAPIF1E, REVOCATION_REQUESTS, "POST"),
        (str(Role.AEF), CAPIF345, "/service-apis/v1/allServiceAPIs", "GET"),
    ],
    ids=lambda value: value.name.split()[0] if isinstance(value, Endpoint) else None,
)
def test_every_endpoint_answers_405_with_allow(
    matrix: Matrix, party: str, endpoint: Endpoint, path: str, allow: str
) -> None:
    """Every endpoint routes every operation of the table, so a method a path does not serve gets 405
    with ``Allow`` on every port, including CAPIF-6/6e and CAPIF-8 (RFC 9110 clause 15.5.6)."""
    response = matrix.clients[party, endpoint.name].request("PATCH", path)
    assert (response.status, response.headers.get("allow")) == (405, allow)
