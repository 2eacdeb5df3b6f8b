"""Minimal fixes in words: the ``capifsec fixes --json`` document (``model.fixes.fixes_document``), read,
checked against the catalogue, and each fix said as option changes; its member ``design_space``
(``model.space``): per property, the minimal sets of option values under which it holds whatever the
other options are.

A fix is what the model computed (:mod:`model.fixes`): a set of option changes under which the property
is proved, none of whose proper subsets is. Nothing here chooses or words a fix by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from model.catalogue import Catalogue
from publish.figures import schema_problem
from publish.results import DocsError, read_json_object


def _fixes_schema() -> dict[str, Any]:
    text = {"type": "string"}
    changes = {"type": "object", "additionalProperties": text}
    cell = {
        "type": "object",
        "required": ["profile", "property", "verdict", "minimal_fixes", "searched_up_to"],
        "properties": {
            "profile": text,
            "property": text,
            "verdict": text,
            "minimal_fixes": {"type": "array", "items": changes},
            "searched_up_to": {"type": "integer"},
            "open_ends": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["changes", "why"],
                    "properties": {"changes": changes},
                },
            },
        },
    }
    condition = {
        "type": "object",
        "required": ["values"],
        "properties": {"values": changes, "certificate_clauses": {"type": "integer"}},
    }
    space = {
        "type": "object",
        "required": ["property", "minimal_conditions", "vacuous", "undecided", "searched_up_to"],
        "properties": {
            "property": text,
            "minimal_conditions": {"type": "array", "items": condition},
            "vacuous": {"type": "array", "items": changes},
            "undecided": {"type": "array", "items": condition},
            "searched_up_to": {"type": "integer"},
        },
    }
    return {
        "type": "object",
        "required": ["fixes"],
        "properties": {
            "fixes": {"type": "array", "items": cell},
            "design_space": {"type": "array", "items": space},
        },
    }


def read_fixes(path: Path) -> dict[str, Any]:
    """Read a ``capifsec fixes --json`` file; :class:`DocsError` if it is unreadable or not JSON."""
    return read_json_object(path, "fixes")


def check_fixes(catalogue: Catalogue, document: Mapping[str, Any]) -> None:
    """Raise :class:`DocsError` unless ``document`` is a fixes document about this catalogue."""
    problem = schema_problem(_fixes_schema(), document)
    if problem:
        raise DocsError(f"fixes document: {problem}")
    for index, cell in enumerate(document["fixes"]):
        where = f"fixes document: fixes/{index}"
        if cell["profile"] not in catalogue.profiles or cell["property"] not in catalogue.properties:
            raise DocsError(
                f"{where}: unknown profile or property '{cell['profile']}' / '{cell['property']}'; "
                "regenerate it with this catalogue"
            )
        for fix in cell["minimal_fixes"]:
            _check_values(catalogue, where, fix)
    for index, entry in enumerate(document.get("design_space", [])):
        where = f"fixes document: design_space/{index}"
        if entry["property"] not in catalogue.properties:
            raise DocsError(
                f"{where}: unknown property '{entry['property']}'; regenerate it with this catalogue"
            )
        for condition in entry["minimal_conditions"] + entry["undecided"]:
            _check_values(catalogue, where, condition["values"])
        for values in entry["vacuous"]:
            _check_values(catalogue, where, values)


def _check_values(catalogue: Catalogue, where: str, values: Mapping[str, str]) -> None:
    for option, value in values.items():
        known = catalogue.options.get(option)
        if known is None or value not in {v.id for v in known.values}:
            raise DocsError(f"{where}: unknown option value {option} = {value}")


def fixes_of(document: Mapping[str, Any] | None, profile: str, property_id: str) -> Mapping[str, Any] | None:
    """The fixes entry of one cell, or None when the document has none for it."""
    if document is None:
        return None
    return next(
        (c for c in document["fixes"] if c["profile"] == profile and c["property"] == property_id), None
    )


def change_words(fix: Mapping[str, str]) -> str:
    """``option = value and option = value``."""
    return " and ".join(f"{option} = {value}" for option, value in fix.items())


def fixes_words(cell: Mapping[str, Any]) -> str:
    """Every minimal fix of a cell, as alternatives: ``a = x and b = y; or c = z``."""
    return "; or ".join(change_words(fix) for fix in cell["minimal_fixes"])


def space_alternatives(entry: Mapping[str, Any]) -> list[str]:
    """The minimal conditions of one property's design space in words (``any design`` for the empty
    one, ``(vacuous)`` after one under which none of its witnesses applies)."""
    vacuous = list(entry["vacuous"])
    return [
        (change_words(condition["values"]) or "any design")
        + (" (vacuous: none of its witnesses applies)" if condition["values"] in vacuous else "")
        for condition in entry["minimal_conditions"]
    ]


def space_words(entry: Mapping[str, Any]) -> str:
    """Where a property holds across the design space, in one line."""
    alternatives = space_alternatives(entry)
    if not alternatives:
        return f"under no set of up to {entry['searched_up_to']} option values"
    return "under " + "; or ".join(alternatives)


def fixes_sentence(catalogue: Catalogue, cell: Mapping[str, Any]) -> str:
    """A paste-ready sentence: which option choices prove the property (computed), or that none of up
    to the searched number of changes does."""
    fixes: Sequence[Mapping[str, str]] = cell["minimal_fixes"]
    subject = f"the property {cell['property']}"
    if not fixes:
        return (
            f"No set of up to {cell['searched_up_to']} option changes to the profile {cell['profile']} makes "
            f"{subject} provable while keeping every procedure of the profile."
        )
    choices = [
        " and ".join(
            f"{option} = {value} ({_value_text(catalogue, option, value)})" for option, value in fix.items()
        )
        for fix in fixes
    ]
    ways = f"one of these {len(fixes)} minimal ways" if len(fixes) > 1 else "this one minimal way"
    lead = f"The model proves {subject} when the profile {cell['profile']} is changed in {ways}"
    return f"{lead} (no smaller change proves it): " + "; or ".join(choices) + "."


def _value_text(catalogue: Catalogue, option: str, value: str) -> str:
    known = catalogue.options.get(option)
    return next((v.text for v in known.values if v.id == value), value) if known else value
