"""Benchmark of the implementation mutants (issue 11 item 4): the whole generated suite against every
mutant of ``replay/mutants.py``, in a cold process as a user runs ``capifsec mutants``.

Run as ``python benchmarks/bench_mutants.py [--suite DIR]`` (without ``--suite`` the suite is generated
first); writes ``benchmarks/results/mutants.json``. Target: kill rate 100 % (every mutant killed by
some trace, over the mutants that are not equivalent: ``docs/test-suite.md`` argues each equivalent
one, which is replayed too and must survive). The baseline, measured in the same run by the command
itself, is the unmutated implementation replaying the whole suite (every trace agreeing or not
replayable); the ratio is a mutant's mean seconds to its kill over that baseline's seconds (the
replay stops at the first disagreement).
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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "mutants.json"
CAPIFSEC = [sys.executable, "-m", "capifsec"]
KILL_RATE_TARGET = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--suite", type=Path, metavar="DIR", help="a suite 'capifsec traces' wrote")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="capifsec-bench-mutants-") as folder:
        work = Path(folder)
        suite = arguments.suite
        if suite is None:
            suite = work / "suite"
            subprocess.run([*CAPIFSEC, "traces", "--out", str(suite)], cwd=ROOT, check=True)
        outcomes = work / "mutants.json"
        load_before = os.getloadavg()
        start = time.perf_counter()
        done = subprocess.run(
            [*CAPIFSEC, "mutants", str(suite), "--json", str(outcomes)], cwd=ROOT, check=False
        )
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()
        document = json.loads(outcomes.read_text("utf-8"))
    per_mutant = [outcome["seconds"] for outcome in document["outcomes"]]
    mean = sum(per_mutant) / len(per_mutant)
    report = {
        "machine": {"cpus": 2, "python": platform.python_version(), "platform": platform.platform()},
        "note": "the load averages say how busy the 2 cores were; on a busy machine the times are depressed",
        "load_average_1_5_15_before": [round(value, 2) for value in load_before],
        "load_average_1_5_15_after": [round(value, 2) for value in load_after],
        "command": "capifsec mutants SUITE_DIR --json FILE (the whole generated suite)",
        "wall_seconds": round(seconds, 2),
        "exit_status": done.returncode,
        "mutants": document["mutants"],
        "killed": document["killed"],
        "kill_rate": document["kill_rate"],
        "survivors": document["survivors"],
        "equivalent": document["equivalent"],
        "equivalent_killed": document["equivalent_killed"],
        "mean_seconds_per_mutant": round(mean, 2),
        "baseline": "the unmutated implementation replaying the whole suite, same run",
        "baseline_seconds": document["unmutated_seconds"],
        "ratio_mean_mutant_to_baseline": round(mean / document["unmutated_seconds"], 3),
        "outcomes": document["outcomes"],
        "target_kill_rate": KILL_RATE_TARGET,
        "meets_target": document["kill_rate"] >= KILL_RATE_TARGET and not document["equivalent_killed"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps(report, indent=2))
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
