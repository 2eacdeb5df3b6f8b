"""Benchmark of the generated test suite (issue 11): its generation and its replay on the reference
implementation, each in a cold process as a user runs it.

Run as ``python benchmarks/bench_suite.py [--keep DIR]``; writes ``benchmarks/results/suite.json``.

1. ``capifsec traces --out DIR`` (every profile, 2 worker processes): wall seconds, traces generated
   per second. Target: under 60 s on 2 cores. Baseline in the same run: ``capifsec verify`` (every
   profile and property, which writes the counterexamples and witnesses the suite starts from); the
   ratio is generation over verification wall time. The bare baseline is a fixed Z3 job (pigeonhole
   9 into 8), the machine-speed yardstick of ``bench_verify.py``. Measured twice: from nothing, and
   reusing the baseline's results (``--results``: only the coverage and boundary searches).
2. ``capifsec replay DIR --json FILE``: wall seconds, traces replayed per second, the verdicts.
   Target: under 5 minutes on 2 cores. Baseline in the same run: replaying the verification's own
   traces (``capifsec replay results.json``, both modes); the ratio is the suite's traces per second
   over the baseline's replays per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_verify import z3_workload

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "suite.json"
CAPIFSEC = [sys.executable, "-m", "capifsec"]
GENERATION_TARGET_SECONDS = 60.0
REPLAY_TARGET_SECONDS = 300.0


def _timed(command: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages: the machine is shared, say how busy it was."""
    return [round(value, 2) for value in os.getloadavg()]


def generation(suite: Path, results: Path) -> dict[str, object]:
    load = _load()
    verify_seconds, verify_status = _timed([*CAPIFSEC, "verify", "--json", str(results)])
    seconds, status = _timed([*CAPIFSEC, "traces", "--out", str(suite)])
    traces = len(list(suite.glob("*/*/*/*.json")))
    reused = suite.with_name(suite.name + "-reusing-verify")
    reused_seconds, reused_status = _timed(
        [*CAPIFSEC, "traces", "--out", str(reused), "--results", str(results)]
    )
    yardstick = z3_workload()
    return {
        "command": "capifsec traces --out DIR (every profile, 2 worker processes)",
        "wall_seconds": round(seconds, 2),
        "exit_status": status,
        "traces": traces,
        "traces_per_second": round(traces / seconds, 2),
        "baseline": "capifsec verify (every profile and property), same run",
        "baseline_wall_seconds": round(verify_seconds, 2),
        "baseline_exit_status": verify_status,
        "ratio_to_verify": round(seconds / verify_seconds, 2),
        "reusing_verify": {
            "command": "capifsec traces --out DIR --results RESULTS (the baseline's verify results)",
            "wall_seconds": round(reused_seconds, 2),
            "exit_status": reused_status,
            "traces_per_second": round(traces / reused_seconds, 2),
            "meets_target": reused_status == 0 and reused_seconds < GENERATION_TARGET_SECONDS,
        },
        "bare_baseline_z3_pigeonhole_seconds": round(yardstick, 3),
        "load_average_before": load,
        "load_average_after": _load(),
        "target_seconds": GENERATION_TARGET_SECONDS,
        "meets_target": status == 0 and seconds < GENERATION_TARGET_SECONDS,
    }


def replay(suite: Path, results: Path, work: Path) -> dict[str, object]:
    report = work / "replay.json"
    load = _load()
    seconds, status = _timed([*CAPIFSEC, "replay", str(suite), "--json", str(report)])
    document = json.loads(report.read_text("utf-8"))
    base_report = work / "baseline.json"
    base_seconds, base_status = _timed([*CAPIFSEC, "replay", str(results), "--json", str(base_report)])
    replays = len(json.loads(base_report.read_text("utf-8"))["replays"])
    rate = document["traces"] / seconds
    base_rate = replays / base_seconds
    return {
        "command": "capifsec replay DIR --json FILE (reference implementation, both modes where due)",
        "wall_seconds": round(seconds, 2),
        "exit_status": status,
        "traces": document["traces"],
        "agree": document["agree"],
        "disagree": document["disagree"],
        "not_replayable": document["not_replayable"],
        "coverage": document["coverage"],
        "traces_per_second": round(rate, 2),
        "baseline": "capifsec replay results.json (the verification's traces, both modes)",
        "baseline_replays": replays,
        "baseline_wall_seconds": round(base_seconds, 2),
        "baseline_exit_status": base_status,
        "baseline_replays_per_second": round(base_rate, 2),
        "ratio_to_baseline_rate": round(rate / base_rate, 2),
        "load_average_before": load,
        "load_average_after": _load(),
        "target_seconds": REPLAY_TARGET_SECONDS,
        "meets_target": status == 0 and seconds < REPLAY_TARGET_SECONDS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the suite here and keep it")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="capifsec-bench-suite-") as folder:
        work = Path(folder)
        suite = arguments.keep or work / "suite"
        results = work / "results.json"
        generated = generation(suite, results)
        replayed = replay(suite, results, work)
    report = {
        "machine": {"cpus": 2, "python": platform.python_version(), "platform": platform.platform()},
        "note": "the load averages beside each part say how busy the 2 cores were (a busy machine "
        "depresses the times); the baselines were measured in the same run",
        "generation": generated,
        "replay": replayed,
        "meets_target": bool(generated["meets_target"] and replayed["meets_target"]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps(report, indent=2))
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
