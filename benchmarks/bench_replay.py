"""Benchmark of the replay of the whole built-in catalogue, as ``capifsec check`` runs it (issue 8:
under 3 minutes on a 2-core machine).

Run as ``python benchmarks/bench_replay.py [--rounds N]``; writes ``benchmarks/results/replay.json``.

The traces come from one ``capifsec verify --json`` (not timed here: ``bench_verify.py`` times it).
Each round then replays all of them in both modes (as its profile and as ``recommended``) in a cold
process, ``capifsec replay RESULTS --json REPORT``, the replay stage of ``capifsec check``: wall time,
CPU time and peak memory of the process tree, and the totals of the report.

Baseline, measured in the same run around each round: the bare TLS library's rate of mutual-TLS
connections on loopback (``bare_tls.py``: stdlib ``ssl``, a new connection, one octet each way). The
ratio is the replay's wall time in bare connections (wall seconds x bare rate), a figure of the work
that compares across machines of different speed; the bare rate is reported beside it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from bare_tls import bare_library, certificate_contexts
from bench_verify import run_cold
from measure import rate, rounds_parser, write_report

from impl.pki import CertificateAuthority, CertificateProfile

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "replay.json"
CAPIFSEC = [sys.executable, "-m", "capifsec"]
TARGET_SECONDS = 180.0
BARE_BATCH = 200


def bare_mutual_tls_rate(directory: Path) -> float:
    """Mutual-TLS connections per second with nothing but ``ssl``, one batch."""
    now = datetime.now(UTC)
    ca = CertificateAuthority.create("benchmark CA", now=now - timedelta(days=1))
    server = ca.issue_certified_key(
        CertificateProfile("ccf", ip_addresses=(IPv4Address("127.0.0.1"),), server_auth=True), now=now
    )
    client = ca.issue_certified_key(CertificateProfile("invoker", client_auth=True), now=now)
    with bare_library(*certificate_contexts(directory, ca.certificate, server, client)) as connection:
        return rate(connection, BARE_BATCH)


def main() -> int:
    parser = rounds_parser(__doc__, batch=BARE_BATCH)
    parser.set_defaults(rounds=2)
    arguments = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        results = work / "results.json"
        _, _, verified, _ = run_cold([*CAPIFSEC, "verify", "--json", str(results)])
        if not results.exists():
            print(f"capifsec verify wrote no results (exit {verified})", file=sys.stderr)
            return 1
        traces = json.loads(results.read_text())
        count = sum(1 for key in ("results", "witnesses") for entry in traces[key] if entry.get("trace"))
        walls, cpus, peaks, statuses, bare, totals = [], [], [], [], [], []
        for round_number in range(arguments.rounds):
            bare.append(bare_mutual_tls_rate(work))
            report = work / f"replay-{round_number}.json"
            wall, peak, status, cpu = run_cold([*CAPIFSEC, "replay", str(results), "--json", str(report)])
            bare.append(bare_mutual_tls_rate(work))
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
            statuses.append(status)
            replays = json.loads(report.read_text())["replays"] if report.exists() else []
            totals.append(
                {
                    mode: {
                        status: sum(
                            1 for entry in replays if (entry["mode"], entry["status"]) == (mode, status)
                        )
                        for status in _STATUSES
                    }
                    for mode in _MODES
                }
            )
    median = statistics.median(walls)
    bare_rate = statistics.median(bare)
    return write_report(
        RESULTS,
        {
            "machine": {
                "cpus": 2,
                "python": platform.python_version(),
                "platform": platform.platform(),
                "load_average_1min_at_start_and_end": [round(load[0], 1), round(os.getloadavg()[0], 1)],
                "note": "a load average above 2 means other work shared the 2 cores: figures depressed",
            },
            "command": "capifsec replay RESULTS --json REPORT (every catalogue trace, both modes), cold",
            "traces": count,
            "replays_per_round": 2 * count,
            "rounds": arguments.rounds,
            "wall_seconds": [round(w, 1) for w in walls],
            "wall_seconds_median": round(median, 1),
            "seconds_per_replay_median": round(median / (2 * count), 3),
            "cpu_seconds_of_process_tree": [round(c, 1) for c in cpus],
            "peak_tree_rss_mib": round(max(peaks) / 1024, 1),
            "exit_statuses": statuses,
            "totals_per_round_and_mode": totals,
            "baseline_bare_mutual_tls_connections_per_second": round(bare_rate, 1),
            "ratio_wall_in_bare_connections": round(median * bare_rate),
            "target": f"under {TARGET_SECONDS:.0f} s wall on a 2-core machine",
            "meets_target": median < TARGET_SECONDS,
        },
    )


_STATUSES = ("replayed", "diverged", "not replayable", "target lacks")
_MODES = ("as-profile", "recommended")

if __name__ == "__main__":
    sys.exit(main())
