"""The result pages: the verdict table over every profile, and per profile its verdicts, its
counterexamples (steps, figure, contribution text) and its witnesses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.catalogue import Catalogue, Profile
from publish.counterexamples import contribution_text, departures, legend
from publish.figures import sequence_diagram
from publish.results import VERDICT_WORDS
from publish.text import conditions_text, heading, link, md, page, plural, slug


def _figure_path(profile: str, kind: str, subject: str) -> str:
    return f"{slug(profile)}/{kind}-{slug(subject)}.svg"


def _how_to_produce() -> str:
    return (
        "No verification results were given when these pages were generated. To produce them:\n\n"
        "```sh\n"
        ".venv/bin/capifsec verify --json results.json\n"
        ".venv/bin/capifsec docs --results results.json\n"
        ".venv/bin/mkdocs build --strict\n"
        "```"
    )


def results_index(catalogue: Catalogue, results: Mapping[str, Any] | None) -> str:
    """The verdict of every property on every profile, and the verification time per profile."""
    intro = [
        "# Results",
        "Every property on every profile, as the last verification run found it. How to read a verdict: "
        "see [reading verdicts](../../index.md#verdicts). A violated cell links to its counterexample.",
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
                row.append(link(f"violated ({plural(steps, 'step')})", f"{slug(profile)}.md#{slug(prop)}"))
            else:
                row.append(VERDICT_WORDS[result["verdict"]])
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


def profile_results_page(
    catalogue: Catalogue, profile: Profile, results: Mapping[str, Any] | None, figures: dict[str, str]
) -> str:
    """One profile's verdicts, counterexamples and witnesses; the figures it draws go into ``figures``,
    keyed by their path under ``results/``."""
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
        paragraphs = contribution_text(catalogue, trace)
        changes = departures(catalogue, trace)
        blocks += [
            heading(3, result["property"], result["property"]),
            f"*{md(trace['statement'])}* \u2014 a shortest counterexample: "
            f"{plural(len(trace['steps']), 'step')}."
            + (f" **Not the profile as written:** {md(changes)}." if changes else ""),
            *_trace_block(
                catalogue, trace, figure, f"counterexample to {result['property']} under {profile.id}"
            ),
            f"#### For your contribution {{#contribution-{slug(result['property'])}}}",
            "\n>\n".join(f"> {md(paragraph)}" for paragraph in paragraphs),
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
