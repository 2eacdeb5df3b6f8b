"""Implementation mutants (``replay/mutants.py``, ``docs/test-suite.md``): every patch applies to the
implementation as it is today, a stale one is an error, and the generated suite of the Rel-18
baseline kills the mutants whose check that profile has. The whole suite against all of them, with
the kill rate asserted at 100 %, is ``benchmarks/bench_mutants.py``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from replay.mutants import IMPL, MUTANTS, Mutant, MutantError, Outcome, apply, kill_rate, run
from tests.suite.conftest import PROFILE

KILLED_BY_THE_BASELINE_SUITE = (
    "signature",
    "issuer-key-binding",
    "info-release",
    "expiry",
    "scope-aef",
    "scope-api",
    "client-id-binding",
    "method-mismatch",
    "revocation",
)
"""The mutants the ``ts33122-rel18`` suite kills (the other checks are exercised under other
profiles: interconnection, CAPIF-8); ``signature``, ``issuer-key-binding`` and ``info-release`` by its
isolation: a token of the attacker's CCF under the key id of the AEF's own, a token of the attacker's
CCF under its own key id (which an AEF registered there trusts) naming another CCF as its issuer, a
fetch by the attacker's AEF."""


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_every_patch_applies_to_the_implementation_once(mutant: Mutant, tmp_path: Path) -> None:
    copy = apply(mutant, IMPL, tmp_path)
    mutated = (copy / mutant.path).read_text("utf-8")
    assert mutant.original not in mutated or mutant.original in mutant.mutated
    assert mutated == (IMPL / mutant.path).read_text("utf-8").replace(mutant.original, mutant.mutated)


def test_a_patch_whose_text_is_gone_is_an_error(tmp_path: Path) -> None:
    stale = replace(MUTANTS[0], original="this text is in no file of the implementation\n")
    with pytest.raises(MutantError, match="occurs 0 times"):
        apply(stale, IMPL, tmp_path)


def test_the_baseline_suite_kills_the_mutants_of_its_checks(suite_dir: Path) -> None:
    assert run(None, suite_dir) is None  # the unmutated implementation agrees with every trace
    for mutant in MUTANTS:
        if mutant.name not in KILLED_BY_THE_BASELINE_SUITE:
            continue
        outcome = run(mutant, suite_dir)
        assert outcome is not None and outcome.killed_by is not None, mutant.name
        assert outcome.killed_by.startswith(f"{PROFILE}/") and outcome.reason.startswith("step "), outcome


def test_a_mutant_whose_replay_hangs_is_stopped_and_counted_killed(suite_dir: Path) -> None:
    """A replay still running after its time limit is stopped; the mutant is killed by the trace it was
    at (here none yet: the limit is shorter than the child's start), marked as timed out."""
    outcome = run(MUTANTS[0], suite_dir, time_limit=0.2)
    assert outcome is not None and outcome.timed_out
    assert outcome.killed_by == "(before the first trace)" and "did not finish within" in outcome.reason
    assert outcome.to_json()["killed"] and outcome.to_json()["timed_out"]


def test_the_kill_rate_leaves_out_equivalent_mutants_and_reports_them_apart() -> None:
    """An equivalent mutant (argued in the docs) that survives does not lower the kill rate; one the
    suite kills is reported, since its argument is then wrong."""
    equivalent = [mutant for mutant in MUTANTS if mutant.equivalent is not None]
    judged = [mutant for mutant in MUTANTS if mutant.equivalent is None]
    assert [mutant.name for mutant in equivalent] == ["psk-identity"]
    outcomes = [Outcome(mutant, "a/trace.json [as-profile]", "step 1", 1, 0.1) for mutant in judged]
    survived = [Outcome(mutant, None, "every trace agreed", 9, 0.1) for mutant in equivalent]
    document = kill_rate(outcomes + survived, 2.0)
    assert (document["mutants"], document["killed"], document["kill_rate"]) == (len(judged), len(judged), 1.0)
    assert document["survivors"] == [] and document["equivalent"] == ["psk-identity"]
    assert document["equivalent_killed"] == []
    killed_anyway = [Outcome(mutant, "a/trace.json [as-profile]", "step 1", 1, 0.1) for mutant in equivalent]
    assert kill_rate(outcomes + killed_anyway, 2.0)["equivalent_killed"] == ["psk-identity"]
    lost = kill_rate([Outcome(judged[0], None, "every trace agreed", 9, 0.1), *survived], 2.0)
    assert lost["kill_rate"] == 0.0 and lost["survivors"] == [judged[0].name]
