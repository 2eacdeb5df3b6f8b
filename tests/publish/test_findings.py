"""The findings page is written by hand, but what it names as the cause of each violation must agree
with the computed minimal fixes: every option and check a finding names is changed by some minimal fix
of its cell (an option directly, a check through the option that turns it on)."""

from __future__ import annotations

import re
from typing import Any

from model.catalogue import Catalogue
from model.syntax import relations_used
from tests.conftest import FIXES_MAX_CHANGES

from .conftest import ROOT


def _findings(catalogue: Catalogue) -> list[tuple[str, str, set[str], set[str]]]:
    """(profile, property, options named, checks named) of every finding on the page."""
    page = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    found = []
    for section in re.split(r"^## ", page, flags=re.MULTILINE)[1:]:
        profile = next(
            (p for p in re.findall(r"`([a-z0-9-]+)`", section.splitlines()[0]) if p in catalogue.profiles),
            None,
        )
        if profile is None:
            continue
        for bullet in re.split(r"^- ", section, flags=re.MULTILINE)[1:]:
            properties = [
                p
                for p in re.findall(r"\*\*([a-z-]+)\*\*", bullet.split(":", 1)[0])
                if p in catalogue.properties
            ]
            options = set(re.findall(r"`([a-z0-9-]+) = [a-z0-9-]+`", bullet))
            checks = {c for c in re.findall(r"missing check `([a-z0-9-]+)`", bullet) if c in catalogue.checks}
            found += [(profile, prop, options, checks) for prop in properties]
    return found


BEYOND_THE_BOUND = {
    ("ki2-conclusion", "negotiated-method"),
    ("ki2-conclusion", "revocation"),
    ("cr-interconnect", "invoker-authentication"),
    ("cr-interconnect", "negotiated-method"),
    ("cr-interconnect", "revocation"),
}
"""The findings whose every fix takes more than ``FIXES_MAX_CHANGES`` option changes (the bound of the
session's search, tests/conftest.py; computed: asserted below)."""


def test_every_cause_named_on_the_findings_page_is_part_of_a_computed_fix(
    catalogue: Catalogue, catalogue_fixes: dict[str, Any]
) -> None:
    findings = _findings(catalogue)
    assert len(findings) >= 15
    for profile, prop, options, checks in findings:
        cell = next(c for c in catalogue_fixes["fixes"] if c["profile"] == profile and c["property"] == prop)
        changed = {option for fix in cell["minimal_fixes"] for option in fix}
        if (profile, prop) in BEYOND_THE_BOUND:
            assert cell["searched_up_to"] == FIXES_MAX_CHANGES
            assert not changed, (profile, prop, changed)
            continue
        assert changed, (profile, prop)
        assert options <= changed, (profile, prop, options, changed)
        for check in checks:
            guards = [g for action in catalogue.actions.values() for g in action.guards if g.check == check]
            switches = {option for guard in guards for option, _ in guard.when}
            # a check whose guard is a definition (scope_ok) is switched by the options of its cases
            switches |= {
                option
                for guard in guards
                for name in relations_used(guard.formula)
                if name in catalogue.definitions
                for case in catalogue.definitions[name].cases
                for option, _ in case.when
            }
            assert switches & changed, (profile, prop, check, changed)
