"""Proof certificates: the independent checker accepts what the verifier proved and rejects a tampered
certificate (a clause removed or weakened, a clause false initially); a certificate is minimal (the
checker rejects it with any one clause removed); merging clauses into stronger ones makes a
certificate smaller and refuses a stronger clause that does not hold; inference proves properties a
user adds as data, with no lemma at all, in an ordinary verification of the profile."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from model.catalogue import Catalogue
from model.certificate import Minimiser
from model.checker import CertificateRejectedError, check
from model.cubes import Cube, Literal, clause_cube
from model.infer import Budget, Outcome
from model.proof import Proofs
from model.runner import shares
from model.step import Step
from model.syntax import Atom, Eq, Formula, Name, Or, Quant, parse_formula, relations_used, strip_universal
from model.system import compile_system, split_universal
from model.verify import ProfileReport, ProfileVerifier, Verdict

PROFILE, PROPERTY = "recommended", "provider-policy"


@pytest.fixture(scope="module")
def proved(catalogue: Catalogue) -> tuple[tuple[Formula, ...], Formula]:
    """The certificate of provider-policy under recommended, found without lemmas, and the goal."""
    verifier = ProfileVerifier(catalogue, PROFILE, hints=False)
    proofs = verifier.proofs()
    goal = verifier.system.expand(catalogue.properties[PROPERTY].formula)
    assert proofs.implied(goal) or proofs.strengthen(goal, 1000) == Outcome.PROVED
    certificate = proofs.certificate(PROPERTY, goal)
    assert certificate is not None
    return certificate.clauses, goal


def test_inference_fails_on_a_query_dearer_than_its_work_limit(catalogue: Catalogue) -> None:
    """A query of the step solver that costs more than :attr:`Budget.query_work` is an error there,
    and inference fails instead of waiting for it (then bounded search decides); the same property
    proves with the default limit (the fixture above)."""
    verifier = ProfileVerifier(catalogue, PROFILE, hints=False)
    proofs = Proofs(
        verifier.system, verifier.translator, verifier.settings, hints=False, budget=Budget(query_work=10_000)
    )
    goal = verifier.system.expand(catalogue.properties[PROPERTY].formula)
    assert not proofs.implied(goal)
    assert proofs.strengthen(goal, 1000) == Outcome.FAILED


def _check(catalogue: Catalogue, clauses: tuple[Formula, ...], goal: Formula) -> None:
    options = catalogue.profiles[PROFILE].options
    check(catalogue, options, (), clauses, goal, settings=ProfileVerifier(catalogue, PROFILE).settings)


def _policy_clause(clauses: tuple[Formula, ...]) -> Formula:
    """The clause that says what an AEF learnt of the policy is its CCF's policy (the proof needs it)."""
    return next(c for c in clauses if {"aef_acl", "allows"} <= relations_used(c))


def test_the_checker_accepts_the_certificate(
    catalogue: Catalogue, proved: tuple[tuple[Formula, ...], Formula]
) -> None:
    clauses, goal = proved
    _check(catalogue, clauses, goal)


def test_a_removed_clause_is_rejected(
    catalogue: Catalogue, proved: tuple[tuple[Formula, ...], Formula]
) -> None:
    clauses, goal = proved
    needed = _policy_clause(clauses)
    with pytest.raises(CertificateRejectedError, match="does not preserve"):
        _check(catalogue, tuple(c for c in clauses if c != needed), goal)


def test_a_weakened_clause_is_rejected(
    catalogue: Catalogue, proved: tuple[tuple[Formula, ...], Formula]
) -> None:
    clauses, goal = proved
    needed = _policy_clause(clauses)
    binders, body = strip_universal(needed)
    invoker = next(variable for variable, sort in binders if sort == "invoker")
    weaker = Quant(True, binders, Or((body, Atom("revoked", (Name(invoker),)))))
    with pytest.raises(CertificateRejectedError, match="does not preserve"):
        _check(catalogue, tuple(weaker if c == needed else c for c in clauses), goal)


def test_a_clause_false_initially_is_rejected(
    catalogue: Catalogue, proved: tuple[tuple[Formula, ...], Formula]
) -> None:
    clauses, goal = proved
    with pytest.raises(CertificateRejectedError, match="does not hold initially"):
        _check(catalogue, (*clauses, parse_formula("forall i:invoker. onboarded(i)")), goal)


def test_the_goal_must_follow(catalogue: Catalogue, proved: tuple[tuple[Formula, ...], Formula]) -> None:
    clauses, goal = proved
    needed = _policy_clause(clauses)
    with pytest.raises(CertificateRejectedError, match="do not imply the property"):
        _check(catalogue, (needed,), goal)


def test_every_clause_of_a_certificate_is_needed(
    catalogue: Catalogue, full_run: dict[str, ProfileReport]
) -> None:
    """The largest certificate of ``recommended``, as the verifier reports it, is accepted whole and
    rejected with any one of its clauses left out: the minimiser drops every clause it can."""
    result = max(full_run[PROFILE].properties, key=lambda r: len(r.invariant))
    assert len(result.invariant) >= 5
    clauses = tuple(parse_formula(clause) for clause in result.invariant)
    system = compile_system(catalogue, catalogue.profiles[PROFILE].options)
    goal = system.expand(catalogue.properties[result.property].formula)
    _check(catalogue, clauses, goal)
    for left_out in clauses:
        with pytest.raises(CertificateRejectedError):
            _check(catalogue, tuple(c for c in clauses if c != left_out), goal)


def test_workers_verify_the_same_profiles_in_the_same_order_on_every_run() -> None:
    """Z3's cores and models depend on what its process asked before, so certificates are the same
    on every run only if each worker's profiles are; they are dealt back and forth, most expensive
    first, so the two heaviest do not meet in one worker."""
    assert shares(list("abcdefgh"), 2) == [list("adeh"), list("bcfg")]
    assert shares(list("abcde"), 3) == [["a"], ["b", "e"], ["c", "d"]]
    assert shares(list("ab"), 2) == [["a"], ["b"]]


ADDED = ("aefpsk-stays-with-its-aef", "contexts-for-onboarded-invokers")
"""properties of ``tests/model/data/user-properties.yaml`` that hold"""
FALSE = "aefpsk-stays-with-any-aef"


@pytest.fixture(scope="module")
def user_report(user_catalogue: Catalogue) -> ProfileReport:
    """The properties a user added as data, verified under ``recommended`` with no lemma at all."""
    return ProfileVerifier(user_catalogue, PROFILE, hints=False).run([*ADDED, FALSE])


@pytest.mark.parametrize("prop", ADDED)
def test_a_property_added_as_data_is_proved_without_lemmas(user_report: ProfileReport, prop: str) -> None:
    result = next(r for r in user_report.properties if r.property == prop)
    assert result.verdict == Verdict.PROVED, result.detail
    assert result.invariant, "a proved cell carries its certificate"


def test_an_added_property_can_fail(user_report: ProfileReport) -> None:
    """Without its honest-AEF premise the first one is false: a dishonest AEF that fetched a key gets
    it installed under another invoker's name at an honest AEF."""
    result = next(r for r in user_report.properties if r.property == FALSE)
    assert result.verdict == Verdict.VIOLATED, result.detail


def test_what_houdini_dropped_its_invariant_does_not_imply(catalogue: Catalogue) -> None:
    """The verifier takes a piece of a property Houdini dropped as not implied without asking a
    solver; the solver agrees for every candidate dropped under a profile where Houdini drops many."""
    proofs = ProfileVerifier(catalogue, "sol13-psk").proofs()
    assert len(proofs.dropped) >= 10
    for piece in proofs.dropped:
        assert proofs.minimiser.implying(piece) is None, piece
        assert not proofs.implied(piece)


def _minimiser(verifier: ProfileVerifier, clauses: Sequence[Formula]) -> Minimiser:
    """A minimiser over ``clauses`` (an inductive invariant), each counted as found by inference."""
    step = Step(verifier.system, verifier.translator, (), verifier.settings)
    minimiser = Minimiser(step, [])
    minimiser.extend([(step.hypothesis(clause), clause) for clause in clauses])
    return minimiser


def _split(clause: Formula, variable: str, values: Sequence[str]) -> list[Formula]:
    """``clause`` as one clause per value of an enumeration variable (together, the same formula)."""
    cube = clause_cube(clause)
    assert cube is not None
    return [
        Cube(cube.variables, (*cube.literals, Literal(True, Eq(Name(variable), Name(value))))).clause()
        for value in values
    ]


def test_merging_makes_a_certificate_smaller(catalogue: Catalogue) -> None:
    """With the clause "a method negotiated with an honest invoker is one it prefers" cut into one
    clause per method, the drop pass keeps all three (each is needed); merging them (``m = PSK``
    widened to ``m != OAUTH``, then that literal dropped) gives back one, and the checker accepts the
    smaller certificate."""
    verifier = ProfileVerifier(catalogue, PROFILE)
    goal = verifier.system.expand(catalogue.properties["method-selection"].formula)
    kept = [candidate.formula for candidate in verifier.invariant().kept]
    prefers = next(c for c in kept if "prefers" in relations_used(c) and "negotiated" in relations_used(c))
    binders, _ = strip_universal(prefers)
    method = next(variable for variable, sort in binders if sort == "method")
    cut = _split(prefers, method, catalogue.enums["method"].values)
    minimiser = _minimiser(verifier, [c for c in kept if c != prefers] + cut)
    pieces = list(split_universal(goal))
    greedy = minimiser.certificate("method-selection", pieces)
    assert greedy is not None and set(cut) <= set(greedy.clauses)
    merged = minimiser.merge(greedy, pieces)
    assert len(merged.clauses) <= len(greedy.clauses) - 2
    assert not set(cut) & set(merged.clauses)
    _check(catalogue, merged.clauses, goal)


def test_a_stronger_clause_false_initially_is_refused(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In token-subject's certificate, ``tok_sig(t, c) -> tok_used(t)`` less its first literal says
    that every token is used: kept true by every step, but false initially. Merging refuses it and
    the certificate stays as it is; a merge that did not ask about the initial state would put it in,
    and the checker would reject the certificate."""
    verifier = ProfileVerifier(catalogue, PROFILE)
    goal = verifier.system.expand(catalogue.properties["token-subject"].formula)
    pieces = list(split_universal(goal))
    clauses = [candidate.formula for candidate in verifier.invariant().kept]
    minimiser = _minimiser(verifier, clauses)
    greedy = minimiser.certificate("token-subject", pieces)
    assert greedy is not None
    _check(catalogue, minimiser.merge(greedy, pieces).clauses, goal)
    monkeypatch.setattr(Step, "initially_false", lambda self, formula: False)
    blind = _minimiser(verifier, clauses)
    certificate = blind.certificate("token-subject", pieces)
    assert certificate is not None
    with pytest.raises(CertificateRejectedError, match="does not hold initially"):
        _check(catalogue, blind.merge(certificate, pieces).clauses, goal)


def test_a_widened_method_literal_implies_each_method_it_allows() -> None:
    """``m != OAUTH`` holds where ``m = PKI`` does, not where ``m = OAUTH`` does: the clause with the
    wider cube implies the PKI clause only (variables matched sort by sort, whatever their names)."""
    wide = clause_cube(parse_formula("forall a:aef, i:invoker, m:method. !(sess(a, i, m) & m != OAUTH)"))
    pki = clause_cube(
        parse_formula("forall b:aef, j:invoker, n:method. !(sess(b, j, n) & n = PKI & revoked(j))")
    )
    oauth = clause_cube(parse_formula("forall b:aef, j:invoker, n:method. !(sess(b, j, n) & n = OAUTH)"))
    assert wide is not None and pki is not None and oauth is not None
    assert wide.subsumes(pki)
    assert not wide.subsumes(oauth)
    assert not pki.subsumes(wide)
