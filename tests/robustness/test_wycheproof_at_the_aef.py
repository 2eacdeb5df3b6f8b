"""Issue 13, suite item 1: all 401 Project Wycheproof JWS vectors through the AEF's own token check
(:meth:`impl.aef.access.AccessCheck.authorize` with the AEF's :class:`~impl.tokens.TokenVerifier`), not
only the signature layer (``tests/impl/test_tokens_wycheproof.py``).

The AEF is configured as deployed: it allows ES256 only. For a group with a P-256 key it trusts that
signing key (under the group's ``kid``), so the group's tokens reach its signature check; every other group
(HMAC, RSA, ES512) meets an AEF that trusts its own CCF's ES256 key only. Then:

* no vector is accepted (none is a CAPIF access token: ``typ`` and claims are missing);
* every ``invalid`` vector is refused at or before the signature, never by a later check;
* every vector in an algorithm the AEF does not allow is refused as such (``unsupported-algorithm``,
  ``alg-none``, or a key-carrying header), unless it is not a compact JWS at all (``malformed``);
* the ES256 ``valid`` vectors pass the signature and are refused afterwards (``wrong-type``), except
  the one whose S is above n/2, refused as a bad signature (one encoding per token).

The vectors come from ``../shared/vectors/wycheproof``; without them this test fails.
"""

import json
from collections import Counter
from typing import Any

import pytest

from impl.tokens import KeyConfigurationError, SigningKey, TokenRefusal, TrustedKey, TrustedKeySet
from impl.tokens.encoding import b64url_decode
from impl.tokens.jwa import ES256_COORDINATE_BYTES, P256_HALF_ORDER
from tests.robustness.aef_token_check import CCF_ID, AefTokenCheck
from tests.robustness.conftest import shared_file

VECTORS = "vectors/wycheproof/json_web_signature_test.json"
AT_OR_BEFORE_THE_SIGNATURE = frozenset(
    {
        TokenRefusal.NOT_A_STRING,
        TokenRefusal.OVERSIZED,
        TokenRefusal.MALFORMED,
        TokenRefusal.DUPLICATE_MEMBER,
        TokenRefusal.FORBIDDEN_KEY_HEADER,
        TokenRefusal.CRITICAL_HEADER,
        TokenRefusal.UNKNOWN_HEADER,
        TokenRefusal.ALG_NONE,
        TokenRefusal.UNSUPPORTED_ALGORITHM,
        TokenRefusal.MISSING_KID,
        TokenRefusal.UNKNOWN_KID,
        TokenRefusal.ALGORITHM_KEY_MISMATCH,
        TokenRefusal.BAD_SIGNATURE,
    }
)
STRUCTURE = frozenset({TokenRefusal.MALFORMED, TokenRefusal.DUPLICATE_MEMBER})
"""Not a compact JWS at all (no signature part, say): refused before its header is read."""
NOT_ALLOWED = frozenset(
    {TokenRefusal.UNSUPPORTED_ALGORITHM, TokenRefusal.ALG_NONE, TokenRefusal.FORBIDDEN_KEY_HEADER}
)


def groups() -> list[dict[str, Any]]:
    suite = json.loads(shared_file(VECTORS).read_text())
    found: list[dict[str, Any]] = suite["testGroups"]
    assert sum(len(group["tests"]) for group in found) == suite["numberOfTests"] == 401
    return found


def aef_for(group: dict[str, Any]) -> tuple[AefTokenCheck, bool]:
    """The AEF for a group, and whether it trusts the group's key (a P-256 signing key)."""
    key = group.get("public") or {}
    if key.get("kty") == "EC" and key.get("crv") == "P-256":
        try:
            return AefTokenCheck(TrustedKeySet([TrustedKey.from_jwk(key, issuer=CCF_ID)])), True
        except KeyConfigurationError:
            pass  # a key not for signatures: an AEF would not be configured with it
    own = SigningKey.generate("ccf-home-key").trusted_key(CCF_ID)
    return AefTokenCheck(TrustedKeySet([own])), False


def header_alg(jws: str) -> object:
    try:
        header = json.loads(b64url_decode(jws.split(".", maxsplit=1)[0]))
    except (ValueError, UnicodeDecodeError):
        return None
    return header.get("alg") if isinstance(header, dict) else None


def high_s(jws: str) -> bool:
    signature = b64url_decode(jws.rsplit(".", 1)[-1])
    return int.from_bytes(signature[ES256_COORDINATE_BYTES:], "big") > P256_HALF_ORDER


def bearer_text(jws: object) -> str:
    """A vector as the text of a bearer token (the JSON serialisation vectors as JSON text)."""
    return jws if isinstance(jws, str) else json.dumps(jws, separators=(",", ":"))


def test_every_wycheproof_vector_is_refused_by_the_aef_for_the_right_reason() -> None:
    reasons: Counter[str] = Counter()
    checked = 0
    for group in groups():
        aef, trusted = aef_for(group)
        for test in group["tests"]:
            token = bearer_text(test["jws"])
            verdict = aef.verdict(token)
            label = f"tc{test['tcId']} {test['comment']} ({test['result']})"
            assert verdict.status == 401 and verdict.reason is not None, label
            reasons[verdict.reason.value] += 1
            checked += 1
            alg = header_alg(token) if isinstance(test["jws"], str) else None
            if isinstance(alg, str) and alg != "ES256":
                assert verdict.reason in NOT_ALLOWED | STRUCTURE, (label, verdict.reason)
            if test["result"] == "invalid":
                assert verdict.reason in AT_OR_BEFORE_THE_SIGNATURE, (label, verdict.reason)
            elif alg == "ES256" and trusted:
                expected = TokenRefusal.BAD_SIGNATURE if high_s(token) else TokenRefusal.WRONG_TYPE
                assert verdict.reason is expected, label
    assert checked == 401
    assert reasons[TokenRefusal.WRONG_TYPE.value] == 1  # the one low-S valid ES256 vector
    assert reasons[TokenRefusal.BAD_SIGNATURE.value] >= 20  # ES256 forgeries reached the signature


@pytest.mark.parametrize("missing", ["vectors/wycheproof/no-such-file.json"])
def test_missing_vectors_fail_rather_than_skip(missing: str) -> None:
    with pytest.raises(pytest.fail.Exception):
        shared_file(missing)
