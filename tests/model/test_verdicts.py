"""The expected-verdict table: every profile x property cell, parametrised by name.

P proved, V violated (with a shortest counterexample), W no-witness, U unproved. The table is what
the model computes; docs/findings.md explains each violation in one sentence. A change to a cell is
a change of the model's meaning and must be reviewed as such. The table holds with the catalogue's
lemmas as hints and with no lemma at all (every invariant inferred): no verdict depends on a lemma.
Every proof, with lemmas or without, carries a certificate that the independent checker accepted.
"""

from __future__ import annotations

import pytest

from model.catalogue import Catalogue
from model.verify import ProfileReport, Verdict

PROFILES = (
    "ts33122-rel18",
    "ki2-conclusion",
    "cr-interconnect",
    "sol13-psk",
    "sol2-capif8",
    "cr-method-update",
    "opencapif-observed",
    "recommended",
)
TABLE = {
    "token-origin": "P P P P P P P P",
    "provider-policy": "P V P P P P V P",
    "invoker-authentication": "P V V V P P V P",
    "psk-secrecy": "P V V V P P P P",
    "info-release": "W V V V W W W P",
    "home-ccf-binding": "W P V V W W W P",
    "token-scope": "P P P P P P V P",
    "token-subject": "P V V P P P V P",
    # issue 7: new row (what aef-checks-expiry protects); every profile has the check
    "token-expiry": "P P P P P P P P",
    "method-selection": "P P P P P P P P",
    # issue 7: new row (what pki-negotiated and oauth-negotiated protect); cells in CHANGED
    "negotiated-method": "P V V V P P V P",
    "no-downgrade": "W W W W W P W P",
    "revocation": "P V V V P P P P",
    # issue 7: new row (what ccf-authenticates-invoker protects); every profile has the check
    "onboarded-only": "P P P P P P P P",
    # issue 12: a row of its own, no cell changed; every profile serves Revoke_Authorization to the AEF only
    "revocation-origin": "P P P P P P P P",
    "rof-authorization": "W W W W P W W P",
    "interconnect-channel": "W P P P W W W P",
}
CHANGED = {
    ("ki2-conclusion", "token-subject"): (
        "P -> V: token relay is its own option; 7.2.3 leaves how CCF-B checks the relaying CCF-A to"
        " normative work, so a dishonest partner CCF relays a request naming another provider's invoker"
    ),
    ("ki2-conclusion", "negotiated-method"): (
        "new -> V: the token a dishonest partner CCF obtains in another provider's invoker's name"
        " (token-subject) is accepted for that invoker at an AEF where no CCF selected OAuth for it"
    ),
    ("cr-interconnect", "negotiated-method"): (
        "new -> V: as for ki2-conclusion, a token relayed by a dishonest partner CCF authenticates an invoker"
        " with a method no CCF selected for it"
    ),
    ("sol13-psk", "negotiated-method"): (
        "new -> V: the AEFPSK a dishonest CCF named in the Authentication Initiation Request hands out"
        " (NOTE X) authenticates an invoker for whom no CCF selected PSK"
    ),
    ("opencapif-observed", "negotiated-method"): (
        "new -> V: with no scope check, a token issued for one AEF opens another AEF where no CCF selected"
        " OAuth for the invoker"
    ),
}
"""Cells changed or added by issue 7 (model fidelity), each with the reason in one sentence."""
VERDICTS = {"P": Verdict.PROVED, "V": Verdict.VIOLATED, "W": Verdict.NO_WITNESS, "U": Verdict.UNPROVED}
CELLS = [
    pytest.param(profile, prop, VERDICTS[letter], id=f"{profile}/{prop}")
    for prop, row in TABLE.items()
    for profile, letter in zip(PROFILES, row.split(), strict=True)
]


def test_table_covers_the_catalogue(catalogue: Catalogue) -> None:
    assert set(PROFILES) == set(catalogue.profiles)
    assert set(TABLE) == set(catalogue.properties)


@pytest.mark.parametrize(("profile", "prop"), sorted(CHANGED))
def test_a_changed_cell_says_why_in_one_sentence(profile: str, prop: str) -> None:
    before, arrow, after = CHANGED[(profile, prop)].partition(":")[0].partition(" -> ")
    assert arrow and (before in VERDICTS or before == "new") and after in VERDICTS and before != after
    assert TABLE[prop].split()[PROFILES.index(profile)] == after


@pytest.mark.parametrize("lemmas", ["lemmas", "no-lemmas"])
@pytest.mark.parametrize(("profile", "prop", "expected"), CELLS)
def test_verdict(
    request: pytest.FixtureRequest, lemmas: str, profile: str, prop: str, expected: Verdict
) -> None:
    run = request.getfixturevalue("full_run" if lemmas == "lemmas" else "lemma_free_run")
    result = next(r for r in run[profile].properties if r.property == prop)
    assert result.verdict == expected, result.detail
    if expected == Verdict.VIOLATED:
        assert result.trace is not None and result.trace["violation"]["instance"]
    if expected in (Verdict.PROVED, Verdict.NO_WITNESS):
        assert result.invariant, "a proof carries its checked certificate"


def test_recommended_has_every_witness(full_run: dict[str, ProfileReport], catalogue: Catalogue) -> None:
    witnesses = {w.id: w for w in full_run["recommended"].witnesses}
    assert set(witnesses) == set(catalogue.witnesses)
    assert all(w.applicable and w.found for w in witnesses.values())
