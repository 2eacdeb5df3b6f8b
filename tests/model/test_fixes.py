"""Minimal fixes: every fix the search reports is proved by the ordinary verifier, every proper subset of
it is not, and the search can come back empty; counterexample regions decided by replay agree with the
verifier."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

import model.designs
from model.catalogue import Catalogue
from model.checker import CertificateRejectedError
from model.designs import Costs, Designs, Proved, Refuted, Undecided
from model.fixes import SEARCHED, CellFixes, CellSearch, fixes_document, minimal_fixes
from model.solver import SolverSettings
from model.verify import ProfileReport, ProfileVerifier, Verdict
from tests.conftest import FIXES_MAX_CHANGES

REVOCATION_FIXES = [
    (("home-ccf-resolution", "invoker-supplied-validated"), ("revocation-propagation", "capif6-notify")),
    (("home-ccf-resolution", "resolved-from-invoker-id"), ("revocation-propagation", "capif6-notify")),
]
"""Solution 13 (contribution 002) loses revocation two ways: a PSK planted by the attacker's CCF, and a
revocation that never crosses CAPIF-6/6e. Neither change alone proves it; both together do."""


@pytest.fixture(scope="module")
def designs(catalogue: Catalogue) -> Designs:
    return Designs(catalogue)


@pytest.fixture(scope="module")
def revocation(designs: Designs) -> CellFixes:
    return CellSearch(designs, "sol13-psk", "revocation", max_changes=3).run()


def _verdict(catalogue: Catalogue, profile: str, prop: str, changes: dict[str, str]) -> Verdict:
    """The verdict of the ordinary verifier, in a fresh solver context, with ``changes`` applied."""
    (result,) = ProfileVerifier(catalogue, profile, overrides=changes).run([prop]).properties
    return result.verdict


def test_revocation_under_solution_13_needs_both_changes(revocation: CellFixes) -> None:
    assert revocation.verdict == Verdict.VIOLATED
    assert list(revocation.fixes) == REVOCATION_FIXES
    assert revocation.open_ends == ()


def test_every_fix_is_proved_and_no_proper_subset_is(catalogue: Catalogue, revocation: CellFixes) -> None:
    for fix in revocation.fixes:
        assert _verdict(catalogue, "sol13-psk", "revocation", dict(fix)) == Verdict.PROVED
        for size in range(1, len(fix)):
            for subset in combinations(fix, size):
                assert _verdict(catalogue, "sol13-psk", "revocation", dict(subset)) == Verdict.VIOLATED


def test_every_fix_carries_a_certificate_the_independent_checker_accepts(
    designs: Designs, revocation: CellFixes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fix counts only once model/checker.py accepts the clauses that prove it there; a certificate
    the checker rejects leaves the design undecided, with the checker's reason."""
    base = designs.catalogue.profiles["sol13-psk"].options
    for fix in revocation.fixes:
        design = designs.design("sol13-psk", {**base, **dict(fix)})
        assert design.proves("revocation") and design.rejected_certificate("revocation") is None
        assert design.certificate("revocation")

    def reject(*_: Any, **__: Any) -> None:
        raise CertificateRejectedError("the clauses do not imply the property")

    monkeypatch.setattr(model.designs, "check", reject)
    fresh = Designs(designs.catalogue)
    outcome = fresh.outcome("sol13-psk", "revocation", {**base, **dict(REVOCATION_FIXES[0])})
    assert outcome == Undecided(
        "the independent check rejected the certificate: the clauses do not imply the property"
    )
    assert fresh.costs.certificates == 1


def test_a_search_too_small_finds_nothing(designs: Designs) -> None:
    cell = CellSearch(designs, "sol13-psk", "revocation", max_changes=1).run()
    assert cell.verdict == Verdict.VIOLATED and cell.fixes == ()


def test_a_fix_keeps_the_procedures_of_the_profile(designs: Designs) -> None:
    search = CellSearch(designs, "sol13-psk", "revocation", max_changes=2)
    assert search.allowed["interconnection"] == []  # switching interconnection off is not a fix
    assert "all" in search.allowed["interconnect-methods"]


def test_a_refutation_runs_exactly_where_the_verifier_finds_the_violation(
    catalogue: Catalogue, designs: Designs, revocation: CellFixes
) -> None:
    base = dict(catalogue.profiles["sol13-psk"].options)
    outcome = designs.outcome("sol13-psk", "revocation", base)
    assert isinstance(outcome, Refuted)
    refutation = outcome.refutation
    assert refutation.still(base)
    assert "revocation-propagation" in refutation.read and "aefpsk-derivation" not in refutation.read
    for fix in revocation.fixes:
        assert not refutation.still({**base, **dict(fix)})
        assert isinstance(designs.outcome("sol13-psk", "revocation", {**base, **dict(fix)}), Proved)


def test_designs_that_compile_alike_are_verified_once(catalogue: Catalogue, designs: Designs) -> None:
    base = dict(catalogue.profiles["sol13-psk"].options)
    other = {**base, "aefpsk-derivation": "tls13-exporter"}  # read by the implementation only
    assert designs.design("sol13-psk", other) is designs.design("sol13-psk", base)


def test_every_failing_cell_of_the_catalogue_has_its_fixes(
    catalogue_fixes: dict[str, Any], full_run: dict[str, ProfileReport]
) -> None:
    """The session's fixes of the whole catalogue (two worker processes) cover exactly the cells the
    ordinary verifier does not prove, each with its verdict; opencapif-observed's token-subject is fixed
    by binding the token to its client."""
    failing = {
        (r.profile, r.property): str(r.verdict)
        for report in full_run.values()
        for r in report.properties
        if r.verdict in SEARCHED
    }
    assert {(c["profile"], c["property"]): c["verdict"] for c in catalogue_fixes["fixes"]} == failing
    subject = next(
        c
        for c in catalogue_fixes["fixes"]
        if (c["profile"], c["property"]) == ("opencapif-observed", "token-subject")
    )
    assert {"token-client-binding": "bound"} in subject["minimal_fixes"]
    assert catalogue_fixes["costs"]["invariants"] >= 2


def test_a_profile_searched_alone_in_two_workers_matches_the_catalogue(
    catalogue: Catalogue, catalogue_fixes: dict[str, Any]
) -> None:
    cells, _, _ = minimal_fixes(
        catalogue, ["opencapif-observed", "cr-method-update"], max_changes=FIXES_MAX_CHANGES, workers=2
    )
    alone = fixes_document(cells, [], Costs(), 0.0)["fixes"]
    assert alone == [c for c in catalogue_fixes["fixes"] if c["profile"] == "opencapif-observed"]


def test_a_design_the_solver_gives_up_on_is_an_open_end_not_a_crash(catalogue: Catalogue) -> None:
    """A counterexample search that Z3 answers "unknown" (here: its work limit per query is reached)
    leaves the design undecided, with the reason, so that the search reports it as an open end (and no
    worker process dies)."""
    designs = Designs(catalogue)
    options = dict(catalogue.profiles["sol13-psk"].options)
    design = designs.design("sol13-psk", options)
    design.proofs()  # the invariant and inference keep the ordinary limits, the search does not
    design.verifier.settings = SolverSettings(rlimit=1000)
    outcome = designs.outcome("sol13-psk", "revocation", options)
    assert isinstance(outcome, Undecided)
    assert outcome.why.startswith("the solver gave up: Z3 answered unknown")
    assert outcome.why.endswith("(within 1,000 units of Z3's work per query)")


def test_a_proof_that_no_honest_run_reaches_a_witness_is_reused_only_where_it_holds(
    catalogue: Catalogue,
) -> None:
    """Under ki2-conclusion with the home CCF issuing cross-domain tokens, no honest run reaches
    oauth-interconnected; the proof learnt there settles a neighbouring design without a search, and is
    never taken for one where an honest run reaches the witness."""
    designs = Designs(catalogue)
    base = dict(catalogue.profiles["ki2-conclusion"].options)
    witness = "oauth-interconnected"
    learnt = designs.design("ki2-conclusion", {**base, "cross-domain-token-issuer": "home-ccf"})
    designs.learn_unreachable(learnt, learnt.verifier.honest_system(), witness, learnt.witness_goal(witness))
    assert designs.unreachable[witness]
    changes = {"cross-domain-token-issuer": "home-ccf", "pki-root-binding": "bound-to-invoker"}
    neighbour = designs.design("ki2-conclusion", {**base, **changes})
    goal = neighbour.witness_goal(witness)
    assert designs.known_unreachable(neighbour, neighbour.verifier.honest_system(), witness, goal)
    reached = designs.design("ki2-conclusion", base)
    assert reached.verifier.witness(witness).found
    goal = reached.witness_goal(witness)
    assert not designs.known_unreachable(reached, reached.verifier.honest_system(), witness, goal)
