"""Issue 13, defect 6: one token, one string. An ECDSA signature (r, s) also verifies as (r, n - s), so
without a rule a token could be re-encoded into a second valid string, and anything keyed on the string
(a revocation or replay list) bypassed. The CCF signs with low S and the AEF accepts low S only
(:mod:`impl.tokens.jwa`)."""

from impl.deployment import Deployment
from impl.tokens import ClaimSet, ScopeEntry, SigningKey, TokenIssuer
from impl.tokens.encoding import b64url_decode, b64url_encode
from impl.tokens.jwa import ES256_COORDINATE_BYTES, P256_HALF_ORDER, P256_ORDER
from tests.impl.test_e2e_world import Ready, greeting, server_only_tls

NOW = 1_757_194_204


def signature_s(token: str) -> int:
    signature = b64url_decode(token.rsplit(".", 1)[1])
    return int.from_bytes(signature[ES256_COORDINATE_BYTES:], "big")


def malleated(token: str) -> str:
    """The same token with its ES256 signature's S replaced by n - S (still a valid ECDSA signature)."""
    signing_input, signature_segment = token.rsplit(".", 1)
    signature = b64url_decode(signature_segment)
    s = int.from_bytes(signature[ES256_COORDINATE_BYTES:], "big")
    twin = signature[:ES256_COORDINATE_BYTES] + (P256_ORDER - s).to_bytes(ES256_COORDINATE_BYTES, "big")
    return f"{signing_input}.{b64url_encode(twin)}"


def test_the_ccf_signs_only_low_s() -> None:
    issuer = TokenIssuer(SigningKey.generate("ccf-key"), ccf_id="ccf", claim_set=ClaimSet.WITH_AUD_SUB)
    scope = [ScopeEntry("aef-1", ("api-a",))]
    tokens = [issuer.issue("inv-1", scope, lifetime=600, now=NOW).access_token for _ in range(64)]
    assert all(signature_s(token) <= P256_HALF_ORDER for token in tokens)


def test_the_aef_refuses_a_malleated_token(deployment: Deployment, ready: Ready) -> None:
    bearer = {"Authorization": f"Bearer {ready.token}"}
    assert greeting(deployment, "oauth", server_only_tls(deployment), bearer).status == 200
    twin = malleated(ready.token)
    assert signature_s(twin) > P256_HALF_ORDER
    response = greeting(deployment, "oauth", server_only_tls(deployment), {"Authorization": f"Bearer {twin}"})
    assert response.status == 401
    problem = response.problem()
    assert problem is not None and problem.cause == "CREDENTIAL_INVALID"
