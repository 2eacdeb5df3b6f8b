"""Crash consistency, the full run of issue 13 (suite item 5): ``capifsec serve`` killed with SIGKILL 20
times at random moments under concurrent onboarding, negotiation, token and certificate-rotation load
(``tests/robustness/crash.py``; the test suite kills it 3 times). Writes
``benchmarks/results/crash_consistency.json``: kills, acknowledged writes, lost writes, half-written
records, clean restarts; exits 1 unless nothing was lost or half-written and every restart served.

Run: ``python benchmarks/crash_consistency.py [--kills N] [--seed N]``
"""

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from measure import write_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the suite's helpers live in tests/
from tests.robustness.crash import crash_cycles

RESULT_FILE = Path(__file__).resolve().parent / "results" / "crash_consistency.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20)
    arguments = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        results = crash_cycles(
            Path(directory) / "services",
            Path(directory) / "serve.log",
            kills=arguments.kills,
            seed=arguments.seed,
        )
    lost = [item for result in results for item in result.missing]
    broken = [item for result in results for item in result.half_written]
    refusals = [item for result in results for item in result.refusals]
    clean = sum(result.served_after_restart for result in results)
    report = {
        "benchmark": "crash_consistency",
        "target": "0 lost writes, nothing half-written, a clean restart after every SIGKILL",
        "meets_target": not lost and not broken and not refusals and clean == len(results),
        "kills": len(results),
        "acknowledged_writes": sum(result.acknowledged for result in results),
        "lost_writes": len(lost),
        "half_written": len(broken),
        "refused_before_the_kill": len(refusals),
        "clean_restarts": clean,
        "details": (lost + broken + refusals)[:50],
        "seconds": round(time.monotonic() - started, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
