"""Issue 13, suite item 2: the claims and trust layer that Wycheproof does not cover, end to end: each
hostile token is sent as ``Authorization: Bearer`` to the running AEF's OAUTH interface and must be
refused with 401 ``CREDENTIAL_INVALID`` and a bearer challenge (TS 33.122 clause 6.5.2.3 and Annex C;
RFC 6750 clause 3; RFC 8725). Each forgery starts from the claims of a token the CCF issued, re-signed:
the control case proves that only the one change makes it fail."""

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from impl.deployment import HELLO_API, Deployment
from impl.http import HttpsClient
from impl.tokens import (
    ClaimSet,
    InvalidToken,
    ScopeEntry,
    SigningKey,
    TokenIssuer,
    TokenRefusal,
    TokenVerifier,
    TrustedKeySet,
)
from impl.tokens.encoding import b64url_decode, b64url_encode, decode_json_object, encode_json
from impl.tokens.jws import sign_compact
from impl.tokens.verifier import DEFAULT_MAX_TOKEN_LENGTH
from tests.impl.test_e2e_world import RESOURCE, Ready, aef_client, server_only_tls

Claims = dict[str, Any]
Header = dict[str, Any]
ATTACKER = SigningKey.generate("attacker-key")


@pytest.fixture(scope="module")
def oauth(deployment: Deployment) -> Iterator[HttpsClient]:
    with aef_client(deployment, "oauth", server_only_tls(deployment)) as client:
        yield client


def claims_of(token: str) -> Claims:
    return decode_json_object(b64url_decode(token.split(".")[1]))


def forge(header: Header, claims: Claims, key: SigningKey) -> str:
    return sign_compact(b64url_encode(encode_json(header)), encode_json(claims), key)


def status_of(oauth: HttpsClient, token: str) -> int:
    response = oauth.get(f"/oauth/{HELLO_API}/v1{RESOURCE}", headers={"Authorization": f"Bearer {token}"})
    if response.status == 401:
        problem = response.problem()
        assert problem is not None and problem.cause == "CREDENTIAL_INVALID"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
    return response.status


def hmac_with_public_key(key: SigningKey, header: Header, claims: Claims) -> str:
    """Algorithm confusion: HS256 keyed with the CCF's public key (which everybody may know)."""
    secret = key.private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = (
        f"{b64url_encode(encode_json(header | {'alg': 'HS256'}))}.{b64url_encode(encode_json(claims))}"
    )
    return (
        f"{signing_input}.{b64url_encode(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
    )


def unsigned(header: Header, claims: Claims) -> str:
    return f"{b64url_encode(encode_json(header | {'alg': 'none'}))}.{b64url_encode(encode_json(claims))}."


def oversized(key: SigningKey, header: Header, claims: Claims) -> str:
    """A valid token of about 8100 characters: longer than the AEF takes, short enough for HTTP."""
    token = forge(header, claims, key)
    padded = forge(header, claims | {"pad": "x" * ((8100 - len(token)) * 3 // 4)}, key)
    assert DEFAULT_MAX_TOKEN_LENGTH < len(padded) < 8150
    return padded


Case = Callable[[SigningKey, Header, Claims, int], str]
CASES: dict[str, Case] = {
    "alg none": lambda key, header, claims, now: unsigned(header, claims),
    "alg none with a signature": lambda key, header, claims, now: unsigned(header, claims) + "AAAA",
    "HMAC keyed with the CCF's public key": lambda key, header, claims, now: hmac_with_public_key(
        key, header, claims
    ),
    "embedded jwk": lambda key, header, claims, now: forge(
        header | {"kid": ATTACKER.kid, "jwk": ATTACKER.trusted_key("x").to_jwk()}, claims, ATTACKER
    ),
    "jku": lambda key, header, claims, now: forge(
        header | {"jku": "https://attacker.example/k"}, claims, key
    ),
    "x5u": lambda key, header, claims, now: forge(
        header | {"x5u": "https://attacker.example/c"}, claims, key
    ),
    "kid path injection": lambda key, header, claims, now: forge(
        header | {"kid": "../../dev/null"}, claims, key
    ),
    "kid of the CCF, signed by the attacker": lambda key, header, claims, now: forge(
        header, claims, ATTACKER
    ),
    "crit": lambda key, header, claims, now: forge(header | {"crit": ["exp"]}, claims, key),
    "expired beyond 30 s of skew": lambda key, header, claims, now: forge(
        header, claims | {"exp": now - 31}, key
    ),
    "nbf in the future": lambda key, header, claims, now: forge(header, claims | {"nbf": now + 60}, key),
    "iat in the future": lambda key, header, claims, now: forge(header, claims | {"iat": now + 60}, key),
    "exp not a number": lambda key, header, claims, now: forge(header, claims | {"exp": str(now + 60)}, key),
    "scope missing": lambda key, header, claims, now: forge(
        header, {name: value for name, value in claims.items() if name != "scope"}, key
    ),
    "scope malformed": lambda key, header, claims, now: forge(header, claims | {"scope": "3gpp#"}, key),
    "scope in the other syntax": lambda key, header, claims, now: forge(
        header, claims | {"scope": claims["scope"].removeprefix("3gpp#")}, key
    ),
    "scope of another AEF": lambda key, header, claims, now: forge(
        header, claims | {"scope": f"3gpp#AEFother:{HELLO_API}", "aud": ["AEFother"]}, key
    ),
    "scope of another API": lambda key, header, claims, now: forge(
        header, claims | {"scope": claims["scope"].replace(f":{HELLO_API}", ":other-api")}, key
    ),
    "audience of another AEF": lambda key, header, claims, now: forge(
        header, claims | {"aud": ["AEFother"]}, key
    ),
    "issuer not trusted (unknown key)": lambda key, header, claims, now: forge(
        header | {"kid": ATTACKER.kid}, claims | {"iss": "ccf-elsewhere"}, ATTACKER
    ),
    "issuer of an interconnected CCF on the home CCF's key": lambda key, header, claims, now: forge(
        header, claims | {"iss": "ccf-interconnected"}, key
    ),
    "subject and client_id disagree": lambda key, header, claims, now: forge(
        header, claims | {"client_id": "INVsomebody-else"}, key
    ),
    "a token of another kind (typ)": lambda key, header, claims, now: forge(
        header | {"typ": "at+jwt"}, claims, key
    ),
    "a token of another claim set": lambda key, header, claims, now: forge(
        header, {"iss": claims["iss"], "scope": claims["scope"], "exp": claims["exp"]}, key
    ),
    "oversized (over 8000 characters, within a header line)": lambda key, header, claims, now: oversized(
        key, header, claims
    ),
    "truncated": lambda key, header, claims, now: forge(header, claims, key)[:-12],
    "signature of another token": lambda key, header, claims, now: ".".join(
        [*forge(header, claims | {"jti": "a"}, key).split(".")[:2], forge(header, claims, key).split(".")[2]]
    ),
}


def base(deployment: Deployment, ready: Ready) -> tuple[SigningKey, Header, Claims, int]:
    key = deployment.ccf.config.token_signing_key
    header = {"alg": "ES256", "typ": "JWT", "kid": key.kid}
    return key, header, claims_of(ready.token), int(time.time())


def test_the_re_signed_control_token_is_accepted(
    deployment: Deployment, ready: Ready, oauth: HttpsClient
) -> None:
    key, header, claims, now = base(deployment, ready)
    assert status_of(oauth, forge(header, claims, key)) == 200
    # Within the 30 s skew with 10 s to spare for the request to reach the AEF (the AEF reads its own
    # clock; the exact edges are checked at a given time in tests/impl/test_tokens_verify.py).
    assert status_of(oauth, forge(header, claims | {"exp": now - 20}, key)) == 200


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_token_is_refused_with_401(
    case: str, deployment: Deployment, ready: Ready, oauth: HttpsClient
) -> None:
    key, header, claims, now = base(deployment, ready)
    assert status_of(oauth, CASES[case](key, header, claims, now)) == 401


def test_a_token_too_long_for_a_header_line_is_a_431(
    deployment: Deployment, ready: Ready, oauth: HttpsClient
) -> None:
    key, header, claims, _ = base(deployment, ready)
    assert status_of(oauth, forge(header, claims | {"pad": "x" * 9000}, key)) == 431


def test_a_token_seen_before_is_still_checked_for_time_api_and_signature() -> None:
    """The verifier keeps a token's parse and request-independent checks, never its verdict."""
    key = SigningKey.generate("ccf-key")
    issuer = TokenIssuer(key, ccf_id="ccf", claim_set=ClaimSet.WITH_AUD_SUB)
    issued = issuer.issue("INV1", [ScopeEntry("AEF1", ("api-a",))], lifetime=600, now=1_000_000)
    verifier = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]), aef_id="AEF1", claim_set=ClaimSet.WITH_AUD_SUB
    )
    token = issued.access_token
    for _ in range(2):  # the second time from what the verifier kept
        assert verifier.verify(token, api_name="api-a", now=1_000_000).subject == "INV1"
        with pytest.raises(InvalidToken) as expired:
            verifier.verify(token, api_name="api-a", now=1_000_600 + 31)
        assert expired.value.reason is TokenRefusal.EXPIRED
        with pytest.raises(InvalidToken) as early:
            verifier.verify(token, api_name="api-a", now=1_000_000 - 31)
        assert early.value.reason is TokenRefusal.NOT_YET_VALID
        with pytest.raises(InvalidToken) as other_api:
            verifier.verify(token, api_name="api-b", now=1_000_000)
        assert other_api.value.reason is TokenRefusal.SCOPE_MISMATCH
