"""A report as markdown, its figures as SVG files beside it (``<name>-figures/``)."""

from __future__ import annotations

from pathlib import Path

from publish.report.content import Bullets, Figure, Heading, Numbered, Paragraph, Report, Table
from publish.text import md


def write_markdown(report: Report, path: Path) -> list[Path]:
    """Write ``report`` to ``path`` (and its figures beside it); returns the files written."""
    figures = path.with_name(path.stem + "-figures")
    written: list[Path] = []
    parts = [f"# {md(report.title)}"]
    for block in report.blocks:
        match block:
            case Heading(level=level, text=text):
                parts.append(f"{'#' * level} {md(text)}")
            case Paragraph(text=text):
                parts.append(md(text))
            case Numbered(items=items):
                parts.append("\n".join(f"{n}. {md(item)}" for n, item in enumerate(items, start=1)))
            case Bullets(items=items):
                parts.append("\n".join(f"- {md(item)}" for item in items))
            case Table(header=header, rows=rows):
                lines = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
                lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
                parts.append("\n".join(lines))
            case Figure(name=name, svg=svg, caption=caption):
                figures.mkdir(exist_ok=True)
                file = figures / f"{name}.svg"
                file.write_text(svg, encoding="utf-8")
                written.append(file)
                parts.append(f"![{md(caption)}]({figures.name}/{file.name})\n\n*{md(caption)}*")
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return [path, *written]
