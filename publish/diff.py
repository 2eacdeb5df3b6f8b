"""What changes between two profiles (a CR before and after a proposed change): verdicts, counterexample
traces and minimal fixes, per property, from a results document and a fixes document covering both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.catalogue import Catalogue
from publish.fixes import fixes_of


def _steps(entry: Mapping[str, Any] | None) -> list[str] | None:
    trace = entry["trace"] if entry else None
    return [f"[{s['via']}] {s['text']}" for s in trace["steps"]] if trace else None


def profile_diff(
    catalogue: Catalogue,
    results: Mapping[str, Any],
    fixes: Mapping[str, Any] | None,
    before: str,
    after: str,
) -> dict[str, Any]:
    """Per property: the verdict, the counterexample's steps and the minimal fixes under each profile,
    and whether they changed."""
    cells = {(r["profile"], r["property"]): r for r in results["results"]}
    rows = []
    for prop in catalogue.properties:
        entries = {p: cells.get((p, prop)) for p in (before, after)}
        steps = {p: _steps(entry) for p, entry in entries.items()}
        found = {p: fixes_of(fixes, p, prop) for p in (before, after)}
        minimal = {p: (cell["minimal_fixes"] if cell else []) for p, cell in found.items()}
        verdicts = {p: (entry["verdict"] if entry else None) for p, entry in entries.items()}
        rows.append(
            {
                "property": prop,
                "verdicts": verdicts,
                "trace_steps": steps,
                "minimal_fixes": minimal,
                "changed": {
                    "verdict": verdicts[before] != verdicts[after],
                    "trace": steps[before] != steps[after],
                    "fixes": minimal[before] != minimal[after],
                },
            }
        )
    options = [
        {
            "option": o,
            before: catalogue.profiles[before].options[o],
            after: catalogue.profiles[after].options[o],
        }
        for o in catalogue.options
        if catalogue.profiles[before].options[o] != catalogue.profiles[after].options[o]
    ]
    return {"before": before, "after": after, "options": options, "properties": rows}


def diff_lines(diff: Mapping[str, Any]) -> list[str]:
    """The diff as plain text lines: option changes, then each property whose outcome changes."""
    before, after = diff["before"], diff["after"]
    lines = [f"{before} -> {after}"]
    lines += [f"  option {o['option']}: {o[before]} -> {o[after]}" for o in diff["options"]] or [
        "  same options"
    ]
    changed = [row for row in diff["properties"] if any(row["changed"].values())]
    if not changed:
        lines.append("no verdict, trace or fix changes")
    for row in changed:
        verdicts = row["verdicts"]
        lines.append(f"{row['property']}: {verdicts[before]} -> {verdicts[after]}")
        if row["changed"]["trace"]:
            counts = [len(s) if s else 0 for s in (row["trace_steps"][before], row["trace_steps"][after])]
            lines.append(f"  counterexample: {counts[0]} steps -> {counts[1]} steps")
            for step in row["trace_steps"][after] or []:
                lines.append(f"    {step}")
        if row["changed"]["fixes"]:
            for profile in (before, after):
                choices = "; or ".join(
                    " and ".join(f"{o} = {v}" for o, v in fix.items())
                    for fix in row["minimal_fixes"][profile]
                )
                lines.append(f"  fixes under {profile}: {choices or 'none needed or none found'}")
    return lines
