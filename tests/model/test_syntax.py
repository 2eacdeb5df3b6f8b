"""The formula language: parsing, printing back and sort checking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.syntax import (
    And,
    Atom,
    Eq,
    FormulaSyntaxError,
    Implies,
    Name,
    Not,
    Or,
    Quant,
    free_names,
    parse_formula,
    show,
)
from model.typecheck import FormulaTypeError, Vocabulary, typecheck

VOCABULARY = Vocabulary(
    sorts=frozenset({"ccf", "aef", "method"}),
    constants={"PSK": "method"},
    relations={"aef_at": ("aef", "ccf"), "supports": ("aef", "method"), "honest_ccf": ("ccf",)},
    definitions={},
)


def test_precedence() -> None:
    formula = parse_formula("forall a:aef, c:ccf. aef_at(a, c) & honest_ccf(c) | supports(a, PSK) -> a = a")
    assert isinstance(formula, Quant)
    body = formula.body
    assert isinstance(body, Implies)
    assert isinstance(body.left, Or)
    assert isinstance(body.left.parts[0], And)


def test_negated_equality_and_free_names() -> None:
    formula = parse_formula("c != d & aef_at(a, c)")
    assert isinstance(formula, And)
    assert formula.parts[0] == Not(Eq(Name("c"), Name("d")))
    assert free_names(formula) == {"a", "c", "d"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("aef_at(a, c", "expected ')'"),
        ("forall a aef. x", "expected ':'"),
        ("a $ b", "unexpected character '$'"),
        ("aef_at(a, c) aef_at(a, c)", "expected end of formula"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(FormulaSyntaxError) as problem:
        parse_formula(text)
    assert message in str(problem.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("aef_at(c, a)", "argument 1 of aef_at must be a aef"),
        ("nope(a)", "unknown relation 'nope'"),
        ("aef_at(a)", "takes 2 arguments"),
        ("a = c", "cannot be equal"),
        ("forall x:widget. true", "unknown sort 'widget'"),
        ("supports(a, PKX)", "unknown name 'PKX'"),
    ],
)
def test_type_errors(text: str, message: str) -> None:
    with pytest.raises(FormulaTypeError, match=message):
        typecheck(parse_formula(text), {"a": "aef", "c": "ccf"}, VOCABULARY)


NAMES = st.sampled_from(["a", "b", "c"])
ATOMS = st.builds(lambda r, x, y: Atom(r, (Name(x), Name(y))), st.sampled_from(["p", "q"]), NAMES, NAMES)
FORMULAS = st.recursive(
    ATOMS | st.builds(lambda x, y: Eq(Name(x), Name(y)), NAMES, NAMES),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(lambda xs: And(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda xs: Or(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(Implies, inner, inner),
        st.builds(lambda v, body: Quant(True, ((v, "s"),), body), NAMES, inner),
    ),
    max_leaves=8,
)


@given(FORMULAS)
def test_show_parses_back(formula: object) -> None:
    text = show(formula)  # type: ignore[arg-type]
    assert show(parse_formula(text)) == text
