"""Bad input on CAPIF-6/6e: every route of a CCF's CAPIF-6/6e endpoint answers a malformed or hostile
body from an interconnected peer with a clear 4xx (ProblemDetails, or ``AccessTokenErr`` for the token
relay), never a 500, and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from impl.deployment.interconnected import InterconnectedDeployment
from impl.http import HttpsClient
from impl.interconnect import client as paths
from impl.interconnect import store
from impl.interconnect.client import capif6_client_tls
from tests.interconnect.conftest import visitor

ROUTES = [
    ("POST", paths.PUBLISHED_APIS.replace("{apfId}", "ccf-b")),
    ("PUT", paths.PUBLISHED_APIS.replace("{apfId}", "ccf-b") + "/API1"),
    ("POST", paths.SECURITY_METHOD_REQUESTS),
    ("POST", paths.SECURITY_INFORMATION_REQUESTS),
    ("POST", paths.ACCESS_TOKEN_REQUESTS),
    ("POST", paths.ACCESS_CONTROL_POLICY_REQUESTS),
    ("POST", paths.REVOCATION_NOTIFICATIONS),
]
BODIES = [
    b"",
    b"not json",
    b"[]",
    b"{}",
    json.dumps({"apiInvokerId": 7, "securityInfo": "x", "aefId": ["a"]}).encode(),
    json.dumps({"apiInvokerId": "INV1@ccf-b", "securityInfo": [{"prefSecurityMethods": ["NONE"]}]}).encode(),
    json.dumps({"apiName": "x", "aefProfiles": [], "apiId": "API1"}).encode(),
    json.dumps({"clientId": "INV1@ccf-b", "scope": "3gpp#", "requestedBy": "INV1@ccf-b"}).encode(),
    b'{"a":' * 200,
]


@pytest.fixture(scope="module")
def speaking_as_b(providers: InterconnectedDeployment) -> Iterator[HttpsClient]:
    """A raw HTTPS client with b's CCF credential towards a's CAPIF-6/6e endpoint."""
    agreement = providers.agreement_with("a")
    tls = capif6_client_tls(
        providers.settings.capif6_protection, agreement, providers["b"].ccf.config.credential
    )
    with HttpsClient(tls, agreement.address.host, agreement.address.port) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("body", BODIES)
def test_a_malformed_body_is_a_4xx(speaking_as_b: HttpsClient, method: str, path: str, body: bytes) -> None:
    response = speaking_as_b.request(method, path, body=body, content_type="application/json")
    assert 400 <= response.status < 500, (response.status, response.body[:300])
    document = response.json()
    assert isinstance(document, dict) and ("cause" in document or "error" in document)


def test_nothing_is_stored_from_refused_publications(
    providers: InterconnectedDeployment, speaking_as_b: HttpsClient
) -> None:
    for body in BODIES:
        speaking_as_b.request("POST", ROUTES[0][1], body=body, content_type="application/json")
    with providers["a"].ccf.core.parts.database.transaction() as tx:
        assert {api.peer_ccf_id for api in store.remote_apis(tx)} == {"ccf-b"}
        assert all(api.api_id != "API1" for api in store.remote_apis(tx))


def test_a_peer_publishes_only_its_own_aefs(
    providers: InterconnectedDeployment, speaking_as_b: HttpsClient
) -> None:
    """b may not publish an API naming a's own AEF (it would redirect a's invokers' security flows)."""
    hijack = {
        "apiName": "hello",
        "apiId": "APIhijack",
        "aefProfiles": [
            {
                "aefId": providers["a"].aef.config.aef_id,
                "versions": [{"apiVersion": "v1"}],
                "domainName": "example.org",
            }
        ],
    }
    response = speaking_as_b.post_json(ROUTES[0][1], hijack)
    assert response.status == 400
    guest = visitor(providers["a"], providers["b"])
    assert {target.ccf_id for target in guest.targets.values()} == {"ccf-b"}
