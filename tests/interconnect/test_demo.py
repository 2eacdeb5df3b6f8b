"""``capifsec demo --providers N``: every method across providers, exit 0 only if every step did what it
should under the profile (a demo whose expectations disagree with the services fails)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from impl import demo
from impl.demo_interconnect import InterconnectScenario
from impl.demo_scenario import StepRunner
from impl.deployment.interconnected import InterconnectedDeployment
from impl.settings import RevocationPropagation, Settings


@pytest.mark.parametrize(
    ("profile", "steps"),
    [("recommended", 11), ("ki2-conclusion", 11), ("cr-interconnect", 11), ("sol13-psk", 9)],
)
def test_the_demo_passes_across_two_providers(
    profile: str, steps: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--providers", "2", "--profile", profile, "--allow-unsafe"]) == 0
    out = capsys.readouterr().out
    assert out.count("[ok  ]") == steps and "[FAIL]" not in out
    revoked = next(line for line in out.splitlines() if "after offboarding" in line)
    assert ("[attack]" in revoked) == (profile != "recommended")


def test_three_providers(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--providers", "3"]) == 0
    assert "ccf-c" in capsys.readouterr().out


def test_a_profile_without_interconnection_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--providers", "2", "--profile", "ts33122-rel18"]) == 2
    assert "no interconnection" in capsys.readouterr().err


def test_the_demo_fails_when_revocation_does_not_reach_the_other_provider(tmp_path: Path) -> None:
    services = Settings(revocation_propagation=RevocationPropagation.UNSAFE_NONE, allow_unsafe=True)
    lines: list[str] = []
    with InterconnectedDeployment(tmp_path, services) as providers:
        providers.settings = dataclasses.replace(
            services, revocation_propagation=RevocationPropagation.CAPIF6_NOTIFY
        )
        scenario = InterconnectScenario(providers, StepRunner(lines.append))
        try:
            scenario.run()
        finally:
            scenario.close()
    failures = [line for line in lines if line.startswith("[FAIL]")]
    assert len(failures) == 1 and "after offboarding" in failures[0]
