"""Low-level layer: the JWS algorithms this implementation allows (RFC 7518 clause 3).

Only three algorithms exist here: ES256 (the default; CCF keys are ECDSA P-256), RS256 (the
``opencapif-observed`` profile) and PS256. There is no ``none`` and no HMAC, so a public key can never be
used as an HMAC secret (algorithm confusion, RFC 8725 clause 2.1). Each key is bound to exactly one
algorithm (RFC 8725 clause 3.1).

:func:`make_signer` and :func:`make_verifier` build, once per key, a closure that holds the parsed key
and the prepared hash/padding objects, so no per-token work repeats what can be cached per key.

One encoding per signature: an ECDSA signature (r, s) verifies as (r, n - s) too, so ES256 signatures
are written and accepted only with ``s <= n/2`` ("low-S"). A token string is then the one encoding of
its header, claims and signer, and nothing keyed on it can be bypassed by re-encoding the signature.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from impl.tokens.errors import KeyConfigurationError

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Signer = Callable[[bytes], bytes]

MIN_RSA_BITS = 2048
ES256_COORDINATE_BYTES = 32
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""n, the order of the P-256 base point (SEC 2 clause 2.4.2)."""
P256_HALF_ORDER = P256_ORDER // 2


class Algorithm(StrEnum):
    """JWS ``alg`` values this implementation allows (RFC 7518 clause 3.1)."""

    ES256 = "ES256"
    RS256 = "RS256"
    PS256 = "PS256"


def check_key_fits(algorithm: Algorithm, key: PublicKey | PrivateKey) -> None:
    """ES256 needs a P-256 key (RFC 7518 clause 3.4); RS256/PS256 an RSA key of 2048 bits or more
    (RFC 7518 clauses 3.3 and 3.5). Raise :class:`KeyConfigurationError` otherwise."""
    if algorithm is Algorithm.ES256:
        if not isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
            raise KeyConfigurationError("ES256 needs an EC key")
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeyConfigurationError(f"ES256 needs curve P-256, not {key.curve.name}")
        return
    if not isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        raise KeyConfigurationError(f"{algorithm} needs an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise KeyConfigurationError(f"{algorithm} needs an RSA key of at least {MIN_RSA_BITS} bits")


def _pss_padding() -> padding.PSS:
    """RSASSA-PSS with MGF1-SHA-256 and a salt as long as the hash (RFC 7518 clause 3.5)."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)


def make_signer(algorithm: Algorithm, key: PrivateKey) -> Signer:
    """Return ``sign(signing_input) -> JWS signature`` for a key already checked to fit."""
    check_key_fits(algorithm, key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(hashes.SHA256())

        def sign_es256(data: bytes) -> bytes:
            r, s = decode_dss_signature(key.sign(data, ecdsa))
            s = min(s, P256_ORDER - s)  # low-S, the one encoding verifiers accept
            return r.to_bytes(ES256_COORDINATE_BYTES, "big") + s.to_bytes(ES256_COORDINATE_BYTES, "big")

        return sign_es256
    rsa_padding = padding.PKCS1v15() if algorithm is Algorithm.RS256 else _pss_padding()
    sha256 = hashes.SHA256()
    return lambda data: key.sign(data, rsa_padding, sha256)


class SignatureCheck(NamedTuple):
    """A key's JWS signature check in two steps: ``prepare`` turns a JWS signature into what the
    library verifies (None when it can never be valid), ``verify`` checks a prepared signature over the
    signing input. A signature presented again can be prepared once."""

    prepare: Callable[[bytes], bytes | None]
    verify: Callable[[bytes, bytes], bool]


def make_verifier(algorithm: Algorithm, key: PublicKey) -> SignatureCheck:
    """The :class:`SignatureCheck` of ``key``, with everything per key prepared once.

    ES256 signatures are exactly 64 octets, R || S (RFC 7518 clause 3.4), with S at most n/2 (low-S,
    see the module note), prepared as DER; RSA signatures exactly as long as the modulus (RFC 8017
    clauses 8.1.2 and 8.2.2, step 1), prepared as they are.
    """
    check_key_fits(algorithm, key)
    if isinstance(key, ec.EllipticCurvePublicKey):
        ecdsa = ec.ECDSA(hashes.SHA256())
        signature_length = 2 * ES256_COORDINATE_BYTES
        ec_key = key

        def prepare_es256(signature: bytes) -> bytes | None:
            if len(signature) != signature_length:
                return None
            s = int.from_bytes(signature[ES256_COORDINATE_BYTES:], "big")
            if s > P256_HALF_ORDER:
                return None
            return encode_dss_signature(int.from_bytes(signature[:ES256_COORDINATE_BYTES], "big"), s)

        def verify_es256(der: bytes, data: bytes) -> bool:
            try:
                ec_key.verify(der, data, ecdsa)
            except InvalidSignature:
                return False
            return True

        return SignatureCheck(prepare_es256, verify_es256)
    rsa_key = key
    rsa_padding = padding.PKCS1v15() if algorithm is Algorithm.RS256 else _pss_padding()
    sha256 = hashes.SHA256()
    modulus_length = (rsa_key.key_size + 7) // 8

    def prepare_rsa(signature: bytes) -> bytes | None:
        return signature if len(signature) == modulus_length else None

    def verify_rsa(signature: bytes, data: bytes) -> bool:
        try:
            rsa_key.verify(signature, data, rsa_padding, sha256)
        except InvalidSignature:
            return False
        return True

    return SignatureCheck(prepare_rsa, verify_rsa)
