"""Long run of the schema-driven suite (issue 13, suite item 4): ``tests/robustness/schema_fuzz.py``
with many generated requests per operation (the default test suite sends a few), against a fresh
deployment. Writes ``benchmarks/results/schema_fuzz.json``: requests, operations, 5xx answers and
schema violations (each one to be turned into a regression test); exits 1 unless both are 0.

Run: ``python benchmarks/fuzz_schema.py [--examples N]`` (per operation and generation mode)
"""

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import schemathesis
from measure import write_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the suite's helpers live in tests/
from tests.impl.test_e2e_world import ready_invoker, running
from tests.robustness.schema_fuzz import fuzz_all

RESULT_FILE = Path(__file__).resolve().parent / "results" / "schema_fuzz.json"
OPENAPI_DIR = Path(__file__).resolve().parents[2] / "shared" / "3gpp" / "openapi" / "rel18"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=300)
    arguments = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory, running(Path(directory) / "deployment") as deployment:
        ready = ready_invoker(deployment)
        tally, ran = fuzz_all(deployment, ready, OPENAPI_DIR, Path(directory), arguments.examples)
        ready.invoker.close()
    report = {
        "benchmark": "schema_fuzz",
        "target": "0 5xx and 0 response-schema violations",
        "meets_target": tally.server_errors == 0 and not tally.findings,
        "requests": tally.requests,
        "operations": len(ran),
        "examples_per_operation_and_mode": arguments.examples,
        "server_errors": tally.server_errors,
        "schema_violations": len(tally.findings),
        "findings": [vars(finding) for finding in tally.findings[:50]],
        "seconds": round(time.monotonic() - started, 1),
        "python": platform.python_version(),
        "schemathesis": schemathesis.__version__,
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
