"""The generated part of the documentation site: catalogue pages from ``spec/`` and result pages from a
``capifsec verify --json`` document, as markdown (and SVG figures) for mkdocs.

:func:`site_pages` renders every page in memory, keyed by its path under ``docs/generated/``;
:func:`write_site` writes them to a folder. The mkdocs hook in ``docs/hooks/`` serves the same pages
from the catalogue when no folder has been written, so ``mkdocs build --strict`` works in a fresh
checkout. Pages use role names (home CCF, AEF's CCF; BRIEF section 2) and cite the clauses the
catalogue cites. The formula language is the catalogue's (``model.syntax``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from model.catalogue import Catalogue, Conditions, Profile
from model.figures import (
    FigureError,
    check_trace,
    entity_roles,
    hostile_parties,
    mentioned_parties,
    schema_problem,
    sequence_diagram,
)
from model.syntax import And, Atom, Const, Eq, Formula, Iff, Implies, Not, Or, Quant

GENERATED = "generated"
"""The folder under ``docs/`` that holds the generated pages."""
MARKER = ".capifsec-generated"
"""A file :func:`write_site` leaves in its folder: only such a folder is ever cleared."""

CONTRIBUTION_LETTERS = (
    (
        "000",
        "CCF-A",
        "CCF-B",
        "7.2.0: \u201cthe API invoker is onboarded to CCF-A and the target AEF is registered to a "
        "different CCF-B\u201d",
    ),
    (
        "001",
        "CCF-B (CAPIF provider B)",
        "CCF-A (CAPIF provider A)",
        "6.X.1: \u201cthe API invoker is onboarded to CCF-B of the CAPIF provider B and the target AEF is "
        "registered to CCF-A of CAPIF provider A\u201d",
    ),
    (
        "002",
        "CCF-B",
        "CCF-A",
        "6.13.2.1: \u201cthe CCF-B information where the API invoker is registered\u201d; the AEF asks "
        "\u201cthe CCF-A it is registered with\u201d",
    ),
    ("003", "(one CCF: the AzF in the CCF)", "(one CCF)", "6.2.1: CAPIF-8 is between the ROF and the AzF"),
    ("004", "(one CCF)", "(one CCF)", "5.1.1: CAPIF-1e between the API invoker and the CAPIF core function"),
)
"""How each contribution in shared/3gpp/contributions letters the two CCFs (INDEX.md there)."""

VERDICT_WORDS = {
    "proved": "proved",
    "violated": "**violated**",
    "no-witness": "no witness",
    "unproved": "not proved",
    "error": "**error**",
}


class DocsError(ValueError):
    """A results document the pages cannot be made from; the message says what and where."""


# --- markdown helpers --------------------------------------------------------------------------------


def md(text: str) -> str:
    """``text`` as literal markdown: HTML and markdown syntax characters escaped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]{}|#])", r"\\\1", " ".join(text.split()))


def slug(identifier: str) -> str:
    """A file-name and anchor form of a catalogue id (ids may contain ``/``, never ``~``)."""
    return identifier.replace("/", "~")


def _heading(level: int, text: str, anchor: str) -> str:
    return f"{'#' * level} {md(text)} {{#{slug(anchor)}}}"


def _link(text: str, target: str) -> str:
    return f"[{md(text)}]({target})"


def _sources(sources: Sequence[str]) -> str:
    return "**Sources:** " + "; ".join(md(source) for source in sources) if sources else ""


def _code(text: str) -> str:
    return f"```text\n{text}\n```"


def _conditions(conditions: Conditions, options_page: str = "options.md") -> str:
    return "; ".join(
        f"{_link(option, f'{options_page}#{slug(option)}')} = {' or '.join(md(v) for v in sorted(values))}"
        for option, values in conditions
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _page(*blocks: str | None) -> str:
    return "\n\n".join(block for block in blocks if block) + "\n"


# --- formulas ------------------------------------------------------------------------------------------

_LEVEL = {Quant: 0, Iff: 1, Implies: 2, Or: 3, And: 4, Not: 5}


def formula_text(formula: Formula, *, block: bool = False) -> str:
    """``formula`` in the catalogue's syntax with only the parentheses its precedence needs; with
    ``block``, the leading quantifiers, the premise and the conclusion each on their own line."""

    def level(f: Formula) -> int:
        if isinstance(f, Not) and isinstance(f.body, Eq):
            return 6
        return _LEVEL.get(type(f), 6)

    def at(f: Formula, least: int) -> str:
        text = show(f)
        return f"({text})" if level(f) < least else text

    def show(f: Formula) -> str:
        match f:
            case Atom(relation=relation, args=args):
                return f"{relation}({', '.join(a.name for a in args)})" if args else relation
            case Eq(left=left, right=right):
                return f"{left.name} = {right.name}"
            case Not(body=Eq(left=left, right=right)):
                return f"{left.name} != {right.name}"
            case Not(body=body):
                return f"!{at(body, 5)}"
            case And(parts=parts):
                return " & ".join(at(part, 5) for part in parts)
            case Or(parts=parts):
                return " | ".join(at(part, 4) for part in parts)
            case Implies(left=left, right=right):
                return f"{at(left, 3)} -> {at(right, 2)}"
            case Iff(left=left, right=right):
                return f"{at(left, 2)} <-> {at(right, 2)}"
            case Quant(universal=universal, binders=binders, body=body):
                bound = ", ".join(f"{variable}:{sort}" for variable, sort in binders)
                return f"{'forall' if universal else 'exists'} {bound}. {show(body)}"
            case Const(value=value):
                return "true" if value else "false"
        raise TypeError(f"not a formula: {f!r}")

    if not block:
        return show(formula)
    lines, body = [], formula
    while isinstance(body, Quant):
        lines.append(
            f"{'forall' if body.universal else 'exists'} {', '.join(f'{v}:{s}' for v, s in body.binders)}."
        )
        body = body.body
    indent = "  " if lines else ""
    if isinstance(body, Implies):
        return "\n".join([*lines, indent + at(body.left, 3), f"{indent}-> {at(body.right, 2)}"])
    return "\n".join([*lines, indent + show(body)])


# --- results -------------------------------------------------------------------------------------------


def _results_schema() -> dict[str, Any]:
    """The shape of the ``capifsec verify --json`` document (``model.report.results_json``)."""

    def record(fields: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "required": list(fields), "properties": fields}

    def array(items: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": items}

    text, number, flag = {"type": "string"}, {"type": "number"}, {"type": "boolean"}
    trace = {"type": ["object", "null"]}
    result = {"profile": text, "property": text, "verdict": {"enum": list(VERDICT_WORDS)}, "seconds": number}
    witness = {"profile": text, "witness": text, "applicable": flag, "found": flag, "seconds": number}
    return record(
        {
            "results": array(record({**result, "detail": text, "witnesses": array(text), "trace": trace})),
            "witnesses": array(record({**witness, "trace": trace})),
            "profiles": array(record({"profile": text, "seconds": number})),
        }
    )


def read_results(path: Path) -> dict[str, Any]:
    """Read a ``capifsec verify --json`` file; :class:`DocsError` if it is unreadable or not JSON."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as problem:
        raise DocsError(f"{path}: cannot read: {problem}") from None
    except json.JSONDecodeError as problem:
        raise DocsError(f"{path}: not JSON: {problem}") from None
    if not isinstance(document, dict):
        raise DocsError(f"{path}: expected a JSON object from 'capifsec verify --json'")
    return document


def check_results(catalogue: Catalogue, results: Mapping[str, Any]) -> None:
    """Raise :class:`DocsError` unless ``results`` is a results document about this catalogue."""
    problem = schema_problem(_results_schema(), results)
    if problem:
        raise DocsError(f"results document: {problem}")
    for index, entry in enumerate(results["results"]):
        where = f"results document: results/{index}"
        if entry["profile"] not in catalogue.profiles:
            raise DocsError(
                f"{where}: unknown profile '{entry['profile']}'; regenerate it with this catalogue"
            )
        if entry["property"] not in catalogue.properties:
            raise DocsError(
                f"{where}: unknown property '{entry['property']}'; regenerate it with this catalogue"
            )
    for index, entry in enumerate(results["witnesses"]):
        if entry["profile"] not in catalogue.profiles or entry["witness"] not in catalogue.witnesses:
            raise DocsError(
                f"results document: witnesses/{index}: unknown profile or witness "
                f"'{entry['profile']}' / '{entry['witness']}'; regenerate it with this catalogue"
            )
    for section in ("results", "witnesses"):
        for index, entry in enumerate(results[section]):
            if entry["trace"] is not None:
                try:
                    check_trace(entry["trace"])
                except FigureError as problem:
                    raise DocsError(f"results document: {section}/{index}/trace: {problem}") from None


# --- catalogue pages -------------------------------------------------------------------------------------


def _profiles_choosing(catalogue: Catalogue, option: str, value: str) -> str:
    chosen = [p.id for p in catalogue.profiles.values() if p.options[option] == value]
    return ", ".join(_link(p, f"profiles.md#{slug(p)}") for p in chosen) or "none"


def _properties_page(catalogue: Catalogue) -> str:
    blocks: list[str | None] = [
        "# Security properties",
        "Each property is a safety statement about every run of the procedures, for any number of "
        "invokers, AEFs, CCFs and tokens. The formula states it in the catalogue's formula language "
        "(relations on the [vocabulary](vocabulary.md) page). A property counts as proved on a profile only "
        "when one of its witnesses, an honest run that exercises it, exists there too. Verdicts per "
        "profile are on the [results](../results/index.md) page.",
    ]
    for prop in catalogue.properties.values():
        mutants = [m for m in catalogue.mutants.values() if m.breaks == prop.id]
        witnesses = ", ".join(_link(w, f"witnesses.md#{slug(w)}") for w in prop.witnesses)
        blocks += [
            _heading(2, prop.id, prop.id),
            md(prop.statement),
            _sources(prop.sources),
            f"**Witnesses:** {witnesses}" if witnesses else None,
            _code(formula_text(prop.formula, block=True)),
        ]
        if mutants:
            blocks.append(
                "**Mutants that must break it:** "
                + "; ".join(
                    f"{md(m.id)} (profile {_link(m.profile, f'profiles.md#{slug(m.profile)}')} without check "
                    f"{_link(m.check, f'checks.md#{slug(m.check)}')})"
                    for m in mutants
                )
            )
    return _page(*blocks)


def _options_page(catalogue: Catalogue) -> str:
    scope = {"model": "the model", "impl": "the implementation", "both": "the model and the implementation"}
    blocks = [
        "# Design options",
        "Every FFS, Editor's Note and \u201cup to normative work\u201d of the contributions is an option "
        "with named values, and so are the choices real deployments make. A [profile](profiles.md) picks "
        "one value of each.",
    ]
    for option in catalogue.options.values():
        rows = [
            f"| `{value.id}` | {md(value.text)} | {_profiles_choosing(catalogue, option.id, value.id)} |"
            for value in option.values
        ]
        blocks += [
            _heading(2, option.id, option.id),
            f"*{md(option.question)}*",
            f"Acted on by {scope[option.scope]}. {_sources(option.sources)}",
            "| value | meaning | profiles |\n|---|---|---|\n" + "\n".join(rows),
        ]
    return _page(*blocks)


def _profile_section(catalogue: Catalogue, profile: Profile) -> list[str | None]:
    parent = catalogue.profiles[profile.extends] if profile.extends else None
    rows = []
    for option in catalogue.options.values():
        value = profile.options[option.id]
        text = next(v.text for v in option.values if v.id == value)
        inherited = " (inherited)" if parent and parent.options[option.id] == value else ""
        rows.append(
            f"| {_link(option.id, f'options.md#{slug(option.id)}')} | `{value}`{inherited} | {md(text)} |"
        )
    readings = [f"- **{md(r.option)}**: {md(r.text)}" for r in profile.readings]
    extends = f" Extends {_link(parent.id, f'#{slug(parent.id)}')}." if parent else ""
    return [
        _heading(2, profile.id, profile.id),
        f"**{md(profile.title)}**",
        f"Source: {md(profile.source)}.{extends} Results: "
        + _link(f"{profile.id} results", f"../results/{slug(profile.id)}.md"),
        "| option | value | meaning |\n|---|---|---|\n" + "\n".join(rows),
        "**Readings** (where the text leaves a choice open):\n\n" + "\n".join(readings) if readings else None,
    ]


def _profiles_page(catalogue: Catalogue) -> str:
    blocks: list[str | None] = [
        "# Profiles",
        "A profile is a named value for every [design option](options.md): one per contribution as "
        "literally written, the TS 33.122 Rel-18 baseline, the behaviour observed in ETSI OpenCAPIF, and "
        "`recommended`. Where a text leaves a choice open, the profile's readings say which reading it "
        "takes and why.",
    ]
    for profile in catalogue.profiles.values():
        blocks += _profile_section(catalogue, profile)
    return _page(*blocks)


def _procedures_page(catalogue: Catalogue) -> str:
    blocks: list[str | None] = [
        "# Procedures and actions",
        "Each procedure is a sequence of actions; an action happens only when all its conditions hold "
        "and then changes the state as its effects say. A condition tied to a [check](checks.md) is what "
        "a counterexample reports as missing when the profile leaves it out. Placeholders in braces name "
        "the action's parameters.",
    ]
    for procedure in catalogue.procedures.values():
        blocks += [
            _heading(2, procedure.title, procedure.id),
            md(procedure.text),
            _sources(procedure.sources),
        ]
        for action in (a for a in catalogue.actions.values() if a.procedure == procedure.id):
            params = ", ".join(f"{md(name)} ({md(sort)})" for name, sort in action.params)
            guards = [
                f"- `{guard.source}`"
                + (
                    f" \u2014 check {_link(guard.check, f'checks.md#{slug(guard.check)}')}"
                    if guard.check
                    else ""
                )
                + (f", only when {_conditions(guard.when)}" if guard.when else "")
                for guard in action.guards
            ]
            effects = [
                f"- {'adds' if effect.insert else 'removes'} `{effect.relation}({', '.join(effect.pattern)})`"
                + (f" where `{formula_text(effect.where)}`" if effect.where else "")
                + (f", only when {_conditions(effect.when)}" if effect.when else "")
                for effect in action.effects
            ]
            blocks += [
                _heading(3, f"Action {action.id}", f"action-{action.id}"),
                f"*{md(action.text)}*",
                f"{'The attacker' if action.actor == 'attacker' else 'An honest party'}: "
                f"from {md(action.sender)} to {md(action.receiver)} over {md(action.via)}. "
                f"Parameters: {params}." + (f" Only when {_conditions(action.when)}." if action.when else ""),
                _sources(action.sources),
                "**Conditions:**\n\n" + "\n".join(guards) if guards else None,
                "**Effects:**\n\n" + "\n".join(effects) if effects else None,
            ]
    return _page(*blocks)


def _checks_page(catalogue: Catalogue) -> str:
    blocks: list[str | None] = [
        "# Checks",
        "A check is a named condition of one or more actions that a security property depends on. "
        "A counterexample step lists the checks its profile leaves out; each [mutant](properties.md) "
        "removes one check and must break the property it names.",
    ]
    for check in catalogue.checks.values():
        uses = [
            (action, guard)
            for action in catalogue.actions.values()
            for guard in action.guards
            if guard.check == check.id
        ]
        used = [
            _link(action.id, f"procedures.md#action-{slug(action.id)}")
            + (f" (only when {_conditions(guard.when)})" if guard.when else "")
            for action, guard in uses
        ]
        mutants = [m.id for m in catalogue.mutants.values() if m.check == check.id]
        blocks += [
            _heading(2, check.id, check.id),
            md(check.text[0].upper() + check.text[1:]) + ".",
            _sources(check.sources),
            "**Checked by:** " + "; ".join(used) if used else None,
            "**Removed by the mutants:** " + ", ".join(md(m) for m in mutants) if mutants else None,
        ]
    return _page(*blocks)


def _entities_page(catalogue: Catalogue) -> str:
    documents = catalogue.documents
    blocks: list[str | None] = [
        "# Entities, trust domains and reference points",
        "Names follow roles, not the contributions' letters: the **home CCF** is where the API invoker "
        "is onboarded, the **AEF's CCF** where the AEF is registered "
        "(see [contribution names](../contribution-names.md)).",
        "## Entities {#entities}",
    ]
    for entity in documents.get("entities", ()):
        blocks += [
            f"### {md(entity['title'])} {{#{slug(entity['id'])}}}",
            md(entity["text"]),
            _sources(entity["sources"]),
        ]
    blocks.append("## Trust domains {#trust-domains}")
    for domain in documents.get("trust-domains", ()):
        blocks += [f"### {md(domain['title'])} {{#{slug(domain['id'])}}}", md(domain["text"])]
    dash = " \u2013 "
    rows = [
        f"| {md(point['id'])} | {md(dash.join(point['between']))} | {md(point['protection'])} | "
        f"{'; '.join(md(s) for s in point['sources'])} |"
        for point in documents.get("reference-points", ())
    ]
    blocks += [
        "## Reference points and their protection {#reference-points}",
        "| reference point | between | protection | sources |\n|---|---|---|---|\n" + "\n".join(rows)
        if rows
        else None,
    ]
    return _page(*blocks)


def _witnesses_page(catalogue: Catalogue) -> str:
    blocks: list[str | None] = [
        "# Witnesses",
        "A witness is a run of honest parties only that reaches a goal: for each method and deployment, "
        "an honest, authorized invoker completes the procedure and invokes the API. A property proved "
        "where none of its witnesses exists proves nothing and is reported as *no witness*.",
    ]
    for witness in catalogue.witnesses.values():
        users = [p.id for p in catalogue.properties.values() if witness.id in p.witnesses]
        blocks += [
            _heading(2, witness.id, witness.id),
            md(witness.statement),
            f"Applies only when {_conditions(witness.when)}."
            if witness.when
            else "Applies to every profile.",
            _code(formula_text(witness.goal, block=True)),
            "**Backs the properties:** " + ", ".join(_link(p, f"properties.md#{slug(p)}") for p in users)
            if users
            else None,
        ]
    return _page(*blocks)


def _lemmas_page(catalogue: Catalogue) -> str:
    blocks = [
        "# Lemmas",
        "Lemmas are facts about CAPIF that help the proofs. The prover keeps, per profile, only those that "
        "hold in every reachable state, so a lemma never makes a false property look proved.",
    ]
    for lemma in catalogue.lemmas.values():
        blocks += [
            _heading(2, lemma.id, lemma.id),
            md(lemma.text[0].upper() + lemma.text[1:]) + ".",
            _code(formula_text(lemma.formula, block=True)),
        ]
    return _page(*blocks)


def _vocabulary_page(catalogue: Catalogue) -> str:
    blocks: list[str | None] = [
        "# Vocabulary",
        "The kinds of things the model talks about, and the relations between them that formulas use. "
        "*Static* relations describe the deployment (who is honest, who is registered where); *state* "
        "relations change as actions happen.",
        "## Kinds of things {#sorts}",
        "| kind | meaning | named in traces | instances searched |\n|---|---|---|---|\n"
        + "\n".join(
            f"| `{s.id}` | {md(s.text)} | {md(s.naming)} | {s.bound} |" for s in catalogue.sorts.values()
        ),
    ]
    blocks += [
        f"**{md(enum.id)}**: {md(enum.text)}: " + ", ".join(f"`{v}`" for v in enum.values)
        for enum in catalogue.enums.values()
    ]
    blocks += [
        "## Relations {#relations}",
        "\n".join(
            f"- `{relation.id}({', '.join(f'{n}:{s}' for n, s in relation.args)})` "
            f"({relation.kind}): {md(relation.text)}"
            for relation in catalogue.relations.values()
        ),
    ]
    blocks.append("## Definitions {#definitions}")
    for definition in catalogue.definitions.values():
        params = ", ".join(f"{n}:{s}" for n, s in definition.params)
        cases = [
            (f"When {_conditions(case.when)}:" if case.when else "Always:")
            + f" `{formula_text(case.formula)}`"
            for case in definition.cases
        ]
        blocks += [
            _heading(3, f"{definition.id}({params})", f"definition-{definition.id}"),
            md(definition.text),
            "\n".join(f"- {c}" for c in cases),
        ]
    blocks.append("## Axioms {#axioms}")
    for axiom in catalogue.axioms.values():
        blocks += [
            _heading(3, axiom.id, f"axiom-{axiom.id}"),
            md(axiom.text),
            _code(formula_text(axiom.formula, block=True)),
        ]
    return _page(*blocks)


def _contribution_names_page(catalogue: Catalogue) -> str:
    rows = []
    for number, home, aefs_ccf, quote in CONTRIBUTION_LETTERS:
        profiles = [
            p.id for p in catalogue.profiles.values() if p.source.startswith(f"contribution {number}")
        ]
        links = ", ".join(_link(p, f"catalogue/profiles.md#{slug(p)}") for p in profiles) or "none"
        rows.append(f"| {number} | {md(home)} | {md(aefs_ccf)} | {md(quote)} | {links} |")
    return _page(
        "# Contribution names",
        "The contributions disagree on letters: contribution 000 calls the invoker's CCF \u201cCCF-A\u201d "
        "and the AEF's CCF \u201cCCF-B\u201d; contributions 001 and 002 use the opposite. capifsec uses role "
        "names everywhere: the **home CCF** is the CCF where the API invoker is onboarded, the **AEF's "
        "CCF** the CCF where the AEF is registered. This table maps each contribution's letters to them.",
        "| contribution | home CCF | AEF's CCF | where it says so | profile |\n|---|---|---|---|---|\n"
        + "\n".join(rows),
        "Traces and figures name concrete CCFs `ccf-A`, `ccf-B`, `ccf-C` in the order a run first uses "
        "them (and their providers `provider-A`, ...); those letters follow neither contribution. Each "
        "figure's lifeline header and each counterexample's legend give the role of every CCF.",
    )


# --- result pages -----------------------------------------------------------------------------------------


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


def _results_index(catalogue: Catalogue, results: Mapping[str, Any] | None) -> str:
    intro = [
        "# Results",
        "Every property on every profile, as the last verification run found it. How to read a verdict: "
        "see [reading verdicts](../../index.md#verdicts). A violated cell links to its counterexample.",
    ]
    if results is None:
        return _page(*intro, _how_to_produce())
    cells = {(r["profile"], r["property"]): r for r in results["results"]}
    profiles = [p for p in catalogue.profiles if any(profile == p for profile, _ in cells)]
    header = "| property | " + " | ".join(_link(p, f"{slug(p)}.md") for p in profiles) + " |"
    rows = [header, "|---|" + "---|" * len(profiles)]
    for prop in catalogue.properties:
        row = [_link(prop, f"../catalogue/properties.md#{slug(prop)}")]
        for profile in profiles:
            result = cells.get((profile, prop))
            if result is None:
                row.append("")
            elif result["verdict"] == "violated" and result["trace"]:
                steps = len(result["trace"]["steps"])
                row.append(_link(f"violated ({_plural(steps, 'step')})", f"{slug(profile)}.md#{slug(prop)}"))
            else:
                row.append(VERDICT_WORDS[result["verdict"]])
        rows.append("| " + " | ".join(row) + " |")
    timing = [
        f"| {_link(entry['profile'], slug(entry['profile']) + '.md')} | {entry['seconds']:.1f} s |"
        for entry in results["profiles"]
        if entry["profile"] in catalogue.profiles
    ]
    return _page(
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
            name = _link(check, target) if target else md(check)
            line += f"<br>\u2717 not checked: {name} ({md(missing['because'])})"
        lines.append(line)
    return "\n".join(lines)


def _legend(trace: Mapping[str, Any]) -> str:
    """Which party is which: the role of each entity the steps mention, and who the attacker controls."""
    hostile = hostile_parties(trace)
    providers = {ccf["id"]: ccf["provider"] for ccf in trace["topology"]["ccfs"]}
    mentioned = mentioned_parties(trace)
    parts = []
    for name, role in entity_roles(trace).items():
        if name in mentioned:
            notes = [providers[name]] if name in providers else []
            notes += ["controlled by the attacker"] if name in hostile else []
            qualifier = f" ({', '.join(notes)})" if notes else ""
            parts.append(f"{name}{qualifier} is {'a CCF' if role == 'CCF' else 'the ' + role}")
    return "; ".join(parts)


def _missing_checks(trace: Mapping[str, Any]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for step in trace["steps"]:
        for missing in step["checks_missing"]:
            item = (missing["check"], missing["because"])
            if item not in seen:
                seen.append(item)
    return seen


def _explain_because(catalogue: Catalogue, because: str) -> str:
    """``option X = v`` parts of a trace's ``because`` with the option's question and the value's text."""
    explained = []
    for part in because.split("; "):
        match = re.fullmatch(r"option (\S+) = (\S+)", part)
        option = catalogue.options.get(match.group(1)) if match else None
        value = next((v for v in option.values if match and v.id == match.group(2)), None) if option else None
        if option and value:
            explained.append(f"{option.question} The profile answers \u201c{value.id}\u201d: {value.text}.")
        else:
            explained.append(f"{part}.")
    return " ".join(explained)


def _shaping_options(catalogue: Catalogue, trace: Mapping[str, Any]) -> list[str]:
    """The options whose values enable or shape the actions of the trace's steps, with those values."""
    options: list[str] = []
    for step in trace["steps"]:
        action = catalogue.actions.get(step["action"])
        if action is not None:
            conditions = [
                *action.when,
                *(c for g in action.guards for c in g.when),
                *(c for e in action.effects for c in e.when),
            ]
            options += [option for option, _ in conditions if option not in options]
    return [option for option in options if option in trace["options"]]


def departures(catalogue: Catalogue, trace: Mapping[str, Any]) -> str:
    """How the run departs from its profile as written: option overrides and removed checks (a
    mutant); empty when it does not."""
    profile = catalogue.profiles.get(trace["profile"])
    written = profile.options if profile else {}
    changed = [
        f"{option} = {value}" for option, value in trace["options"].items() if written.get(option) != value
    ]
    removed = [
        f"check {m['check']} removed" + (f" from action {m['action']}" if m["action"] else "")
        for m in trace.get("mutant", [])
    ]
    return "; ".join(changed + removed)


def contribution_text(catalogue: Catalogue, trace: Mapping[str, Any]) -> list[str]:
    """Paste-ready paragraphs about a counterexample: what the procedure as written allows, step by
    step, and which check would stop it. Plain text (no markdown), one string per paragraph."""
    profile = catalogue.profiles.get(trace["profile"])
    about = [profile.title, f"source: {profile.source}"] if profile else []
    changes = departures(catalogue, trace)
    about += [f"changed: {changes}"] if changes else []
    where = f"the profile {trace['profile']}" + (f" \u2014 {'; '.join(about)} \u2014" if about else ",")
    wording = "with these changes" if changes else "as written"
    network = any(step["from"] == "network attacker" for step in trace["steps"])
    steps = trace["steps"]
    paragraphs = [
        f"Under {where} the procedure {wording} allows the following sequence of "
        f"{_plural(len(steps), 'step')}{' (with an attacker on the network)' if network else ''}, "
        f"after which the property \u201c{trace['statement']}\u201d ({trace['subject']}) no longer holds. "
        f"In it, {_legend(trace)}.",
        *(
            f"{step['n']}) {step['text']}" + (f" ({step['via']})." if step["via"] not in ("-", "") else ".")
            for step in steps
        ),
    ]
    violation = trace.get("violation")
    if violation:
        instance = ", ".join(f"{name} = {value}" for name, value in violation["instance"].items())
        paragraphs.append(f"The property then fails for {instance}.")
    missing = _missing_checks(trace)
    for check_id, because in missing:
        check = catalogue.checks.get(check_id)
        what = f"{check.text} ({'; '.join(check.sources)})" if check else check_id
        paragraphs.append(
            f"The sequence is stopped if {what}. The procedure {wording} does not require this check. "
            + _explain_because(catalogue, because)
        )
    if not missing:
        readings = {r.option: r.text for r in profile.readings} if profile else {}
        shaping = [
            f"{option} = {trace['options'][option]}"
            + (f" (reading: {readings[option]})" if option in readings else "")
            for option in _shaping_options(catalogue, trace)
        ]
        paragraphs.append(
            "Every check the procedure states passes at each step: the sequence follows from the design "
            "choices of the profile together with the attacker-controlled parties named above, not from "
            "a check left out."
            + (f" The steps depend on these option values: {'; '.join(shaping)}." if shaping else "")
        )
    return paragraphs


def _trace_block(catalogue: Catalogue, trace: Mapping[str, Any], figure: str, alt: str) -> list[str | None]:
    return [
        f"**Parties:** {md(_legend(trace))}.",
        _step_lines(catalogue, trace),
        f"![{md(alt)}]({figure})",
        f"Figure as a file: {_link(figure.rsplit('/', maxsplit=1)[-1], figure)} (plain SVG 1.1).",
    ]


def _profile_results_page(
    catalogue: Catalogue, profile: Profile, results: Mapping[str, Any] | None, figures: dict[str, str]
) -> str:
    blocks: list[str | None] = [
        f"# {md(profile.title)}",
        f"Profile {_link(profile.id, f'../catalogue/profiles.md#{slug(profile.id)}')} \u2014 source: "
        f"{md(profile.source)}.",
    ]
    if results is None:
        return _page(*blocks, _how_to_produce())
    own = [r for r in results["results"] if r["profile"] == profile.id]
    witnesses = [w for w in results["witnesses"] if w["profile"] == profile.id]
    if not own and not witnesses:
        return _page(*blocks, "The results document has no results for this profile.")
    rows = []
    for result in own:
        prop = result["property"]
        verdict = VERDICT_WORDS[result["verdict"]]
        if result["verdict"] == "violated" and result["trace"]:
            verdict = _link("violated", f"#{slug(prop)}")
        if result["verdict"] == "proved":
            backing = ", ".join(result["witnesses"])
            detail = f"for any number of entities; witnesses: {backing}" if backing else ""
        else:
            detail = result["detail"]
        rows.append(
            f"| {_link(prop, f'../catalogue/properties.md#{slug(prop)}')} | {verdict} | {md(detail)} |"
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
            _heading(3, result["property"], result["property"]),
            f"*{md(trace['statement'])}* \u2014 a shortest counterexample: "
            f"{_plural(len(trace['steps']), 'step')}."
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
        blocks += [_heading(3, witness["witness"], f"witness-{witness['witness']}"), f"*{md(statement)}*"]
        if not witness["applicable"]:
            when = catalogue.witnesses[witness["witness"]].when
            blocks.append(
                f"Does not apply to this profile: it needs {_conditions(when, '../catalogue/options.md')}."
            )
        elif witness["trace"] is None:
            blocks.append("**Not found**: no honest run reaches it within the search bound.")
        else:
            figure = _figure_path(profile.id, "witness", witness["witness"])
            figures[figure] = sequence_diagram(witness["trace"])
            blocks += _trace_block(
                catalogue, witness["trace"], figure, f"witness {witness['witness']} under {profile.id}"
            )
    return _page(*blocks)


# --- the site ---------------------------------------------------------------------------------------------


def site_pages(catalogue: Catalogue, results: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every generated page and figure, keyed by its path under ``docs/generated/`` (``/``-separated).

    Without ``results`` the result pages say how to produce them. Raises :class:`DocsError` if
    ``results`` is not a ``capifsec verify --json`` document about this catalogue.
    """
    if results is not None:
        check_results(catalogue, results)
    renderers: Mapping[str, Callable[[Catalogue], str]] = {
        "catalogue/properties.md": _properties_page,
        "catalogue/options.md": _options_page,
        "catalogue/profiles.md": _profiles_page,
        "catalogue/procedures.md": _procedures_page,
        "catalogue/checks.md": _checks_page,
        "catalogue/entities.md": _entities_page,
        "catalogue/witnesses.md": _witnesses_page,
        "catalogue/lemmas.md": _lemmas_page,
        "catalogue/vocabulary.md": _vocabulary_page,
        "contribution-names.md": _contribution_names_page,
    }
    pages = {path: render(catalogue) for path, render in renderers.items()}
    pages["results/index.md"] = _results_index(catalogue, results)
    for profile in catalogue.profiles.values():
        figures: dict[str, str] = {}
        pages[f"results/{slug(profile.id)}.md"] = _profile_results_page(catalogue, profile, results, figures)
        pages.update({f"results/{path}": svg for path, svg in figures.items()})
    return pages


def results_nav(catalogue: Catalogue) -> list[dict[str, str]]:
    """mkdocs nav entries for the per-profile result pages, in catalogue order."""
    return [{p.id: f"{GENERATED}/results/{slug(p.id)}.md"} for p in catalogue.profiles.values()]


def write_site(catalogue: Catalogue, results: Mapping[str, Any] | None, out_dir: Path) -> list[Path]:
    """Write :func:`site_pages` into ``out_dir`` (normally ``docs/generated``); returns the files written.

    ``out_dir`` is replaced as a whole, so no page of an earlier run survives; a non-empty folder that
    :func:`write_site` did not write is refused with :class:`DocsError`. Nothing is written when the
    results are refused.
    """
    pages = site_pages(catalogue, results)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise DocsError(f"{out_dir}: not a folder")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise DocsError(f"{out_dir}: not empty and not written by capifsec docs; refusing to replace it")
        shutil.rmtree(out_dir)
    written = []
    for relative, content in sorted(pages.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    (out_dir / MARKER).write_text(
        "written by capifsec docs; replaced as a whole on the next run\n", encoding="utf-8"
    )
    return written
