"""Signing keys, trusted keys and key sets (RFC 7517, RFC 7518 clause 3, RFC 8725 clause 3.1)."""

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from impl.tokens import Algorithm, KeyConfigurationError, SigningKey, TrustedKey, TrustedKeySet
from impl.tokens.encoding import b64url_encode

ES256_KEY = SigningKey.generate("ccf-a-1")
PS256_KEY = SigningKey.generate("ccf-a-2", Algorithm.PS256)


@pytest.mark.parametrize("signing_key", [ES256_KEY, PS256_KEY], ids=["ES256", "PS256"])
def test_jwk_round_trip(signing_key: SigningKey) -> None:
    trusted = signing_key.trusted_key("ccf-a")
    again = TrustedKey.from_jwk(trusted.to_jwk(), issuer="ccf-a")
    assert (again.kid, again.algorithm, again.issuer) == (trusted.kid, trusted.algorithm, "ccf-a")
    assert again.public_key.public_numbers() == trusted.public_key.public_numbers()
    data = b"header.payload"
    assert again.signature_is_valid(signing_key.sign(data), data)
    assert not again.signature_is_valid(signing_key.sign(data), data + b"!")


def test_ec_jwk_without_alg_is_es256() -> None:
    jwk = {k: v for k, v in ES256_KEY.trusted_key("ccf-a").to_jwk().items() if k != "alg"}
    assert TrustedKey.from_jwk(jwk, issuer="ccf-a").algorithm is Algorithm.ES256


def modified(jwk: dict[str, str], **changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = dict(jwk)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


SMALL_RSA = rsa.generate_private_key(65537, 1024).public_key()
EC_JWK = ES256_KEY.trusted_key("ccf-a").to_jwk()
RSA_JWK = PS256_KEY.trusted_key("ccf-a").to_jwk()
BAD_JWKS = {
    "use enc": modified(EC_JWK, use="enc"),
    "key_ops encrypt": modified(EC_JWK, key_ops=["encrypt"]),
    "key_ops not a list": modified(EC_JWK, key_ops="verify"),
    "no kid": modified(EC_JWK, kid=None),
    "alg HS256": modified(EC_JWK, alg="HS256"),
    "alg none": modified(EC_JWK, alg="none"),
    "alg of other key type": modified(EC_JWK, alg="RS256"),
    "curve P-384": modified(EC_JWK, crv="P-384"),
    "point not on curve": modified(EC_JWK, y=EC_JWK["x"]),
    "x not base64url": modified(EC_JWK, x="@@@"),
    "x missing": modified(EC_JWK, x=None),
    "kty oct": {"kty": "oct", "k": "AAAA", "kid": "x", "alg": "ES256"},
    "kty missing": modified(EC_JWK, kty=None),
    "RSA without alg": modified(RSA_JWK, alg=None),
    "RSA 1024 bits": modified(RSA_JWK, n=b64url_encode(SMALL_RSA.public_numbers().n.to_bytes(128, "big"))),
}


@pytest.mark.parametrize("case", list(BAD_JWKS))
def test_unusable_jwk_is_refused(case: str) -> None:
    with pytest.raises(KeyConfigurationError):
        TrustedKey.from_jwk(BAD_JWKS[case], issuer="ccf-a")


def test_key_and_algorithm_must_fit() -> None:
    with pytest.raises(KeyConfigurationError):
        SigningKey(ES256_KEY.private_key, "k", Algorithm.RS256)
    with pytest.raises(KeyConfigurationError):
        SigningKey(PS256_KEY.private_key, "k", Algorithm.ES256)
    with pytest.raises(KeyConfigurationError):
        SigningKey(ec.generate_private_key(ec.SECP384R1()), "k", Algorithm.ES256)
    with pytest.raises(KeyConfigurationError):
        SigningKey(rsa.generate_private_key(65537, 1024), "k", Algorithm.RS256)
    with pytest.raises(KeyConfigurationError):
        TrustedKey("ccf-a", "k", Algorithm.PS256, SMALL_RSA)
    with pytest.raises(KeyConfigurationError):
        SigningKey(ES256_KEY.private_key, "k", "HS256")  # type: ignore[arg-type]
    with pytest.raises(KeyConfigurationError):
        SigningKey(ES256_KEY.private_key, "")


def test_algorithm_given_as_text_is_normalised() -> None:
    key = SigningKey(ES256_KEY.private_key, "k", "ES256")  # type: ignore[arg-type]
    assert key.algorithm is Algorithm.ES256


def test_es256_signature_is_raw_r_and_s() -> None:
    assert len(ES256_KEY.sign(b"data")) == 64


def test_key_set_lookup_and_trust_settings() -> None:
    own = SigningKey.generate("own-1").trusted_key("ccf-own")
    delegated = SigningKey.generate("del-1").trusted_key("ccf-delegated")
    foreign = SigningKey.generate("for-1").trusted_key("ccf-foreign")
    everyone = TrustedKeySet([own, delegated, foreign])
    assert everyone.get("del-1") is delegated
    assert everyone.get("nobody") is None
    assert everyone.issuers == {"ccf-own", "ccf-delegated", "ccf-foreign"}
    own_and_delegated = everyone.only_issuers({"ccf-own", "ccf-delegated"})
    assert len(own_and_delegated) == 2
    assert own_and_delegated.get("for-1") is None
    assert [key.kid for key in own_and_delegated] == ["own-1", "del-1"]


def test_duplicate_kid_in_key_set_is_refused() -> None:
    with pytest.raises(KeyConfigurationError):
        TrustedKeySet(
            [ES256_KEY.trusted_key("ccf-a"), SigningKey.generate(ES256_KEY.kid).trusted_key("ccf-b")]
        )
