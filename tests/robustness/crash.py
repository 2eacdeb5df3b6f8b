"""Crash consistency of the CCF (issue 13, suite item 5): ``capifsec serve`` as its own process, killed
with SIGKILL at a random moment while invokers onboard, negotiate, obtain tokens and rotate their
certificates, then started again on the same data directory.

A :class:`Ledger` records every write the CCF acknowledged (2xx). After each kill the database must
hold every acknowledged write, pass SQLite's integrity and foreign-key checks, and show nothing
half-written (:func:`half_written`); the restarted CCF must serve an invoker onboarded before the kill.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from impl import pki
from impl.ccf.certificates import serial_text
from impl.deployment import HELLO_API, Deployment
from impl.http import HttpClientError, HttpsClient
from impl.invoker import ApiInvoker, CcfEndpoint, InvokerError
from impl.settings import Settings
from impl.tls import Capif1eClientTls, TlsError

ROOT = Path(__file__).resolve().parents[2]
EPHEMERAL = ["--ccf-port", "0", "--provider-port", "0", "--aef-capif3-port", "0"]
EPHEMERAL += ["--aef-port", "psk=0", "--aef-port", "pki=0", "--aef-port", "oauth=0"]
STARTUP_LIMIT = 90.0
ONBOARDED_INVOKERS = "/api-invoker-management/v1/onboardedInvokers/"


class ServeProcess:
    """``capifsec serve`` on ``data_dir`` with ephemeral ports, as a child process."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoints(self) -> dict[str, object]:
        document: dict[str, object] = json.loads((self.data_dir / "endpoints.json").read_text())
        return document

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        (self.data_dir / "endpoints.json").unlink(missing_ok=True)
        command = [
            sys.executable,
            "-c",
            "import sys; from impl.serve import main; sys.exit(main(sys.argv[1:]))",
        ]
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "--data-dir", str(self.data_dir), *EPHEMERAL], cwd=ROOT, stdout=log, stderr=log
            )
        deadline = time.monotonic() + STARTUP_LIMIT
        while not (self.data_dir / "endpoints.json").exists():
            if self._process.poll() is not None:
                raise AssertionError(
                    f"capifsec serve exited with {self._process.returncode}: see {self._log}"
                )
            if time.monotonic() > deadline:
                self.stop()  # no process left behind
                raise AssertionError("capifsec serve did not come up")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(30)
        self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(30)
            self._process = None


@dataclass
class Ledger:
    """The writes the CCF acknowledged, per invoker."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    certificates: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, pki.CertifiedKey] = field(default_factory=dict)
    rotating: set[str] = field(default_factory=set)
    contexts: set[str] = field(default_factory=set)
    tokens: dict[bytes, str] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)

    def count(self) -> int:
        with self.lock:
            return len(self.certificates) + len(self.contexts) + len(self.tokens)


def _ccf(endpoints: dict[str, object]) -> tuple[str, int]:
    ccf = endpoints["ccf"]
    assert isinstance(ccf, dict)
    return str(ccf["host"]), int(ccf["capif1ePort"])


def _invoker(endpoints: dict[str, object], ca: x509.Certificate) -> ApiInvoker:
    host, port = _ccf(endpoints)
    return ApiInvoker(
        CcfEndpoint(host, port, host),
        ca,
        notification_destination="https://127.0.0.1:9/notifications",
        timeout=30.0,  # generous: a request the loaded machine slows is no refusal (a kill fails at once)
    )


def _rotate(
    invoker: ApiInvoker, endpoints: dict[str, object], ca: x509.Certificate
) -> pki.CertifiedKey | None:
    """``PUT onboardedInvokers/{id}`` with a new key's CSR; the new credential, None if refused."""
    host, port = _ccf(endpoints)
    identity = invoker.identity
    key = pki.generate_private_key()
    body = {
        "apiInvokerId": identity.api_invoker_id,
        "onboardingInformation": {"apiInvokerPublicKey": pki.make_csr(key, "rotated")},
        "notificationDestination": "https://127.0.0.1:9/notifications",
    }
    tls = Capif1eClientTls(ca, credential=identity.credential)
    path = ONBOARDED_INVOKERS + urllib.parse.quote(identity.api_invoker_id, safe="")
    with HttpsClient(tls, host, port, timeout=5.0) as client:
        response = client.put_json(path, body)
    if response.status != 200:
        return None
    document = response.json()
    assert isinstance(document, dict)
    return pki.CertifiedKey(
        pki.load_certificate_pem(document["onboardingInformation"]["apiInvokerCertificate"]), key
    )


def _work(
    endpoints: dict[str, object],
    ca: x509.Certificate,
    secrets: list[str],
    ledger: Ledger,
    stop: threading.Event,
) -> None:
    """Onboard, negotiate, obtain a token and rotate, invoker after invoker, until the CCF is gone."""
    while not stop.is_set():
        with ledger.lock:
            if not secrets:
                return
            secret = secrets.pop()
        invoker = _invoker(endpoints, ca)
        try:
            identity = invoker.onboard(secret)
            with ledger.lock:
                ledger.certificates[identity.api_invoker_id] = serial_text(identity.credential.certificate)
                ledger.credentials[identity.api_invoker_id] = identity.credential
            targets = invoker.discover(api_name=HELLO_API)
            invoker.negotiate(targets)
            with ledger.lock:
                ledger.contexts.add(identity.api_invoker_id)
            token = invoker.obtain_token(targets[0].aef_id, [HELLO_API])
            with ledger.lock:
                ledger.tokens[hashlib.sha256(token.encode()).digest()] = identity.api_invoker_id
                ledger.rotating.add(identity.api_invoker_id)
            rotated = _rotate(invoker, endpoints, ca)
            with ledger.lock:
                if rotated is None:
                    ledger.refusals.append(f"rotation of {identity.api_invoker_id} refused")
                else:
                    ledger.certificates[identity.api_invoker_id] = serial_text(rotated.certificate)
                    ledger.credentials[identity.api_invoker_id] = rotated
                ledger.rotating.discard(identity.api_invoker_id)
        except (InvokerError, HttpClientError, TlsError, OSError) as error:
            if not stop.is_set():
                with ledger.lock:
                    ledger.refusals.append(f"{type(error).__name__}: {error}")
            return
        finally:
            invoker.close()


@contextmanager
def load(
    endpoints: dict[str, object], ca: x509.Certificate, secrets: list[str], ledger: Ledger, workers: int
) -> Iterator[threading.Event]:
    """``workers`` threads of invokers against the CCF; the event tells them the CCF is being killed."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=_work, args=(endpoints, ca, secrets, ledger, stop), name=f"load-{index}")
        for index in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        yield stop
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)


def missing_writes(database: Path, ledger: Ledger) -> list[str]:
    """Acknowledged writes the database does not hold."""
    missing: list[str] = []
    with sqlite3.connect(database) as connection:
        for invoker_id, serial in ledger.certificates.items():
            row = connection.execute(
                "SELECT state, certificate_serial FROM invokers WHERE api_invoker_id = ?", (invoker_id,)
            ).fetchone()
            if row is None or row[0] != "onboarded":
                missing.append(f"onboarding of {invoker_id}")
            elif row[1] != serial and invoker_id not in ledger.rotating:
                missing.append(f"certificate {serial} of {invoker_id} (found {row[1]})")
        for invoker_id in ledger.contexts:
            entries = connection.execute(
                "SELECT COUNT(*) FROM security_entries WHERE api_invoker_id = ?", (invoker_id,)
            ).fetchone()[0]
            if not entries:
                missing.append(f"security context of {invoker_id}")
        for digest, invoker_id in ledger.tokens.items():
            found = connection.execute(
                "SELECT 1 FROM issued_tokens WHERE token_sha256 = ?", (digest,)
            ).fetchone()
            if found is None:
                missing.append(f"token of {invoker_id}")
    return missing


HALF_WRITTEN = {
    "an invoker whose certificate is not its own": """
        SELECT i.api_invoker_id FROM invokers i LEFT JOIN certificates c ON c.serial = i.certificate_serial
        WHERE c.serial IS NULL OR c.role != 'INVOKER' OR c.subject_id != i.api_invoker_id
           OR (i.state = 'onboarded' AND c.revoked_at IS NOT NULL)""",
    "a live invoker certificate that is not its invoker's current one": """
        SELECT c.serial FROM certificates c LEFT JOIN invokers i ON i.api_invoker_id = c.subject_id
        WHERE c.role = 'INVOKER' AND c.revoked_at IS NULL
          AND (i.api_invoker_id IS NULL OR i.certificate_serial != c.serial)""",
    "a spent onboarding secret without its invoker": """
        SELECT s.consumed_by FROM onboarding_secrets s
        LEFT JOIN invokers i ON i.api_invoker_id = s.consumed_by
        WHERE s.purpose = 'invoker-onboarding' AND s.consumed_at IS NOT NULL AND i.api_invoker_id IS NULL""",
    "a security context without entries": """
        SELECT c.api_invoker_id FROM security_contexts c
        WHERE NOT EXISTS (SELECT 1 FROM security_entries e WHERE e.api_invoker_id = c.api_invoker_id)""",
    "a PSK selection without its AEFPSK": """
        SELECT e.entry_id FROM security_entries e
        WHERE e.selected_method = 'PSK' AND e.stale = 0
          AND NOT EXISTS (SELECT 1 FROM aef_psks p WHERE p.entry_id = e.entry_id)""",
}


def half_written(database: Path) -> list[str]:
    """What SQLite's own checks and the store's invariants find wrong."""
    found: list[str] = []
    with sqlite3.connect(database) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            found.append(f"integrity_check: {integrity}")
        found += [f"foreign key: {row}" for row in connection.execute("PRAGMA foreign_key_check").fetchall()]
        for what, query in HALF_WRITTEN.items():
            found += [f"{what}: {row[0]}" for row in connection.execute(query).fetchall()]
    return found


@dataclass
class CycleResult:
    acknowledged: int
    missing: list[str]
    half_written: list[str]
    refusals: list[str]
    served_after_restart: bool


def crash_cycles(data_dir: Path, log: Path, *, kills: int, seed: int, workers: int = 4) -> list[CycleResult]:
    """Start, load, SIGKILL at a random moment, check, restart: ``kills`` times."""
    chooser = random.Random(seed)
    serve = ServeProcess(data_dir, log)
    results: list[CycleResult] = []
    serve.start()
    ca = pki.load_certificate_pem((data_dir / "ca" / pki.CA_CERTIFICATE_FILE).read_text())
    minting = Deployment(data_dir, Settings())
    try:
        for _ in range(kills):
            secrets = [minting.mint_onboarding_secret() for _ in range(12 * workers)]
            ledger = Ledger()
            with load(serve.endpoints, ca, secrets, ledger, workers) as killing:
                _first_write(ledger)
                time.sleep(chooser.uniform(0.3, 2.0))
                killing.set()  # from now on a failed request is the kill's doing
                serve.kill()
            database = data_dir / "ccf" / "ccf.sqlite3"
            missing = missing_writes(database, ledger)
            broken = half_written(database)
            serve.start()
            served = _served(serve.endpoints, ca, ledger)
            results.append(CycleResult(ledger.count(), missing, broken, list(ledger.refusals), served))
    finally:
        serve.stop()
    return results


def _first_write(ledger: Ledger) -> None:
    """Wait until the CCF has acknowledged a write (the random moment of the kill counts from then), so
    that every cycle has a write to check however slowly the loaded machine starts the load."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while not ledger.count() and not ledger.refusals and time.monotonic() < deadline:
        time.sleep(0.05)


def _served(endpoints: dict[str, object], ca: x509.Certificate, ledger: Ledger) -> bool:
    """Whether the restarted CCF serves an invoker onboarded before the kill (its discovery), with the
    certificate the CCF last acknowledged for it."""
    settled = [invoker_id for invoker_id in ledger.credentials if invoker_id not in ledger.rotating]
    if not settled:
        return True
    host, port = _ccf(endpoints)
    query = urllib.parse.urlencode({"api-invoker-id": settled[0]})
    tls = Capif1eClientTls(ca, credential=ledger.credentials[settled[0]])
    with HttpsClient(tls, host, port, timeout=10.0) as client:
        response = client.get(f"/service-apis/v1/allServiceAPIs?{query}")
    return response.status == 200
