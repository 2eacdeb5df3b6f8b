"""Benchmark: an invocation across providers against the same invocation within one provider.

Target (issue 8): a cross-provider PSK, PKI and OAUTH invocation each within 2x of the single-provider
one, that is a rate ratio (cross / single) of at least 0.5, cold and warm, measured in the same run.

Both are measured on the same two interconnected providers (``recommended``): the single-provider
invoker is onboarded at provider a and invokes a's AEF; the cross-provider invoker is onboarded at
provider b and invokes the same AEF of a, its CCFs talking over CAPIF-6/6e.

* **cold**: everything an invocation with a fresh security method needs: a new CAPIF-1e session,
  re-negotiation (``POST trustedInvokers/{id}/update``; across providers relayed to the AEF's CCF),
  for OAUTH a token (across providers relayed and signed by the AEF's CCF), check-authentication (the
  AEF asks its CCF; across providers its CCF asks the home CCF), then a new CAPIF-2e connection and
  ``GET``; the CCFs' CAPIF-6/6e connections are pooled, as in a running deployment;
* **warm**: a new CAPIF-2e connection and ``GET`` with the negotiation, the token and the AEF's
  security information in place (what each later call costs).

Operations run interleaved in rounds (:mod:`measure`); each ratio is the median of per-round ratios.
Writes ``benchmarks/results/interconnect.json``; exits 1 if a target is missed.

Run: ``python benchmarks/bench_interconnect.py [--rounds N] [--batch N]``
"""

import platform
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import Operation, interleaved_rates, per_round_ratios, ratio_fields, rounds_parser, write_report

from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.deployment.interconnected import InterconnectedDeployment
from impl.invoker import AefTarget, ApiInvoker, Negotiated
from impl.settings import Settings

TARGET_RATIO = 0.5
RESULT_FILE = Path(__file__).resolve().parent / "results" / "interconnect.json"
RESOURCE = "/greeting"
PREFIXES = {SecurityMethod.PSK: "/psk", SecurityMethod.PKI: "/pki", SecurityMethod.OAUTH: "/oauth"}


class Caller:
    """An invoker of ``home`` using ``host``'s AEF with each method."""

    def __init__(self, home: Deployment, host: Deployment) -> None:
        self.invoker: ApiInvoker = home.invoker()
        self.invoker.onboard(home.onboarding_secret())
        found = self.invoker.discover(api_name=HELLO_API, aef_id=host.aef.config.aef_id)
        self.targets: dict[SecurityMethod, AefTarget] = {
            method: next(target for target in found if target.api_prefix == prefix)
            for method, prefix in PREFIXES.items()
        }
        self.negotiated: dict[SecurityMethod, Negotiated] = {}
        self.tokens: dict[SecurityMethod, str | None] = {}
        for method in PREFIXES:
            self.cold(method)

    def cold(self, method: SecurityMethod) -> None:
        self.invoker.close()  # a new CAPIF-1e session, as a fresh invoker process would have
        negotiated = self.invoker.negotiate([self.targets[method]], preferred=[method])[0]
        token = None
        if method is SecurityMethod.OAUTH:
            token = self.invoker.obtain_token(negotiated.target.aef_id, [HELLO_API])
        self.invoker.check_authentication(negotiated.target)
        self.negotiated[method], self.tokens[method] = negotiated, token
        self.warm(method)

    def warm(self, method: SecurityMethod) -> None:
        answer = self.invoker.invoke(self.negotiated[method], RESOURCE, token=self.tokens[method])
        if not isinstance(answer, dict) or answer.get("securityMethod") != method.value:
            raise RuntimeError(f"unexpected answer {answer!r}")


def _operation(call: Callable[[SecurityMethod], None], method: SecurityMethod) -> Operation:
    return lambda: call(method)


def main() -> int:
    parser = rounds_parser(__doc__, batch=8)
    parser.set_defaults(rounds=15)
    arguments = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="capifsec-bench-interconnect-") as directory,
        InterconnectedDeployment(Path(directory), Settings()) as providers,
    ):
        single = Caller(providers["a"], providers["a"])
        cross = Caller(providers["b"], providers["a"])
        operations: dict[str, Operation] = {}
        for method in PREFIXES:
            for phase in ("cold", "warm"):
                operations[f"{method.value} {phase} single"] = _operation(getattr(single, phase), method)
                operations[f"{method.value} {phase} cross"] = _operation(getattr(cross, phase), method)
        rates = interleaved_rates(operations, arguments.rounds, arguments.batch)
        single.invoker.close()
        cross.invoker.close()
    results: dict[str, Any] = {}
    for method in PREFIXES:
        for phase in ("cold", "warm"):
            ours, baseline = rates[f"{method.value} {phase} cross"], rates[f"{method.value} {phase} single"]
            results[f"{method.value} {phase}"] = {
                "cross_provider_per_s": round(statistics.median(ours), 1),
                "single_provider_per_s": round(statistics.median(baseline), 1),
                **ratio_fields(per_round_ratios(ours, baseline)),
            }
    report = {
        "benchmark": "cross-provider invocation vs the same invocation within one provider",
        "target": f"cross / single rate ratio >= {TARGET_RATIO} (within 2x), per method, cold and warm",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "note": "measured on a machine shared with other work; the lead re-measures on a quiet one",
        },
        "rounds": arguments.rounds,
        "batch": arguments.batch,
        "results": results,
        "meets_target": all(entry["ratio"] >= TARGET_RATIO for entry in results.values()),
    }
    return write_report(RESULT_FILE, report)


if __name__ == "__main__":
    sys.exit(main())
