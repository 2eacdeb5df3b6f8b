"""Plain-text renderings for the terminal: the verdict labels of the results table, a trace as
numbered steps (with the computed minimal fixes of its cell when they are known).

Traces are rendered from the trace document alone (the format in ``spec/schema/trace.schema.json``),
so the same text can be produced for a trace file written by an earlier run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from model.verify import Verdict
from publish.fixes import fixes_words, space_words

SYMBOLS: Mapping[str, str] = {
    Verdict.PROVED: "proved",
    Verdict.VIOLATED: "VIOLATED",
    Verdict.NO_WITNESS: "no-witness",
    Verdict.UNPROVED: "unproved",
    Verdict.ERROR: "ERROR",
}


def trace_lines(trace: Mapping[str, Any], fixes: Mapping[str, Any] | None = None) -> list[str]:
    """The numbered steps of ``trace`` in domain terms, then what the final state violates and, when
    ``fixes`` (the cell's entry of a ``capifsec fixes`` document) is given, its minimal fixes."""
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
        if step.get("expect") == "refused":
            line += f"  -- must be refused by {', '.join(step['refused_by'])}"
        elif missing:
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
    elif trace["kind"] in ("coverage", "boundary", "differential"):
        lines.append(f"=> {trace['statement']}")
    if fixes is not None:
        lines.append(fixes_line(fixes))
    return lines


def fixes_line(cell: Mapping[str, Any]) -> str:
    """The computed minimal fixes of a cell on one line."""
    if not cell["minimal_fixes"]:
        return f"=> no set of up to {cell['searched_up_to']} option changes proves it"
    return f"=> proved after any one of these minimal option changes: {fixes_words(cell)}"


def space_line(entry: Mapping[str, Any]) -> str:
    """Where one property holds across the design space, and what was left undecided, on one line."""
    line = f"{entry['property']} holds whatever the other options are {space_words(entry)}"
    if entry["undecided"]:
        line += f" ({len(entry['undecided'])} set(s) of option values left undecided)"
    return line


def _verdict_style(verdict: str) -> str:
    styles = {"proved": "green", "violated": "bold red", "no-witness": "yellow", "unproved": "magenta"}
    return styles.get(verdict, "bold red")


def verdict_table(results: Mapping[str, Any], properties: Sequence[str]) -> Table:
    """The profiles x properties table of a ``capifsec verify --json`` document, in rich markup."""
    table = Table(title="capifsec: profiles x properties", show_lines=False)
    table.add_column("property")
    profiles = list(dict.fromkeys(entry["profile"] for entry in results["results"]))
    for profile in profiles:
        table.add_column(profile, justify="center")
    cells = {(entry["profile"], entry["property"]): entry for entry in results["results"]}
    for prop in properties:
        row = [prop]
        for profile in profiles:
            entry = cells.get((profile, prop))
            if entry is None:
                row.append("")
                continue
            label = SYMBOLS[entry["verdict"]]
            if entry["verdict"] == Verdict.VIOLATED and entry["trace"]:
                label += f" ({len(entry['trace']['steps'])})"
            row.append(f"[{_verdict_style(entry['verdict'])}]{label}[/]")
        table.add_row(*row)
    return table
