"""Issue 13, suite item 5: the CCF killed with SIGKILL under concurrent onboarding, negotiation, token
and certificate-rotation load keeps every acknowledged write, holds nothing half-written and restarts
cleanly (:mod:`tests.robustness.crash`). The suite kills it ``KILLS`` times;
``benchmarks/crash_consistency.py`` runs the 20 kills of the issue."""

import sqlite3
from pathlib import Path

from impl.store import Database
from tests.robustness.crash import Ledger, crash_cycles, half_written, missing_writes

KILLS = 3


def test_sigkill_under_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    results = crash_cycles(tmp_path / "services", tmp_path / "serve.log", kills=KILLS, seed=13)
    assert len(results) == KILLS
    for number, result in enumerate(results, 1):
        assert not result.missing, (number, result.missing)
        assert not result.half_written, (number, result.half_written)
        assert not result.refusals, (number, result.refusals)
        assert result.served_after_restart, number
    assert all(result.acknowledged > 0 for result in results)  # each kill came after a write to check


def test_the_checks_see_a_lost_write_and_a_half_written_one(tmp_path: Path) -> None:
    path = tmp_path / "ccf.sqlite3"
    Database(path).close()
    ledger = Ledger()
    ledger.certificates["INVlost"] = "01"
    ledger.contexts.add("INVlost")
    assert missing_writes(path, ledger) == ["onboarding of INVlost", "security context of INVlost"]
    assert half_written(path) == []
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO onboarding_secrets VALUES (?, 'ccf', 'invoker-onboarding', 0, 9, 1, 'INVghost')",
            (b"hash",),
        )
    assert half_written(path) == ["a spent onboarding secret without its invoker: INVghost"]
