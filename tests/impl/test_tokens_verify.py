"""Issue -> verify round trips for every claim set, clock skew, key trust, scope-check settings,
subject extraction (TS 33.122 clause 6.5.2 and Annex C; TS 29.222 clause 8.5)."""

import json
from pathlib import Path

import pytest

from impl.tokens import (
    Algorithm,
    ClaimSet,
    InvalidToken,
    ScopeCheck,
    ScopeEntry,
    SigningKey,
    TokenIssuer,
    TokenRefusal,
    TokenVerifier,
    TrustedKeySet,
)
from impl.tokens.encoding import b64url_decode

NOW = 1_757_194_204
LIFETIME = 600
INVOKER = "INV2b64dbf0b0fdc0bef722d4297ff6c9"
SCOPE = (ScopeEntry("aef-home", ("api-a", "api-b")), ScopeEntry("aef-other", ("api-c",)))
OPENCAPIF_SAMPLE = Path(__file__).resolve().parents[3] / "shared/3gpp/opencapif_sample_token_claims.json"

SUBJECT_BY_CLAIM_SET = {
    ClaimSet.TS33122: INVOKER,
    ClaimSet.TS29222: None,
    ClaimSet.WITH_AUD_SUB: INVOKER,
    ClaimSet.OPENCAPIF_OBSERVED: INVOKER,
}


@pytest.fixture(scope="module")
def ccf_key() -> SigningKey:
    return SigningKey.generate("ccf-home-es256")


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.generate("ccf-home-rs256", Algorithm.RS256)


def verifier_for(
    issuer: TokenIssuer, claim_set: ClaimSet, scope_check: ScopeCheck = ScopeCheck.AEF_AND_API
) -> TokenVerifier:
    return TokenVerifier(
        TrustedKeySet([issuer.trusted_key]),
        aef_id="aef-home",
        claim_set=claim_set,
        scope_check=scope_check,
        allowed_algorithms=frozenset(Algorithm),
    )


def payload_of(token: str) -> dict[str, object]:
    claims: dict[str, object] = json.loads(b64url_decode(token.split(".")[1]))
    return claims


@pytest.mark.parametrize("claim_set", list(ClaimSet))
@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_round_trip(
    claim_set: ClaimSet, algorithm: Algorithm, ccf_key: SigningKey, rsa_key: SigningKey
) -> None:
    signing_key = ccf_key if algorithm is Algorithm.ES256 else SigningKey(rsa_key.private_key, "k", algorithm)
    issuer = TokenIssuer(signing_key, ccf_id="ccf-home", claim_set=claim_set)
    issued = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW)
    verified = verifier_for(issuer, claim_set).verify(issued.access_token, api_name="api-b", now=NOW)
    assert verified.issuer == "ccf-home"
    assert verified.kid == signing_key.kid
    assert verified.subject == SUBJECT_BY_CLAIM_SET[claim_set]
    assert verified.scope == SCOPE
    assert verified.expires_at == NOW + LIFETIME
    assert issued.expires_in == LIFETIME


def test_claims_written_per_claim_set(ccf_key: SigningKey) -> None:
    def claims(claim_set: ClaimSet) -> dict[str, object]:
        issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=claim_set)
        return payload_of(issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token)

    ts33122 = claims(ClaimSet.TS33122)
    assert ts33122 == {
        "client_id": INVOKER,
        "scope": "aef-home:api-a,api-b;aef-other:api-c",
        "exp": NOW + LIFETIME,
        "iat": NOW,
    }
    assert claims(ClaimSet.TS29222) == {
        "iss": "ccf-home",
        "scope": "3gpp#aef-home:api-a,api-b;aef-other:api-c",
        "exp": NOW + LIFETIME,
        "iat": NOW,
    }
    ts29222_issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    tokens = [ts29222_issuer.issue(who, SCOPE, lifetime=LIFETIME, now=NOW).access_token for who in ("a", "b")]
    assert payload_of(tokens[0]) == payload_of(tokens[1])  # TS 29.222 claims do not bind the invoker
    with_aud_sub = claims(ClaimSet.WITH_AUD_SUB)
    assert set(with_aud_sub) == {"iss", "sub", "aud", "client_id", "scope", "exp", "iat", "jti"}
    assert with_aud_sub["aud"] == ["aef-home", "aef-other"]
    assert with_aud_sub["sub"] == with_aud_sub["client_id"] == INVOKER


def test_opencapif_claim_set_matches_the_observed_token(rsa_key: SigningKey) -> None:
    if not OPENCAPIF_SAMPLE.is_file():
        pytest.skip(f"OpenCAPIF sample claims not found at {OPENCAPIF_SAMPLE}")
    sample = json.loads(OPENCAPIF_SAMPLE.read_text())
    issuer = TokenIssuer(rsa_key, ccf_id="ccf-home", claim_set=ClaimSet.OPENCAPIF_OBSERVED)
    token = issuer.issue(INVOKER, SCOPE[:1], lifetime=600, now=sample["payload"]["iat"]).access_token
    header = json.loads(b64url_decode(token.split(".")[0]))
    claims = payload_of(token)
    assert header["alg"] == sample["header"]["alg"] == "RS256"
    assert set(claims) == set(sample["payload"])
    for name in ("iat", "exp", "nbf", "fresh", "type", "res_owner_id"):
        assert claims[name] == sample["payload"][name]
    assert claims["iss"] == claims["sub"] == INVOKER


def test_access_token_rsp_body(ccf_key: SigningKey) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    body = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token_rsp()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == LIFETIME
    assert body["scope"] == "3gpp#aef-home:api-a,api-b;aef-other:api-c"
    assert isinstance(body["access_token"], str)


@pytest.mark.parametrize(
    ("seconds_past_exp", "accepted"), [(-1, True), (0, True), (29, True), (30, True), (31, False)]
)
def test_clock_skew_edges(ccf_key: SigningKey, seconds_past_exp: int, accepted: bool) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS33122)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    verifier = verifier_for(issuer, ClaimSet.TS33122)
    now = NOW + LIFETIME + seconds_past_exp
    if accepted:
        assert verifier.verify(token, api_name="api-a", now=now).subject == INVOKER
    else:
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(token, api_name="api-a", now=now)
        assert refused.value.reason is TokenRefusal.EXPIRED


def test_smaller_skew_setting_is_honoured(ccf_key: SigningKey) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS33122)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    strict = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]), aef_id="aef-home", claim_set=ClaimSet.TS33122, clock_skew=0
    )
    strict.verify(token, api_name="api-a", now=NOW + LIFETIME)
    with pytest.raises(InvalidToken):
        strict.verify(token, api_name="api-a", now=NOW + LIFETIME + 1)


@pytest.mark.parametrize(("seconds_early", "accepted"), [(30, True), (31, False)])
def test_token_issued_in_the_future_beyond_skew_is_refused(
    ccf_key: SigningKey, seconds_early: int, accepted: bool
) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.OPENCAPIF_OBSERVED)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    verifier = verifier_for(issuer, ClaimSet.OPENCAPIF_OBSERVED)
    if accepted:
        verifier.verify(token, api_name="api-a", now=NOW - seconds_early)
    else:
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(token, api_name="api-a", now=NOW - seconds_early)
        assert refused.value.reason is TokenRefusal.NOT_YET_VALID


def test_token_of_untrusted_ccf_is_refused(ccf_key: SigningKey) -> None:
    home = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    foreign = TokenIssuer(
        SigningKey.generate("ccf-foreign-1"), ccf_id="ccf-foreign", claim_set=ClaimSet.TS29222
    )
    token = foreign.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    own_ccf_only = verifier_for(home, ClaimSet.TS29222)
    with pytest.raises(InvalidToken) as refused:
        own_ccf_only.verify(token, api_name="api-a", now=NOW)
    assert refused.value.reason is TokenRefusal.UNKNOWN_KID
    interconnected = TokenVerifier(
        TrustedKeySet([home.trusted_key, foreign.trusted_key]), aef_id="aef-home", claim_set=ClaimSet.TS29222
    )
    assert interconnected.verify(token, api_name="api-a", now=NOW).issuer == "ccf-foreign"


def test_same_kid_with_another_key_is_refused(ccf_key: SigningKey) -> None:
    """An attacker CCF reusing the trusted kid cannot pass: the signature is checked with the trusted key."""
    home = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    impostor = TokenIssuer(SigningKey.generate(ccf_key.kid), ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = impostor.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    with pytest.raises(InvalidToken) as refused:
        verifier_for(home, ClaimSet.TS29222).verify(token, api_name="api-a", now=NOW)
    assert refused.value.reason is TokenRefusal.BAD_SIGNATURE


def test_trusted_ccf_claiming_another_issuer_is_refused(ccf_key: SigningKey) -> None:
    """A trusted CCF key signing a token whose iss names a different CCF: wrong issuer."""
    delegated = TokenIssuer(ccf_key, ccf_id="ccf-delegated", claim_set=ClaimSet.TS29222)
    lying = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = lying.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    with pytest.raises(InvalidToken) as refused:
        verifier_for(delegated, ClaimSet.TS29222).verify(token, api_name="api-a", now=NOW)
    assert refused.value.reason is TokenRefusal.WRONG_ISSUER


@pytest.mark.parametrize(
    ("scope_check", "aef_id", "api_name", "accepted"),
    [
        (ScopeCheck.AEF_AND_API, "aef-home", "api-a", True),
        (ScopeCheck.AEF_AND_API, "aef-home", "api-c", False),  # api-c is granted on aef-other only
        (ScopeCheck.AEF_AND_API, "aef-third", "api-a", False),  # not this AEF's token
        (ScopeCheck.AEF_AND_API, "aef-home", "api-z", False),
        (ScopeCheck.API_ONLY, "aef-home", "api-c", True),
        (ScopeCheck.API_ONLY, "aef-third", "api-a", True),
        (ScopeCheck.API_ONLY, "aef-home", "api-z", False),
        (ScopeCheck.NONE, "aef-third", "api-z", True),
    ],
)
def test_scope_check_settings(
    ccf_key: SigningKey, scope_check: ScopeCheck, aef_id: str, api_name: str, accepted: bool
) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    verifier = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]),
        aef_id=aef_id,
        claim_set=ClaimSet.TS29222,
        scope_check=scope_check,
    )
    if accepted:
        assert verifier.verify(token, api_name=api_name, now=NOW).scope == SCOPE
    else:
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(token, api_name=api_name, now=NOW)
        assert refused.value.reason is TokenRefusal.SCOPE_MISMATCH


def test_audience_is_checked_when_present(ccf_key: SigningKey) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.WITH_AUD_SUB)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    third = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]),
        aef_id="aef-third",
        claim_set=ClaimSet.WITH_AUD_SUB,
        scope_check=ScopeCheck.NONE,
    )
    with pytest.raises(InvalidToken) as refused:
        third.verify(token, api_name="api-a", now=NOW)
    assert refused.value.reason is TokenRefusal.WRONG_AUDIENCE


def test_claim_set_mismatch_between_ccf_and_aef_is_refused(ccf_key: SigningKey) -> None:
    """A TS 29.222 token names no invoker: an AEF configured for TS 33.122 claims refuses it."""
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    with pytest.raises(InvalidToken) as refused:
        verifier_for(issuer, ClaimSet.TS33122).verify(token, api_name="api-a", now=NOW)
    assert refused.value.reason is TokenRefusal.MISSING_CLAIM


def test_refusals_look_the_same_from_outside(ccf_key: SigningKey) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    verifier = verifier_for(issuer, ClaimSet.TS29222)
    messages = set()
    reasons = set()
    for candidate, api_name, now in (
        (token, "api-z", NOW),
        (token, "api-a", NOW + 10_000),
        (token[:-4], "api-a", NOW),
    ):
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(candidate, api_name=api_name, now=now)
        messages.add(str(refused.value))
        reasons.add(refused.value.reason)
    assert messages == {"invalid access token"}
    assert len(reasons) == 3


def test_verifier_configuration_errors(ccf_key: SigningKey, rsa_key: SigningKey) -> None:
    keys = TrustedKeySet([ccf_key.trusted_key("ccf-home")])
    with pytest.raises(ValueError, match="clock_skew"):
        TokenVerifier(keys, aef_id="aef-home", claim_set=ClaimSet.TS29222, clock_skew=31)
    with pytest.raises(ValueError, match="aef_id"):
        TokenVerifier(keys, aef_id="", claim_set=ClaimSet.TS29222)
    with pytest.raises(ValueError, match="not allowed"):
        TokenVerifier(
            TrustedKeySet([rsa_key.trusted_key("ccf-home")]), aef_id="a", claim_set=ClaimSet.TS29222
        )


@pytest.mark.parametrize(
    ("invoker", "lifetime", "now"),
    [("", 600, NOW), (INVOKER, 0, NOW), (INVOKER, -5, NOW), (INVOKER, True, NOW), (INVOKER, 600, 1.5)],
)
def test_issuer_refuses_bad_input(ccf_key: SigningKey, invoker: str, lifetime: int, now: int) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    with pytest.raises(ValueError):
        issuer.issue(invoker, SCOPE, lifetime=lifetime, now=now)


def test_issuer_refuses_empty_scope(ccf_key: SigningKey) -> None:
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    with pytest.raises(ValueError):
        issuer.issue(INVOKER, [], lifetime=LIFETIME, now=NOW)


def test_cached_header_and_scope_do_not_carry_over_between_checks(ccf_key: SigningKey) -> None:
    """The verifier caches header look-ups and scope parses; every check still decides afresh."""
    issuer = TokenIssuer(ccf_key, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME, now=NOW).access_token
    verifier = verifier_for(issuer, ClaimSet.TS29222)
    for _ in range(2):
        assert verifier.verify(token, api_name="api-a", now=NOW).scope == SCOPE
        with pytest.raises(InvalidToken) as wrong_api:
            verifier.verify(token, api_name="api-c", now=NOW)
        assert wrong_api.value.reason is TokenRefusal.SCOPE_MISMATCH
        header, _, signature = token.split(".")
        other_token = issuer.issue(INVOKER, SCOPE, lifetime=LIFETIME * 10, now=NOW).access_token
        other_payload = other_token.split(".")[1]
        with pytest.raises(InvalidToken) as spliced:
            verifier.verify(f"{header}.{other_payload}.{signature}", api_name="api-a", now=NOW)
        assert spliced.value.reason is TokenRefusal.BAD_SIGNATURE
