"""The result pages: the verdict table over every profile, the minimal fixes of every cell not proved,
and per profile its verdicts, its counterexamples (steps, figure, computed fixes, contribution text)
and its witnesses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from model.catalogue import Catalogue, Profile
from publish.counterexamples import contribution_text, departures, legend
from publish.figures import sequence_diagram
from publish.fixes import change_words, fixes_of, space_alternatives
from publish.invariants import clause_words
from publish.results import VERDICT_WORDS
from publish.text import conditions_text, heading, link, md, page, plural, slug

CELL_WORDS = {
    "proved": "proved",
    "violated": "violated",
    "no-witness": "no witness",
    "unproved": "not proved",
    "error": "error",
}


def why_it_holds(catalogue: Catalogue, result: Mapping[str, Any]) -> list[str]:
    """The clauses of the certificate that proves a cell (member ``invariant``: its minimised inductive
    invariant, checked independently, in the catalogue's syntax), in the domain's words."""
    return [clause_words(catalogue, clause) for clause in result.get("invariant") or []]


def _figure_path(profile: str, kind: str, subject: str) -> str:
    return f"{slug(profile)}/{kind}-{slug(subject)}.svg"


def _how_to_produce() -> str:
    return (
        "These pages were built from the catalogue alone, without verification results. To produce "
        "them (`capifsec docs` uses the output of the last `capifsec check`, or verifies first):\n\n"
        "```sh\n"
        ".venv/bin/capifsec check\n"
        ".venv/bin/capifsec docs\n"
        ".venv/bin/mkdocs build --strict\n"
        "```"
    )


def _cell(verdict: str, text: str, target: str | None) -> str:
    """A verdict cell: a link when there is more to read, styled by verdict (``extra.css``)."""
    label = f"[{md(text)}]({target})" if target else md(text)
    return f'<span class="verdict verdict-{verdict}">{label}</span>'


def results_index(catalogue: Catalogue, results: Mapping[str, Any] | None) -> str:
    """The verdict of every property on every profile, and the verification time per profile."""
    intro = [
        "# Results",
        "Every property on every profile, as the last verification run found it. How to read a verdict: "
        "see [reading verdicts](../../index.md#verdicts). A violated cell links to its counterexample and "
        "its computed [minimal fixes](fixes.md); a proved cell whose proof carries its invariant links to "
        "why it holds.",
    ]
    if results is None:
        return page(*intro, _how_to_produce())
    cells = {(r["profile"], r["property"]): r for r in results["results"]}
    profiles = [p for p in catalogue.profiles if any(profile == p for profile, _ in cells)]
    header = "| property | " + " | ".join(link(p, f"{slug(p)}.md") for p in profiles) + " |"
    rows = [header, "|---|" + "---|" * len(profiles)]
    for prop in catalogue.properties:
        row = [link(prop, f"../catalogue/properties.md#{slug(prop)}")]
        for profile in profiles:
            result = cells.get((profile, prop))
            if result is None:
                row.append("")
            elif result["verdict"] == "violated" and result["trace"]:
                steps = len(result["trace"]["steps"])
                row.append(_cell("violated", f"violated ({steps})", f"{slug(profile)}.md#{slug(prop)}"))
            elif result["verdict"] == "proved" and result.get("invariant"):
                row.append(_cell("proved", "proved", f"{slug(profile)}.md#why-{slug(prop)}"))
            else:
                row.append(_cell(result["verdict"], CELL_WORDS[result["verdict"]], None))
        rows.append("| " + " | ".join(row) + " |")
    timing = [
        f"| {link(entry['profile'], slug(entry['profile']) + '.md')} | {entry['seconds']:.1f} s |"
        for entry in results["profiles"]
        if entry["profile"] in catalogue.profiles
    ]
    return page(
        *intro,
        "\n".join(rows),
        "## Verification time per profile {#time}",
        "| profile | seconds |\n|---|---|\n" + "\n".join(timing) if timing else None,
    )


def _step_lines(catalogue: Catalogue, trace: Mapping[str, Any]) -> str:
    lines = []
    for step in trace["steps"]:
        via = f"**{md(step['via'])}**: " if step["via"] not in ("-", "") else ""
        line = f"{step['n']}. {via}{md(step['text'])}"
        if step["actor"] == "attacker":
            line += " *(attacker)*"
        for missing in step["checks_missing"]:
            check = missing["check"]
            target = f"../catalogue/checks.md#{slug(check)}" if check in catalogue.checks else None
            name = link(check, target) if target else md(check)
            line += f"<br>\u2717 not checked: {name} ({md(missing['because'])})"
        lines.append(line)
    return "\n".join(lines)


def _trace_block(catalogue: Catalogue, trace: Mapping[str, Any], figure: str, alt: str) -> list[str | None]:
    return [
        f"**Parties:** {md(legend(trace))}.",
        _step_lines(catalogue, trace),
        f"![{md(alt)}]({figure})",
        f"Figure as a file: {link(figure.rsplit('/', maxsplit=1)[-1], figure)} (plain SVG 1.1).",
    ]


def fixes_block(catalogue: Catalogue, cell: Mapping[str, Any] | None, options_page: str) -> str:
    """The computed minimal fixes of a cell as a markdown list (or why there are none to show)."""
    if cell is None:
        return "*Minimal fixes not computed for this cell (run `capifsec fixes`).*"
    if not cell["minimal_fixes"]:
        return (
            f"**Minimal fixes:** none: no set of up to {cell['searched_up_to']} option changes proves it "
            "while keeping every procedure of the profile."
        )
    items = [
        "- "
        + " and ".join(
            f"{link(option, f'{options_page}#{slug(option)}')} = `{value}`" for option, value in fix.items()
        )
        for fix in cell["minimal_fixes"]
    ]
    return (
        "**Minimal fixes** (computed: each proved with its witnesses, none with a smaller subset of changes; "
        "any one of them suffices):\n\n" + "\n".join(items)
    )


def fixes_page(
    catalogue: Catalogue, results: Mapping[str, Any] | None, fixes: Mapping[str, Any] | None
) -> str:
    """Every cell not proved, with its computed minimal fixes."""
    intro = [
        "# Minimal fixes",
        "For every property a profile does not prove: every minimal set of option changes under which the "
        "model proves it (an inductive invariant implies it, and its witnesses are reached), keeping every "
        "procedure the profile offers. Computed by `capifsec fixes`; none of these is written by hand. "
        "A fix with more than one change needs all of them.",
    ]
    if fixes is None:
        return page(*intro, _how_to_produce())
    rows = []
    for cell in fixes["fixes"]:
        target = f"{slug(cell['profile'])}.md#{slug(cell['property'])}"
        where = link(f"{cell['profile']} / {cell['property']}", target)
        choices = "<br>or ".join(
            " and ".join(f"`{option} = {value}`" for option, value in fix.items())
            for fix in cell["minimal_fixes"]
        )
        verdict = CELL_WORDS.get(cell["verdict"], md(cell["verdict"]))
        rows.append(f"| {where} | {verdict} | {choices or 'none found'} |")
    table = "| cell | verdict | minimal fixes |\n|---|---|---|\n" + "\n".join(rows) if rows else None
    return page(
        *intro,
        table or "Every cell of the verified profiles is proved: nothing to fix.",
        *design_space_section(fixes.get("design_space", [])),
    )


def design_space_section(spaces: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per property, the minimal sets of option values under which it holds whatever the other options
    are (computed by ``capifsec fixes``, ``model.space``)."""
    if not spaces:
        return []
    rows = []
    for entry in spaces:
        choices = "<br>or ".join(md(words) for words in space_alternatives(entry))
        undecided = "<br>".join(md(change_words(c["values"]) or "any design") for c in entry["undecided"])
        target = f"../catalogue/properties.md#{slug(entry['property'])}"
        none = f"none of up to {entry['searched_up_to']} option values"
        rows.append(f"| {link(entry['property'], target)} | {choices or none} | {undecided or '-'} |")
    return [
        "## Design space of each property",
        "For every property: the minimal sets of option values under which the model proves it whatever "
        "the other options are, as the minimal-assumption tables of the formal 5G AKA analyses. Each set "
        "comes with one certificate (an inductive invariant) that the independent checker accepts for "
        "every design that agrees with it, asking each design's own questions; every smaller set has a "
        "design where a counterexample runs. *Vacuous*: none of the property's witnesses can apply under "
        "it. *Undecided*: sets neither proved nor refuted, whose supersets were not searched.",
        "| property | holds whatever the other options are, under | undecided |\n|---|---|---|\n"
        + "\n".join(rows),
    ]


def profile_results_page(
    catalogue: Catalogue,
    profile: Profile,
    results: Mapping[str, Any] | None,
    figures: dict[str, str],
    fixes: Mapping[str, Any] | None = None,
) -> str:
    """One profile's verdicts, counterexamples (with their computed fixes when ``fixes`` is given) and
    witnesses; the figures it draws go into ``figures``, keyed by their path under ``results/``."""
    blocks: list[str | None] = [
        f"# {md(profile.title)}",
        f"Profile {link(profile.id, f'../catalogue/profiles.md#{slug(profile.id)}')} \u2014 source: "
        f"{md(profile.source)}.",
    ]
    if results is None:
        return page(*blocks, _how_to_produce())
    own = [r for r in results["results"] if r["profile"] == profile.id]
    witnesses = [w for w in results["witnesses"] if w["profile"] == profile.id]
    if not own and not witnesses:
        return page(*blocks, "The results document has no results for this profile.")
    rows = []
    for result in own:
        prop = result["property"]
        verdict = VERDICT_WORDS[result["verdict"]]
        if result["verdict"] == "violated" and result["trace"]:
            verdict = link("violated", f"#{slug(prop)}")
        elif result.get("invariant"):
            verdict = link(verdict, f"#why-{slug(prop)}")
        if result["verdict"] == "proved":
            backing = ", ".join(result["witnesses"])
            detail = f"for any number of entities; witnesses: {backing}" if backing else ""
        else:
            detail = result["detail"]
        rows.append(
            f"| {link(prop, f'../catalogue/properties.md#{slug(prop)}')} | {verdict} | {md(detail)} |"
        )
    blocks += [
        "## Verdicts {#verdicts}",
        "| property | verdict | detail |\n|---|---|---|\n" + "\n".join(rows),
    ]
    violated = [r for r in own if r["verdict"] == "violated" and r["trace"]]
    if violated:
        blocks.append("## Counterexamples {#counterexamples}")
    for result in violated:
        trace = result["trace"]
        figure = _figure_path(profile.id, "counterexample", result["property"])
        figures[figure] = sequence_diagram(trace)
        cell = fixes_of(fixes, profile.id, result["property"])
        paragraphs = contribution_text(catalogue, trace, cell)
        changes = departures(catalogue, trace)
        blocks += [
            heading(3, result["property"], result["property"]),
            f"*{md(trace['statement'])}* \u2014 a shortest counterexample: "
            f"{plural(len(trace['steps']), 'step')}."
            + (f" **Not the profile as written:** {md(changes)}." if changes else ""),
            *_trace_block(
                catalogue, trace, figure, f"counterexample to {result['property']} under {profile.id}"
            ),
            fixes_block(catalogue, cell, "../catalogue/options.md"),
            f"#### For your contribution {{#contribution-{slug(result['property'])}}}",
            "\n>\n".join(f"> {md(paragraph)}" for paragraph in paragraphs),
        ]
    proved = [r for r in own if r["verdict"] in ("proved", "no-witness") and r.get("invariant")]
    if proved:
        blocks += [
            "## Why the proved properties hold {#why}",
            "Each proof rests on an inductive invariant: statements that hold in every initial state, that "
            "every step of every procedure (the attacker's included) preserves, and that together imply "
            "the property, for any number of invokers, AEFs, CCFs, keys and tokens. Below are the "
            "statements each proof needs (its certificate: inferred without hand-written lemmas, every "
            "clause the proof does not need dropped, and checked again by an independent checker).",
        ]
    for result in proved:
        blocks += [
            heading(3, f"Why {result['property']} holds", f"why-{result['property']}"),
            "\n".join(f"{n}. {md(clause)}" for n, clause in enumerate(why_it_holds(catalogue, result), 1)),
        ]
    if witnesses:
        blocks += [
            "## Witnesses {#witnesses}",
            "Honest runs that show the procedures can succeed under this profile.",
        ]
    for witness in witnesses:
        statement = catalogue.witnesses[witness["witness"]].statement
        blocks += [heading(3, witness["witness"], f"witness-{witness['witness']}"), f"*{md(statement)}*"]
        if not witness["applicable"]:
            needs = conditions_text(catalogue.witnesses[witness["witness"]].when, "../catalogue/options.md")
            blocks.append(f"Does not apply to this profile: it needs {needs}.")
        elif witness["trace"] is None:
            blocks.append("**Not found**: no honest run reaches it within the search bound.")
        else:
            figure = _figure_path(profile.id, "witness", witness["witness"])
            figures[figure] = sequence_diagram(witness["trace"])
            blocks += _trace_block(
                catalogue, witness["trace"], figure, f"witness {witness['witness']} under {profile.id}"
            )
    return page(*blocks)
