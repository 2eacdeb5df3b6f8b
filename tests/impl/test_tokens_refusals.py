"""Every hostile or malformed token is refused with InvalidToken and the expected reason
(TS 33.122 clause 6.5.2.3 and Annex C; RFC 7515, RFC 8725)."""

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from impl.tokens import (
    Algorithm,
    ClaimSet,
    InvalidToken,
    ScopeEntry,
    SigningKey,
    TokenIssuer,
    TokenRefusal,
    TokenVerifier,
    TrustedKeySet,
)
from impl.tokens.encoding import b64url_encode, encode_json
from impl.tokens.jws import sign_compact

NOW = 1_757_194_204
CCF = SigningKey.generate("ccf-home-1")
RSA_CCF = SigningKey.generate("ccf-home-rsa", Algorithm.RS256)
GOOD_HEADER = {"alg": "ES256", "typ": "JWT", "kid": CCF.kid}
GOOD_CLAIMS = {"iss": "ccf-home", "scope": "3gpp#aef-home:api-a", "exp": NOW + 600, "iat": NOW}


def verifier(claim_set: ClaimSet = ClaimSet.TS29222) -> TokenVerifier:
    return TokenVerifier(
        TrustedKeySet([CCF.trusted_key("ccf-home"), RSA_CCF.trusted_key("ccf-home")]),
        aef_id="aef-home",
        claim_set=claim_set,
        allowed_algorithms=frozenset({Algorithm.ES256, Algorithm.RS256}),
    )


def forge(header: dict[str, Any], claims: dict[str, Any] | bytes, key: SigningKey = CCF) -> str:
    payload = claims if isinstance(claims, bytes) else encode_json(claims)
    return sign_compact(b64url_encode(encode_json(header)), payload, key)


def raw_segments(header: bytes, payload: bytes, key: SigningKey = CCF) -> str:
    """Sign exact header and payload octets (for duplicate members and odd JSON)."""
    signing_input = f"{b64url_encode(header)}.{b64url_encode(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def refusal(token: object, claim_set: ClaimSet = ClaimSet.TS29222, now: int = NOW) -> TokenRefusal:
    with pytest.raises(InvalidToken) as refused:
        verifier(claim_set).verify(token, api_name="api-a", now=now)
    return refused.value.reason


def test_the_control_token_is_accepted() -> None:
    """The base of every forgery below is itself valid, so each refusal is due to its one change."""
    assert verifier().verify(forge(GOOD_HEADER, GOOD_CLAIMS), api_name="api-a", now=NOW).issuer == "ccf-home"


def hmac_with_public_key() -> str:
    """Algorithm confusion: HS256 keyed with the CCF's public key, which an attacker knows."""
    public_pem = CCF.private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header = b64url_encode(encode_json({"alg": "HS256", "typ": "JWT", "kid": CCF.kid}))
    signing_input = f"{header}.{b64url_encode(encode_json(GOOD_CLAIMS))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(mac)}"


def unsigned(alg: str) -> str:
    header = b64url_encode(encode_json({"alg": alg, "typ": "JWT", "kid": CCF.kid}))
    return f"{header}.{b64url_encode(encode_json(GOOD_CLAIMS))}."


HEADER_CASES: dict[str, tuple[dict[str, Any], TokenRefusal]] = {
    "jku": (GOOD_HEADER | {"jku": "https://attacker.example/keys"}, TokenRefusal.FORBIDDEN_KEY_HEADER),
    "x5u": (GOOD_HEADER | {"x5u": "https://attacker.example/cert"}, TokenRefusal.FORBIDDEN_KEY_HEADER),
    "jwk": (GOOD_HEADER | {"jwk": CCF.trusted_key("x").to_jwk()}, TokenRefusal.FORBIDDEN_KEY_HEADER),
    "x5c": (GOOD_HEADER | {"x5c": ["MIIB"]}, TokenRefusal.FORBIDDEN_KEY_HEADER),
    "x5t": (GOOD_HEADER | {"x5t": "AAAA"}, TokenRefusal.FORBIDDEN_KEY_HEADER),
    "crit": (GOOD_HEADER | {"crit": ["exp"], "exp": 1}, TokenRefusal.CRITICAL_HEADER),
    "unknown member": (GOOD_HEADER | {"zip": "DEF"}, TokenRefusal.UNKNOWN_HEADER),
    "alg none": ({"alg": "none", "typ": "JWT", "kid": CCF.kid}, TokenRefusal.ALG_NONE),
    "alg None": ({"alg": "None", "typ": "JWT", "kid": CCF.kid}, TokenRefusal.ALG_NONE),
    "alg HS256": (GOOD_HEADER | {"alg": "HS256"}, TokenRefusal.UNSUPPORTED_ALGORITHM),
    "alg ES384": (GOOD_HEADER | {"alg": "ES384"}, TokenRefusal.UNSUPPORTED_ALGORITHM),
    "alg lower case": (GOOD_HEADER | {"alg": "es256"}, TokenRefusal.UNSUPPORTED_ALGORITHM),
    "alg missing": ({"typ": "JWT", "kid": CCF.kid}, TokenRefusal.UNSUPPORTED_ALGORITHM),
    "alg not a string": (GOOD_HEADER | {"alg": ["ES256"]}, TokenRefusal.UNSUPPORTED_ALGORITHM),
    "alg of another key": (GOOD_HEADER | {"kid": RSA_CCF.kid}, TokenRefusal.ALGORITHM_KEY_MISMATCH),
    "kid missing": ({"alg": "ES256", "typ": "JWT"}, TokenRefusal.MISSING_KID),
    "kid not a string": (GOOD_HEADER | {"kid": 7}, TokenRefusal.MISSING_KID),
    "kid unknown": (GOOD_HEADER | {"kid": "ccf-elsewhere"}, TokenRefusal.UNKNOWN_KID),
    "typ wrong": (GOOD_HEADER | {"typ": "at+jwt"}, TokenRefusal.WRONG_TYPE),
    "typ missing": ({"alg": "ES256", "kid": CCF.kid}, TokenRefusal.WRONG_TYPE),
    "typ not a string": (GOOD_HEADER | {"typ": 1}, TokenRefusal.WRONG_TYPE),
}


@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_hostile_header_is_refused(case: str) -> None:
    header, reason = HEADER_CASES[case]
    assert refusal(forge(header, GOOD_CLAIMS)) is reason


def test_alg_none_without_signature_is_refused() -> None:
    assert refusal(unsigned("none")) is TokenRefusal.MALFORMED  # no signature part at all
    token = unsigned("none") + b64url_encode(b"x")
    assert refusal(token) is TokenRefusal.ALG_NONE


def test_hmac_with_public_key_is_refused() -> None:
    assert refusal(hmac_with_public_key()) is TokenRefusal.UNSUPPORTED_ALGORITHM


def test_typ_compared_case_insensitively() -> None:
    token = forge(GOOD_HEADER | {"typ": "jwt"}, GOOD_CLAIMS)
    assert verifier().verify(token, api_name="api-a", now=NOW).kid == CCF.kid


CLAIM_CASES: dict[str, tuple[dict[str, Any], TokenRefusal]] = {
    "exp missing": ({k: v for k, v in GOOD_CLAIMS.items() if k != "exp"}, TokenRefusal.MISSING_CLAIM),
    "iss missing": ({k: v for k, v in GOOD_CLAIMS.items() if k != "iss"}, TokenRefusal.MISSING_CLAIM),
    "scope missing": ({k: v for k, v in GOOD_CLAIMS.items() if k != "scope"}, TokenRefusal.MISSING_CLAIM),
    "exp as string": (GOOD_CLAIMS | {"exp": str(NOW + 600)}, TokenRefusal.BAD_CLAIM_TYPE),
    "exp as float": (GOOD_CLAIMS | {"exp": NOW + 600.5}, TokenRefusal.BAD_CLAIM_TYPE),
    "exp as bool": (GOOD_CLAIMS | {"exp": True}, TokenRefusal.BAD_CLAIM_TYPE),
    "exp null": (GOOD_CLAIMS | {"exp": None}, TokenRefusal.BAD_CLAIM_TYPE),
    "iat as string": (GOOD_CLAIMS | {"iat": "now"}, TokenRefusal.BAD_CLAIM_TYPE),
    "iss null": (GOOD_CLAIMS | {"iss": None}, TokenRefusal.BAD_CLAIM_TYPE),
    "iss empty": (GOOD_CLAIMS | {"iss": ""}, TokenRefusal.BAD_CLAIM_TYPE),
    "scope as list": (GOOD_CLAIMS | {"scope": ["3gpp#aef-home:api-a"]}, TokenRefusal.BAD_CLAIM_TYPE),
    "expired": (GOOD_CLAIMS | {"exp": NOW - 31}, TokenRefusal.EXPIRED),
    "nbf in future": (GOOD_CLAIMS | {"nbf": NOW + 31}, TokenRefusal.NOT_YET_VALID),
    "wrong issuer": (GOOD_CLAIMS | {"iss": "ccf-elsewhere"}, TokenRefusal.WRONG_ISSUER),
    "wrong audience": (GOOD_CLAIMS | {"aud": ["aef-other"]}, TokenRefusal.WRONG_AUDIENCE),
    "audience not strings": (GOOD_CLAIMS | {"aud": [1]}, TokenRefusal.BAD_CLAIM_TYPE),
    "wrong scope aef": (GOOD_CLAIMS | {"scope": "3gpp#aef-other:api-a"}, TokenRefusal.SCOPE_MISMATCH),
    "wrong scope api": (GOOD_CLAIMS | {"scope": "3gpp#aef-home:api-b"}, TokenRefusal.SCOPE_MISMATCH),
    "scope syntax": (GOOD_CLAIMS | {"scope": "aef-home:api-a"}, TokenRefusal.MALFORMED_SCOPE),
    "scope garbage": (GOOD_CLAIMS | {"scope": "3gpp#aef-home:api-a;;"}, TokenRefusal.MALFORMED_SCOPE),
}


@pytest.mark.parametrize("case", list(CLAIM_CASES))
def test_bad_claims_are_refused(case: str) -> None:
    claims, reason = CLAIM_CASES[case]
    assert refusal(forge(GOOD_HEADER, claims)) is reason


def test_audience_as_single_string_is_understood() -> None:
    token = forge(GOOD_HEADER, GOOD_CLAIMS | {"aud": "aef-home"})
    assert verifier().verify(token, api_name="api-a", now=NOW).issuer == "ccf-home"


def test_sub_and_client_id_must_name_the_same_invoker() -> None:
    claims = GOOD_CLAIMS | {"sub": "inv-1", "client_id": "inv-2", "aud": ["aef-home"], "jti": "j"}
    assert refusal(forge(GOOD_HEADER, claims), ClaimSet.WITH_AUD_SUB) is TokenRefusal.SUBJECT_MISMATCH


def good_token() -> str:
    return forge(GOOD_HEADER, GOOD_CLAIMS)


def flip_last_signature_char(token: str) -> str:
    return token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]


def swap_payload(token: str) -> str:
    other = forge(GOOD_HEADER, GOOD_CLAIMS | {"scope": "3gpp#aef-home:api-a,api-admin"})
    header, _, signature = token.split(".")
    return f"{header}.{other.split('.')[1]}.{signature}"


STRUCTURE_CASES: dict[str, tuple[Callable[[], object], TokenRefusal]] = {
    "not a string": (lambda: good_token().encode(), TokenRefusal.NOT_A_STRING),
    "empty": (lambda: "", TokenRefusal.MALFORMED),
    "truncated signature": (lambda: good_token()[:-10], TokenRefusal.BAD_SIGNATURE),
    "truncated to two parts": (lambda: good_token().rsplit(".", 1)[0], TokenRefusal.MALFORMED),
    "truncated to two parts with dot": (lambda: good_token().rsplit(".", 1)[0] + ".", TokenRefusal.MALFORMED),
    "four parts": (lambda: good_token() + ".AAAA", TokenRefusal.MALFORMED),
    "whitespace": (lambda: " " + good_token(), TokenRefusal.MALFORMED),
    "padding": (lambda: good_token() + "==", TokenRefusal.MALFORMED),
    "standard base64 alphabet": (
        lambda: good_token().replace("-", "+").replace("_", "/") + "+/",
        TokenRefusal.MALFORMED,
    ),
    "oversized": (lambda: forge(GOOD_HEADER, GOOD_CLAIMS | {"pad": "x" * 9000}), TokenRefusal.OVERSIZED),
    "bit flipped signature": (lambda: flip_last_signature_char(good_token()), TokenRefusal.BAD_SIGNATURE),
    "payload swapped": (lambda: swap_payload(good_token()), TokenRefusal.BAD_SIGNATURE),
    "payload not JSON": (lambda: forge(GOOD_HEADER, b"not json"), TokenRefusal.MALFORMED),
    "payload JSON array": (lambda: forge(GOOD_HEADER, b"[1, 2]"), TokenRefusal.MALFORMED),
    "payload not UTF-8": (lambda: forge(GOOD_HEADER, b'{"iss": "\xff"}'), TokenRefusal.MALFORMED),
    "payload NaN": (lambda: forge(GOOD_HEADER, b'{"exp": NaN}'), TokenRefusal.MALFORMED),
    "payload deeply nested": (lambda: forge(GOOD_HEADER, b"[" * 2500 + b"]" * 2500), TokenRefusal.MALFORMED),
    "payload trailing data": (
        lambda: forge(GOOD_HEADER, encode_json(GOOD_CLAIMS) + b"{}"),
        TokenRefusal.MALFORMED,
    ),
    "header not JSON": (
        lambda: raw_segments(b"{alg:ES256}", encode_json(GOOD_CLAIMS)),
        TokenRefusal.MALFORMED,
    ),
    "empty payload": (lambda: forge(GOOD_HEADER, b""), TokenRefusal.MALFORMED),
    "duplicate claim": (
        lambda: raw_segments(
            encode_json(GOOD_HEADER),
            b'{"iss":"ccf-home","scope":"3gpp#aef-home:api-z","scope":"3gpp#aef-home:api-a","exp":%d}'
            % (NOW + 600),
        ),
        TokenRefusal.DUPLICATE_MEMBER,
    ),
    "duplicate header member": (
        lambda: raw_segments(
            b'{"alg":"HS256","alg":"ES256","typ":"JWT","kid":"%s"}' % CCF.kid.encode(),
            encode_json(GOOD_CLAIMS),
        ),
        TokenRefusal.DUPLICATE_MEMBER,
    ),
}


@pytest.mark.parametrize("case", list(STRUCTURE_CASES))
def test_malformed_token_is_refused(case: str) -> None:
    make, reason = STRUCTURE_CASES[case]
    assert refusal(make()) is reason


def test_non_canonical_base64_is_refused() -> None:
    """Setting the unused low bits of the last character yields the same octets: still refused."""
    token = good_token()
    header, payload, signature = token.split(".")
    assert len(signature) % 4 == 2  # 64 octets -> 86 characters, 4 unused bits in the last one
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(signature[-1]) | 0x01]
    assert refusal(f"{header}.{payload}.{signature[:-1]}{twin}") is TokenRefusal.MALFORMED


def test_rsa_signed_token_with_es256_header_is_refused() -> None:
    token = forge(GOOD_HEADER | {"alg": "RS256"}, GOOD_CLAIMS, RSA_CCF)
    assert refusal(token) is TokenRefusal.ALGORITHM_KEY_MISMATCH


def test_token_issued_by_the_issuer_and_then_tampered_is_refused() -> None:
    issuer = TokenIssuer(CCF, ccf_id="ccf-home", claim_set=ClaimSet.TS29222)
    token = issuer.issue("inv-1", [ScopeEntry("aef-home", ("api-a",))], lifetime=600, now=NOW).access_token
    assert verifier().verify(token, api_name="api-a", now=NOW).issuer == "ccf-home"
    assert refusal(flip_last_signature_char(token)) is TokenRefusal.BAD_SIGNATURE
