"""The baseline of the token-check benchmarks: ES256 signature verification and nothing else.

``cryptography``'s ``verify`` of a token's signature, converted to DER beforehand, over its signing
input: the one ECDSA operation that every full token check contains (RFC 7518 clause 3.4).
"""

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from measure import Operation

from impl.tokens.jws import split_compact


def bare_es256_verify(token: str, public_key: ec.EllipticCurvePublicKey) -> Operation:
    """One bare verification of ``token``'s ES256 signature per call."""
    parts = split_compact(token, len(token))
    signature = encode_dss_signature(
        int.from_bytes(parts.signature[:32], "big"), int.from_bytes(parts.signature[32:], "big")
    )
    signing_input = parts.signing_input
    ecdsa = ec.ECDSA(hashes.SHA256())
    return lambda: public_key.verify(signature, signing_input, ecdsa)
