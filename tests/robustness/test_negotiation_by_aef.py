"""Issue 13, defect 9: negotiation with ``aefId`` entries, as the ETSI OpenCAPIF SDK sends them
(``SecurityInformation`` with ``aefId`` and ``prefSecurityMethods``, no ``interfaceDetails``; TS 29.222
allows either). The deployment's AEF has one interface per method, so a method is offered when one of
its interfaces offers it, and the selection is usable on that interface (``impl.ccf.selection``)."""

import urllib.parse

import pytest

from impl.aefpsk import derive_aefpsk_tls12
from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.invoker import ApiInvoker
from impl.invoker.targets import AefTarget, Negotiated
from tests.impl.test_e2e_world import RESOURCE, capif1e_client

TRUSTED_INVOKERS = "/capif-security/v1/trustedInvokers/"
INTERFACE_OF = {SecurityMethod.PSK: "/psk", SecurityMethod.PKI: "/pki"}


def negotiate_by_aef(
    deployment: Deployment, invoker: ApiInvoker, preferred: list[str]
) -> tuple[str, list[AefTarget], Negotiated]:
    """``PUT trustedInvokers`` with one ``aefId`` entry; the selected method and the negotiated target."""
    targets = invoker.discover(api_name=HELLO_API)
    aef_id = targets[0].aef_id
    body = {
        "securityInfo": [{"aefId": aef_id, "apiId": targets[0].api_id, "prefSecurityMethods": preferred}],
        "notificationDestination": "https://127.0.0.1:9/notifications",
        "supportedFeatures": "0",
    }
    path = TRUSTED_INVOKERS + urllib.parse.quote(invoker.identity.api_invoker_id, safe="")
    with capif1e_client(deployment, invoker.identity.credential) as client:
        response = client.put_json(path, body)
    assert response.status == 201, response.body
    document = response.json()
    assert isinstance(document, dict)
    selected = SecurityMethod(document["securityInfo"][0]["selSecurityMethod"])
    target = next(target for target in targets if target.api_prefix == INTERFACE_OF[selected])
    aefpsk = None
    if selected is SecurityMethod.PSK:
        keying = response.peer.capif1e_keying
        assert keying is not None and keying.master_secret is not None and keying.session_id is not None
        aefpsk = derive_aefpsk_tls12(keying.master_secret, keying.session_id, target.kdf_interface())
    return aef_id, targets, Negotiated(target, selected, aefpsk)


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [(["PSK", "PKI", "OAUTH"], SecurityMethod.PSK), (["PKI", "OAUTH"], SecurityMethod.PKI)],
)
def test_an_aef_entry_gets_the_first_preferred_method_and_it_works(
    deployment: Deployment, preferred: list[str], expected: SecurityMethod
) -> None:
    invoker = deployment.invoker()
    invoker.onboard(deployment.onboarding_secret())
    try:
        aef_id, _, negotiated = negotiate_by_aef(deployment, invoker, preferred)
        assert negotiated.method is expected
        invoker.check_authentication(negotiated.target)
        answer = invoker.invoke(negotiated, RESOURCE)
        assert isinstance(answer, dict)
        assert answer["securityMethod"] == expected.value and answer["aefId"] == aef_id
    finally:
        invoker.close()
