"""The catalogue pages about what is verified: properties, design options, profiles, checks, witnesses
and lemmas, each with the clauses the catalogue cites."""

from __future__ import annotations

from model.catalogue import Catalogue, Profile
from publish.formulas import formula_text
from publish.text import code_block, conditions_text, heading, link, md, page, slug, sources_line


def _profiles_choosing(catalogue: Catalogue, option: str, value: str) -> str:
    chosen = [p.id for p in catalogue.profiles.values() if p.options[option] == value]
    return ", ".join(link(p, f"profiles.md#{slug(p)}") for p in chosen) or "none"


def properties_page(catalogue: Catalogue) -> str:
    """The properties: statement, sources, witnesses, formula, and the mutants that must break it."""
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
        witnesses = ", ".join(link(w, f"witnesses.md#{slug(w)}") for w in prop.witnesses)
        blocks += [
            heading(2, prop.id, prop.id),
            md(prop.statement),
            sources_line(prop.sources),
            f"**Witnesses:** {witnesses}" if witnesses else None,
            code_block(formula_text(prop.formula, block=True)),
        ]
        if mutants:
            blocks.append(
                "**Mutants that must break it:** "
                + "; ".join(
                    f"{md(m.id)} (profile {link(m.profile, f'profiles.md#{slug(m.profile)}')} without check "
                    f"{link(m.check, f'checks.md#{slug(m.check)}')})"
                    for m in mutants
                )
            )
    return page(*blocks)


def options_page(catalogue: Catalogue) -> str:
    """The design options: question, sources, and per value its meaning and the profiles that choose it."""
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
            heading(2, option.id, option.id),
            f"*{md(option.question)}*",
            f"Acted on by {scope[option.scope]}. {sources_line(option.sources)}",
            "| value | meaning | profiles |\n|---|---|---|\n" + "\n".join(rows),
        ]
    return page(*blocks)


def _profile_section(catalogue: Catalogue, profile: Profile) -> list[str | None]:
    parent = catalogue.profiles[profile.extends] if profile.extends else None
    rows = []
    for option in catalogue.options.values():
        value = profile.options[option.id]
        text = next(v.text for v in option.values if v.id == value)
        inherited = " (inherited)" if parent and parent.options[option.id] == value else ""
        rows.append(
            f"| {link(option.id, f'options.md#{slug(option.id)}')} | `{value}`{inherited} | {md(text)} |"
        )
    readings = [f"- **{md(r.option)}**: {md(r.text)}" for r in profile.readings]
    extends = f" Extends {link(parent.id, f'#{slug(parent.id)}')}." if parent else ""
    return [
        heading(2, profile.id, profile.id),
        f"**{md(profile.title)}**",
        f"Source: {md(profile.source)}.{extends} Results: "
        + link(f"{profile.id} results", f"../results/{slug(profile.id)}.md"),
        "| option | value | meaning |\n|---|---|---|\n" + "\n".join(rows),
        "**Readings** (where the text leaves a choice open):\n\n" + "\n".join(readings) if readings else None,
    ]


def profiles_page(catalogue: Catalogue) -> str:
    """The profiles: every option's value (inherited or not) and the readings a profile takes."""
    blocks: list[str | None] = [
        "# Profiles",
        "A profile is a named value for every [design option](options.md): one per contribution as "
        "literally written, the TS 33.122 Rel-18 baseline, the behaviour observed in ETSI OpenCAPIF, and "
        "`recommended`. Where a text leaves a choice open, the profile's readings say which reading it "
        "takes and why.",
    ]
    for profile in catalogue.profiles.values():
        blocks += _profile_section(catalogue, profile)
    return page(*blocks)


def checks_page(catalogue: Catalogue) -> str:
    """The checks: what each requires, the actions that check it, the mutants that remove it."""
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
            link(action.id, f"procedures.md#action-{slug(action.id)}")
            + (f" (only when {conditions_text(guard.when)})" if guard.when else "")
            for action, guard in uses
        ]
        mutants = [m.id for m in catalogue.mutants.values() if m.check == check.id]
        blocks += [
            heading(2, check.id, check.id),
            md(check.text[0].upper() + check.text[1:]) + ".",
            sources_line(check.sources),
            "**Checked by:** " + "; ".join(used) if used else None,
            "**Removed by the mutants:** " + ", ".join(md(m) for m in mutants) if mutants else None,
        ]
    return page(*blocks)


def witnesses_page(catalogue: Catalogue) -> str:
    """The witnesses: goal, where each applies, and the properties it backs."""
    blocks: list[str | None] = [
        "# Witnesses",
        "A witness is a run of honest parties only that reaches a goal: for each method and deployment, "
        "an honest, authorized invoker completes the procedure and invokes the API. A property proved "
        "where none of its witnesses exists proves nothing and is reported as *no witness*.",
    ]
    for witness in catalogue.witnesses.values():
        users = [p.id for p in catalogue.properties.values() if witness.id in p.witnesses]
        blocks += [
            heading(2, witness.id, witness.id),
            md(witness.statement),
            f"Applies only when {conditions_text(witness.when)}."
            if witness.when
            else "Applies to every profile.",
            code_block(formula_text(witness.goal, block=True)),
            "**Backs the properties:** " + ", ".join(link(p, f"properties.md#{slug(p)}") for p in users)
            if users
            else None,
        ]
    return page(*blocks)


def lemmas_page(catalogue: Catalogue) -> str:
    """The lemmas the proofs may use, with their formulas."""
    blocks = [
        "# Lemmas",
        "Lemmas are facts about CAPIF that help the proofs. The prover keeps, per profile, only those that "
        "hold in every reachable state, so a lemma never makes a false property look proved.",
    ]
    for lemma in catalogue.lemmas.values():
        blocks += [
            heading(2, lemma.id, lemma.id),
            md(lemma.text[0].upper() + lemma.text[1:]) + ".",
            code_block(formula_text(lemma.formula, block=True)),
        ]
    return page(*blocks)
