"""Benchmark: the AEF's token check and its CAPIF-2e connections, each beside the bare library.

1. Token check (target, issue 13 and TS 33.122 clause 6.5.2.3): the AEF's whole per-request
   decision for an OAUTH request (:meth:`impl.aef.access.AccessCheck.authorize`: bearer parsing, method
   check, signature, claims, ``exp`` with 30 s skew, aefId and API in ``scope``, revocation list) must
   reach at least 90 % of the rate of the bare ES256 verification it contains (``cryptography``
   ``verify`` on a pre-converted DER signature). Measured in the same run, interleaved in rounds; the
   ratio is the median of the per-round ratios.
2. Connections (reported, no target): new connections per second to a running AEF (TLS handshake,
   ``GET hello/v1/greeting``, the AEF's checks, close) with mutual TLS (PKI method, TLS 1.3, ECDSA
   P-256 both ways) and TLS-PSK (TLS 1.2, ``ECDHE-PSK-CHACHA20-POLY1305``, AEFPSK), beside the TLS
   library's own handshake rate for the same version, suite and keys (stdlib ``ssl``; ``sslpsk3`` or
   Python 3.13's PSK callbacks), handshake and one octet each way.

Writes ``benchmarks/results/aef.json``; exits 1 if the token-check target is missed.

Run: ``python benchmarks/bench_aef.py [--rounds N] [--batch N] [--connections N]``
"""

import platform
import ssl
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bare_signature import bare_es256_verify
from bare_tls import PSK_CIPHER, bare_library, certificate_contexts, psk_contexts
from cryptography.hazmat.primitives.asymmetric import ec
from measure import Operation, interleaved_rates, per_round_ratios, ratio_fields, rounds_parser, write_report

from impl.aef.access import AccessCheck
from impl.aef.interfaces import AefInterface, InterfaceSpec
from impl.aef.revocations import RevocationList
from impl.aef.security_info import CcfSecurityClient, SecurityInfoCache
from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.http import Headers, HttpsClient, Request
from impl.invoker import ApiInvoker, Negotiated
from impl.pki import CertificateAuthority
from impl.settings import Settings
from impl.tls import CertificateClientTls, ClientTls, PskClientTls, TlsPeer, TlsVersion
from impl.tokens import ClaimSet, ScopeEntry, SigningKey, TokenIssuer, TokenVerifier, TrustedKeySet

TARGET_RATIO = 0.9
RESULT_FILE = Path(__file__).resolve().parent / "results" / "aef.json"
AEF_ID = "AEF9a8856d9b5bf2a58914311046e0e61"
INVOKER_ID = "INV2b64dbf0b0fdc0bef722d4297ff6c9"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ratio_summary(ours: list[float], bare: list[float]) -> dict[str, float]:
    return {
        "per_s": round(statistics.median(ours), 1),
        "bare_per_s": round(statistics.median(bare), 1),
        **ratio_fields(per_round_ratios(ours, bare)),
    }


def token_check_operations() -> dict[str, Operation]:
    """The AEF's decision on an OAUTH request, and the bare ES256 verification inside it."""
    signing_key = SigningKey.generate("ccf-key")
    issuer = TokenIssuer(signing_key, ccf_id="ccf", claim_set=ClaimSet.WITH_AUD_SUB)
    scope = [ScopeEntry(AEF_ID, (HELLO_API, "3gpp-monitoring-event"))]
    now = int(NOW.timestamp())
    token = issuer.issue(INVOKER_ID, scope, lifetime=600, now=now).access_token
    verifier = TokenVerifier(
        TrustedKeySet([issuer.trusted_key]), aef_id=AEF_ID, claim_set=ClaimSet.WITH_AUD_SUB
    )
    revocations = RevocationList()
    for index in range(100):
        revocations.revoke(f"INV{index:030d}", None, at=now)
    ca = CertificateAuthority.create("benchmark CA", now=NOW)
    unused_ccf = CcfSecurityClient(
        CertificateClientTls(ca.certificate), "127.0.0.1", 9, server_name="127.0.0.1", ccf_id="ccf"
    )
    access = AccessCheck(
        aef_id=AEF_ID,
        settings=Settings(),
        cache=SecurityInfoCache(unused_ccf),  # OAUTH requests never consult it
        revocations=revocations,
        verifier=verifier,
        clock=lambda: NOW,
    )
    interface = AefInterface(InterfaceSpec("oauth", (SecurityMethod.OAUTH,), "/oauth"), "127.0.0.1")
    interface.listening_on(9003)
    request = Request(
        method="GET",
        target="/oauth/hello/v1/greeting",
        path="/oauth/hello/v1/greeting",
        path_params={},
        query={},
        headers=Headers([("Host", "127.0.0.1:9003"), ("Authorization", f"Bearer {token}")]),
        body=b"",
        peer=TlsPeer(TlsVersion.TLS1_3, "TLS_AES_128_GCM_SHA256"),
    )
    if access.authorize(request, interface, HELLO_API).api_invoker_id != INVOKER_ID:
        raise RuntimeError("the AEF did not accept the benchmark token")
    public_key = signing_key.private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    return {
        "aef_token_check": lambda: access.authorize(request, interface, HELLO_API),
        "bare_es256_verify": bare_es256_verify(token, public_key),
    }


def onboarded_invoker(deployment: Deployment) -> tuple[ApiInvoker, dict[str, Negotiated]]:
    """An invoker that negotiated every interface and sent check-authentication for PSK and PKI."""
    invoker = deployment.invoker()
    invoker.onboard(deployment.onboarding_secret())
    targets = invoker.discover(api_name=HELLO_API)
    negotiated = {item.target.api_prefix: item for item in invoker.negotiate(targets)}
    for prefix in ("/psk", "/pki"):
        invoker.check_authentication(negotiated[prefix].target)
    return invoker, negotiated


def aef_connection(deployment: Deployment, interface: str, tls: ClientTls) -> Operation:
    """One new HTTPS connection to the AEF interface, one GET of the example API, close (a client for
    one request per connection, as the invoker's API invocations)."""
    port = deployment.aef.interfaces[interface].port
    assert port is not None
    path = f"/{interface}/{HELLO_API}/v1/greeting"

    def connect() -> None:
        with HttpsClient(tls, deployment.host, port, persistent=False) as client:
            if client.get(path).status != 200:
                raise RuntimeError(f"the AEF refused the benchmark request on {interface}")

    connect()
    return connect


def connection_rates(rounds: int, batch: int) -> dict[str, Any]:
    """New connections per second to the AEF and to the bare library, interleaved in rounds."""
    with (
        tempfile.TemporaryDirectory() as directory,
        Deployment(Path(directory) / "data", Settings()) as deployment,
    ):
        invoker, negotiated = onboarded_invoker(deployment)
        psk = negotiated["/psk"].aefpsk
        assert psk is not None
        mutual_contexts = certificate_contexts(
            Path(directory),
            deployment.ca.certificate,
            deployment.aef.config.server_credential,
            invoker.identity.credential,
        )
        mutual_tls = CertificateClientTls(deployment.ca.certificate, credential=invoker.identity.credential)
        psk_tls = PskClientTls(invoker.identity.api_invoker_id, psk)
        with (
            bare_library(*mutual_contexts) as mutual_bare,
            bare_library(*psk_contexts(invoker.identity.api_invoker_id, psk)) as psk_bare,
        ):
            rates = interleaved_rates(
                {
                    "mutual_bare": mutual_bare,
                    "mutual_aef": aef_connection(deployment, "pki", mutual_tls),
                    "psk_bare": psk_bare,
                    "psk_aef": aef_connection(deployment, "psk", psk_tls),
                },
                rounds,
                batch,
            )
        invoker.close()
    return {
        "mutual_tls_pki": {"tls": "TLSv1.3, ECDSA P-256 certificates both ways"}
        | ratio_summary(rates["mutual_aef"], rates["mutual_bare"]),
        "tls_psk": {"tls": f"TLSv1.2, {PSK_CIPHER}"} | ratio_summary(rates["psk_aef"], rates["psk_bare"]),
        "note": "per_s: new AEF connections (handshake, GET, checks); bare_per_s: library handshakes",
    }


def main() -> int:
    parser = rounds_parser(__doc__, batch=400)
    parser.add_argument("--connections", type=int, default=30, help="connections per round and way")
    arguments = parser.parse_args()
    token_rates = interleaved_rates(token_check_operations(), arguments.rounds, arguments.batch)
    token = ratio_summary(token_rates["aef_token_check"], token_rates["bare_es256_verify"])
    connections = connection_rates(max(5, arguments.rounds // 2), arguments.connections)
    report = {
        "benchmark": "aef",
        "target": "the AEF's token check (AccessCheck.authorize) >= 90% of bare ES256 verification",
        "target_ratio": TARGET_RATIO,
        "meets_target": token["ratio"] >= TARGET_RATIO,
        "token_check": {"claim_set": "with-aud-sub", "revocation_list_entries": 100} | token,
        "connections": connections,
        "rounds": arguments.rounds,
        "batch": arguments.batch,
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
