"""Project Wycheproof JWS vectors against the signature layer (RFC 7515 clause 5.2; RFC 7518 clause 3).

The vectors are read at test time from ``../shared/vectors/wycheproof`` beside the repository. Groups
run: every group whose key is one this implementation supports (EC P-256, RSA of 2048 bits or more)
and whose key ``alg`` (if any) is ES256, RS256 or PS256. In those groups every ``invalid`` vector must
be refused (by key loading, for keys marked for encryption only, or by verification) and every
``valid`` vector accepted, except the valid vectors whose header ``alg`` this implementation does not
allow at all (e.g. PS384 under a key marked PS256): those must be refused as unsupported; and the valid
ES256 vectors whose S is above n/2: this implementation accepts only the low-S encoding of an ECDSA
signature (one encoding per token, see :mod:`impl.tokens.jwa`), so those are refused as bad signatures.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from impl.tokens import InvalidToken, KeyConfigurationError, TokenRefusal, TrustedKey, TrustedKeySet
from impl.tokens.encoding import b64url_decode
from impl.tokens.jwa import ES256_COORDINATE_BYTES, P256_HALF_ORDER, Algorithm
from impl.tokens.jws import verify_compact

VECTORS = (
    Path(__file__).resolve().parents[3] / "shared" / "vectors" / "wycheproof" / "json_web_signature_test.json"
)
MAX_LENGTH = 16384


def supported_group(group: dict[str, Any]) -> bool:
    key = group.get("public")
    if key is None:
        return False  # symmetric (HMAC) groups: no HMAC here at all
    if key.get("alg", "ES256") not in Algorithm.__members__:
        return False
    if key.get("kty") == "EC":
        return bool(key.get("crv") == "P-256")
    return bool(key.get("kty") == "RSA")


def load_cases() -> list[Any]:
    if not VECTORS.is_file():
        return [
            pytest.param(
                None, None, marks=pytest.mark.skip(reason=f"Wycheproof vectors not found at {VECTORS}")
            )
        ]
    suite = json.loads(VECTORS.read_text())
    return [
        pytest.param(group["public"], test, id=f"tc{test['tcId']}-{test['comment']}")
        for group in suite["testGroups"]
        if supported_group(group)
        for test in group["tests"]
    ]


def header_alg(jws: object) -> object:
    if not isinstance(jws, str):
        return None
    try:
        header = json.loads(b64url_decode(jws.split(".")[0]))
    except ValueError:
        return None
    return header.get("alg") if isinstance(header, dict) else None


def high_s_es256(jws: object) -> bool:
    """An ES256 signature whose S is above n/2 (the encoding this implementation refuses)."""
    if header_alg(jws) != "ES256" or not isinstance(jws, str):
        return False
    signature = b64url_decode(jws.rsplit(".", 1)[-1])
    return int.from_bytes(signature[ES256_COORDINATE_BYTES:], "big") > P256_HALF_ORDER


def outcome(jwk: dict[str, Any], jws: object) -> str:
    try:
        keys = TrustedKeySet([TrustedKey.from_jwk(jwk, issuer="wycheproof")])
    except KeyConfigurationError:
        return "refused: key unusable"
    try:
        verify_compact(jws, keys, max_length=MAX_LENGTH)
    except InvalidToken as refused:
        return f"refused: {refused.reason.value}"
    return "accepted"


@pytest.mark.parametrize(("jwk", "test"), load_cases())
def test_wycheproof_vector(jwk: dict[str, Any], test: dict[str, Any]) -> None:
    result = outcome(jwk, test["jws"])
    if test["result"] == "invalid":
        assert result.startswith("refused"), f"invalid vector accepted: {test}"
    elif high_s_es256(test["jws"]):
        assert result == f"refused: {TokenRefusal.BAD_SIGNATURE.value}", test
    elif header_alg(test["jws"]) in Algorithm.__members__:
        assert result == "accepted", f"valid vector {result}: {test}"
    else:
        assert result == f"refused: {TokenRefusal.UNSUPPORTED_ALGORITHM.value}", test


def test_enough_vectors_ran() -> None:
    """Guard against a filter that silently selects nothing."""
    if not VECTORS.is_file():
        pytest.skip(f"Wycheproof vectors not found at {VECTORS}")
    cases = load_cases()
    algorithms = {case.values[0].get("alg") for case in cases}
    assert len(cases) > 300
    assert {"ES256", "RS256", "PS256"} <= algorithms
