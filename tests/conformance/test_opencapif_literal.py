"""What the translation of :mod:`tests.conformance.opencapif` changes, shown: OpenCAPIF's bodies as
written name its test set-up, and capifsec refuses them with a 400 naming the field."""

from __future__ import annotations

import copy

from impl import pki
from impl.http import ClientResponse
from tests.conformance.opencapif import (
    INVOKER_USERNAME,
    ONBOARDED,
    ONBOARDING_CALLBACK,
    OPENCAPIF_CALLBACK,
    TRUSTED,
    Environment,
    member,
    members,
    onboarding_body,
    service_api_description,
)


def _refused_field(response: ClientResponse) -> str:
    problem = response.problem()
    assert response.status == 400 and problem is not None and problem.invalid_params, response.body
    return problem.invalid_params[0].param


def test_opencapif_http_callbacks_are_refused(environment: Environment) -> None:
    """TS 23.222 AR-4.3.2-h and -i: capifsec notifies over TLS only; the refused onboarding leaves the
    onboarding secret unspent."""
    body = onboarding_body(pki.make_csr(pki.generate_private_key(), INVOKER_USERNAME), INVOKER_USERNAME)
    secret = environment.onboarding_secret()
    bearer = {"Authorization": f"Bearer {secret}"}
    literal = {**body, "notificationDestination": ONBOARDING_CALLBACK}
    refused = environment.anonymous().post_json(ONBOARDED, literal, headers=bearer)
    assert _refused_field(refused) == "/notificationDestination"
    assert environment.anonymous().post_json(ONBOARDED, body, headers=bearer).status == 201
    invoker = environment.onboard_invoker()
    provider = environment.register_provider()
    security = {**environment.security_body(provider), "notificationDestination": OPENCAPIF_CALLBACK}
    client = environment.as_invoker(invoker.credential)
    assert _refused_field(client.put_json(f"{TRUSTED}/{invoker.api_invoker_id}", security)) == (
        "/notificationDestination"
    )


def test_opencapif_interface_is_refused_unless_published(environment: Environment) -> None:
    """OpenCAPIF's security body names 127.0.0.1:5248; capifsec selects a method from what the AEF
    publishes for the interface (TS 33.122 clause 6.3), so an interface nobody published is refused."""
    invoker = environment.onboard_invoker()
    provider = environment.register_provider()
    body = environment.security_body(provider)
    entry = members(body, "securityInfo")[0]
    member(entry, "interfaceDetails")["port"] = 5248
    client = environment.as_invoker(invoker.credential)
    refused = client.put_json(f"{TRUSTED}/{invoker.api_invoker_id}", body)
    assert _refused_field(refused) == "/securityInfo/0/interfaceDetails"


def test_opencapif_service_description_addresses_are_refused(environment: Environment) -> None:
    """OpenCAPIF's description gives its interfaces the address "string" (TS 29.122 ``Ipv4Addr``: a
    dotted-quad IPv4 address)."""
    provider = environment.register_provider()
    description = service_api_description("service_1", provider.aef_id, (1, 2))
    literal = copy.deepcopy(description)
    for interface in members(members(literal, "aefProfiles")[0], "interfaceDescriptions"):
        interface.update({"ipv4Addr": "string", "port": 65535})
    apf = environment.as_provider(provider.apf)
    refused = apf.post_json(f"/published-apis/v1/{provider.apf_id}/service-apis", literal)
    assert _refused_field(refused) == "/aefProfiles/0/interfaceDescriptions/0/ipv4Addr"
