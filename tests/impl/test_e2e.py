"""End to end over real sockets: each CAPIF-2e method from onboarding to invocation, and a negative
test for each check of the AEF and the token endpoint (TS 33.122 clauses 6.5.2.1 to 6.5.2.3, Annex C)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.deployment import CCF_ID, HELLO_API, Deployment
from impl.http import HttpsClient
from impl.invoker import ConnectionFailedError, RefusedError
from impl.pki import CertificateProfile
from impl.settings import AefpskDerivation, Settings
from impl.tls import Capif1eClientTls, CertificateClientTls, PskClientTls, TlsHandshakeError, TlsVersion
from impl.tokens import ClaimSet, ScopeEntry, SigningKey, TokenIssuer
from tests.impl.conftest import TestPki
from tests.impl.test_e2e_world import (
    PREFIXES,
    Ready,
    greeting,
    ready_invoker,
    running,
    server_only_tls,
)

TOKEN_LIFETIME = 600


@pytest.mark.parametrize(("prefix", "method"), [("/psk", "PSK"), ("/pki", "PKI"), ("/oauth", "OAUTH")])
def test_each_method_from_onboarding_to_invocation(ready: Ready, prefix: str, method: str) -> None:
    answer = ready.invoke(prefix)
    assert answer == {
        "greeting": f"hello, {ready.api_invoker_id}",
        "apiInvokerId": ready.api_invoker_id,
        "securityMethod": method,
        "aefId": ready.negotiated[prefix].target.aef_id,
        "interface": prefix.removeprefix("/"),
    }


def test_aefpsk_is_never_sent_to_the_invoker_and_both_ends_agree(
    ready: Ready, deployment: Deployment
) -> None:
    psk = ready.negotiated["/psk"].aefpsk
    assert psk is not None and len(psk) == 32
    wrong = bytes(byte ^ 1 for byte in psk)
    with pytest.raises(TlsHandshakeError):
        greeting(deployment, "psk", PskClientTls(ready.api_invoker_id, wrong))
    assert greeting(deployment, "psk", PskClientTls(ready.api_invoker_id, psk)).status == 200


def _forged(deployment: Deployment, signing_key: SigningKey, invoker_id: str, aef_id: str, now: int) -> str:
    issuer = TokenIssuer(
        signing_key, ccf_id=CCF_ID, claim_set=ClaimSet(str(deployment.settings.token_claims))
    )
    return issuer.issue(
        invoker_id, [ScopeEntry(aef_id, (HELLO_API,))], lifetime=TOKEN_LIFETIME, now=now
    ).access_token


def _bearer(deployment: Deployment, token: str) -> tuple[int, str | None]:
    response = greeting(
        deployment, "oauth", server_only_tls(deployment), {"Authorization": f"Bearer {token}"}
    )
    problem = response.problem()
    return response.status, None if problem is None else problem.cause


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def test_a_token_signed_with_another_key_is_refused(ready: Ready, deployment: Deployment) -> None:
    ccf_kid = deployment.ccf.token_key.kid
    aef_id = deployment.aef.config.aef_id
    impostor = SigningKey.generate(ccf_kid)  # the CCF's kid, another private key
    assert _bearer(deployment, _forged(deployment, impostor, ready.api_invoker_id, aef_id, _now())) == (
        401,
        "CREDENTIAL_INVALID",
    )
    genuine = deployment.ccf.config.token_signing_key
    assert _bearer(deployment, _forged(deployment, genuine, ready.api_invoker_id, aef_id, _now()))[0] == 200


def test_an_expired_token_is_refused_beyond_30_seconds_of_skew(ready: Ready, deployment: Deployment) -> None:
    key = deployment.ccf.config.token_signing_key
    aef_id = deployment.aef.config.aef_id
    within_skew = _now() - TOKEN_LIFETIME - 20
    beyond_skew = _now() - TOKEN_LIFETIME - 40
    assert _bearer(deployment, _forged(deployment, key, ready.api_invoker_id, aef_id, within_skew))[0] == 200
    assert _bearer(deployment, _forged(deployment, key, ready.api_invoker_id, aef_id, beyond_skew))[0] == 401


def test_a_token_scoped_for_another_aef_is_refused(ready: Ready, deployment: Deployment) -> None:
    key = deployment.ccf.config.token_signing_key
    token = _forged(deployment, key, ready.api_invoker_id, "AEF-of-someone-else", _now())
    assert _bearer(deployment, token) == (401, "CREDENTIAL_INVALID")


def test_the_token_endpoint_refuses_scope_the_invoker_did_not_negotiate(ready: Ready) -> None:
    with pytest.raises(RefusedError) as refusal:
        ready.invoker.obtain_token("AEF-of-someone-else", [HELLO_API])
    assert (refusal.value.status, refusal.value.cause) == (400, "invalid_scope")


def test_the_token_endpoint_refuses_the_client_id_of_another_invoker(
    ready: Ready, deployment: Deployment
) -> None:
    other = ready_invoker(deployment)
    try:
        with pytest.raises(RefusedError) as refusal:
            other.invoker.obtain_token(
                deployment.aef.config.aef_id, [HELLO_API], client_id=ready.api_invoker_id
            )
        assert (refusal.value.status, refusal.value.cause) == (401, "invalid_client")
    finally:
        other.invoker.close()


def test_a_client_certificate_from_another_ca_is_refused(deployment: Deployment, pki: TestPki) -> None:
    foreign = CertificateClientTls(deployment.ca.certificate, credential=pki.foreign_client)
    with pytest.raises(TlsHandshakeError):
        greeting(deployment, "pki", foreign)


def test_a_certificate_of_the_ccf_ca_that_is_not_the_recorded_one_is_refused(
    ready: Ready, deployment: Deployment
) -> None:
    """The AEF compares the very certificate the CCF recorded (``authenticationInfo``), not just the CA
    and the name: a certificate naming the invoker but issued outside onboarding is refused, and so is
    another role's certificate."""
    assert ready.invoke("/pki") is not None
    lookalike = deployment.ca.issue_certified_key(
        CertificateProfile(
            ready.api_invoker_id, uris=(f"urn:capifsec:invoker:{ready.api_invoker_id}",), client_auth=True
        ),
        now=datetime.now(UTC),
    )
    for credential in (lookalike, deployment.aef.config.capif3_credential):
        tls = CertificateClientTls(deployment.ca.certificate, credential=credential)
        response = greeting(deployment, "pki", tls)
        problem = response.problem()
        assert (response.status, problem.cause if problem else None) == (401, "CREDENTIAL_INVALID")
    genuine = CertificateClientTls(deployment.ca.certificate, credential=ready.invoker.identity.credential)
    assert greeting(deployment, "pki", genuine).status == 200


def test_an_unknown_psk_identity_is_refused(deployment: Deployment) -> None:
    with pytest.raises(TlsHandshakeError):
        greeting(deployment, "psk", PskClientTls("INV-never-onboarded", os.urandom(32)))


def test_a_psk_is_accepted_only_after_check_authentication_fetched_it(deployment: Deployment) -> None:
    fresh = ready_invoker(deployment)
    try:
        negotiated = fresh.negotiated["/psk"]
        with pytest.raises(ConnectionFailedError) as failure:
            fresh.invoker.invoke(negotiated, "/greeting")
        assert failure.value.handshake_refused
        fresh.invoker.check_authentication(negotiated.target)
        answer = fresh.invoker.invoke(negotiated, "/greeting")
        assert isinstance(answer, dict) and answer["securityMethod"] == "PSK"
    finally:
        fresh.invoker.close()


def test_a_method_the_invoker_did_not_negotiate_is_a_mismatch(ready: Ready, deployment: Deployment) -> None:
    """A bearer token on the PKI interface: the interface does not accept OAUTH (contribution 004)."""
    response = greeting(
        deployment,
        "pki",
        CertificateClientTls(deployment.ca.certificate),
        {"Authorization": f"Bearer {ready.token}"},
    )
    problem = response.problem()
    assert (response.status, problem.cause if problem else None) == (403, "SECURITY_METHOD_MISMATCH")


def test_onboarding_needs_a_valid_one_time_secret(deployment: Deployment) -> None:
    secret = deployment.onboarding_secret()
    deployment.invoker().onboard(secret)
    for attempt in (secret, "not-a-secret"):
        with pytest.raises(RefusedError) as refusal:
            deployment.invoker().onboard(attempt)
        assert (refusal.value.status, refusal.value.cause) == (401, "CREDENTIAL_INVALID")


def test_the_tls13_exporter_mapping_end_to_end(tmp_path: Path) -> None:
    settings = Settings(aefpsk_derivation=AefpskDerivation.TLS13_EXPORTER)
    with running(tmp_path, settings) as tls13:
        ready = ready_invoker(tls13)
        try:
            tls = Capif1eClientTls(
                tls13.ca.certificate,
                credential=ready.invoker.identity.credential,
                maximum_version=TlsVersion.TLS1_3,
            )
            with HttpsClient(tls, tls13.host, tls13.ccf.capif1e_port) as capif1e:
                assert capif1e.connect().tls_version is TlsVersion.TLS1_3
            for prefix in PREFIXES:
                answer = ready.invoke(prefix)
                assert isinstance(answer, dict)
                assert answer["securityMethod"] == ready.negotiated[prefix].method.value
            assert ready.negotiated["/psk"].method is SecurityMethod.PSK
        finally:
            ready.invoker.close()
