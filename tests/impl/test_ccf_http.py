"""The CCF's HTTPS binding: TS 29.222 paths, bodies and status codes on the CAPIF-1e and CAPIF-3/4/5
endpoints, caller authentication per request, ``AccessTokenErr`` at the token endpoint, and bad input
answered with a 4xx ProblemDetails or AccessTokenErr, never a 500 (hypothesis over the HTTP surface)."""

from __future__ import annotations

import json
import string
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl import pki
from impl.credential_files import load_credential
from impl.deployment import HELLO_API, Deployment
from impl.http import ClientResponse, HttpsClient
from impl.tls import Capif1eClientTls, CertificateClientTls, TlsHandshakeError
from tests.impl.test_e2e_world import Ready, ready_invoker

ONBOARDED = "/api-invoker-management/v1/onboardedInvokers"
TRUSTED = "/capif-security/v1/trustedInvokers"
NOTIFY = "https://127.0.0.1:9/notify"


@dataclass
class Clients:
    """Raw HTTPS clients: CAPIF-1e anonymous and as an invoker; CAPIF-3/4/5 as the AEF and the APF."""

    anonymous: HttpsClient
    invoker: HttpsClient
    aef: HttpsClient
    apf: HttpsClient
    apf_id: str

    def close(self) -> None:
        for client in (self.anonymous, self.invoker, self.aef, self.apf):
            client.close()


@pytest.fixture(scope="module")
def clients(deployment: Deployment, ready: Ready) -> Iterator[Clients]:
    ca = deployment.ca.certificate
    host, capif1e, capif345 = deployment.host, deployment.ccf.capif1e_port, deployment.ccf.capif345_port
    apf = load_credential(deployment.data_dir / "provider", "apf")
    state = json.loads((deployment.data_dir / "deployment.json").read_text())
    built = Clients(
        anonymous=HttpsClient(Capif1eClientTls(ca), host, capif1e),
        invoker=HttpsClient(
            Capif1eClientTls(ca, credential=ready.invoker.identity.credential), host, capif1e
        ),
        aef=HttpsClient(
            CertificateClientTls(ca, credential=deployment.aef.config.capif3_credential), host, capif345
        ),
        apf=HttpsClient(CertificateClientTls(ca, credential=apf), host, capif345),
        apf_id=state["apfId"],
    )
    yield built
    built.close()


def _cause(response: ClientResponse) -> str | None:
    problem = response.problem()
    return None if problem is None else problem.cause


def _onboarding_body(common_name: str = "invoker") -> dict[str, object]:
    csr = pki.make_csr(pki.generate_private_key(), common_name)
    return {"onboardingInformation": {"apiInvokerPublicKey": csr}, "notificationDestination": NOTIFY}


def test_onboarding_answers_201_with_an_absolute_location(deployment: Deployment, clients: Clients) -> None:
    secret = deployment.onboarding_secret()
    response = clients.anonymous.post_json(
        ONBOARDED, _onboarding_body(), headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status == 201
    body = response.json()
    assert isinstance(body, dict)
    invoker_id = body["apiInvokerId"]
    assert (
        response.headers["location"]
        == f"https://127.0.0.1:{deployment.ccf.capif1e_port}{ONBOARDED}/{invoker_id}"
    )
    certificate = pki.load_certificate_pem(body["onboardingInformation"]["apiInvokerCertificate"])
    assert certificate.issuer == deployment.ca.certificate.subject


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (401, "CREDENTIAL_MISSING")),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, (401, "CREDENTIAL_INVALID")),
        ({"Authorization": "Bearer "}, (401, "CREDENTIAL_INVALID")),
        ({"Authorization": "Bearer not-a-secret"}, (401, "CREDENTIAL_INVALID")),
    ],
)
def test_onboarding_needs_the_bearer_onboarding_secret(
    clients: Clients, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    response = clients.anonymous.post_json(ONBOARDED, _onboarding_body(), headers=headers)
    assert (response.status, _cause(response)) == expected
    assert response.media_type == "application/problem+json"


def test_a_refused_onboarding_body_does_not_spend_the_secret(
    deployment: Deployment, clients: Clients
) -> None:
    secret = deployment.onboarding_secret()
    bearer = {"Authorization": f"Bearer {secret}"}
    bad_csr = {
        "onboardingInformation": {"apiInvokerPublicKey": "not a CSR"},
        "notificationDestination": NOTIFY,
    }
    refused = clients.anonymous.post_json(ONBOARDED, bad_csr, headers=bearer)
    assert (refused.status, _cause(refused)) == (400, "MANDATORY_IE_INCORRECT")
    problem = refused.problem()
    assert (
        problem is not None
        and problem.invalid_params[0].param == "/onboardingInformation/apiInvokerPublicKey"
    )
    garbage = clients.anonymous.request(
        "POST", ONBOARDED, body=b"{not json", content_type="application/json", headers=bearer
    )
    assert (garbage.status, _cause(garbage)) == (400, "INVALID_MSG_FORMAT")
    wrong_type = clients.anonymous.request(
        "POST", ONBOARDED, body=b"x", content_type="text/plain", headers=bearer
    )
    assert wrong_type.status == 415
    assert clients.anonymous.post_json(ONBOARDED, _onboarding_body(), headers=bearer).status == 201


def test_invoker_routes_need_the_onboarding_certificate(clients: Clients, ready: Ready) -> None:
    response = clients.anonymous.get(
        "/service-apis/v1/allServiceAPIs", query={"api-invoker-id": ready.api_invoker_id}
    )
    assert (response.status, _cause(response)) == (401, "CREDENTIAL_MISSING")
    mine = clients.invoker.get(
        "/service-apis/v1/allServiceAPIs", query={"api-invoker-id": ready.api_invoker_id}
    )
    assert mine.status == 200


def test_an_updated_enrolment_supersedes_the_old_certificate(deployment: Deployment) -> None:
    fresh = ready_invoker(deployment)
    ca = deployment.ca.certificate
    identity = fresh.invoker.identity
    new_key = pki.generate_private_key()
    body = _onboarding_body()
    body["onboardingInformation"] = {"apiInvokerPublicKey": pki.make_csr(new_key, "renewed")}
    body["apiInvokerId"] = identity.api_invoker_id
    path = f"{ONBOARDED}/{identity.api_invoker_id}"
    with HttpsClient(
        Capif1eClientTls(ca, credential=identity.credential), deployment.host, deployment.ccf.capif1e_port
    ) as old:
        response = old.put_json(path, body)
        assert response.status == 200
        answer = response.json()
        assert isinstance(answer, dict)
        renewed = pki.CertifiedKey(
            pki.load_certificate_pem(answer["onboardingInformation"]["apiInvokerCertificate"]), new_key
        )
        old.close()
        again = old.put_json(path, body)
        assert (again.status, _cause(again)) == (401, "CREDENTIAL_INVALID")
    with HttpsClient(
        Capif1eClientTls(ca, credential=renewed), deployment.host, deployment.ccf.capif1e_port
    ) as new:
        assert (
            new.get(
                "/service-apis/v1/allServiceAPIs", query={"api-invoker-id": identity.api_invoker_id}
            ).status
            == 200
        )
    fresh.invoker.close()


def test_security_context_routes_and_methods(clients: Clients, ready: Ready) -> None:
    path = f"{TRUSTED}/{ready.api_invoker_id}"
    entry = {"aefId": ready.negotiated["/pki"].target.aef_id, "prefSecurityMethods": ["PKI"]}
    again = clients.invoker.put_json(path, {"securityInfo": [entry], "notificationDestination": NOTIFY})
    assert (again.status, _cause(again)) == (403, "SECURITY_CONTEXT_EXISTS")
    not_for_invokers = clients.invoker.get(path)  # Obtain_API_Invoker_Info: the AEF's, on CAPIF-3
    assert (not_for_invokers.status, _cause(not_for_invokers)) == (403, "REQUEST_NOT_AUTHORIZED")
    not_served = clients.invoker.request("PATCH", path)
    assert (not_served.status, not_served.headers["allow"]) == (405, "DELETE, GET, PUT")
    by_invoker = clients.invoker.request("GET", "/capif-security/v1/securities/x/token")
    assert (by_invoker.status, by_invoker.headers["allow"]) == (405, "POST")


def test_capif345_refuses_a_client_without_certificate(deployment: Deployment) -> None:
    with (
        HttpsClient(
            CertificateClientTls(deployment.ca.certificate), deployment.host, deployment.ccf.capif345_port
        ) as client,
        pytest.raises(TlsHandshakeError),
    ):
        client.get(f"{TRUSTED}/anyone")


def test_capif345_refuses_an_invoker_where_an_aef_is_needed(deployment: Deployment, ready: Ready) -> None:
    tls = CertificateClientTls(deployment.ca.certificate, credential=ready.invoker.identity.credential)
    with HttpsClient(tls, deployment.host, deployment.ccf.capif345_port) as client:
        response = client.get(f"{TRUSTED}/{ready.api_invoker_id}")
    assert (response.status, _cause(response)) == (403, "REQUEST_NOT_AUTHORIZED")


def test_the_aef_reads_security_information_and_the_policy(
    deployment: Deployment, clients: Clients, ready: Ready
) -> None:
    for prefix in ("/psk", "/pki"):
        ready.invoke(prefix)
    response = clients.aef.get(
        f"{TRUSTED}/{ready.api_invoker_id}", query={"authenticationInfo": "true", "authorizationInfo": "true"}
    )
    assert response.status == 200
    answer = response.json()
    assert isinstance(answer, dict)
    by_method = {item["selSecurityMethod"]: item for item in answer["securityInfo"]}
    psk = ready.negotiated["/psk"].aefpsk
    assert psk is not None and by_method["PSK"]["authenticationInfo"] == psk.hex()
    assert by_method["PKI"]["authenticationInfo"].startswith("-----BEGIN CERTIFICATE-----")
    assert by_method["OAUTH"]["authorizationInfo"] == f"{deployment.aef.config.aef_id}:{HELLO_API}"
    policy = clients.aef.get(
        f"/access-control-policy/v1/accessControlPolicyList/{deployment.hello_api_id}",
        query={"aef-id": deployment.aef.config.aef_id},
    )
    assert policy.status == 200
    policies = policy.json()
    assert isinstance(policies, dict)
    assert {"apiInvokerId": ready.api_invoker_id} in policies["apiInvokerPolicies"]


def test_the_apf_lists_and_reads_its_publications(deployment: Deployment, clients: Clients) -> None:
    listed = clients.apf.get(f"/published-apis/v1/{clients.apf_id}/service-apis")
    assert listed.status == 200
    apis = listed.json()
    assert isinstance(apis, list) and [api["apiName"] for api in apis] == [HELLO_API]
    one = clients.apf.get(f"/published-apis/v1/{clients.apf_id}/service-apis/{deployment.hello_api_id}")
    assert one.status == 200
    other_apf = clients.apf.get("/published-apis/v1/APF-someone-else/service-apis")
    assert (other_apf.status, _cause(other_apf)) == (403, "REQUEST_NOT_AUTHORIZED")


TOKEN = "/capif-security/v1/securities/{}/token"


def _token_error(response: ClientResponse) -> tuple[int, str | None]:
    document = response.json()
    assert isinstance(document, dict) and "status" not in document  # AccessTokenErr, not ProblemDetails
    return response.status, document.get("error")


def test_the_token_endpoint_answers_access_token_err(
    clients: Clients, ready: Ready, deployment: Deployment
) -> None:
    path = TOKEN.format(ready.api_invoker_id)
    scope = f"3gpp#{deployment.aef.config.aef_id}:{HELLO_API}"
    good = {"grant_type": "client_credentials", "client_id": ready.api_invoker_id, "scope": scope}
    success = clients.invoker.post_form(path, good)
    assert success.status == 200 and success.headers["cache-control"] == "no-store"
    assert _token_error(clients.anonymous.post_form(path, good)) == (401, "invalid_client")
    malformed = clients.invoker.request(
        "POST", path, body=b"grant_type=%zz&&", content_type="application/x-www-form-urlencoded"
    )
    assert _token_error(malformed) == (400, "invalid_request")
    repeated = clients.invoker.request(
        "POST",
        path,
        body=urllib.parse.urlencode([*good.items(), ("scope", scope)]).encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert _token_error(repeated) == (400, "invalid_request")
    assert _token_error(clients.invoker.post_form(path, {**good, "grant_type": "password"})) == (
        400,
        "unsupported_grant_type",
    )
    assert _token_error(clients.invoker.post_form(path, {**good, "scope": "3gpp#"})) == (400, "invalid_scope")
    wrong_type = clients.invoker.post_json(path, good)
    assert (wrong_type.status, wrong_type.media_type) == (415, "application/problem+json")


def test_offboarding_someone_else_is_forbidden(clients: Clients, deployment: Deployment) -> None:
    other = ready_invoker(deployment)
    response = clients.invoker.delete(f"{ONBOARDED}/{other.api_invoker_id}")
    assert (response.status, _cause(response)) == (403, "REQUEST_NOT_AUTHORIZED")
    other.invoker.close()


_SEGMENT = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%:@!$&'()*+,;=", min_size=1, max_size=12
)
_TEMPLATES = [
    ONBOARDED,
    ONBOARDED + "/{}",
    "/service-apis/v1/allServiceAPIs",
    TRUSTED + "/{}",
    TRUSTED + "/{}/update",
    TRUSTED + "/{}/delete",
    TOKEN,
    "/api-provider-management/v1/registrations",
    "/api-provider-management/v1/registrations/{}",
    "/published-apis/v1/{}/service-apis",
    "/published-apis/v1/{}/service-apis/{}",
    "/access-control-policy/v1/accessControlPolicyList/{}",
    "/{}",
]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, str, bytes, str | None, dict[str, str]]:
    template = draw(st.sampled_from(_TEMPLATES))
    path = template.format(
        *(urllib.parse.quote(draw(_SEGMENT), safe="") for _ in range(template.count("{}")))
    )
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    body_kind = draw(st.sampled_from(["json", "form", "bytes", "none"]))
    body, content_type = b"", None
    if body_kind == "json":
        body, content_type = json.dumps(draw(_JSON)).encode(), "application/json"
    elif body_kind == "form":
        pairs = draw(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), max_size=4))
        body, content_type = urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    elif body_kind == "bytes":
        body = draw(st.binary(max_size=64))
        content_type = draw(
            st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])
        )
    headers = draw(
        st.sampled_from([{}, {"Authorization": "Bearer x"}, {"Authorization": "Basic"}, {"Accept": "*/*"}])
    )
    return method, path, body, content_type, headers


@settings(max_examples=120, deadline=None)
@given(request=_requests(), endpoint=st.sampled_from(["anonymous", "invoker", "aef", "apf"]))
def test_no_request_gets_a_500(
    clients: Clients, request: tuple[str, str, bytes, str | None, dict[str, str]], endpoint: str
) -> None:
    method, path, body, content_type, headers = request
    client: HttpsClient = getattr(clients, endpoint)
    response = client.request(method, path, body=body, content_type=content_type, headers=headers)
    assert response.status < 500, response.body
    if response.status >= 400:
        document = response.json()
        assert isinstance(document, dict) and ("status" in document or "error" in document)
