"""A counterexample in words: who is who in the run, how the run departs from its profile, and the
paste-ready paragraphs for a contribution (which check would stop this run, or which choices allow it,
and the computed minimal fixes that make the property hold)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from model.catalogue import Catalogue
from publish.figures import entity_roles, hostile_parties, mentioned_parties
from publish.fixes import fixes_sentence
from publish.text import plural


def legend(trace: Mapping[str, Any]) -> str:
    """Which party is which: the role of each entity the steps mention, and who the attacker controls."""
    hostile = hostile_parties(trace)
    providers = {ccf["id"]: ccf["provider"] for ccf in trace["topology"]["ccfs"]}
    mentioned = mentioned_parties(trace)
    parts = []
    for name, role in entity_roles(trace).items():
        if name in mentioned:
            notes = [providers[name]] if name in providers else []
            notes += ["controlled by the attacker"] if name in hostile else []
            qualifier = f" ({', '.join(notes)})" if notes else ""
            parts.append(f"{name}{qualifier} is {'a CCF' if role == 'CCF' else 'the ' + role}")
    return "; ".join(parts)


def _missing_checks(trace: Mapping[str, Any]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for step in trace["steps"]:
        for missing in step["checks_missing"]:
            item = (missing["check"], missing["because"])
            if item not in seen:
                seen.append(item)
    return seen


def _explain_because(catalogue: Catalogue, because: str) -> str:
    """``option X = v`` parts of a trace's ``because`` with the option's question and the value's text."""
    explained = []
    for part in because.split("; "):
        match = re.fullmatch(r"option (\S+) = (\S+)", part)
        option = catalogue.options.get(match.group(1)) if match else None
        value = next((v for v in option.values if match and v.id == match.group(2)), None) if option else None
        if option and value:
            explained.append(f"{option.question} The profile answers \u201c{value.id}\u201d: {value.text}.")
        else:
            explained.append(f"{part}.")
    return " ".join(explained)


def _shaping_options(catalogue: Catalogue, trace: Mapping[str, Any]) -> list[str]:
    """The options whose values enable or shape the actions of the trace's steps, with those values."""
    options: list[str] = []
    for step in trace["steps"]:
        action = catalogue.actions.get(step["action"])
        if action is not None:
            conditions = [
                *action.when,
                *(c for g in action.guards for c in g.when),
                *(c for e in action.effects for c in e.when),
            ]
            options += [option for option, _ in conditions if option not in options]
    return [option for option in options if option in trace["options"]]


def departures(catalogue: Catalogue, trace: Mapping[str, Any]) -> str:
    """How the run departs from its profile as written: option overrides and removed checks (a
    mutant); empty when it does not."""
    profile = catalogue.profiles.get(trace["profile"])
    written = profile.options if profile else {}
    changed = [
        f"{option} = {value}" for option, value in trace["options"].items() if written.get(option) != value
    ]
    removed = [
        f"check {m['check']} removed" + (f" from action {m['action']}" if m["action"] else "")
        for m in trace.get("mutant", [])
    ]
    return "; ".join(changed + removed)


def contribution_text(
    catalogue: Catalogue, trace: Mapping[str, Any], fixes: Mapping[str, Any] | None = None
) -> list[str]:
    """Paste-ready paragraphs about a counterexample: what the procedure as written allows, step by
    step, which check would stop this sequence, and (when ``fixes``, the cell's entry of a ``capifsec
    fixes`` document, is given) the minimal option changes under which the model proves the property.
    Plain text (no markdown), one string per paragraph."""
    profile = catalogue.profiles.get(trace["profile"])
    about = [profile.title, f"source: {profile.source}"] if profile else []
    changes = departures(catalogue, trace)
    about += [f"changed: {changes}"] if changes else []
    where = f"the profile {trace['profile']}" + (f" \u2014 {'; '.join(about)} \u2014" if about else ",")
    wording = "with these changes" if changes else "as written"
    network = any(step["from"] == "network attacker" for step in trace["steps"])
    steps = trace["steps"]
    paragraphs = [
        f"Under {where} the procedure {wording} allows the following sequence of "
        f"{plural(len(steps), 'step')}{' (with an attacker on the network)' if network else ''}, "
        f"after which the property \u201c{trace['statement']}\u201d ({trace['subject']}) no longer holds. "
        f"In it, {legend(trace)}.",
        *(
            f"{step['n']}) {step['text']}" + (f" ({step['via']})." if step["via"] not in ("-", "") else ".")
            for step in steps
        ),
    ]
    violation = trace.get("violation")
    if violation:
        instance = ", ".join(f"{name} = {value}" for name, value in violation["instance"].items())
        paragraphs.append(f"The property then fails for {instance}.")
    missing = _missing_checks(trace)
    for check_id, because in missing:
        check = catalogue.checks.get(check_id)
        what = f"{check.text} ({'; '.join(check.sources)})" if check else check_id
        paragraphs.append(
            f"This sequence is stopped if {what}. The procedure {wording} does not require this check. "
            + _explain_because(catalogue, because)
        )
    if not missing:
        readings = {r.option: r.text for r in profile.readings} if profile else {}
        shaping = [
            f"{option} = {trace['options'][option]}"
            + (f" (reading: {readings[option]})" if option in readings else "")
            for option in _shaping_options(catalogue, trace)
        ]
        paragraphs.append(
            "Every check the procedure states passes at each step: the sequence follows from the design "
            "choices of the profile together with the attacker-controlled parties named above, not from "
            "a check left out."
            + (f" The steps depend on these option values: {'; '.join(shaping)}." if shaping else "")
        )
    if fixes is not None:
        paragraphs.append(fixes_sentence(catalogue, fixes))
    return paragraphs
