"""The AEF on its own terms: AEF_Security_API callers and bodies, the refusals of its CAPIF-2e
interfaces, the token settings (scope check, trusted keys), the revocation list, an unreachable CCF,
and bad input answered with a 4xx, never a 500."""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl import pki
from impl.aef.identity import certified_as, certified_identity
from impl.aef.revocations import RevocationList
from impl.aef.security_info import CcfSecurityClient, CcfUnavailableError
from impl.aef.service import token_verifier
from impl.credential_files import load_credential
from impl.deployment import CCF_ID, HELLO_API, Deployment
from impl.http import ClientResponse, HttpsClient
from impl.invoker import RefusedError
from impl.settings import AefScopeCheck, AefTrustedTokenKeys, Settings, TokenClaims
from impl.tls import CertificateClientTls, TlsHandshakeError
from impl.tokens import ClaimSet, InvalidToken, ScopeEntry, SigningKey, TokenIssuer, TrustedKeySet
from tests.impl.test_e2e_world import Ready, aef_client, greeting, ready_invoker, running, server_only_tls

CHECK = "/aef-security/v1/check-authentication"
REVOKE = "/aef-security/v1/revoke-authorization"


def _cause(response: ClientResponse) -> tuple[int, str | None]:
    problem = response.problem()
    return response.status, None if problem is None else problem.cause


def _capif3(deployment: Deployment, credential: pki.CertifiedKey | None) -> HttpsClient:
    tls = CertificateClientTls(deployment.ca.certificate, credential=credential)
    return HttpsClient(tls, deployment.host, deployment.aef.capif3_port)


def _revoke_body(invoker_id: str, aef_id: str | None, api_ids: list[str]) -> dict[str, object]:
    info: dict[str, object] = {"apiInvokerId": invoker_id, "apiIds": api_ids, "cause": "UNEXPECTED_REASON"}
    if aef_id is not None:
        info["aefId"] = aef_id
    return {"revokeInfo": info, "supportedFeatures": "0"}


def test_only_the_ccf_may_revoke(deployment: Deployment, ready: Ready) -> None:
    body = _revoke_body(ready.api_invoker_id, None, [deployment.hello_api_id])
    for impostor in (ready.invoker.identity.credential, deployment.aef.config.capif3_credential):
        with _capif3(deployment, impostor) as client:
            assert _cause(client.post_json(REVOKE, body)) == (403, "REQUEST_NOT_AUTHORIZED")
    with _capif3(deployment, None) as anonymous, pytest.raises(TlsHandshakeError):
        anonymous.post_json(REVOKE, body)
    assert ready.invoke("/pki") is not None  # nothing was revoked


def test_revoke_authorization_bodies_are_checked(deployment: Deployment) -> None:
    ccf = load_credential(deployment.data_dir / "ccf", "server")
    with _capif3(deployment, ccf) as client:
        assert _cause(client.post_json(REVOKE, {"supportedFeatures": "0"})) == (400, "MANDATORY_IE_MISSING")
        other_aef = _revoke_body("INVx", "AEF-someone-else", ["API1"])
        assert _cause(client.post_json(REVOKE, other_aef)) == (400, "MANDATORY_IE_INCORRECT")
        accepted = client.post_json(REVOKE, _revoke_body("INVx", deployment.aef.config.aef_id, ["API1"]))
        assert (accepted.status, accepted.json()) == (200, {"supportedFeatures": "0"})


def test_the_ccfs_revocation_refuses_the_invoker_from_then_on(deployment: Deployment) -> None:
    victim = ready_invoker(deployment)
    assert victim.invoke("/oauth") is not None and victim.invoke("/pki") is not None
    ccf = load_credential(deployment.data_dir / "ccf", "server")
    with _capif3(deployment, ccf) as client:
        body = _revoke_body(victim.api_invoker_id, deployment.aef.config.aef_id, [deployment.hello_api_id])
        assert client.post_json(REVOKE, body).status == 200
    with pytest.raises(RefusedError) as refusal:
        victim.invoker.invoke(victim.negotiated["/oauth"], "/greeting", token=victim.token)
    assert refusal.value.status == 401
    victim.invoker.close()


def _check(
    deployment: Deployment, interface: str, credential: pki.CertifiedKey | None, body: object
) -> ClientResponse:
    tls = CertificateClientTls(deployment.ca.certificate, credential=credential)
    prefix = deployment.aef.interfaces[interface].api_prefix
    with aef_client(deployment, interface, tls) as client:
        return client.post_json(prefix + CHECK, body)


def test_check_authentication_needs_the_invokers_certificate_and_its_own_id(
    deployment: Deployment, ready: Ready
) -> None:
    credential = ready.invoker.identity.credential
    own = {"apiInvokerId": ready.api_invoker_id, "supportedFeatures": "0"}
    assert _check(deployment, "pki", credential, own).status == 200
    assert _cause(_check(deployment, "pki", None, own)) == (401, "CREDENTIAL_MISSING")
    other = {"apiInvokerId": "INV-someone-else", "supportedFeatures": "0"}
    assert _cause(_check(deployment, "pki", credential, other)) == (403, "REQUEST_NOT_AUTHORIZED")
    assert _cause(_check(deployment, "pki", credential, {"apiInvokerId": ready.api_invoker_id})) == (
        400,
        "MANDATORY_IE_MISSING",
    )


def test_check_authentication_without_security_information_is_not_authorized(deployment: Deployment) -> None:
    invoker = deployment.invoker()
    invoker.onboard(deployment.onboarding_secret())
    body = {"apiInvokerId": invoker.identity.api_invoker_id, "supportedFeatures": "0"}
    assert _cause(_check(deployment, "psk", invoker.identity.credential, body)) == (
        403,
        "API_INVOKER_NOT_AUTHORIZED",
    )
    invoker.close()


def test_the_oauth_interface_challenges_for_a_bearer_token(deployment: Deployment) -> None:
    missing = greeting(deployment, "oauth", server_only_tls(deployment))
    assert _cause(missing) == (401, "CREDENTIAL_MISSING")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for header in ("Basic abc", "Bearer", "Bearer not.a.token"):
        refused = greeting(deployment, "oauth", server_only_tls(deployment), {"Authorization": header})
        assert _cause(refused) == (401, "CREDENTIAL_INVALID")
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def _token(key: SigningKey, issuer_id: str, aef_id: str, claim_set: ClaimSet = ClaimSet.WITH_AUD_SUB) -> str:
    issuer = TokenIssuer(key, ccf_id=issuer_id, claim_set=claim_set)
    invoker_id = "INV1"
    now = int(datetime.now(UTC).timestamp())
    return issuer.issue(invoker_id, [ScopeEntry(aef_id, (HELLO_API,))], lifetime=600, now=now).access_token


@pytest.mark.parametrize(
    ("scope_check", "other_aef_accepted"),
    [
        (AefScopeCheck.AEF_AND_API, False),
        (AefScopeCheck.UNSAFE_API_ONLY, True),
        (AefScopeCheck.UNSAFE_NONE, True),
    ],
)
def test_the_scope_check_setting(
    deployment: Deployment, scope_check: AefScopeCheck, other_aef_accepted: bool
) -> None:
    """TS 33.122 claims (no ``aud``): only ``scope`` names the AEF, and the setting decides."""
    settings = Settings(aef_scope_check=scope_check, token_claims=TokenClaims.TS33122, allow_unsafe=True)
    verifier = token_verifier(dataclasses.replace(deployment.aef.config, settings=settings))
    key = deployment.ccf.config.token_signing_key
    now = int(datetime.now(UTC).timestamp())
    aef_id = deployment.aef.config.aef_id
    verifier.verify(_token(key, CCF_ID, aef_id, ClaimSet.TS33122), api_name=HELLO_API, now=now)
    foreign_scope = _token(key, CCF_ID, "AEF-elsewhere", ClaimSet.TS33122)
    if other_aef_accepted:
        verifier.verify(foreign_scope, api_name=HELLO_API, now=now)
    else:
        with pytest.raises(InvalidToken):
            verifier.verify(foreign_scope, api_name=HELLO_API, now=now)


@pytest.mark.parametrize(
    ("trust", "accepted"),
    [(AefTrustedTokenKeys.OWN_CCF, False), (AefTrustedTokenKeys.UNSAFE_ANY_INTERCONNECTED_CCF, True)],
)
def test_the_trusted_keys_setting(deployment: Deployment, trust: AefTrustedTokenKeys, accepted: bool) -> None:
    other_ccf_key = SigningKey.generate("other-ccf-key")
    keys = TrustedKeySet([deployment.ccf.token_key, other_ccf_key.trusted_key("ccf-other")])
    config = dataclasses.replace(
        deployment.aef.config,
        trusted_token_keys=keys,
        settings=Settings(
            aef_trusted_token_keys=trust, token_claims=deployment.settings.token_claims, allow_unsafe=True
        ),
    )
    verifier = token_verifier(config)
    token = _token(other_ccf_key, "ccf-other", config.aef_id)
    now = int(datetime.now(UTC).timestamp())
    if accepted:
        assert verifier.verify(token, api_name=HELLO_API, now=now).issuer == "ccf-other"
    else:
        with pytest.raises(InvalidToken):
            verifier.verify(token, api_name=HELLO_API, now=now)


def test_the_revocation_list_compares_issue_times() -> None:
    revocations = RevocationList()
    assert not revocations.refuses_token("INV1", "hello", 100)
    revocations.revoke("INV1", {"hello"}, at=100)
    assert revocations.refuses_token("INV1", "hello", 100)
    assert revocations.refuses_token("INV1", "hello", None)
    assert not revocations.refuses_token("INV1", "hello", 101)
    assert not revocations.refuses_token("INV1", "other-api", 50)
    assert not revocations.refuses_token("INV2", "hello", 50)
    revocations.revoke("INV1", None, at=200)
    assert revocations.refuses_token("INV1", "other-api", 150)
    revocations.revoke("INV1", {"hello"}, at=10)  # an older revocation never shortens a newer one
    assert revocations.refuses_token("INV1", "hello", 150)


def test_identities_come_from_exactly_one_capifsec_uri(deployment: Deployment) -> None:
    now = datetime.now(UTC)
    two = deployment.ca.issue_certified_key(
        pki.CertificateProfile(
            "x", uris=("urn:capifsec:invoker:A", "urn:capifsec:invoker:B"), client_auth=True
        ),
        now=now,
    )
    none = deployment.ca.issue_certified_key(pki.CertificateProfile("y", client_auth=True), now=now)
    malformed = deployment.ca.issue_certified_key(
        pki.CertificateProfile("z", uris=("urn:capifsec:invoker",), client_auth=True), now=now
    )
    for credential in (two, none, malformed):
        assert certified_identity(credential.certificate) is None
    ccf = load_credential(deployment.data_dir / "ccf", "server")
    assert certified_as(ccf.certificate, "ccf") == CCF_ID
    assert certified_as(ccf.certificate, "invoker") is None


def test_an_unreachable_ccf_is_a_503_not_a_crash(tmp_path: Path) -> None:
    with running(tmp_path) as deployment:
        fresh = ready_invoker(deployment)
        deployment.ccf.stop()
        body = {"apiInvokerId": fresh.api_invoker_id, "supportedFeatures": "0"}
        response = _check(deployment, "pki", fresh.invoker.identity.credential, body)
        assert response.status == 503 and response.problem() is not None
        with pytest.raises(RefusedError) as refusal:
            fresh.invoker.invoke(fresh.negotiated["/pki"], "/greeting")
        assert refusal.value.status == 503


_PATHS = st.sampled_from(["/psk", "/pki", "/oauth", ""]).flatmap(
    lambda prefix: st.sampled_from(
        [prefix + CHECK, prefix + "/hello/v1/greeting", prefix + "/hello/v1/{}", REVOKE, "/{}"]
    )
)
_JSON_BODIES = st.dictionaries(st.text(max_size=10), st.text(max_size=10)).map(
    lambda d: json.dumps(d).encode()
)


@st.composite
def _aef_requests(draw: st.DrawFn) -> tuple[str, str, str, bytes, dict[str, str]]:
    segment = draw(st.text(alphabet="abcXYZ019-._~%", min_size=1, max_size=10))
    target = draw(_PATHS).format(urllib.parse.quote(segment, safe=""))
    authorization = draw(st.sampled_from([None, "Bearer x.y.z", "Bearer", "Digest q"]))
    return (
        draw(st.sampled_from(["psk", "pki", "oauth"])),
        draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        target,
        draw(st.one_of(st.binary(max_size=64), _JSON_BODIES)),
        {"Authorization": authorization} if authorization else {},
    )


@settings(max_examples=80, deadline=None)
@given(request=_aef_requests())
def test_no_request_to_the_aef_gets_a_500(
    deployment: Deployment, ready: Ready, request: tuple[str, str, str, bytes, dict[str, str]]
) -> None:
    interface, method, target, body, headers = request
    tls = CertificateClientTls(deployment.ca.certificate, credential=ready.invoker.identity.credential)
    with aef_client(deployment, interface, tls) as client:
        response = client.request(method, target, body=body, content_type="application/json", headers=headers)
    assert response.status < 500, response.body


def test_the_aef_asks_only_a_server_certified_as_its_ccf(deployment: Deployment) -> None:
    """A CAPIF CA server certificate for the right address is not enough: it must name the CCF."""
    config = deployment.aef.config
    tls = CertificateClientTls(deployment.ca.certificate, credential=config.capif3_credential)
    not_the_ccf = CcfSecurityClient(
        tls, deployment.host, deployment.aef.capif3_port, server_name=deployment.host, ccf_id=CCF_ID
    )
    with pytest.raises(CcfUnavailableError, match="not CCF"):
        not_the_ccf.security_information("INV1")
    not_the_ccf.close()
    the_ccf = CcfSecurityClient(
        tls, deployment.host, deployment.ccf.capif345_port, server_name=deployment.host, ccf_id=CCF_ID
    )
    assert the_ccf.security_information("INV-unknown") is None
    the_ccf.close()
