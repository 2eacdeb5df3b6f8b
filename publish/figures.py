"""Sequence diagrams of traces as plain SVG 1.1, for the docs and for pasting into a contribution.

A figure is drawn from the trace document alone (``spec/schema/trace.schema.json``): one lifeline per
party that sends or receives a step, labelled with its name in the trace and its role (home CCF, AEF's
CCF), attacker-controlled parties drawn red and dashed; one arrow per step, labelled
"n. reference point: text"; a step that passes only because the profile leaves a check out is drawn
red with the missing checks; a final note names the violated property and its instance, or the
witness reached. Output is deterministic (same trace, same bytes), uses no scripts, styles, fonts or
markers (arrowheads are polygons), so word processors that import SVG show it as the browser does.
Roles follow BRIEF section 2: the home CCF is where the invoker is onboarded, the AEF's CCF is where
the AEF is registered (TS 23.222 clause 6.1).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import jsonschema

from model.catalogue import default_spec_dir

FONT = "Arial, Helvetica, sans-serif"
FONT_SIZE = 12
CHAR_WIDTH = 7.0
"""Estimated advance of one character at FONT_SIZE (generous, so that text rarely overflows)."""
LINE = 15
MARGIN = 16
MIN_COLUMN = 150
HEADER_TEXT = 190
"""Width of a lifeline header's text: longer roles wrap, so that a figure stays legible at page width."""
HONEST_STROKE = "#335C99"
HOSTILE_STROKE = "#C00000"
NEUTRAL_STROKE = "#888888"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ATTACKERS = ("attacker", "network attacker")
_KIND_ORDER = ("invoker", "ccf", "aef", "rof", "other", "attacker")


class FigureError(ValueError):
    """The trace does not follow the trace format; the message says where."""


@dataclass(frozen=True)
class Lifeline:
    """A party of the figure: its name in the trace, header lines and whether the attacker runs it."""

    name: str
    kind: str
    lines: tuple[str, ...]
    hostile: bool


def schema_problem(schema: Mapping[str, Any], document: Any) -> str | None:
    """The first place (in document order) where ``document`` breaks the JSON ``schema``, as
    ``at <path>: <message>``; None when it follows it."""
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return None
    where = "/".join(str(part) for part in errors[0].absolute_path) or "(document)"
    return f"at {where}: {errors[0].message}"


def check_trace(trace: Any) -> None:
    """Raise :class:`FigureError` unless ``trace`` follows ``spec/schema/trace.schema.json``."""
    schema_path = default_spec_dir() / "schema" / "trace.schema.json"
    problem = schema_problem(json.loads(schema_path.read_text(encoding="utf-8")), trace)
    if problem:
        raise FigureError(f"not a capifsec trace: {problem}")


def mentioned_parties(trace: Mapping[str, Any]) -> set[str]:
    """Every name a step of the trace mentions: sender, receiver and arguments."""
    names: set[str] = set()
    for step in trace["steps"]:
        names.update((step["from"], step["to"], *step["args"].values()))
    return names


def entity_roles(trace: Mapping[str, Any]) -> dict[str, str]:
    """Role of each CCF, AEF, invoker and ROF of the trace's topology, in the words of TS 23.222.

    A CCF is the "home CCF" of the invokers onboarded to it and the "AEF's CCF" of the AEFs
    registered at it (BRIEF section 2); only invokers and AEFs the steps mention are named.
    """
    topology = trace["topology"]
    mentioned = mentioned_parties(trace)
    roles: dict[str, str] = {}
    for ccf in topology["ccfs"]:
        homes = [i["id"] for i in topology["invokers"] if i["home"] == ccf["id"] and i["id"] in mentioned]
        hosts = [a["id"] for a in topology["aefs"] if a["ccf"] == ccf["id"] and a["id"] in mentioned]
        parts = [f"home CCF of {', '.join(homes)}"] if homes else []
        parts += [f"AEF's CCF of {', '.join(hosts)}"] if hosts else []
        roles[ccf["id"]] = " and the ".join(parts) or "CCF"
    for aef in topology["aefs"]:
        roles[aef["id"]] = f"AEF registered at {aef['ccf']}" if aef["ccf"] else "AEF"
    for invoker in topology["invokers"]:
        roles[invoker["id"]] = (
            f"API invoker onboarded at {invoker['home']}" if invoker["home"] else "API invoker"
        )
    for rof in topology["rofs"]:
        roles[rof["id"]] = "resource owner function"
    return roles


def hostile_parties(trace: Mapping[str, Any]) -> set[str]:
    """Names of the parties the attacker controls: dishonest entities, and the attackers themselves."""
    topology = trace["topology"]
    entries = [*topology["ccfs"], *topology["aefs"], *topology["invokers"], *topology["rofs"]]
    return {entry["id"] for entry in entries if not entry["honest"]} | set(ATTACKERS)


def _lifelines(trace: Mapping[str, Any]) -> list[Lifeline]:
    topology = trace["topology"]
    kinds = {entry["id"]: kind for kind in ("ccf", "aef", "rof") for entry in topology[f"{kind}s"]}
    kinds.update({entry["id"]: "invoker" for entry in topology["invokers"]})
    providers = {ccf["id"]: ccf["provider"] for ccf in topology["ccfs"]}
    roles = entity_roles(trace)
    hostile = hostile_parties(trace)
    order: list[str] = []
    for step in trace["steps"]:
        for name in (step["from"], step["to"]):
            if name not in order:
                order.append(name)
    lifelines = []
    for name in order:
        kind = "attacker" if name in ATTACKERS else kinds.get(name, "other")
        lines = [name]
        if kind == "ccf":
            lines.append(providers[name])
        if kind != "attacker" and roles.get(name, "CCF") != "CCF":
            lines.extend(_wrap(roles[name], HEADER_TEXT))
        if kind != "attacker" and name in hostile:
            lines.append("(attacker-controlled)")
        lifelines.append(Lifeline(name, kind, tuple(lines), name in hostile))

    def rank(lifeline: Lifeline) -> tuple[int, int, int]:
        role = roles.get(lifeline.name, "")
        is_home, is_host = role.startswith("home CCF"), "AEF's CCF" in role
        homes_first = 1 if is_home == is_host else 0 if is_home else 2
        return (_KIND_ORDER.index(lifeline.kind), homes_first, order.index(lifeline.name))

    return sorted(lifelines, key=rank)


def _text_width(text: str) -> int:
    return round(len(text) * CHAR_WIDTH)


def _wrap(text: str, width_px: int) -> list[str]:
    columns = max(12, int(width_px / CHAR_WIDTH))
    return textwrap.wrap(text, columns, break_on_hyphens=False) or [""]


def _esc(text: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", text), {'"': "&quot;", "'": "&apos;"})


def _attributes(attributes: Mapping[str, str | int]) -> str:
    return " ".join(f'{key.replace("_", "-")}="{_esc(str(value))}"' for key, value in attributes.items())


class _Canvas:
    """Collects SVG elements in drawing order."""

    def __init__(self) -> None:
        self.elements: list[str] = []

    def add(self, tag: str, **attributes: str | int) -> None:
        self.elements.append(f"<{tag} {_attributes(attributes)}/>")

    def text(self, x: int, y: int, content: str, **attributes: str | int) -> None:
        style = {"font_family": FONT, "font_size": FONT_SIZE, "fill": "#000000", **attributes}
        self.elements.append(f'<text x="{x}" y="{y}" {_attributes(style)}>{_esc(content)}</text>')

    def text_block(
        self, x: int, top: int, lines: Sequence[str], *, backdrop: bool = False, **attributes: str | int
    ) -> int:
        """Draw ``lines`` below ``top`` (on a white backdrop if asked); returns the y below the block."""
        if backdrop:
            width = max(_text_width(line) for line in lines) + 6
            self.add("rect", x=x - 3, y=top, width=width, height=LINE * len(lines), fill="#FFFFFF")
        for index, line in enumerate(lines):
            self.text(x, top + FONT_SIZE + index * LINE, line, **attributes)
        return top + len(lines) * LINE


def _arrowhead(x: int, y: int, direction: int, colour: str) -> dict[str, str | int]:
    """A filled triangle pointing along ``direction`` (+1 right, -1 left) with its tip at (x, y)."""
    back = x - direction * 9
    return {"points": f"{x},{y} {back},{y - 4} {back},{y + 4}", "fill": colour, "stroke": colour}


@dataclass(frozen=True)
class _Step:
    label: list[str]
    missing: list[str]
    left: int
    source: int
    target: int
    attacker: bool


def _note_lines(trace: Mapping[str, Any]) -> list[str]:
    violation = trace.get("violation")
    if trace["kind"] == "counterexample":
        lines = [f"Violates {trace['subject']}: {trace['statement']}"]
        if violation:
            instance = ", ".join(f"{name} = {value}" for name, value in violation["instance"].items())
            lines.append(f"for {instance}")
    else:
        lines = [f"Witness reached: {trace['subject']}: {trace['statement']}"]
    for removal in trace.get("mutant", []):
        where = f" in action {removal['action']}" if removal["action"] else ""
        lines.append(f"(mutant: check {removal['check']} removed{where})")
    return lines


def _layout_steps(
    trace: Mapping[str, Any], centre: Mapping[str, int], column: int, inner: int
) -> list[_Step]:
    steps = []
    for step in trace["steps"]:
        source, target = centre[step["from"]], centre[step["to"]]
        width = min(max(abs(target - source) - 12, 2 * column - 12), inner - 12)
        via = "" if step["via"] in ("-", "") else f"{step['via']}: "
        label = _wrap(f"{step['n']}. {via}{step['text']}", width)
        missing = [
            line
            for item in step["checks_missing"]
            for line in _wrap(f"not checked: {item['check']} ({item['because']})", width)
        ]
        block = max(_text_width(line) for line in [*label, *missing])
        left = max(MARGIN + 4, min(min(source, target) + 8, MARGIN + inner - block))
        steps.append(_Step(label, missing, left, source, target, step["actor"] == "attacker"))
    return steps


def _draw_step(canvas: _Canvas, step: _Step, top: int) -> int:
    """Draw one step (label, arrow, missing checks) from ``top`` down; returns the y below it."""
    arrow_y = canvas.text_block(step.left, top, step.label, backdrop=True) + 3
    colour = HOSTILE_STROKE if step.missing else "#000000"
    stroke: dict[str, str | int] = {
        "stroke": colour,
        "stroke_width": 2 if step.missing else 1,
        "fill": "none",
    }
    if step.attacker:
        stroke["stroke_dasharray"] = "6,3"
    if step.source == step.target:
        x, bottom = step.source, arrow_y + 14
        points = f"{x},{arrow_y} {x + 32},{arrow_y} {x + 32},{bottom} {x + 9},{bottom}"
        canvas.add("polyline", points=points, **stroke)
        canvas.add("polygon", **_arrowhead(x, bottom, -1, colour))
    else:
        bottom = arrow_y
        direction = 1 if step.target > step.source else -1
        canvas.add("line", x1=step.source, y1=arrow_y, x2=step.target - direction * 9, y2=arrow_y, **stroke)
        canvas.add("polygon", **_arrowhead(step.target, arrow_y, direction, colour))
    if step.missing:
        return canvas.text_block(step.left, bottom + 4, step.missing, backdrop=True, fill=HOSTILE_STROKE)
    return bottom + 4


def sequence_diagram(trace: Mapping[str, Any]) -> str:
    """The SVG document (UTF-8 text) of ``trace`` as a sequence diagram; see the module docstring.

    Raises :class:`FigureError` if ``trace`` does not follow ``spec/schema/trace.schema.json``.
    """
    check_trace(trace)
    lifelines = _lifelines(trace)
    column = max([MIN_COLUMN, *(_text_width(line) + 24 for lifeline in lifelines for line in lifeline.lines)])
    centre = {
        lifeline.name: MARGIN + column * index + column // 2 for index, lifeline in enumerate(lifelines)
    }
    inner = max(column * len(lifelines), 2 * column)
    width = inner + 2 * MARGIN
    kind = "Counterexample" if trace["kind"] == "counterexample" else "Witness"
    title = _wrap(f"{kind}: {trace['subject']} (profile {trace['profile']})", inner)
    legend = _wrap(
        "solid: honest party; red dashed: attacker-controlled; dashed arrow: attacker's step; "
        "red arrow: passes only because the profile leaves a check out",
        round(inner / 10 * FONT_SIZE),
    )
    header_top = MARGIN + len(title) * LINE + len(legend) * LINE + 6
    header_height = max([1, *(len(lifeline.lines) for lifeline in lifelines)]) * LINE + 8
    lifeline_top = header_top + header_height

    arrows = _Canvas()
    y = lifeline_top + 10
    for step in _layout_steps(trace, centre, column, inner):
        y = _draw_step(arrows, step, y) + 8
    note = [line for part in _note_lines(trace) for line in _wrap(part, inner - 16)]
    note_top = y + 4
    note_height = len(note) * LINE + 10
    height = note_top + note_height + MARGIN

    canvas = _Canvas()
    canvas.add("rect", x=0, y=0, width=width, height=height, fill="#FFFFFF")
    y = canvas.text_block(MARGIN, MARGIN, title, font_weight="bold", font_size=FONT_SIZE + 2)
    canvas.text_block(MARGIN, y, legend, fill="#555555", font_size=10)
    for lifeline in lifelines:
        _draw_lifeline(canvas, lifeline, centre[lifeline.name], column, (header_top, lifeline_top, note_top))
    canvas.elements.extend(arrows.elements)
    violated = trace["kind"] == "counterexample"
    canvas.add(
        "rect",
        x=MARGIN,
        y=note_top,
        width=inner,
        height=note_height,
        fill="#FDECEA" if violated else "#EAF5EA",
        stroke=HOSTILE_STROKE if violated else "#2E7D32",
    )
    canvas.text_block(MARGIN + 8, note_top + 4, note)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">\n'
        f"<title>{_esc(' '.join(title))}</title>\n" + "\n".join(canvas.elements) + "\n</svg>\n"
    )


def _draw_lifeline(
    canvas: _Canvas, lifeline: Lifeline, x: int, column: int, ys: tuple[int, int, int]
) -> None:
    header_top, lifeline_top, bottom = ys
    dash: dict[str, str | int] = {"stroke_dasharray": "5,4"} if lifeline.hostile else {}
    stroke = HOSTILE_STROKE if lifeline.hostile else NEUTRAL_STROKE
    canvas.add("line", x1=x, y1=lifeline_top, x2=x, y2=bottom, stroke=stroke, stroke_width=1, **dash)
    if lifeline.hostile:
        fill, stroke = "#FDECEA", HOSTILE_STROKE
    elif lifeline.kind == "other":
        fill, stroke = "#F4F4F4", NEUTRAL_STROKE
    else:
        fill, stroke = "#EEF3FA", HONEST_STROKE
    height = lifeline_top - header_top
    canvas.add(
        "rect",
        x=x - column // 2 + 6,
        y=header_top,
        width=column - 12,
        height=height,
        fill=fill,
        stroke=stroke,
        **dash,
    )
    for index, line in enumerate(lifeline.lines):
        emphasis: dict[str, str | int] = {"font_weight": "bold"} if index == 0 else {"font_size": 10}
        canvas.text(x, header_top + 4 + FONT_SIZE + index * LINE, line, text_anchor="middle", **emphasis)
