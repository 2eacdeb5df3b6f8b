"""A report as one self-contained HTML file: figures inlined as SVG, styles inlined, nothing loaded from
anywhere else."""

from __future__ import annotations

from html import escape
from pathlib import Path

from publish.report.content import Bullets, Figure, Heading, Numbered, Paragraph, Report, Table

STYLE = """
body { font-family: Arial, Helvetica, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #111; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef3fa; }
figure { margin: 1.5em 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-style: italic; }
"""


def render_html(report: Report) -> str:
    """The report as an HTML document (UTF-8 text)."""
    parts = [f"<h1>{escape(report.title)}</h1>"]
    for block in report.blocks:
        match block:
            case Heading(level=level, text=text):
                parts.append(f"<h{level}>{escape(text)}</h{level}>")
            case Paragraph(text=text):
                parts.append(f"<p>{escape(text)}</p>")
            case Numbered(items=items):
                parts.append("<ol>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ol>")
            case Bullets(items=items):
                parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
            case Table(header=header, rows=rows):
                head = "".join(f"<th>{escape(h)}</th>" for h in header)
                body = "".join(
                    "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            case Figure(svg=svg, caption=caption):
                inline = svg.split("?>", 1)[-1].strip()  # the SVG element without its XML declaration
                parts.append(f"<figure>{inline}<figcaption>{escape(caption)}</figcaption></figure>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(report.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def write_html(report: Report, path: Path) -> list[Path]:
    path.write_text(render_html(report), encoding="utf-8")
    return [path]
