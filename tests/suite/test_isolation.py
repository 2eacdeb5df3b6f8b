"""Isolation cases (``model/boundaries.py``, ``docs/test-suite.md``): the Rel-18 suite has the ones its
profile allows and lists the others as not reached without failing its audit; a certificate the
attacker's CCF issues is made when it is first used, so that it may name an invoker onboarded later."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from model.boundaries import BOUNDARIES
from model.catalogue import Catalogue
from model.suite import INDEX, SUITE_FORMAT, SuiteTrace, boundary_trace
from replay import Mode, Status, replay_trace
from replay.errors import NotReplayableError
from replay.mutants import MUTANTS, run
from replay.observation import HANDSHAKE_REFUSED
from replay.plan import _check_ids_exist
from tests.suite.conftest import PROFILE, read


def test_isolation_cases_are_generated_or_listed_as_not_reached(suite_dir: Path) -> None:
    """Under the Rel-18 baseline (one provider) the attacker's AEF asks the CCF itself, so that case is
    generated; no CCF of another provider issues a certificate its TLS accepts, so that one is listed."""
    isolations = {f"{case.subject}/{case.case}" for case in BOUNDARIES if not case.required}
    written = {
        path.relative_to(suite_dir / PROFILE / "boundary").with_suffix("").as_posix()
        for path in (suite_dir / PROFILE / "boundary").glob("*/*.json")
    }
    missing = read(suite_dir / INDEX)["profiles"][PROFILE]["isolations_missing"]
    assert "ccf-releases-to-that-aef/asked-by-an-attacker-aef" in written
    assert "aef-checks-signature/issuer-not-the-signer" in written
    assert "certificate-trusted/ca-the-tls-accepts" in missing
    assert set(missing) <= isolations and not set(missing) & written


def _steps(*actions: tuple[str, dict[str, str]]) -> list[dict[str, object]]:
    return [{"n": n, "action": action, "args": args} for n, (action, args) in enumerate(actions, start=1)]


ISSUE = ("attacker-ccf-issues-certificate", {"d": "ccf-A", "ct": "cert-1", "i": "invoker-1"})
ONBOARD = ("onboard", {"i": "invoker-1", "c": "ccf-B", "ct": "cert-2"})
USE = ("pki-session-attacker", {"a": "aef-1", "i": "invoker-1", "ct": "cert-1", "r": "ccf-A"})


def test_a_certificate_of_the_attacker_is_issued_when_first_used() -> None:
    _check_ids_exist(_steps(ISSUE, ONBOARD, USE))


def test_a_certificate_used_before_its_invoker_onboards_names_no_id() -> None:
    with pytest.raises(NotReplayableError, match="names invoker-1 before it is onboarded"):
        _check_ids_exist(_steps(ISSUE, USE, ONBOARD))


@pytest.fixture(scope="module")
def relayed_without_agreement(catalogue: Catalogue) -> SuiteTrace:
    found = boundary_trace(catalogue, "recommended", "agreement-peer", "certified-by-an-agreed-ccf")
    assert found is not None
    return found


def test_a_ccf_without_an_agreement_is_refused_by_that_check_alone(
    relayed_without_agreement: SuiteTrace, tmp_path: Path
) -> None:
    """Under ``recommended`` a CCF the attacker controls relays a token request to a CCF it has no
    agreement with, presenting a certificate from the CA of another CCF the attacker controls that has
    one: the receiver's TLS accepts it, the implementation refuses it for want of an agreement, and
    without that check it signs the token (the ``agreement`` mutant is killed by a refusal)."""
    found = relayed_without_agreement
    path = tmp_path / found.path
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(found.trace), "utf-8")
    (tmp_path / INDEX).write_text(
        json.dumps({"format": SUITE_FORMAT, "profiles": {"recommended": {}}}), "utf-8"
    )
    assert run(None, tmp_path) is None
    outcome = run(next(mutant for mutant in MUTANTS if mutant.name == "agreement"), tmp_path)
    assert outcome is not None and not outcome.timed_out
    assert outcome.killed_by == f"{found.path} [as-profile]"
    assert outcome.reason == (
        "step 1 (token-relayed-by-attacker): expected a refusal by agreement-peer, the target accepted"
    )


def test_without_another_ccf_of_the_attacker_the_sender_presents_its_own_certificate(
    relayed_without_agreement: SuiteTrace, tmp_path: Path
) -> None:
    """The same trace with the other CCF's agreement taken out of the topology on purpose (the model's
    expectation is the same: no agreement with the sender): no CA the receiver trusts is the
    attacker's, so the sender's own certificate goes, and the receiver's TLS refuses it."""
    trace = copy.deepcopy(relayed_without_agreement.trace)
    trace["topology"]["interconnections"] = []
    replayed = replay_trace(trace, mode=Mode.AS_PROFILE, workdir=tmp_path)
    assert replayed.status is Status.REPLAYED, replayed.lines()
    assert replayed.steps[0].observed.startswith(HANDSHAKE_REFUSED)
