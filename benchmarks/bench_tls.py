"""Benchmark: TLS connections per second through our stack against the bare TLS library underneath.

Target (BRIEF section 6): mutual-TLS and TLS-PSK handshakes at the rate of the TLS library underneath.
Three ways to make one connection, each measured for mutual TLS (TLS 1.3, ECDSA P-256 both ways) and
TLS-PSK (TLS 1.2, ``ECDHE-PSK-CHACHA20-POLY1305``), with the same certificates, version and suite:

- ``bare``: the library alone (stdlib ``ssl``; ``sslpsk3`` or Python 3.13's native PSK callbacks):
  TCP connect, blocking handshake, one octet each way, close; the server handles connections inline.
- ``tls_layer``: the same exchange through :mod:`impl.tls` (``ServerTls.accept`` /
  ``ClientTls.connect``, deadline-driven non-blocking handshakes, peer description).
- ``https``: a new :class:`~impl.http.HttpsClient` connection to an :class:`~impl.http.HttpsServer`
  per iteration: TCP connect, handshake in a pooled worker thread, one GET answered with JSON, close.
  The client is one for one request per connection (``persistent=False``, as the invoker library's
  API invocations): it says ``Connection: close``, so the server closes at its response.

All in this process, interleaved in rounds so machine noise hits all alike; rates are medians over the
rounds, each ratio the median of the per-round ratios against ``bare``. Targets: ``tls_layer`` at
least 0.75 of ``bare`` (our handshake code costs little), ``https`` at least 0.8 (issue 13; each
connection also carries an HTTP request and response, which the bare loop does not). The bare rate is
reported beside every ratio: on a busy machine it falls far below its quiet value (about 1,500 TLS-PSK
handshakes a second here, client and server threads sharing one interpreter), and the ratios move with
it. The bare servers resume no session, as ours do, so both sides send the same handshake flights.

For reference the run also reports requests per second on one kept-alive mutual-TLS connection, and
TLS-PSK over HTTPS with a client kept for further requests (the server then waits for its close).

Writes ``benchmarks/results/tls.json``; exits 1 if a target ratio is missed.

Run: ``python benchmarks/bench_tls.py [--rounds N] [--batch N]``
"""

import os
import platform
import socket
import ssl
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from bare_tls import (
    PSK_CIPHER,
    bare_library,
    certificate_contexts,
    connected_socket,
    inline_server,
    psk_contexts,
)
from measure import Operation, interleaved_rates, per_round_ratios, ratio_fields, rounds_parser, write_report

from impl.http import HttpsClient, HttpsServer, Request, Response, Router
from impl.pki import CertificateAuthority, CertificateProfile
from impl.tls import (
    CertificateClientTls,
    CertificateServerTls,
    ClientAuth,
    ClientTls,
    PskClientTls,
    PskServerTls,
    ServerTls,
)

TARGET_RATIOS = {"tls_layer": 0.75, "https": 0.8}
RESULT_FILE = Path(__file__).resolve().parent / "results" / "tls.json"
PSK_IDENTITY = "INV2b64dbf0b0fdc0bef722d4297ff6c9"
AEFPSK = bytes(range(32))
PATH = "/aef-security/v1/check-authentication"


def _ok(request: Request) -> Response:
    return Response.json({"ok": True})


@contextmanager
def our_stack(
    server_tls: ServerTls, client_tls: ClientTls, *, persistent: bool = False
) -> Iterator[Operation]:
    """One new connection + GET + close per call, through HttpsServer/HttpsClient (``persistent``: a
    client kept for further requests, whose close the server waits for and answers)."""
    router = Router()
    router.add("GET", PATH, _ok)
    with HttpsServer(router, server_tls) as server:
        port = server.port  # once, as the bare loop takes its address once

        def connection() -> None:
            with HttpsClient(client_tls, "127.0.0.1", port, persistent=persistent) as client:
                if client.get(PATH).status != 200:
                    raise RuntimeError("the benchmark request failed")

        connection()
        yield connection


@contextmanager
def tls_layer(server_tls: ServerTls, client_tls: ClientTls) -> Iterator[Operation]:
    """The bare exchange, through ``impl.tls`` endpoints and channels."""

    def serve_one(sock: socket.socket) -> None:
        channel = server_tls.accept(sock, timeout=10)
        octet = bytearray(1)
        channel.recv_into(octet, 10)
        channel.send_all(bytes(octet), 10)
        channel.close()

    with inline_server(serve_one) as address:

        def connection() -> None:
            channel = client_tls.connect(connected_socket(address), server_name="127.0.0.1", timeout=10)
            channel.send_all(b"x", 10)
            octet = bytearray(1)
            if channel.recv_into(octet, 10) != 1 or octet != b"x":
                raise RuntimeError("the TLS-layer exchange failed")
            channel.close()

        connection()
        yield connection


def summary(rates: dict[str, list[float]], method: str) -> dict[str, Any]:
    """Median connection rates, and per way the median of its per-round ratios against ``bare``."""
    bare = rates[f"{method}_bare"]
    result: dict[str, Any] = {"bare_connections_per_s": round(statistics.median(bare), 1)}
    for way, target in TARGET_RATIOS.items():
        ours = rates[f"{method}_{way}"]
        ratios = per_round_ratios(ours, bare)
        result[way] = {
            "connections_per_s": round(statistics.median(ours), 1),
            **ratio_fields(ratios, "ratio_to_bare"),
            "target_ratio": target,
            "meets_target": statistics.median(ratios) >= target,
        }
    return result


def main() -> int:
    arguments = rounds_parser(__doc__, batch=40).parse_args()
    load_before = os.getloadavg()[0]
    now = datetime.now(UTC)
    ca = CertificateAuthority.create("benchmark CA", now=now - timedelta(days=1))
    server = ca.issue_certified_key(
        CertificateProfile("ccf", ip_addresses=(IPv4Address("127.0.0.1"),), server_auth=True), now=now
    )
    client = ca.issue_certified_key(CertificateProfile("invoker", client_auth=True), now=now)
    mutual_server = CertificateServerTls(server, client_cas=ca.certificate, client_auth=ClientAuth.REQUIRED)
    mutual_client = CertificateClientTls(ca.certificate, credential=client)
    psk_server = PskServerTls(lambda identity: AEFPSK if identity == PSK_IDENTITY else None)
    psk_client = PskClientTls(PSK_IDENTITY, AEFPSK)
    router = Router()
    router.add("GET", PATH, _ok)
    with tempfile.TemporaryDirectory() as directory:
        bare_mutual_contexts = certificate_contexts(Path(directory), ca.certificate, server, client)
    with (
        bare_library(*bare_mutual_contexts) as mutual_bare,
        bare_library(*psk_contexts(PSK_IDENTITY, AEFPSK)) as psk_bare,
        tls_layer(mutual_server, mutual_client) as mutual_tls_layer,
        tls_layer(psk_server, psk_client) as psk_tls_layer,
        our_stack(mutual_server, mutual_client) as mutual_https,
        our_stack(psk_server, psk_client) as psk_https,
        our_stack(psk_server, psk_client, persistent=True) as psk_https_persistent_client,
        HttpsServer(router, mutual_server) as keep_alive_server,
        HttpsClient(mutual_client, "127.0.0.1", keep_alive_server.port) as keep_alive_client,
    ):
        rates = interleaved_rates(
            {
                "mutual_bare": mutual_bare,
                "mutual_tls_layer": mutual_tls_layer,
                "mutual_https": mutual_https,
                "psk_bare": psk_bare,
                "psk_tls_layer": psk_tls_layer,
                "psk_https": psk_https,
                "psk_https_persistent_client": psk_https_persistent_client,
                "keep_alive_request": lambda: keep_alive_client.get(PATH),
            },
            arguments.rounds,
            arguments.batch,
        )
    mutual = summary(rates, "mutual")
    psk = summary(rates, "psk")
    persistent_ratios = per_round_ratios(rates["psk_https_persistent_client"], rates["psk_bare"])
    psk["https_persistent_client"] = {
        "note": "for reference, no target: the same over a client kept for further requests",
        "connections_per_s": round(statistics.median(rates["psk_https_persistent_client"]), 1),
        **ratio_fields(persistent_ratios, "ratio_to_bare"),
    }
    report = {
        "benchmark": "tls",
        "target": "connections via impl.tls >= 75%, via impl.http >= 80% of the bare library's rate",
        "meets_target": all(result[way]["meets_target"] for result in (mutual, psk) for way in TARGET_RATIOS),
        "mutual_tls": {"tls": "TLSv1.3, ECDSA P-256 certificates both ways"} | mutual,
        "tls_psk": {"tls": f"TLSv1.2, {PSK_CIPHER}"} | psk,
        "keep_alive_mutual_tls_requests_per_s": round(statistics.median(rates["keep_alive_request"]), 1),
        "rounds": arguments.rounds,
        "batch": arguments.batch,
        "load_average_1min_before_and_after": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
