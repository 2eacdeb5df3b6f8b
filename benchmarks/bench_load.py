"""Benchmark: 60 s of mixed load on loopback against ``capifsec serve`` (issue 13, suite item 7).

The services run as their own process (``tests/robustness/crash.py``'s :class:`ServeProcess`), so that
their memory and descriptors are theirs alone. Meanwhile, from this process:

- an attacker holds ``--idle`` (200) idle unauthenticated connections, split over the AEF's OAUTH
  interface and the CCF's CAPIF-1e endpoint: silent after TCP, stalled inside a ClientHello, or with a
  finished server-authenticated handshake and no request; every one the server closes (deadline,
  eviction) is opened again at once;
- ``--clients`` threads of legitimate invokers send, in turn: a TLS-PSK request on a new connection,
  a PKI request, an OAUTH request (each on a kept-alive connection), a discovery and a token request
  at the CCF, and a check-authentication (which makes the AEF ask the CCF).

Reported: throughput, p50/p99 latency and errors of the legitimate requests, the idle connections
held, and the services' RSS and descriptor counts after a warm-up and at the end (the RSS also every
10 s between). Targets: p99 under 1 s, no error, RSS growth under 5 %. Writes
``benchmarks/results/load.json``; exits 1 if a target is missed.

Run: ``python benchmarks/bench_load.py [--duration S] [--clients N] [--idle N]``
"""

import argparse
import os
import platform
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from measure import write_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the suite's helpers live in tests/
from impl import pki
from impl.deployment import HELLO_API, Deployment
from impl.http import HttpsClient
from impl.invoker import ApiInvoker, CcfEndpoint
from impl.settings import Settings
from impl.tls import Capif1eClientTls, CertificateClientTls, PskClientTls
from tests.robustness.crash import ServeProcess

RESULT_FILE = Path(__file__).resolve().parent / "results" / "load.json"
P99_TARGET = 1.0
RSS_GROWTH_TARGET = 0.05
WARM_UP = 10.0
RSS_SAMPLE_INTERVAL = 10.0
RESOURCE = f"/{HELLO_API}/v1/greeting"
PARTIAL_CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def process_rss(pid: int) -> int:
    """Resident set size in octets (``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def process_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def sample_rss(pid: int, every: float, stop: threading.Event, samples: list[float]) -> None:
    """Append the RSS (MiB) of ``pid`` every ``every`` seconds until ``stop`` (the shape of the growth:
    a warm-up that flattens, or a climb)."""
    while not stop.wait(every):
        samples.append(round(process_rss(pid) / 2**20, 1))


@dataclass
class Recorder:
    """Latencies and errors of the legitimate requests, per kind."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def timed(self, kind: str, call: Callable[[], int]) -> None:
        started = time.perf_counter()
        try:
            status = call()
        except Exception as error:
            with self.lock:
                self.errors.append(f"{kind}: {type(error).__name__}: {error}")
            return
        elapsed = time.perf_counter() - started
        with self.lock:
            if 200 <= status < 300:
                self.latencies.append(elapsed)
                self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            else:
                self.errors.append(f"{kind}: status {status}")


class Attacker:
    """Holds ``count`` idle unauthenticated connections, reopening each one the server closes."""

    def __init__(self, targets: list[tuple[str, int]], ca_pem: str, count: int) -> None:
        self._targets = targets
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._context.load_verify_locations(cadata=ca_pem)
        self._count = count
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="attacker")
        self.reopened = 0
        self.minimum_held = count

    def _open(self, index: int) -> socket.socket | None:
        host, port = self._targets[index % len(self._targets)]
        try:
            sock = socket.create_connection((host, port), timeout=5)
            kind = index % 3
            if kind == 1:
                sock.sendall(PARTIAL_CLIENT_HELLO)
            elif kind == 2:
                sock = self._context.wrap_socket(sock, server_hostname=host)
            sock.setblocking(False)
        except OSError:
            return None
        return sock

    def _closed(self, sock: socket.socket) -> bool:
        try:
            return sock.recv(1) == b""
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError:
            return True

    def _run(self) -> None:
        self._held = [sock for sock in (self._open(index) for index in range(self._count)) if sock]
        while not self._stop.wait(0.5):
            alive = [sock for sock in self._held if not self._closed(sock)]
            for closed in set(self._held) - set(alive):
                closed.close()
            while len(alive) < self._count and not self._stop.is_set():
                opened = self._open(len(alive) + self.reopened)
                self.reopened += 1
                if opened is not None:
                    alive.append(opened)
            self.minimum_held = min(self.minimum_held, len(alive))
            self._held = alive

    def __enter__(self) -> "Attacker":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)
        for sock in self._held:
            sock.close()


class LegitimateInvoker:
    """An onboarded invoker with every interface negotiated and a token, and its kept-alive clients."""

    def __init__(self, endpoints: dict[str, object], ca: x509.Certificate, secret: str) -> None:
        ccf = endpoints["ccf"]
        assert isinstance(ccf, dict)
        self.host = str(ccf["host"])
        self.invoker = ApiInvoker(
            CcfEndpoint(self.host, int(ccf["capif1ePort"]), self.host),
            ca,
            notification_destination="https://127.0.0.1:9/notifications",
        )
        identity = self.invoker.onboard(secret)
        self.targets = {target.api_prefix: target for target in self.invoker.discover(api_name=HELLO_API)}
        self.negotiated = {
            item.target.api_prefix: item for item in self.invoker.negotiate(list(self.targets.values()))
        }
        for prefix in ("/psk", "/pki"):
            self.invoker.check_authentication(self.targets[prefix])
        self.aef_id = self.targets["/oauth"].aef_id
        self.token = self.invoker.obtain_token(self.aef_id, [HELLO_API])
        psk = self.negotiated["/psk"].aefpsk
        assert psk is not None
        self.psk_tls = PskClientTls(identity.api_invoker_id, psk)
        self.pki = HttpsClient(
            CertificateClientTls(ca, credential=identity.credential), self.host, self.targets["/pki"].port
        )
        self.oauth = HttpsClient(CertificateClientTls(ca), self.host, self.targets["/oauth"].port)
        self.ccf = HttpsClient(
            Capif1eClientTls(ca, credential=identity.credential), self.host, int(ccf["capif1ePort"])
        )
        self.identity = identity

    def operations(self) -> list[tuple[str, Callable[[], int]]]:
        invoker_id = self.identity.api_invoker_id
        discovery = f"/service-apis/v1/allServiceAPIs?api-invoker-id={invoker_id}&api-name={HELLO_API}"
        form = {
            "grant_type": "client_credentials",
            "client_id": invoker_id,
            "scope": f"3gpp#{self.aef_id}:{HELLO_API}",
        }
        token_path = f"/capif-security/v1/securities/{invoker_id}/token"

        def psk() -> int:
            with HttpsClient(self.psk_tls, self.host, self.targets["/psk"].port, persistent=False) as client:
                return client.get("/psk" + RESOURCE).status

        def check_authentication() -> int:
            self.invoker.check_authentication(self.targets["/pki"])
            return 200

        return [
            ("psk new connection", psk),
            ("pki", lambda: self.pki.get("/pki" + RESOURCE).status),
            (
                "oauth",
                lambda: (
                    self.oauth.get(
                        "/oauth" + RESOURCE, headers={"Authorization": f"Bearer {self.token}"}
                    ).status
                ),
            ),
            ("discovery", lambda: self.ccf.get(discovery).status),
            ("token", lambda: self.ccf.post_form(token_path, form).status),
            ("check-authentication", check_authentication),
        ]

    def close(self) -> None:
        for client in (self.pki, self.oauth, self.ccf):
            client.close()
        self.invoker.close()


def drive(invoker: LegitimateInvoker, recorder: Recorder, until: float) -> None:
    operations = invoker.operations()
    index = 0
    while time.monotonic() < until:
        kind, call = operations[index % len(operations)]
        recorder.timed(kind, call)
        index += 1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--idle", type=int, default=200)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory) / "services"
        serve = ServeProcess(data_dir, Path(directory) / "serve.log")
        serve.start()
        try:
            endpoints = serve.endpoints
            pid = serve.pid
            ca = pki.load_certificate_pem((data_dir / "ca" / pki.CA_CERTIFICATE_FILE).read_text())
            minting = Deployment(data_dir, Settings())
            invokers = [
                LegitimateInvoker(endpoints, ca, minting.mint_onboarding_secret())
                for _ in range(arguments.clients)
            ]
            ccf = endpoints["ccf"]
            aef = endpoints["aef"]
            assert isinstance(ccf, dict) and isinstance(aef, dict)
            host = str(ccf["host"])
            targets = [(host, int(aef["interfaces"]["oauth"]["port"])), (host, int(ccf["capif1ePort"]))]
            recorder = Recorder()
            with Attacker(targets, pki.certificate_pem(ca), arguments.idle) as attacker:
                warm_until = time.monotonic() + WARM_UP
                threads = [
                    threading.Thread(target=drive, args=(invoker, Recorder(), warm_until))
                    for invoker in invokers
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                rss_start, fds_start = process_rss(pid), process_descriptors(pid)
                load_before = os.getloadavg()[0]
                started = time.monotonic()
                sampled_rss: list[float] = []
                sampling_done = threading.Event()
                sampler = threading.Thread(
                    target=sample_rss, args=(pid, RSS_SAMPLE_INTERVAL, sampling_done, sampled_rss)
                )
                sampler.start()
                until = started + arguments.duration
                threads = [
                    threading.Thread(target=drive, args=(invoker, recorder, until)) for invoker in invokers
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                elapsed = time.monotonic() - started
                rss_end, fds_end = process_rss(pid), process_descriptors(pid)
                sampling_done.set()
                sampler.join()
                held, reopened = attacker.minimum_held, attacker.reopened
            for invoker in invokers:
                invoker.close()
        finally:
            serve.stop()
    latencies = recorder.latencies
    p99 = percentile(latencies, 0.99) if latencies else float("inf")
    growth = rss_end / rss_start - 1
    report = {
        "benchmark": "load",
        "target": f"legitimate p99 < {P99_TARGET} s with {arguments.idle} idle connections held, no error, "
        f"RSS growth < {RSS_GROWTH_TARGET:.0%}",
        "meets_target": p99 < P99_TARGET and not recorder.errors and growth < RSS_GROWTH_TARGET,
        "duration_s": round(elapsed, 1),
        "clients": arguments.clients,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "by_kind": recorder.by_kind,
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(1000 * p99, 1),
        "errors": len(recorder.errors),
        "first_errors": recorder.errors[:10],
        "idle_connections": {
            "target": arguments.idle,
            "fewest_held": held,
            "closed_by_server_and_reopened": reopened,
        },
        "warm_up_s": WARM_UP,
        "load_average_1min_before_and_after": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "services_rss_mb": {"start": round(rss_start / 2**20, 1), "end": round(rss_end / 2**20, 1)},
        "services_rss_mb_every_10_s": sampled_rss,
        "rss_growth": round(growth, 4),
        "services_descriptors": {"start": fds_start, "end": fds_end},
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
