"""Signing keys of a CCF and the trusted key set of an AEF (TS 33.122 clause 6.5.2.3 and Annex C).

A :class:`TrustedKey` binds a public key to one ``kid``, one algorithm and the identity of the CCF that
holds the private half (its *issuer*). Which CCFs' keys an AEF trusts (its own CCF only, its own and
delegated CCFs, any interconnected CCF) is a deployment setting: the caller builds the
:class:`TrustedKeySet` accordingly, and the verifier trusts exactly what is in it.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from impl.tokens.encoding import b64url_decode, b64url_encode
from impl.tokens.errors import KeyConfigurationError
from impl.tokens.jwa import (
    ES256_COORDINATE_BYTES,
    Algorithm,
    PrivateKey,
    PublicKey,
    SignatureCheck,
    Signer,
    make_signer,
    make_verifier,
)

RSA_GENERATED_BITS = 3072
RSA_PUBLIC_EXPONENT = 65537


def _check_identifier(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise KeyConfigurationError(f"{what} must be a non-empty string")


def _algorithm_named(name: object) -> Algorithm:
    if not isinstance(name, str) or name not in Algorithm.__members__:
        raise KeyConfigurationError(f"algorithm {name!r} is not allowed (only ES256, RS256, PS256)")
    return Algorithm(name)


@dataclass(frozen=True)
class SigningKey:
    """A CCF's token-signing key: private key, ``kid`` and the one algorithm it signs with."""

    private_key: PrivateKey
    kid: str
    algorithm: Algorithm = Algorithm.ES256
    _signer: Signer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_identifier(self.kid, "kid")
        object.__setattr__(self, "algorithm", _algorithm_named(self.algorithm))
        object.__setattr__(self, "_signer", make_signer(self.algorithm, self.private_key))

    @classmethod
    def generate(cls, kid: str, algorithm: Algorithm = Algorithm.ES256) -> "SigningKey":
        """A fresh key: P-256 for ES256, RSA-3072 for RS256/PS256."""
        private_key: PrivateKey
        if algorithm is Algorithm.ES256:
            private_key = ec.generate_private_key(ec.SECP256R1())
        else:
            private_key = rsa.generate_private_key(RSA_PUBLIC_EXPONENT, RSA_GENERATED_BITS)
        return cls(private_key, kid, algorithm)

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature over ``signing_input`` (RFC 7515 clause 5.1, step 5)."""
        return self._signer(signing_input)

    def trusted_key(self, issuer: str) -> "TrustedKey":
        """The public half, as an AEF configures it, for the CCF ``issuer``."""
        return TrustedKey(issuer, self.kid, self.algorithm, self.private_key.public_key())


@dataclass(frozen=True)
class TrustedKey:
    """A public key an AEF accepts token signatures from, bound to one kid, algorithm and issuer."""

    issuer: str
    kid: str
    algorithm: Algorithm
    public_key: PublicKey
    _check: SignatureCheck = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_identifier(self.issuer, "issuer")
        _check_identifier(self.kid, "kid")
        object.__setattr__(self, "algorithm", _algorithm_named(self.algorithm))
        object.__setattr__(self, "_check", make_verifier(self.algorithm, self.public_key))

    def signature_is_valid(self, signature: bytes, signing_input: bytes) -> bool:
        """Check a JWS signature with this key (RFC 7515 clause 5.2, step 8)."""
        prepared = self._check.prepare(signature)
        return prepared is not None and self._check.verify(prepared, signing_input)

    def prepared_signature(self, signature: bytes) -> bytes | None:
        """A JWS signature in the form this key verifies (DER for ES256), None if it cannot be valid."""
        return self._check.prepare(signature)

    def prepared_signature_is_valid(self, prepared: bytes, signing_input: bytes) -> bool:
        """Check a signature :meth:`prepared_signature` returned (the library's verification alone)."""
        return self._check.verify(prepared, signing_input)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], issuer: str) -> "TrustedKey":
        """Read a public JWK (RFC 7517 clause 4, RFC 7518 clause 6).

        Refuses a key whose ``use`` is not ``sig`` or whose ``key_ops`` lacks ``verify``
        (RFC 7517 clauses 4.2 and 4.3), and an RSA key with no ``alg`` (its algorithm would be a guess).
        """
        if "use" in jwk and jwk["use"] != "sig":
            raise KeyConfigurationError("JWK 'use' is not 'sig'")
        if "key_ops" in jwk and (not isinstance(jwk["key_ops"], list) or "verify" not in jwk["key_ops"]):
            raise KeyConfigurationError("JWK 'key_ops' does not allow 'verify'")
        kid = jwk.get("kid")
        if not isinstance(kid, str):
            raise KeyConfigurationError("JWK has no 'kid'")
        public_key = _public_key_from_jwk(jwk)
        algorithm_name = jwk.get("alg")
        if algorithm_name is None:
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                raise KeyConfigurationError("an RSA JWK must name its 'alg'")
            algorithm_name = Algorithm.ES256
        return cls(issuer, kid, _algorithm_named(algorithm_name), public_key)

    def to_jwk(self) -> dict[str, str]:
        """This key as a public JWK with ``use``, ``alg`` and ``kid`` (RFC 7517 clause 4)."""
        members = {"use": "sig", "alg": self.algorithm.value, "kid": self.kid}
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            numbers = self.public_key.public_numbers()
            return members | {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url_encode(numbers.x.to_bytes(ES256_COORDINATE_BYTES, "big")),
                "y": b64url_encode(numbers.y.to_bytes(ES256_COORDINATE_BYTES, "big")),
            }
        rsa_numbers = self.public_key.public_numbers()
        return members | {
            "kty": "RSA",
            "n": b64url_encode(rsa_numbers.n.to_bytes((rsa_numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url_encode(rsa_numbers.e.to_bytes((rsa_numbers.e.bit_length() + 7) // 8, "big")),
        }


def _jwk_integer(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyConfigurationError(f"JWK member {name!r} is missing")
    try:
        return int.from_bytes(b64url_decode(value), "big")
    except ValueError as error:
        raise KeyConfigurationError(f"JWK member {name!r} is not base64url") from error


def _public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    key_type = jwk.get("kty")
    try:
        if key_type == "EC":
            if jwk.get("crv") != "P-256":
                raise KeyConfigurationError("only EC keys on curve P-256 are allowed")
            return ec.EllipticCurvePublicNumbers(
                _jwk_integer(jwk, "x"), _jwk_integer(jwk, "y"), ec.SECP256R1()
            ).public_key()
        if key_type == "RSA":
            return rsa.RSAPublicNumbers(_jwk_integer(jwk, "e"), _jwk_integer(jwk, "n")).public_key()
    except ValueError as error:
        if isinstance(error, KeyConfigurationError):
            raise
        raise KeyConfigurationError(f"JWK does not describe a valid {key_type} public key") from error
    raise KeyConfigurationError(f"JWK key type {key_type!r} is not allowed")


class TrustedKeySet:
    """The keys an AEF trusts, looked up by ``kid``; immutable once built.

    A ``kid`` must be unique across the set, so a token's ``kid`` names exactly one key and, through
    it, exactly one issuing CCF.
    """

    __slots__ = ("_by_kid",)

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        by_kid: dict[str, TrustedKey] = {}
        for key in keys:
            if key.kid in by_kid:
                raise KeyConfigurationError(f"kid {key.kid!r} appears twice in the trusted key set")
            by_kid[key.kid] = key
        self._by_kid: Mapping[str, TrustedKey] = by_kid

    def get(self, kid: str) -> TrustedKey | None:
        """The key with this ``kid``, or None."""
        return self._by_kid.get(kid)

    @property
    def issuers(self) -> frozenset[str]:
        """The CCFs this set trusts."""
        return frozenset(key.issuer for key in self._by_kid.values())

    def only_issuers(self, issuers: Iterable[str]) -> "TrustedKeySet":
        """The subset whose issuer is in ``issuers`` (e.g. the AEF's own CCF only)."""
        wanted = frozenset(issuers)
        return TrustedKeySet(key for key in self._by_kid.values() if key.issuer in wanted)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._by_kid.values())

    def __len__(self) -> int:
        return len(self._by_kid)
