"""Who may call what on the CCF (TS 29.222 Table 5.1-1 over the reference points of TS 23.222): the
role table against the specification and the documentation, the role matrix (every operation x every
role x every endpoint) over real mutual TLS, and the regressions of issue 13 defects 5 and 8."""

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
    CAPIF345,
    ENDPOINTS,
    OPERATIONS,
    Credential,
    Endpoint,
    Operation,
    ReferencePoint,
    markdown_table,
)
from impl.deployment import Deployment
from impl.deployment.provider import register_provider
from impl.http import ClientResponse, HttpsClient
from impl.store.secrets import SecretPurpose
from impl.tls import Capif1eClientTls, CertificateClientTls
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


# --- the role table, its documentation, and the role matrix over mutual TLS ---------------------------

TS29222_TABLE_5_1_1 = {
    "Onboard_API_Invoker": {Role.INVOKER},
    "Update_API_Invoker_Details": {Role.INVOKER},
    "Offboard_API_Invoker": {Role.INVOKER},
    "Discover_Service_API": {Role.INVOKER},
    "Obtain_Security_Method": {Role.INVOKER},
    "Obtain_Security_Method (update)": {Role.INVOKER},
    "Obtain_Authorization": {Role.INVOKER},
    "Obtain_API_Invoker_Info": {Role.AEF},
    "Revoke_Authorization": {Role.AEF},
    "Obtain_Access_Control_Policy": {Role.AEF},
    "Publish_Service_API": {Role.APF},
    "Get_Service_API": {Role.APF},
    "Update_Service_API": {Role.APF},
    "Unpublish_Service_API": {Role.APF},
    "Register_API_Provider": {Role.AMF},
    "Update_API_Provider": {Role.AMF},
    "Deregister_API_Provider": {Role.AMF},
}
"""TS 29.222 Table 5.1-1, the consumers within one CAPIF provider (the CCF consumers of CAPIF-6/6e
are the interconnection's), written down independently of the role table to check it."""

REFERENCE_POINT_OF = {
    Role.INVOKER: ReferencePoint.CAPIF_1E,
    Role.AEF: ReferencePoint.CAPIF_3,
    Role.APF: ReferencePoint.CAPIF_4,
    Role.AMF: ReferencePoint.CAPIF_5,
}
"""TS 23.222 clause 6.2: the reference point each consumer reaches the CCF on."""

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
}
"""What each operation's handler answers the matrix's probe when the gate lets its consumer through."""

DESTRUCTIVE = {"offboard", "deregister"}
"""Operations whose probe, when let through, ends the caller: probed last."""

ANONYMOUS = "anonymous"


def test_the_role_table_names_the_consumers_of_ts29222_table_5_1_1() -> None:
    for operation in OPERATIONS:
        roles = {consumer.role for consumer in operation.consumers}
        assert roles == TS29222_TABLE_5_1_1[operation.operation], operation.key
        for consumer in operation.consumers:
            assert consumer.reference_point is REFERENCE_POINT_OF[consumer.role], operation.key
    assert {operation.operation for operation in OPERATIONS} == set(TS29222_TABLE_5_1_1)
    assert set(HANDLER_ANSWER) == {operation.key for operation in OPERATIONS}
    assert all(sum(endpoint.serves(operation) for endpoint in ENDPOINTS) == 1 for operation in OPERATIONS)


def test_the_documentation_shows_the_role_table() -> None:
    page = (Path(__file__).parents[2] / "docs" / "implementation.md").read_text()
    shown = page.split("<!-- role-table", 1)[1].split("-->", 1)[1].split("<!-- /role-table -->", 1)[0]
    expected = markdown_table(OPERATIONS, ENDPOINTS)
    assert shown.strip() == expected.strip(), f"docs/implementation.md must show:\n{expected}"


@dataclass
class Party:
    """A caller of the matrix: its role (or none), its id, and its CCF-issued credential."""

    role: Role | None
    id: str
    credential: pki.CertifiedKey | None
    domain_id: str | None = None


@dataclass
class Matrix:
    """The matrix's parties (a fresh invoker, a fresh provider domain) and a client per party and
    endpoint (mutual TLS where the party has a certificate)."""

    parties: dict[str, Party]
    clients: dict[tuple[str, str], HttpsClient]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture(scope="module")
def matrix(deployment: Deployment) -> Iterator[Matrix]:
    ca = deployment.ca.certificate
    invoker = deployment.invoker()
    invoker.onboard(deployment.onboarding_secret())
    reg_sec = deployment.ccf.core.operator.create_secret(
        SecretPurpose.PROVIDER_REGISTRATION, now=deployment.clock()
    )
    with HttpsClient(Capif1eClientTls(ca), deployment.host, deployment.ccf.capif1e_port) as client:
        provider = register_provider(client, reg_sec)
    parties = {
        ANONYMOUS: Party(None, "", None),
        "INVOKER": Party(Role.INVOKER, invoker.identity.api_invoker_id, invoker.identity.credential),
        **{
            str(role): Party(role, function.func_id, function.credential, provider.domain_id)
            for role, function in (
                (Role.AEF, provider.aef),
                (Role.APF, provider.apf),
                (Role.AMF, provider.amf),
            )
        },
    }
    clients: dict[tuple[str, str], HttpsClient] = {}
    for name, party in parties.items():
        clients[name, CAPIF1E.name] = HttpsClient(
            Capif1eClientTls(ca, credential=party.credential), deployment.host, deployment.ccf.capif1e_port
        )
        if party.credential is not None:  # CAPIF-3/4/5 needs a certificate at the handshake
            clients[name, CAPIF345.name] = HttpsClient(
                CertificateClientTls(ca, credential=party.credential),
                deployment.host,
                deployment.ccf.capif345_port,
            )
    built = Matrix(parties, clients)
    yield built
    built.close()
    invoker.close()


def _cells() -> list[tuple[Operation, str, Endpoint]]:
    """Every operation x every party x every endpoint it can reach; a probe that ends its caller
    comes after every other probe."""
    cells = [
        (operation, party, endpoint)
        for operation in OPERATIONS
        for party in (ANONYMOUS, *(str(role) for role in REFERENCE_POINT_OF))
        for endpoint in ENDPOINTS
        if party != ANONYMOUS or endpoint is CAPIF1E
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
    ("operation", "party", "endpoint"),
    _cells(),
    ids=[f"{operation.key}-{party}-{endpoint.name.split()[0]}" for operation, party, endpoint in _cells()],
)
def test_role_matrix(matrix: Matrix, operation: Operation, party: str, endpoint: Endpoint) -> None:
    """Each cell over real mutual TLS: a consumer of the operation on this endpoint's reference point
    reaches its handler; every other authenticated caller gets 403 before anything is looked up; a
    caller without certificate gets 401 (secret-authenticated operations: their handler's answer
    where served, 403 elsewhere)."""
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
