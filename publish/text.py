"""Markdown building blocks of the generated pages: literal text, anchors, links, source lines, code
blocks, option conditions, and a page made of blocks."""

from __future__ import annotations

import re
from collections.abc import Sequence

from model.catalogue import Conditions


def md(text: str) -> str:
    """``text`` as literal markdown: HTML and markdown syntax characters escaped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]{}|#])", r"\\\1", " ".join(text.split()))


def slug(identifier: str) -> str:
    """A file-name and anchor form of a catalogue id (ids may contain ``/``, never ``~``)."""
    return identifier.replace("/", "~")


def heading(level: int, text: str, anchor: str) -> str:
    """A markdown heading with an explicit anchor (the slug of ``anchor``)."""
    return f"{'#' * level} {md(text)} {{#{slug(anchor)}}}"


def link(text: str, target: str) -> str:
    """A markdown link with literal ``text``."""
    return f"[{md(text)}]({target})"


def sources_line(sources: Sequence[str]) -> str:
    """The catalogue's sources of an entry on one line; empty when it cites none."""
    return "**Sources:** " + "; ".join(md(source) for source in sources) if sources else ""


def code_block(text: str) -> str:
    """``text`` as a plain-text code block (formulas)."""
    return f"```text\n{text}\n```"


def conditions_text(conditions: Conditions, options_page: str = "options.md") -> str:
    """``option = value or value; ...``, each option linked to its section of ``options_page``."""
    return "; ".join(
        f"{link(option, f'{options_page}#{slug(option)}')} = {' or '.join(md(v) for v in sorted(values))}"
        for option, values in conditions
    )


def plural(count: int, noun: str) -> str:
    """``1 step``, ``2 steps``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def page(*blocks: str | None) -> str:
    """A page of the given blocks, empty ones left out, separated by blank lines."""
    return "\n\n".join(block for block in blocks if block) + "\n"
