"""Plain-text renderings for the terminal: the verdict labels of the results table, and a trace as
numbered steps.

Traces are rendered from the trace document alone (the format in ``spec/schema/trace.schema.json``),
so the same text can be produced for a trace file written by an earlier run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.verify import Verdict

SYMBOLS: Mapping[str, str] = {
    Verdict.PROVED: "proved",
    Verdict.VIOLATED: "VIOLATED",
    Verdict.NO_WITNESS: "no-witness",
    Verdict.UNPROVED: "unproved",
    Verdict.ERROR: "ERROR",
}


def trace_lines(trace: Mapping[str, Any]) -> list[str]:
    """The numbered steps of ``trace`` in domain terms, then what the final state violates."""
    lines = []
    topology = trace["topology"]
    used = {value for step in trace["steps"] for value in step["args"].values()}
    hostile = [
        entity["id"]
        for kind in ("ccfs", "aefs", "invokers")
        for entity in topology[kind]
        if not entity["honest"] and entity["id"] in used
    ]
    if hostile:
        lines.append(f"(the attacker controls {', '.join(hostile)})")
    for step in trace["steps"]:
        line = f"{step['n']}. [{step['via']}] {step['text']}"
        missing = [f"{m['check']} ({m['because']})" for m in step["checks_missing"]]
        if missing:
            line += f"  -- not checked: {'; '.join(missing)}"
        elif step.get("options_in_play"):
            differing = [
                f"{o['option']} = {o['value']} (recommended: {o['reference']})"
                for o in step["options_in_play"]
            ]
            line += f"  -- options: {'; '.join(differing)}"
        lines.append(line)
    violation = trace.get("violation")
    if violation:
        instance = ", ".join(f"{name} = {value}" for name, value in violation["instance"].items())
        lines.append(f"=> violates {trace['subject']} for {instance}")
    elif trace["kind"] == "witness":
        lines.append(f"=> reaches witness {trace['subject']}")
    return lines
