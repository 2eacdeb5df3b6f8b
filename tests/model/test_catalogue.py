"""Loading the catalogue: the shipped one is consistent; a malformed entry gives a clear error that
names the file, the entry and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from model.catalogue import Catalogue, CatalogueError, load_catalogue
from model.verify import ProfileVerifier, Verdict

from .conftest import SPEC


def test_shipped_catalogue(catalogue: Catalogue) -> None:
    assert len(catalogue.properties) == 17
    assert {"recommended", "ts33122-rel18", "opencapif-observed"} <= set(catalogue.profiles)
    for prop in catalogue.properties.values():
        assert prop.statement and prop.sources and prop.witnesses


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    target = tmp_path / "spec"
    shutil.copytree(SPEC, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        pytest.param(
            "properties.yaml",
            "tok_accepted(a, t, x) -> tok_scope(t, a, x)",
            "tok_accepted(a, t, x) -> tok_scoop(t, a, x)",
            ["properties.yaml", "token-scope", "formula", "unknown relation 'tok_scoop'"],
            id="unknown-relation",
        ),
        pytest.param(
            "properties.yaml",
            "tok_accepted(a, t, x) -> tok_scope(t, a, x)",
            "tok_accepted(a, t, x) -> tok_scope(a, t, x)",
            ["token-scope", "argument 1 of tok_scope must be a token"],
            id="wrong-sort",
        ),
        pytest.param(
            "properties.yaml",
            "tok_accepted(a, t, x) -> tok_scope(t, a, x)",
            "tok_accepted(a, t, x) -> (tok_scope(t, a, x)",
            ["token-scope", "formula", "expected ')'"],
            id="syntax",
        ),
        pytest.param(
            "profiles.yaml",
            "      token-client-binding: unbound",
            "      token-client-binding: sometimes",
            ["profiles.yaml", "opencapif-observed", "options", "sometimes"],
            id="unknown-option-value",
        ),
        pytest.param(
            "actions/tokens.yaml",
            "check: token-client-binding,",
            "check: token-client-bindin,",
            ["actions/tokens.yaml", "token-request", "requires", "unknown check 'token-client-bindin'"],
            id="unknown-check",
        ),
        pytest.param(
            "mutants.yaml",
            "breaks: token-scope",
            "breaks: token-scop",
            ["mutants.yaml", "aef-skips-scope", "breaks", "unknown property"],
            id="unknown-property",
        ),
        pytest.param(
            "properties.yaml",
            "  - id: provider-policy\n",
            "  - id: provider-policy\n    colour: blue\n",
            ["properties.yaml", "provider-policy", "Additional properties"],
            id="unknown-field",
        ),
        pytest.param(
            "witnesses.yaml",
            "  - id: pki-one-provider",
            "  - id: psk-one-provider",
            ["witnesses.yaml", "psk-one-provider", "duplicate id"],
            id="duplicate-id",
        ),
    ],
)
def test_malformed_entry(spec_copy: Path, file: str, old: str, new: str, expected: list[str]) -> None:
    _edit(spec_copy / file, old, new)
    with pytest.raises(CatalogueError) as problem:
        load_catalogue(spec_copy)
    for fragment in expected:
        assert fragment in str(problem.value)


def test_not_yaml(spec_copy: Path) -> None:
    (spec_copy / "extra.yaml").write_text("properties: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"extra\.yaml: not valid YAML"):
        load_catalogue(spec_copy)


def test_a_user_adds_a_property_by_data(spec_copy: Path) -> None:
    (spec_copy / "mine.yaml").write_text(
        "properties:\n"
        "  - id: onboarded-before-token\n"
        "    statement: An honest CCF signs tokens only for onboarded invokers.\n"
        '    sources: ["TS 33.122 clause 6.5.2.3"]\n'
        '    formula: "forall t:token, c:ccf, j:invoker.'
        ' honest_ccf(c) & tok_sig(t, c) & tok_req(t, j) -> onboarded(j) | revoked(j)"\n'
        "    witnesses: [oauth-one-provider]\n",
        encoding="utf-8",
    )
    catalogue = load_catalogue(spec_copy)
    report = ProfileVerifier(catalogue, "ts33122-rel18").run(["onboarded-before-token"])
    assert [r.verdict for r in report.properties] == [Verdict.PROVED]


def test_definition_cases_cover_every_option_value(spec_copy: Path) -> None:
    _edit(
        spec_copy / "options.yaml",
        "      - id: api-only\n",
        "      - id: api-prefix-only\n        text: x\n      - id: api-only\n",
    )
    with pytest.raises(CatalogueError) as problem:
        load_catalogue(spec_copy)
    assert "scope_ok" in str(problem.value) and "no case for aef-scope-check = api-prefix-only" in str(
        problem.value
    )


def test_a_quantifier_alternation_cycle_is_refused_at_load_time(spec_copy: Path) -> None:
    """``forall c:ccf. exists i:invoker`` with the axiom ``forall i:invoker. exists c:ccf`` (every invoker
    has a home) makes Skolem terms without end: outside the fragment where the proofs are complete."""
    lemmas = spec_copy / "lemmas.yaml"
    lemmas.write_text(
        lemmas.read_text(encoding="utf-8")
        + "  - id: every-ccf-has-an-invoker\n"
        + "    text: every CCF has an onboarded invoker\n"
        + '    formula: "forall c:ccf. exists i:invoker. home(i, c)"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as error:
        load_catalogue(spec_copy)
    message = str(error.value)
    assert "quantifier alternations cycle through the sorts" in message
    assert "lemmas entry 'every-ccf-has-an-invoker'" in message and "axioms entry 'home-exists'" in message
