"""Issue 13, defects 1 and 2: a credential update or a revocation reaches every AEF that holds the old
material before the CCF answers, and cached material has a bounded lifetime.

1. ``PUT onboardedInvokers/{id}`` with a new CSR: the CCF sends each AEF holding the invoker's security
   information ``revoke-authorization`` with cause ``CREDENTIAL_UPDATED`` before its 200, so the old
   certificate is refused at once and the new one accepted at once (without a new check-authentication).
2. ``POST trustedInvokers/{id}/delete`` (and ``DELETE trustedInvokers/{id}``) sent to the CCF with an AEF's
   certificate by a process other than the AEF service itself: the CCF tells the AEF, which then refuses
   the invoker's PSK, PKI and token.
"""

import time
import urllib.parse
from collections.abc import Callable

import pytest

from impl import pki
from impl.aef.access import CERTIFICATE_RECHECK_INTERVAL
from impl.aef.security_info import InvokerSecurity, SecurityInfoCache
from impl.ccf.service import AefEndpoint
from impl.deployment import HELLO_API, Deployment
from impl.http import ClientResponse, HttpsClient
from impl.invoker import ConnectionFailedError, RefusedError
from impl.tls import CertificateClientTls, PskClientTls, TlsHandshakeError
from tests.impl.test_e2e_world import RESOURCE, Ready, aef_client, capif1e_client, ready_invoker

ONBOARDED_INVOKERS = "/api-invoker-management/v1/onboardedInvokers/"
TRUSTED_INVOKERS = "/capif-security/v1/trustedInvokers/"


def pki_greeting(deployment: Deployment, credential: pki.CertifiedKey) -> int:
    tls = CertificateClientTls(deployment.ca.certificate, credential=credential)
    with aef_client(deployment, "pki", tls) as client:
        return client.get(f"/pki/{HELLO_API}/v1{RESOURCE}").status


def rotate(deployment: Deployment, ready: Ready) -> pki.CertifiedKey:
    """``PUT onboardedInvokers/{id}`` with a new key's CSR; the new certified key."""
    invoker_id = ready.api_invoker_id
    key = pki.generate_private_key()
    body = {
        "apiInvokerId": invoker_id,
        "onboardingInformation": {"apiInvokerPublicKey": pki.make_csr(key, "rotated-invoker")},
        "notificationDestination": "https://127.0.0.1:9/notifications",
    }
    with capif1e_client(deployment, ready.invoker.identity.credential) as client:
        response = client.put_json(ONBOARDED_INVOKERS + urllib.parse.quote(invoker_id, safe=""), body)
    assert response.status == 200, response.body
    document = response.json()
    assert isinstance(document, dict)
    certificate = document["onboardingInformation"]["apiInvokerCertificate"]
    return pki.CertifiedKey(pki.load_certificate_pem(certificate), key)


def test_a_rotated_out_certificate_stops_working_at_the_aef_at_once(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    ready.invoke("/pki")  # the AEF now caches the invoker's security information
    old = ready.invoker.identity.credential
    assert pki_greeting(deployment, old) == 200
    new = rotate(deployment, ready)
    assert pki_greeting(deployment, old) == 401
    assert pki_greeting(deployment, new) == 200


def aef_capif3_client(deployment: Deployment) -> HttpsClient:
    """What another process holding the AEF's CAPIF-3 credential would use."""
    tls = CertificateClientTls(deployment.ca.certificate, credential=deployment.aef.config.capif3_credential)
    return HttpsClient(tls, deployment.host, deployment.ccf.capif345_port, timeout=10.0)


def revoke_by_post(deployment: Deployment, invoker_id: str) -> ClientResponse:
    body = {
        "apiInvokerId": invoker_id,
        "aefId": deployment.aef.config.aef_id,
        "apiIds": [deployment.hello_api_id],
        "cause": "UNEXPECTED_REASON",
    }
    path = TRUSTED_INVOKERS + urllib.parse.quote(invoker_id, safe="") + "/delete"
    with aef_capif3_client(deployment) as client:
        return client.post_json(path, body)


def revoke_by_delete(deployment: Deployment, invoker_id: str) -> ClientResponse:
    with aef_capif3_client(deployment) as client:
        return client.delete(TRUSTED_INVOKERS + urllib.parse.quote(invoker_id, safe=""))


@pytest.mark.parametrize("revoke", [revoke_by_post, revoke_by_delete])
def test_a_revocation_sent_to_the_ccf_reaches_the_aef(
    deployment: Deployment, revoke: Callable[[Deployment, str], ClientResponse]
) -> None:
    ready = ready_invoker(deployment)
    for prefix in ready.negotiated:
        assert ready.invoke(prefix) is not None  # every method works, and the AEF caches what it needs
    assert revoke(deployment, ready.api_invoker_id).status == 204
    psk = ready.negotiated["/psk"].aefpsk
    assert psk is not None
    with (
        aef_client(deployment, "psk", PskClientTls(ready.api_invoker_id, psk)) as client,
        pytest.raises(TlsHandshakeError),
    ):
        client.get(f"/psk/{HELLO_API}/v1{RESOURCE}")
    assert pki_greeting(deployment, ready.invoker.identity.credential) == 401
    with pytest.raises(RefusedError) as token_refused:
        ready.invoker.invoke(ready.negotiated["/oauth"], RESOURCE, token=ready.token)
    assert token_refused.value.status == 401
    with pytest.raises((RefusedError, ConnectionFailedError)):
        ready.invoke("/psk")


class CountingSource:
    """Answers every question with the same security information and counts the questions."""

    def __init__(self) -> None:
        self.asked = 0

    def security_information(
        self, api_invoker_id: str, home_ccf_id: str | None = None
    ) -> InvokerSecurity | None:
        self.asked += 1
        return InvokerSecurity(())


def test_cached_security_information_has_a_bounded_lifetime() -> None:
    now = [0.0]
    source = CountingSource()
    cache = SecurityInfoCache(source, lifetime=30.0, clock=lambda: now[0])
    assert cache.known("INV1") is None and source.asked == 0  # an unknown identity costs nothing
    assert cache.get("INV1") is not None and source.asked == 1
    now[0] = 29.0
    assert cache.known("INV1") is not None and cache.get("INV1") is not None and source.asked == 1
    now[0] = 30.0
    assert cache.known("INV1") is not None and source.asked == 2  # asked again once the lifetime is over
    now[0] = 61.0
    assert cache.get("INV1") is not None and source.asked == 3


def test_a_new_certificate_works_even_when_the_notification_was_lost(deployment: Deployment) -> None:
    """Without the CCF's notice the AEF still asks again (at most once a second per invoker) when an
    invoker presents a certificate other than the one it cached."""
    ready = ready_invoker(deployment)
    ready.invoke("/pki")
    aef_id = deployment.aef.config.aef_id
    deployment.ccf.set_aef_endpoint(aef_id, AefEndpoint(deployment.host, 9, deployment.host))
    try:
        new = rotate(deployment, ready)
    finally:
        endpoint = AefEndpoint(deployment.host, deployment.aef.capif3_port, deployment.host)
        deployment.ccf.set_aef_endpoint(aef_id, endpoint)
    time.sleep(CERTIFICATE_RECHECK_INTERVAL)
    assert pki_greeting(deployment, new) == 200
    assert pki_greeting(deployment, ready.invoker.identity.credential) == 401


def test_credential_updated_is_not_a_revocation_cause(deployment: Deployment, ready: Ready) -> None:
    body = {
        "apiInvokerId": ready.api_invoker_id,
        "apiIds": [deployment.hello_api_id],
        "cause": "CREDENTIAL_UPDATED",
    }
    path = TRUSTED_INVOKERS + urllib.parse.quote(ready.api_invoker_id, safe="") + "/delete"
    with aef_capif3_client(deployment) as client:
        response = client.post_json(path, body)
    assert response.status == 400
    problem = response.problem()
    assert problem is not None and problem.invalid_params[0].param == "/cause"
