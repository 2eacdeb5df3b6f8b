"""A notification destination the CCF will not deliver to is refused when submitted (400 naming
``/notificationDestination``), at onboarding, at its update, at ``PUT trustedInvokers`` and at
``update``; nothing is stored and the onboarding secret stays unspent."""

from __future__ import annotations

import pytest

from impl import pki
from impl.ccf.notifications import undeliverable
from impl.deployment import Deployment
from impl.http import ClientResponse, HttpsClient
from impl.tls import Capif1eClientTls
from tests.impl.test_e2e_world import Ready

ONBOARDED = "/api-invoker-management/v1/onboardedInvokers"
TRUSTED = "/capif-security/v1/trustedInvokers"
UNDELIVERABLE = [
    "http://robot.testing:1080",
    "ftp://127.0.0.1/notify",
    "https:///no-host",
    "https://127.0.0.1:0/notify",
    "https://127.0.0.1:99999/notify",
    "/relative/notify",
]


@pytest.mark.parametrize("destination", UNDELIVERABLE)
def test_undeliverable_destinations_have_a_reason(destination: str) -> None:
    assert undeliverable(destination) is not None


@pytest.mark.parametrize(
    "destination", ["https://127.0.0.1:9/notify", "https://invoker.example/cb?x=1", "https://[::1]/n"]
)
def test_https_destinations_with_a_host_are_delivered_to(destination: str) -> None:
    assert undeliverable(destination) is None


def _refused_field(response: ClientResponse) -> str | None:
    problem = response.problem()
    assert response.status == 400 and problem is not None, response.body
    return problem.invalid_params[0].param if problem.invalid_params else None


def test_every_submission_refuses_an_http_destination(deployment: Deployment, ready: Ready) -> None:
    ca = deployment.ca.certificate
    csr = pki.make_csr(pki.generate_private_key(), "invoker")
    secret = deployment.onboarding_secret()
    body = {
        "onboardingInformation": {"apiInvokerPublicKey": csr},
        "notificationDestination": UNDELIVERABLE[0],
    }
    with HttpsClient(Capif1eClientTls(ca), deployment.host, deployment.ccf.capif1e_port) as anonymous:
        refused = anonymous.post_json(ONBOARDED, body, headers={"Authorization": f"Bearer {secret}"})
        assert _refused_field(refused) == "/notificationDestination"
        body["notificationDestination"] = "https://127.0.0.1:9/notify"
        assert (
            anonymous.post_json(ONBOARDED, body, headers={"Authorization": f"Bearer {secret}"}).status == 201
        )
    invoker_id = ready.api_invoker_id
    entry = {"aefId": ready.negotiated["/pki"].target.aef_id, "prefSecurityMethods": ["PKI"]}
    security = {"securityInfo": [entry], "notificationDestination": UNDELIVERABLE[0]}
    credential = ready.invoker.identity.credential
    with HttpsClient(
        Capif1eClientTls(ca, credential=credential), deployment.host, deployment.ccf.capif1e_port
    ) as invoker:
        update = {
            "apiInvokerId": invoker_id,
            "onboardingInformation": {"apiInvokerPublicKey": csr},
            "notificationDestination": UNDELIVERABLE[0],
        }
        assert (
            _refused_field(invoker.put_json(f"{ONBOARDED}/{invoker_id}", update))
            == "/notificationDestination"
        )
        assert _refused_field(invoker.post_json(f"{TRUSTED}/{invoker_id}/update", security)) == (
            "/notificationDestination"
        )
        assert (
            _refused_field(invoker.put_json(f"{TRUSTED}/{invoker_id}", security))
            == "/notificationDestination"
        )
        discovered = invoker.get("/service-apis/v1/allServiceAPIs", query={"api-invoker-id": invoker_id})
        assert discovered.status == 200  # the certificate the refused update would have replaced still works
