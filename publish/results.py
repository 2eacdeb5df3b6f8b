"""The ``capifsec verify --json`` document the result pages are made from: its shape, reading it from
a file, and checking that it is about the catalogue at hand."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.catalogue import Catalogue
from model.syntax import FormulaSyntaxError, parse_formula
from publish.figures import FigureError, check_trace, schema_problem

VERDICT_WORDS = {
    "proved": "proved",
    "violated": "**violated**",
    "no-witness": "no witness",
    "unproved": "not proved",
    "error": "**error**",
}


class DocsError(ValueError):
    """A results document the pages cannot be made from; the message says what and where."""


def _results_schema() -> dict[str, Any]:
    """The shape of the ``capifsec verify --json`` document (``model.report.results_json``)."""

    def record(fields: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "required": list(fields), "properties": fields}

    def array(items: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": items}

    text, number, flag = {"type": "string"}, {"type": "number"}, {"type": "boolean"}
    trace = {"type": ["object", "null"]}
    result = {"profile": text, "property": text, "verdict": {"enum": list(VERDICT_WORDS)}, "seconds": number}
    witness = {"profile": text, "witness": text, "applicable": flag, "found": flag, "seconds": number}
    entry = record({**result, "detail": text, "witnesses": array(text), "trace": trace})
    entry["properties"]["invariant"] = array(text)  # optional: documents written before certificates
    return record(
        {
            "results": array(entry),
            "witnesses": array(record({**witness, "trace": trace})),
            "profiles": array(record({"profile": text, "seconds": number})),
        }
    )


def read_json_object(path: Path, command: str) -> dict[str, Any]:
    """Read the JSON object a ``capifsec COMMAND --json`` run wrote; :class:`DocsError` if the file is
    unreadable, not JSON or not an object."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as problem:
        raise DocsError(f"{path}: cannot read: {problem}") from None
    except json.JSONDecodeError as problem:
        raise DocsError(f"{path}: not JSON: {problem}") from None
    if not isinstance(document, dict):
        raise DocsError(f"{path}: expected a JSON object from 'capifsec {command} --json'")
    return document


def read_results(path: Path) -> dict[str, Any]:
    """Read a ``capifsec verify --json`` file; :class:`DocsError` if it is unreadable or not JSON."""
    return read_json_object(path, "verify")


def check_results(catalogue: Catalogue, results: Mapping[str, Any]) -> None:
    """Raise :class:`DocsError` unless ``results`` is a results document about this catalogue."""
    problem = schema_problem(_results_schema(), results)
    if problem:
        raise DocsError(f"results document: {problem}")
    for index, entry in enumerate(results["results"]):
        where = f"results document: results/{index}"
        if entry["profile"] not in catalogue.profiles:
            raise DocsError(
                f"{where}: unknown profile '{entry['profile']}'; regenerate it with this catalogue"
            )
        if entry["property"] not in catalogue.properties:
            raise DocsError(
                f"{where}: unknown property '{entry['property']}'; regenerate it with this catalogue"
            )
        for number, clause in enumerate(entry.get("invariant", [])):
            try:
                parse_formula(clause)
            except FormulaSyntaxError as problem:
                raise DocsError(f"{where}/invariant/{number}: not a formula: {problem}") from None
    for index, entry in enumerate(results["witnesses"]):
        if entry["profile"] not in catalogue.profiles or entry["witness"] not in catalogue.witnesses:
            raise DocsError(
                f"results document: witnesses/{index}: unknown profile or witness "
                f"'{entry['profile']}' / '{entry['witness']}'; regenerate it with this catalogue"
            )
    for section in ("results", "witnesses"):
        for index, entry in enumerate(results[section]):
            if entry["trace"] is not None:
                try:
                    check_trace(entry["trace"])
                except FigureError as problem:
                    raise DocsError(f"results document: {section}/{index}/trace: {problem}") from None
