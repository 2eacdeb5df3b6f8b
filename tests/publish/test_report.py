"""Contribution-ready reports (markdown, self-contained HTML, Word) and the diff of two profiles, from
real verification results and computed fixes."""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from capifsec.cli import main
from model.catalogue import Catalogue
from model.report import results_json
from model.runner import Job, verify
from publish.diff import diff_lines, profile_diff
from publish.report import report_content, write_report
from publish.report.content import Figure, Numbered, open_points
from tests.conftest import fixes_of_profiles

PROFILES = ["opencapif-observed", "ts33122-rel18"]


@pytest.fixture(scope="module")
def documents(catalogue: Catalogue, catalogue_fixes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    results = results_json(verify(catalogue, Job(PROFILES), workers=2))
    return results, fixes_of_profiles(catalogue_fixes, PROFILES)


def _violated(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results["results"] if r["profile"] == PROFILES[0] and r["verdict"] == "violated"]


def test_report_has_every_counterexample_with_cited_steps_figure_and_fixes(
    catalogue: Catalogue, documents: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    results, fixes = documents
    report = report_content(catalogue, PROFILES[0], results, fixes)
    figures = [b for b in report.blocks if isinstance(b, Figure)]
    steps = [b for b in report.blocks if isinstance(b, Numbered)]
    assert len(figures) == len(steps) == len(_violated(results)) >= 3
    for block, result in zip(steps, _violated(results), strict=True):
        assert len(block.items) == len(result["trace"]["steps"])
        assert all(re.search(r"\((TS \d|contribution|BRIEF)", item) for item in block.items)
    path = tmp_path / "report.md"
    written = write_report(report, path)
    text = path.read_text(encoding="utf-8")
    assert len(written) == 1 + len(figures) and all(p.exists() for p in written)
    assert "## 4 Minimal fixes" in text and "token-client-binding = bound" in text
    assert "Across the whole design space" in text and "aef-scope-check = aef-and-api" in text
    for cell in fixes["fixes"]:
        if cell["profile"] == PROFILES[0]:
            assert cell["property"] in text


def test_html_report_is_one_self_contained_file(
    catalogue: Catalogue, documents: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    assert write_report(report_content(catalogue, PROFILES[0], *documents), path) == [path]
    text = path.read_text(encoding="utf-8")
    assert text.count("<svg") == len(_violated(documents[0]))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "<script" not in text
    HTMLParser().feed(text)


def test_word_report_has_tables_and_figures_as_png(
    catalogue: Catalogue, documents: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "report.docx"
    write_report(report_content(catalogue, PROFILES[0], *documents), path)
    document = Document(str(path))
    assert len(document.tables) >= 3
    assert len(document.inline_shapes) == len(_violated(documents[0]))
    images = [n for n in zipfile.ZipFile(path).namelist() if n.startswith("word/media/")]
    assert images and all(n.endswith(".png") for n in images)
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "3 Counterexamples" in texts and "5 Proposed text for the open points" in texts


def test_open_points_of_a_contribution_come_with_proposed_text(catalogue: Catalogue) -> None:
    points = {option.id for option, _ in open_points(catalogue, catalogue.profiles["sol13-psk"])}
    assert {"home-ccf-resolution", "interconnect-methods"} <= points
    assert open_points(catalogue, catalogue.profiles["opencapif-observed"]) == []


def test_diff_shows_what_changes_between_two_profiles(
    catalogue: Catalogue, documents: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    diff = profile_diff(catalogue, *documents, PROFILES[0], PROFILES[1])
    row = next(r for r in diff["properties"] if r["property"] == "token-subject")
    assert row["verdicts"] == {PROFILES[0]: "violated", PROFILES[1]: "proved"}
    assert row["changed"] == {"verdict": True, "trace": True, "fixes": True}
    assert {"option": "token-client-binding", PROFILES[0]: "unbound", PROFILES[1]: "bound"} in diff["options"]
    same = next(r for r in diff["properties"] if r["property"] == "token-origin")
    assert not any(same["changed"].values())
    lines = diff_lines(diff)
    assert "token-subject: violated -> proved" in lines and not any(
        line.startswith("token-origin") for line in lines
    )


def test_report_refuses_an_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_request:
        main(["report", "--profile", "recommended", "--out", str(tmp_path / "report.pdf")])
    assert exit_request.value.code == 2
    assert "the suffix names the format, one of .md, .html, .docx" in capsys.readouterr().err


def test_diff_needs_two_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--profile", "recommended"]) == 2
    assert "give --profile twice" in capsys.readouterr().err
