"""A report as a Word document (python-docx) to paste into a 3GPP pCR template: headings, numbered
steps, Word tables, and figures as PNG.

The figures are rendered from their SVG with resvg (through the ``resvg-py`` wheel): a self-contained
renderer with no system library to install and no network access, unlike cairosvg (which needs the
system's cairo); it uses the fonts installed on the machine.
"""

from __future__ import annotations

import io
from pathlib import Path

import resvg_py
from docx import Document
from docx.shared import Inches, Pt

from publish.report.content import Bullets, Figure, Heading, Numbered, Paragraph, Report, Table

FIGURE_WIDTH = Inches(6.3)
"""The text width of an A4 page with 3GPP's margins."""
PNG_ZOOM = 2.0
"""Figures are rasterised at twice their size, so they stay sharp when printed."""


def figure_png(svg: str) -> bytes:
    """The figure as PNG bytes on a white background."""
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", zoom=PNG_ZOOM))


def write_word(report: Report, path: Path) -> list[Path]:
    document = Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(report.title, level=1)
    for block in report.blocks:
        match block:
            case Heading(level=level, text=text):
                document.add_heading(text, level=level)
            case Paragraph(text=text):
                document.add_paragraph(text)
            case Numbered(items=items):
                for item in items:
                    document.add_paragraph(item, style="List Number")
            case Bullets(items=items):
                for item in items:
                    document.add_paragraph(item, style="List Bullet")
            case Table(header=header, rows=rows):
                table = document.add_table(rows=1, cols=len(header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, header, strict=True):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                for row in rows:
                    for cell, text in zip(table.add_row().cells, row, strict=True):
                        cell.text = text
            case Figure(svg=svg, caption=caption):
                document.add_picture(io.BytesIO(figure_png(svg)), width=FIGURE_WIDTH)
                document.add_paragraph(caption, style="Caption")
    document.save(str(path))
    return [path]
