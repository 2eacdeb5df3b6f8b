"""Contribution-ready reports on one profile (``capifsec report``): the content
(:mod:`~publish.report.content`) and one renderer per format, chosen by the file's suffix: ``.md``
(figures as SVG files beside it), ``.html`` (one self-contained file) and ``.docx`` (Word, figures as
PNG)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from publish.report.content import Report, report_content
from publish.report.html import write_html
from publish.report.markdown import write_markdown

FORMATS = (".md", ".html", ".docx")


def write_report(report: Report, path: Path) -> list[Path]:
    """Write ``report`` in the format ``path``'s suffix names; returns the files written."""
    writers: dict[str, Callable[[Report, Path], list[Path]]] = {".md": write_markdown, ".html": write_html}
    if path.suffix == ".docx":
        from publish.report.word import write_word  # noqa: PLC0415  (python-docx loads lxml: only when asked)

        return write_word(report, path)
    if path.suffix not in writers:
        raise ValueError(f"{path}: unknown report format {path.suffix!r}; use one of {', '.join(FORMATS)}")
    return writers[path.suffix](report, path)


__all__ = ["FORMATS", "Report", "report_content", "write_report"]
