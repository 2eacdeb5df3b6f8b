"""Issue 13, suite item 4: schemathesis against every TS 29.222 operation this implementation serves,
from the Rel-18 OpenAPI files in ``../shared/3gpp/openapi/rel18`` (required: the test fails without
them), over mutual TLS, a bounded number of generated requests per operation: no 5xx and no answer
outside the response schema (:mod:`tests.robustness.schema_fuzz`)."""

from pathlib import Path

from impl.deployment import Deployment
from tests.impl.test_e2e_world import Ready
from tests.robustness.conftest import shared_file
from tests.robustness.schema_fuzz import fuzz_all

EXAMPLES_PER_OPERATION = 4
"""Per operation and generation mode (schema-valid, schema-invalid); benchmarks/fuzz_schema.py runs more."""
OPENAPI = "3gpp/openapi/rel18/TS29222_CAPIF_Security_API.yaml"


def test_no_5xx_and_no_schema_violation(deployment: Deployment, ready: Ready, tmp_path: Path) -> None:
    openapi_dir = shared_file(OPENAPI).parent
    tally, ran = fuzz_all(deployment, ready, openapi_dir, tmp_path, EXAMPLES_PER_OPERATION)
    print(f"{tally.requests} requests over {len(ran)} operations")
    assert len(ran) == 21, ran
    assert tally.server_errors == 0
    assert not tally.findings, "\n".join(
        f"{f.operation}: {f.request}\n  -> {f.failure}" for f in tally.findings
    )
