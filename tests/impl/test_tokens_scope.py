"""Scope syntaxes of TS 33.122 Annex C and TS 29.222 clause 8.5.2: round trips and strict errors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl.tokens import ScopeEntry, ScopeSyntax, ScopeSyntaxError, format_scope, parse_scope
from impl.tokens.scope import scope_grants

NAME_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":;,#")
NAMES = st.text(NAME_CHARS, min_size=1, max_size=12)
ENTRIES = st.lists(
    st.builds(ScopeEntry, NAMES, st.lists(NAMES, min_size=1, max_size=4, unique=True).map(tuple)),
    min_size=1,
    max_size=4,
    unique_by=lambda entry: entry.aef_id,
)

TWO_ENTRIES = (ScopeEntry("AEF1", ("Svc1", "Svc2")), ScopeEntry("AEF2", ("Svc3",)))


def test_ts33122_syntax_as_in_annex_c() -> None:
    assert format_scope(TWO_ENTRIES, ScopeSyntax.TS33122) == "AEF1:Svc1,Svc2;AEF2:Svc3"
    assert parse_scope("AEF1:Svc1,Svc2;AEF2:Svc3", ScopeSyntax.TS33122) == TWO_ENTRIES


def test_ts29222_syntax_with_3gpp_prefix() -> None:
    assert format_scope(TWO_ENTRIES, ScopeSyntax.TS29222) == "3gpp#AEF1:Svc1,Svc2;AEF2:Svc3"
    assert parse_scope("3gpp#AEF1:Svc1,Svc2;AEF2:Svc3", ScopeSyntax.TS29222) == TWO_ENTRIES


def test_opencapif_sample_scope_parses() -> None:
    scope = "3gpp#AEF9a8856d9b5bf2a58914311046e0e61:3gpp-monitoring-event"
    assert parse_scope(scope, ScopeSyntax.TS29222) == (
        ScopeEntry("AEF9a8856d9b5bf2a58914311046e0e61", ("3gpp-monitoring-event",)),
    )


@given(ENTRIES, st.sampled_from(ScopeSyntax))
def test_format_then_parse_is_identity(entries: list[ScopeEntry], syntax: ScopeSyntax) -> None:
    assert parse_scope(format_scope(entries, syntax), syntax) == tuple(entries)


@pytest.mark.parametrize(
    ("text", "syntax"),
    [
        ("", ScopeSyntax.TS33122),
        ("3gpp#", ScopeSyntax.TS29222),
        ("AEF1:Svc1", ScopeSyntax.TS29222),  # prefix missing
        ("3gpp#AEF1:Svc1", ScopeSyntax.TS33122),  # prefix where none belongs
        ("AEF1", ScopeSyntax.TS33122),  # no colon
        ("AEF1:", ScopeSyntax.TS33122),  # no API
        (":Svc1", ScopeSyntax.TS33122),  # no aefId
        ("AEF1:Svc1,", ScopeSyntax.TS33122),  # empty API name
        ("AEF1:Svc1,,Svc2", ScopeSyntax.TS33122),
        ("AEF1:Svc1;", ScopeSyntax.TS33122),  # trailing separator
        (";AEF1:Svc1", ScopeSyntax.TS33122),
        ("AEF1:Svc1;AEF1:Svc2", ScopeSyntax.TS33122),  # aefId repeated
        ("AEF1:Svc1,Svc1", ScopeSyntax.TS33122),  # API repeated
        ("AEF1:Svc 1", ScopeSyntax.TS33122),  # whitespace
        (" AEF1:Svc1", ScopeSyntax.TS33122),
        ("AEF1:Svc1:Svc2", ScopeSyntax.TS33122),  # colon inside a name
        ("AEF1:Svc\u00e91", ScopeSyntax.TS33122),  # non-ASCII
        ("AEF1:Svc1\n", ScopeSyntax.TS33122),
        ("3gpp#3gpp#AEF1:Svc1", ScopeSyntax.TS29222),
    ],
)
def test_malformed_scope_is_refused(text: str, syntax: ScopeSyntax) -> None:
    with pytest.raises(ScopeSyntaxError):
        parse_scope(text, syntax)


@pytest.mark.parametrize(
    ("aef_id", "api_names"),
    [("", ("a",)), ("AEF1", ()), ("AEF1", ("",)), ("AEF;1", ("a",)), ("AEF1", ("a", "a")), ("A B", ("a",))],
)
def test_malformed_entry_is_refused(aef_id: str, api_names: tuple[str, ...]) -> None:
    with pytest.raises(ScopeSyntaxError):
        ScopeEntry(aef_id, api_names)


def test_formatting_refuses_empty_scope_and_repeated_aef() -> None:
    with pytest.raises(ScopeSyntaxError):
        format_scope([], ScopeSyntax.TS29222)
    with pytest.raises(ScopeSyntaxError):
        format_scope([ScopeEntry("AEF1", ("a",)), ScopeEntry("AEF1", ("b",))], ScopeSyntax.TS29222)


def test_scope_grants_checks_aef_and_api_together() -> None:
    assert scope_grants(TWO_ENTRIES, "AEF1", "Svc2")
    assert not scope_grants(TWO_ENTRIES, "AEF1", "Svc3")  # Svc3 is granted on AEF2 only
    assert not scope_grants(TWO_ENTRIES, "AEF3", "Svc1")
    assert scope_grants(TWO_ENTRIES, None, "Svc3")  # API-only check
    assert not scope_grants(TWO_ENTRIES, None, "Svc4")
