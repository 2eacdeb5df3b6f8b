"""Benchmark: the AEF's full access-token check against the bare signature verification inside it.

Target (issue 13; TS 33.122 clause 6.5.2.3 at the AEF): the full check reaches at least 90 % of
the rate of bare ES256 verification of the same token (``cryptography`` ``verify`` on a pre-converted
DER signature: nothing but the ECDSA operation). Both are measured in the same run, interleaved in
rounds so that machine noise hits both alike; rates are medians over the rounds, the ratio is the
median of the per-round ratios.

The AEF keeps what of a token does not depend on the request (its parse and claims checks) per token
string, and verifies the signature, the times and the API on every request; a bearer token is presented
many times, which is what the target measures. For reference only, the run also times the check of a
token the verifier sees for the first time (``first_sight``), pyjwt's ``decode`` of the same token and
the RS256 check of an ``opencapif-observed`` token against bare RS256 verification.

Writes ``benchmarks/results/token.json``; exits 1 if the target ratio is missed.

Run: ``python benchmarks/bench_token.py [--rounds N] [--batch N]``
"""

import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import cryptography
import jwt
from bare_signature import bare_es256_verify
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from measure import Operation, interleaved_rates, per_round_ratios, ratio_fields, rounds_parser, write_report

from impl.tokens import (
    Algorithm,
    ClaimSet,
    ScopeEntry,
    SigningKey,
    TokenIssuer,
    TokenVerifier,
    TrustedKeySet,
)
from impl.tokens.jws import split_compact

TARGET_RATIO = 0.9
RESULT_FILE = Path(__file__).resolve().parent / "results" / "token.json"
NOW = 1_757_194_204
AEF_ID = "AEF9a8856d9b5bf2a58914311046e0e61"
API_NAME = "3gpp-monitoring-event"
SCOPE = (ScopeEntry(AEF_ID, (API_NAME, "3gpp-as-session-with-qos")), ScopeEntry("AEF-other", ("api-x",)))


def es256_case(fresh_count: int) -> tuple[dict[str, Operation], int]:
    """The ES256 operations; ``fresh_count`` distinct tokens for the first-sight reference."""
    signing_key = SigningKey.generate("ccf-home-es256")
    issuer = TokenIssuer(signing_key, ccf_id="ccf-home", claim_set=ClaimSet.WITH_AUD_SUB)
    token = issuer.issue("INV2b64dbf0b0fdc0bef722d4297ff6c9", SCOPE, lifetime=600, now=NOW).access_token
    verifier = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]), aef_id=AEF_ID, claim_set=ClaimSet.WITH_AUD_SUB
    )
    public_key = signing_key.private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    verifier.verify(token, api_name=API_NAME, now=NOW)  # must succeed before it is timed
    fresh = iter(
        [
            issuer.issue(f"INV{index:030d}", SCOPE, lifetime=600, now=NOW).access_token
            for index in range(fresh_count)
        ]
    )
    return {
        "bare": bare_es256_verify(token, public_key),
        "full": lambda: verifier.verify(token, api_name=API_NAME, now=NOW),
        "first_sight": lambda: verifier.verify(next(fresh), api_name=API_NAME, now=NOW),
        "pyjwt": lambda: jwt.decode(
            token, public_key, algorithms=["ES256"], audience=AEF_ID, leeway=30, options={"verify_exp": False}
        ),
    }, len(token)


def rs256_case() -> tuple[dict[str, Operation], int]:
    signing_key = SigningKey.generate("ccf-home-tls", Algorithm.RS256)
    issuer = TokenIssuer(signing_key, ccf_id="ccf-home", claim_set=ClaimSet.OPENCAPIF_OBSERVED)
    token = issuer.issue("INV2b64dbf0b0fdc0bef722d4297ff6c9", SCOPE, lifetime=600, now=NOW).access_token
    verifier = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]),
        aef_id=AEF_ID,
        claim_set=ClaimSet.OPENCAPIF_OBSERVED,
        allowed_algorithms=frozenset({Algorithm.RS256}),
    )
    parts = split_compact(token, len(token))
    public_key = signing_key.private_key.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    verifier.verify(token, api_name=API_NAME, now=NOW)
    return {
        "bare": lambda: public_key.verify(parts.signature, parts.signing_input, pkcs1, sha256),
        "full": lambda: verifier.verify(token, api_name=API_NAME, now=NOW),
    }, len(token)


def summary(rates: dict[str, list[float]]) -> dict[str, Any]:
    """Median rates, and the median of the per-round ratios (each round pairs its own baseline)."""
    medians = {name: statistics.median(values) for name, values in rates.items()}
    result: dict[str, Any] = {
        "bare_verify_per_s": round(medians["bare"]),
        "full_check_per_s": round(medians["full"]),
        **ratio_fields(per_round_ratios(rates["full"], rates["bare"])),
    }
    if "first_sight" in medians:
        result["first_sight_check_per_s"] = round(medians["first_sight"])
        first_ratios = per_round_ratios(rates["first_sight"], rates["bare"])
        result["first_sight_ratio"] = round(statistics.median(first_ratios), 3)
    if "pyjwt" in medians:
        result["pyjwt_decode_per_s"] = round(medians["pyjwt"])
        pyjwt_ratios = per_round_ratios(rates["pyjwt"], rates["bare"])
        result["pyjwt_ratio"] = round(statistics.median(pyjwt_ratios), 3)
    return result


def main() -> int:
    arguments = rounds_parser(__doc__, batch=400).parse_args()
    es256_operations, es256_length = es256_case(arguments.rounds * arguments.batch)
    rs256_operations, rs256_length = rs256_case()
    es256 = summary(interleaved_rates(es256_operations, arguments.rounds, arguments.batch))
    rs256 = summary(interleaved_rates(rs256_operations, arguments.rounds, arguments.batch))
    report = {
        "benchmark": "token",
        "target": f"full AEF token check >= {TARGET_RATIO:.0%} of bare ES256 signature verification",
        "target_ratio": TARGET_RATIO,
        "meets_target": es256["ratio"] >= TARGET_RATIO,
        "es256_with_aud_sub": es256 | {"token_length": es256_length},
        "rs256_opencapif_observed_reference": rs256 | {"token_length": rs256_length},
        "rounds": arguments.rounds,
        "batch": arguments.batch,
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
        "pyjwt": jwt.__version__,
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
