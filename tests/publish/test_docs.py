"""The documentation site: pages generated from the catalogue and from real verification results, the
SVG sequence diagrams of their traces, and a strict mkdocs build of the whole site without a network."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from model.catalogue import Catalogue
from model.syntax import Formula, parse_formula
from publish import (
    MARKER,
    DocsError,
    check_results,
    contribution_text,
    formula_text,
    md,
    read_results,
    site_pages,
    slug,
    write_site,
)
from publish.figures import HOSTILE_STROKE, FigureError, sequence_diagram
from publish.fixes import check_fixes, fixes_of, fixes_sentence, fixes_words, space_alternatives

from .conftest import OWNED_ELSEWHERE, ROOT, SPEC, build_site

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def pages(catalogue: Catalogue, results: dict[str, Any], fixes: dict[str, Any]) -> dict[str, str]:
    return site_pages(catalogue, results, fixes)


def _anchors(page: str) -> set[str]:
    return set(re.findall(r"\{#([^}\s]+)\}", page))


def _counterexample(results: dict[str, Any], profile: str, prop: str) -> dict[str, Any]:
    entry = next(r for r in results["results"] if r["profile"] == profile and r["property"] == prop)
    assert entry["verdict"] == "violated" and entry["trace"] is not None
    trace: dict[str, Any] = entry["trace"]
    return trace


# --- catalogue pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "section"),
    [
        ("catalogue/properties.md", "properties"),
        ("catalogue/options.md", "options"),
        ("catalogue/profiles.md", "profiles"),
        ("catalogue/checks.md", "checks"),
        ("catalogue/witnesses.md", "witnesses"),
        ("catalogue/lemmas.md", "lemmas"),
        ("catalogue/procedures.md", "procedures"),
    ],
)
def test_every_catalogue_entry_has_its_section(catalogue: Catalogue, page: str, section: str) -> None:
    entries = getattr(catalogue, section)
    assert entries
    assert {slug(entry) for entry in entries} <= _anchors(site_pages(catalogue)[page])


def test_every_action_and_reference_point_is_documented(catalogue: Catalogue) -> None:
    generated = site_pages(catalogue)
    assert {f"action-{slug(a)}" for a in catalogue.actions} <= _anchors(generated["catalogue/procedures.md"])
    entities = generated["catalogue/entities.md"]
    for point in catalogue.documents["reference-points"]:
        assert f"| {point['id']} |" in entities


def test_profiles_page_lists_every_option_value_and_reading(catalogue: Catalogue) -> None:
    page = site_pages(catalogue)["catalogue/profiles.md"]
    sections = re.split(r"^## ", page, flags=re.MULTILINE)
    for profile in catalogue.profiles.values():
        section = next(s for s in sections if s.startswith(f"{profile.id} {{#"))
        for option, value in profile.options.items():
            assert re.search(
                rf"\[{re.escape(option)}\]\(options\.md#{re.escape(option)}\) \| `{value}`", section
            )
        assert len(re.findall(r"^- \*\*", section, flags=re.MULTILINE)) == len(profile.readings)


def test_contribution_names_map_letters_to_roles(catalogue: Catalogue) -> None:
    page = site_pages(catalogue)["contribution-names.md"]
    rows = {
        cells[1].strip(): cells for cells in (line.split("|") for line in page.splitlines()) if len(cells) > 5
    }
    assert (rows["000"][2].strip(), rows["000"][3].strip()) == ("CCF-A", "CCF-B")
    assert rows["001"][2].startswith(" CCF-B") and rows["001"][3].startswith(" CCF-A")
    assert (rows["002"][2].strip(), rows["002"][3].strip()) == ("CCF-B", "CCF-A")
    assert "ki2-conclusion" in rows["000"][5] and "cr-interconnect" in rows["001"][5]


def _catalogue_formulas(catalogue: Catalogue) -> list[Formula]:
    formulas = [p.formula for p in catalogue.properties.values()]
    formulas += [w.goal for w in catalogue.witnesses.values()] + [
        m.formula for m in catalogue.lemmas.values()
    ]
    formulas += [a.formula for a in catalogue.axioms.values()]
    formulas += [case.formula for d in catalogue.definitions.values() for case in d.cases]
    for action in catalogue.actions.values():
        formulas += [guard.formula for guard in action.guards]
        formulas += [effect.where for effect in action.effects if effect.where is not None]
    return formulas


def test_formulas_print_back_to_themselves(catalogue: Catalogue) -> None:
    formulas = _catalogue_formulas(catalogue)
    assert len(formulas) > 100
    for formula in formulas:
        assert parse_formula(formula_text(formula)) == formula
        assert parse_formula(formula_text(formula, block=True)) == formula
    nested = parse_formula("!(a = b | c(x)) & (p(x) -> q(x)) -> (forall y:s. r(y)) | (e <-> f)")
    assert parse_formula(formula_text(nested)) == nested


# --- result pages --------------------------------------------------------------------------------------


def test_results_table_has_every_property_and_profile(catalogue: Catalogue, pages: dict[str, str]) -> None:
    table = pages["results/index.md"]
    header = next(line for line in table.splitlines() if line.startswith("| property |"))
    assert (
        "[opencapif-observed](opencapif-observed.md)" in header and "[sol2-capif8](sol2-capif8.md)" in header
    )
    for prop in catalogue.properties:
        assert f"| [{prop}](../catalogue/properties.md#{prop}) |" in table
    assert (
        '<span class="verdict verdict-violated">[violated (4)](opencapif-observed.md#token-subject)</span>'
        in table
    )
    assert '<span class="verdict verdict-no-witness">no witness</span>' in table


def test_every_proved_cell_says_why_it_holds(results: dict[str, Any], pages: dict[str, str]) -> None:
    """Each proved cell links to its certificate, one numbered sentence per clause, in the domain's words."""
    proved = [r for r in results["results"] if r["verdict"] == "proved"]
    assert proved
    for result in proved:
        page = pages[f"results/{result['profile']}.md"]
        prop = result["property"]
        assert f"why-{prop}" in _anchors(page) and f"](#why-{prop})" in page
        section = page.split(f"{{#why-{prop}}}")[1].split("\n#")[0]
        assert len(re.findall(r"^\d+\. ", section, flags=re.MULTILINE)) == len(result["invariant"])
    page = pages["results/sol2-capif8.md"]
    assert "For every aef-1" in page and "follows its procedures" in page


def test_every_counterexample_has_steps_figure_and_contribution_text(
    results: dict[str, Any], pages: dict[str, str]
) -> None:
    violated = [r for r in results["results"] if r["verdict"] == "violated"]
    assert len(violated) >= 3
    for result in violated:
        page = pages[f"results/{result['profile']}.md"]
        prop = result["property"]
        assert prop in _anchors(page) and f"contribution-{prop}" in _anchors(page)
        figure = f"{result['profile']}/counterexample-{prop}.svg"
        assert f"]({figure})" in page
        root = ET.fromstring(pages[f"results/{figure}"].encode("utf-8"))
        assert root.tag == f"{SVG}svg" and root.get("version") == "1.1"
        plain = {f"{SVG}{tag}" for tag in ("svg", "title", "rect", "line", "polyline", "polygon", "text")}
        assert {element.tag for element in root.iter()} <= plain
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert f"Violates {prop}" in texts
        for step in result["trace"]["steps"]:
            assert f"{step['n']}. " in texts


def test_every_found_witness_has_a_figure(results: dict[str, Any], pages: dict[str, str]) -> None:
    found = [w for w in results["witnesses"] if w["found"]]
    assert len(found) >= 4
    for witness in found:
        figure = f"results/{witness['profile']}/witness-{witness['witness']}.svg"
        texts = " ".join(t.text or "" for t in ET.fromstring(pages[figure]).iter(f"{SVG}text"))
        assert "Witness reached" in texts
    unfound = [w for w in results["witnesses"] if w["applicable"] and not w["found"]]
    for witness in unfound:
        assert "**Not found**" in pages[f"results/{witness['profile']}.md"]


def test_contribution_text_names_the_check_that_stops_the_attack(
    catalogue: Catalogue, results: dict[str, Any]
) -> None:
    trace = _counterexample(results, "opencapif-observed", "token-subject")
    paragraphs = contribution_text(catalogue, trace)
    text = "\n".join(paragraphs)
    assert catalogue.checks["token-client-binding"].text in text
    assert "\u201cunbound\u201d" in text and catalogue.profiles["opencapif-observed"].source in text
    assert [p for p in paragraphs if re.match(r"\d+\) ", p)] == [
        p for p in paragraphs if any(p.startswith(f"{s['n']}) {s['text']}") for s in trace["steps"])
    ]
    assert sum(bool(re.match(r"\d+\) ", p)) for p in paragraphs) == len(trace["steps"])


def test_contribution_text_states_overrides_and_removed_checks(
    catalogue: Catalogue, results: dict[str, Any]
) -> None:
    trace = copy.deepcopy(_counterexample(results, "opencapif-observed", "token-subject"))
    assert "as written" in contribution_text(catalogue, trace)[0]
    trace["options"]["token-claims"] = "ts29222"
    trace["mutant"] = [{"check": "aef-checks-scope", "action": None}]
    first = contribution_text(catalogue, trace)[0]
    assert "changed: token-claims = ts29222; check aef-checks-scope removed" in first
    assert "as written" not in first


def test_without_results_the_pages_say_how_to_produce_them(catalogue: Catalogue) -> None:
    generated = site_pages(catalogue)
    for path in ["results/index.md", "results/fixes.md", *(f"results/{p}.md" for p in catalogue.profiles)]:
        assert "capifsec check" in generated[path] and "capifsec docs" in generated[path]
    assert not [path for path in generated if path.endswith(".svg")]


def test_every_counterexample_shows_its_computed_fixes(
    catalogue: Catalogue, results: dict[str, Any], fixes: dict[str, Any], pages: dict[str, str]
) -> None:
    violated = [r for r in results["results"] if r["verdict"] == "violated"]
    assert {(r["profile"], r["property"]) for r in violated} <= {
        (cell["profile"], cell["property"]) for cell in fixes["fixes"]
    }
    for result in violated:
        cell = fixes_of(fixes, result["profile"], result["property"])
        assert cell is not None and cell["minimal_fixes"]
        page = pages[f"results/{result['profile']}.md"]
        section = page.split(f"{{#{result['property']}}}", 1)[1].split("\n### ", 1)[0]
        for fix in cell["minimal_fixes"]:
            words = " and ".join(
                f"[{option}](../catalogue/options.md#{option}) = `{value}`" for option, value in fix.items()
            )
            assert f"- {words}" in section
        paragraphs = contribution_text(catalogue, result["trace"], cell)
        assert paragraphs[-1] == fixes_sentence(catalogue, cell)
        assert f"> {md(paragraphs[-1])}" in section
        assert md(fixes_words(cell).split("; or ")[0].split(" and ")[0]) in pages["results/fixes.md"].replace(
            "`", ""
        )


def test_fixes_page_has_the_design_space_of_each_property_searched(
    fixes: dict[str, Any], pages: dict[str, str]
) -> None:
    page = pages["results/fixes.md"]
    section = page.split("## Design space of each property", 1)[1]
    for entry in fixes["design_space"]:
        row = next(line for line in section.splitlines() if line.startswith(f"| [{entry['property']}]"))
        for words in space_alternatives(entry):
            assert md(words) in row
    assert "aef-scope-check = aef-and-api" in section.replace("\\", "")


def test_fixes_sentence_names_every_fix_or_says_there_is_none(catalogue: Catalogue) -> None:
    cell = {
        "profile": "sol13-psk",
        "property": "revocation",
        "verdict": "violated",
        "minimal_fixes": [
            {"home-ccf-resolution": "resolved-from-invoker-id", "revocation-propagation": "capif6-notify"},
            {"home-ccf-resolution": "invoker-supplied-validated", "revocation-propagation": "capif6-notify"},
        ],
        "searched_up_to": 4,
    }
    sentence = fixes_sentence(catalogue, cell)
    assert "one of these 2 minimal ways" in sentence
    assert sentence.count("revocation-propagation = capif6-notify") == 2
    assert "home-ccf-resolution = resolved-from-invoker-id (the AEF's CCF resolves" in sentence
    cell["minimal_fixes"] = []
    assert "No set of up to 4 option changes" in fixes_sentence(catalogue, cell)


def test_malformed_fixes_are_refused(catalogue: Catalogue, fixes: dict[str, Any]) -> None:
    broken = copy.deepcopy(fixes)
    broken["fixes"][0]["minimal_fixes"] = [{"token-claims": "jwt"}]
    with pytest.raises(DocsError, match="unknown option value token-claims = jwt"):
        check_fixes(catalogue, broken)
    broken = copy.deepcopy(fixes)
    broken["fixes"][0]["profile"] = "nope"
    with pytest.raises(DocsError, match="unknown profile or property"):
        site_pages(catalogue, None, broken)
    broken = copy.deepcopy(fixes)
    broken["design_space"][0]["minimal_conditions"][0]["values"] = {"aef-scope-check": "maybe"}
    with pytest.raises(DocsError, match="design_space/0: unknown option value aef-scope-check = maybe"):
        check_fixes(catalogue, broken)
    broken["design_space"][0]["property"] = "nope"
    with pytest.raises(DocsError, match="design_space/0: unknown property 'nope'"):
        check_fixes(catalogue, broken)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: r["results"][0].update(profile="no-such-profile"), "unknown profile 'no-such-profile'"),
        (lambda r: r["results"][0].update(property="no-such-property"), "unknown property"),
        (lambda r: r["results"][0].update(verdict="maybe"), "results/0/verdict"),
        (lambda r: r.pop("witnesses"), "'witnesses' is a required property"),
        (lambda r: r["witnesses"][0].update(witness="nobody"), "unknown profile or witness"),
        (lambda r: r["results"][0].update(invariant=["forall a:aef. !("]), "results/0/invariant/0"),
    ],
)
def test_malformed_results_are_refused(
    catalogue: Catalogue, results: dict[str, Any], damage: Any, message: str
) -> None:
    broken = copy.deepcopy(results)
    damage(broken)
    with pytest.raises(DocsError, match=re.escape(message)):
        check_results(catalogue, broken)


def test_malformed_trace_in_results_is_refused(catalogue: Catalogue, results: dict[str, Any]) -> None:
    broken = copy.deepcopy(results)
    entry = next(r for r in broken["results"] if r["trace"] is not None)
    del entry["trace"]["steps"][0]["via"]
    with pytest.raises(DocsError, match="'via' is a required property"):
        site_pages(catalogue, broken)


def test_results_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DocsError, match="not JSON"):
        read_results(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(DocsError, match="expected a JSON object"):
        read_results(path)
    with pytest.raises(DocsError, match="cannot read"):
        read_results(tmp_path / "missing.json")


def test_write_site_replaces_only_a_folder_it_wrote(catalogue: Catalogue, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    written = write_site(catalogue, None, out)
    assert (out / MARKER).exists() and (out / "catalogue" / "properties.md") in written
    (out / "stale.md").write_text("# left over\n", encoding="utf-8")
    write_site(catalogue, None, out)
    assert not (out / "stale.md").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.md").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(DocsError, match="refusing to replace"):
        write_site(catalogue, None, foreign)
    assert (foreign / "notes.md").read_text(encoding="utf-8") == "keep me\n"


# --- figures -------------------------------------------------------------------------------------------


def test_figure_is_deterministic_and_escapes_text(results: dict[str, Any]) -> None:
    trace = copy.deepcopy(_counterexample(results, "opencapif-observed", "token-subject"))
    hostile_text = "<script>alert('x')</script> & \"quoted\" \x01 ]]>"
    trace["steps"][0]["text"] = hostile_text
    figure = sequence_diagram(trace)
    assert figure == sequence_diagram(copy.deepcopy(trace))
    assert "<script>" not in figure
    texts = " ".join(t.text or "" for t in ET.fromstring(figure.encode("utf-8")).iter(f"{SVG}text"))
    assert "<script>alert('x')</script>" in texts and '"quoted"' in texts and "\ufffd" in texts


def test_figure_marks_missing_checks_and_attacker_controlled_parties(results: dict[str, Any]) -> None:
    trace = _counterexample(results, "opencapif-observed", "token-subject")
    root = ET.fromstring(sequence_diagram(trace).encode("utf-8"))
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    missing = [
        t for text, t in texts.items() if text and text.startswith("not checked: token-client-binding")
    ]
    assert missing and all(t.get("fill") == HOSTILE_STROKE for t in missing)
    parties = {name for step in trace["steps"] for name in (step["from"], step["to"])}
    headers = [t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold" and t.text in parties]
    assert len(headers) == len(parties)
    dishonest = {
        e["id"] for kind in ("ccfs", "aefs", "invokers") for e in trace["topology"][kind] if not e["honest"]
    }
    assert (dishonest & parties) and "(attacker-controlled)" in texts
    lifelines = [line for line in root.iter(f"{SVG}line") if line.get("x1") == line.get("x2")]
    hostile = [line for line in lifelines if line.get("stroke") == HOSTILE_STROKE]
    assert len(lifelines) == len(parties)
    assert len(hostile) == len(dishonest & parties) + ("attacker" in parties)
    red_arrows = [
        line
        for line in root.iter(f"{SVG}line")
        if line not in lifelines and line.get("stroke") == HOSTILE_STROKE
    ]
    assert len(red_arrows) == sum(bool(step["checks_missing"]) for step in trace["steps"])


def test_figure_draws_self_steps_and_empty_runs(results: dict[str, Any]) -> None:
    trace = copy.deepcopy(_counterexample(results, "opencapif-observed", "token-subject"))
    trace["steps"][0]["to"] = trace["steps"][0]["from"]
    root = ET.fromstring(sequence_diagram(trace).encode("utf-8"))
    assert len(list(root.iter(f"{SVG}polyline"))) == 1
    assert len(list(root.iter(f"{SVG}polygon"))) == len(trace["steps"])
    trace["steps"] = []
    root = ET.fromstring(sequence_diagram(trace).encode("utf-8"))
    assert not list(root.iter(f"{SVG}line"))


def test_figure_refuses_what_is_not_a_trace() -> None:
    with pytest.raises(FigureError, match="not a capifsec trace"):
        sequence_diagram({"steps": []})


# --- hand-written pages and the mkdocs build -------------------------------------------------------------


def test_trace_format_page_describes_every_field() -> None:
    schema = json.loads((SPEC / "schema" / "trace.schema.json").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")

    def names(node: dict[str, Any]) -> set[str]:
        found = set(node.get("properties", {}))
        for child in node.get("properties", {}).values():
            found |= names(child) | names(child.get("items", {}))
        return found

    assert names(schema) - set(re.findall(r"`([a-z_]+)`", page)) == set()
    example = re.search(r"```json\n(.*?)```", page, flags=re.DOTALL)
    assert example is not None
    jsonschema.validate(json.loads(example.group(1)), schema)


def test_nav_names_only_pages_that_exist(catalogue: Catalogue) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def paths(nav: Any) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [p for item in nav for p in paths(item)]
        return [p for value in nav.values() for p in paths(value)]

    generated = {f"generated/{path}" for path in site_pages(catalogue)}
    for path in paths(config["nav"]):
        assert path in generated or (ROOT / "docs" / path).exists() or path in OWNED_ELSEWHERE, path


def _external_resources(site: Path) -> list[str]:
    pattern = re.compile(r"<(?:script|img|link)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]*\"")
    return [m.group(0) for page in site.rglob("*.html") for m in pattern.finditer(page.read_text("utf-8"))]


def test_site_builds_strictly_with_results(
    catalogue: Catalogue, results: dict[str, Any], fixes: dict[str, Any], tmp_path: Path
) -> None:
    marked_up = copy.deepcopy(results)
    trace = _counterexample(marked_up, "opencapif-observed", "token-subject")
    trace["steps"][0]["text"] = "<b>bold</b> *not italic* [link](http://example.invalid) {#anchor} | x_y_z"
    site = build_site(tmp_path, marked_up, catalogue, fixes)
    page = (site / "generated" / "results" / "opencapif-observed" / "index.html").read_text("utf-8")
    assert "For your contribution" in page and "Minimal fixes" in page
    assert (
        page.count("&lt;b&gt;bold&lt;/b&gt; *not italic* [link](http://example.invalid) {#anchor} | x_y_z")
        == 2
    )
    assert "<b>bold</b>" not in page and 'href="http://example.invalid"' not in page
    images = [
        (html, source)
        for html in site.rglob("*.html")
        for source in re.findall(r'<img [^>]*src="([^"]+)"', html.read_text("utf-8"))
    ]
    assert len(images) == len([path for path in site.rglob("*.svg") if "generated" in path.parts])
    assert all((html.parent / source).resolve().is_file() for html, source in images)
    assert _external_resources(site) == []


def test_site_builds_strictly_from_the_catalogue_alone(catalogue: Catalogue, tmp_path: Path) -> None:
    site = build_site(tmp_path, None, catalogue)
    for profile in catalogue.profiles:
        assert (site / "generated" / "results" / profile / "index.html").exists()
    properties = (site / "generated" / "catalogue" / "properties" / "index.html").read_text("utf-8")
    assert all(f'id="{prop}"' in properties for prop in catalogue.properties)
    assert _external_resources(site) == []
