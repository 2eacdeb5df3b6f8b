"""The pages about what the model talks about: the procedures and their actions, the entities, trust
domains and reference points, the vocabulary of formulas, and how each contribution letters the CCFs."""

from __future__ import annotations

from model.catalogue import Catalogue
from publish.formulas import formula_text
from publish.text import code_block, conditions_text, heading, link, md, page, slug, sources_line

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


def procedures_page(catalogue: Catalogue) -> str:
    """The procedures and, per action, its parties, parameters, conditions (with their checks) and effects."""
    blocks: list[str | None] = [
        "# Procedures and actions",
        "Each procedure is a sequence of actions; an action happens only when all its conditions hold "
        "and then changes the state as its effects say. A condition tied to a [check](checks.md) is what "
        "a counterexample reports as missing when the profile leaves it out. Placeholders in braces name "
        "the action's parameters.",
    ]
    for procedure in catalogue.procedures.values():
        blocks += [
            heading(2, procedure.title, procedure.id),
            md(procedure.text),
            sources_line(procedure.sources),
        ]
        for action in (a for a in catalogue.actions.values() if a.procedure == procedure.id):
            params = ", ".join(f"{md(name)} ({md(sort)})" for name, sort in action.params)
            guards = [
                f"- `{guard.source}`"
                + (
                    f" \u2014 check {link(guard.check, f'checks.md#{slug(guard.check)}')}"
                    if guard.check
                    else ""
                )
                + (f", only when {conditions_text(guard.when)}" if guard.when else "")
                for guard in action.guards
            ]
            effects = [
                f"- {'adds' if effect.insert else 'removes'} `{effect.relation}({', '.join(effect.pattern)})`"
                + (f" where `{formula_text(effect.where)}`" if effect.where else "")
                + (f", only when {conditions_text(effect.when)}" if effect.when else "")
                for effect in action.effects
            ]
            blocks += [
                heading(3, f"Action {action.id}", f"action-{action.id}"),
                f"*{md(action.text)}*",
                f"{'The attacker' if action.actor == 'attacker' else 'An honest party'}: "
                f"from {md(action.sender)} to {md(action.receiver)} over {md(action.via)}. "
                f"Parameters: {params}."
                + (f" Only when {conditions_text(action.when)}." if action.when else ""),
                sources_line(action.sources),
                "**Conditions:**\n\n" + "\n".join(guards) if guards else None,
                "**Effects:**\n\n" + "\n".join(effects) if effects else None,
            ]
    return page(*blocks)


def entities_page(catalogue: Catalogue) -> str:
    """The entities, the trust domains and the reference points with their protection."""
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
            sources_line(entity["sources"]),
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
    return page(*blocks)


def vocabulary_page(catalogue: Catalogue) -> str:
    """Sorts, enumerations, relations, definitions and axioms of the formula language."""
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
            (f"When {conditions_text(case.when)}:" if case.when else "Always:")
            + f" `{formula_text(case.formula)}`"
            for case in definition.cases
        ]
        blocks += [
            heading(3, f"{definition.id}({params})", f"definition-{definition.id}"),
            md(definition.text),
            "\n".join(f"- {c}" for c in cases),
        ]
    blocks.append("## Axioms {#axioms}")
    for axiom in catalogue.axioms.values():
        blocks += [
            heading(3, axiom.id, f"axiom-{axiom.id}"),
            md(axiom.text),
            code_block(formula_text(axiom.formula, block=True)),
        ]
    return page(*blocks)


def contribution_names_page(catalogue: Catalogue) -> str:
    """How each contribution letters the home CCF and the AEF's CCF, and its profiles."""
    rows = []
    for number, home, aefs_ccf, quote in CONTRIBUTION_LETTERS:
        profiles = [
            p.id for p in catalogue.profiles.values() if p.source.startswith(f"contribution {number}")
        ]
        links = ", ".join(link(p, f"catalogue/profiles.md#{slug(p)}") for p in profiles) or "none"
        rows.append(f"| {number} | {md(home)} | {md(aefs_ccf)} | {md(quote)} | {links} |")
    return page(
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
