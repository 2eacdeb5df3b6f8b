"""The conformance table: 34 cases, each with a test; a clause wherever capifsec answers otherwise than
OpenCAPIF expects; ``docs/conformance.md`` shows the table and the counts as they are."""

from __future__ import annotations

from pathlib import Path

from tests.conformance import test_opencapif_invoker_management, test_opencapif_security
from tests.conformance.cases import CASES, Outcome, counts, markdown_table

DOCS = Path(__file__).parents[2] / "docs" / "conformance.md"
SUITES = {
    "capif_security_api": (27, test_opencapif_security),
    "capif_api_invoker_management": (7, test_opencapif_invoker_management),
}


def test_every_case_has_its_test() -> None:
    expected = {f"{prefix}-{number}" for prefix, (size, _) in SUITES.items() for number in range(1, size + 1)}
    assert set(CASES) == expected
    for prefix, (size, module) in SUITES.items():
        numbers = {name.split("_")[1] for name in dir(module) if name.startswith("test_")}
        assert numbers == {str(number) for number in range(1, size + 1)}, prefix


def test_a_difference_names_the_clause_capifsec_follows() -> None:
    for case in CASES.values():
        assert case.checks, case.tag
        if case.outcome is Outcome.SAME:
            assert not case.clause, case.tag
        else:
            assert case.clause, case.tag


def test_the_documentation_shows_the_table_and_the_counts() -> None:
    page = DOCS.read_text()
    shown = (
        page.split("<!-- conformance-table", 1)[1].split("-->", 1)[1].split("<!-- /conformance-table -->")[0]
    )
    expected = markdown_table(CASES.values())
    assert shown.strip() == expected.strip(), f"docs/conformance.md must show:\n{expected}"
    tally = counts(CASES.values())
    sentence = (
        f"**{tally[Outcome.SAME]}** are answered as OpenCAPIF expects, **{tally[Outcome.DIFFERENT]}** "
        f"deliberately otherwise"
    )
    assert sentence in " ".join(page.split()), sentence
    assert f"**{tally[Outcome.FIXED]}** were answered wrongly" in page
