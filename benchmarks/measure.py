"""What the speed benchmarks share: rates measured in interleaved rounds, ratios against a baseline
measured in the same run, their command line and their report file.

Every operation is timed in batches, one batch per operation and round, the order rotating every round
so that machine noise hits all alike. A ratio is taken per round (each round pairs its own baseline);
the benchmarks report the median of those ratios with the lowest and highest.
"""

import argparse
import json
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

Operation = Callable[[], object]


def rate(operation: Operation, batch: int) -> float:
    """Operations per second over one batch."""
    start = time.perf_counter()
    for _ in range(batch):
        operation()
    return batch / (time.perf_counter() - start)


def interleaved_rates(operations: Mapping[str, Operation], rounds: int, batch: int) -> dict[str, list[float]]:
    """Per-round rates of each operation; the order rotates every round."""
    names = list(operations)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(rate(operations[name], batch))
    return rates


def per_round_ratios(ours: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Each round's rate of ours over the same round's baseline rate."""
    return [mine / base for mine, base in zip(ours, baseline, strict=True)]


def ratio_fields(ratios: Sequence[float], name: str = "ratio") -> dict[str, float]:
    """The median ratio under ``name``, and the lowest and highest per round (3 decimals)."""
    return {
        name: round(statistics.median(ratios), 3),
        "ratio_per_round_min": round(min(ratios), 3),
        "ratio_per_round_max": round(max(ratios), 3),
    }


def rounds_parser(description: str | None, *, batch: int) -> argparse.ArgumentParser:
    """``--rounds`` (default 21) and ``--batch`` (operations per batch, default ``batch``)."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0] if description else None)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--batch", type=int, default=batch)
    return parser


def write_report(result_file: Path, report: Mapping[str, Any]) -> int:
    """Write ``report`` as JSON to ``result_file`` and print it; exit status 0 if it meets its target."""
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["meets_target"] else 1
