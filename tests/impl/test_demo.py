"""``capifsec demo``: every step does what it should under each profile of the catalogue, exit 0 means
exactly that (a demo whose expectations disagree with the services fails), bad input is exit 2; and
the implementation's reading of ``spec/profiles.yaml``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from impl import demo
from impl.catalogue_profiles import ProfileError, locate_spec_dir, profile_options, settings_for_profile
from impl.demo_scenario import Scenario, StepRunner
from impl.settings import MismatchIndication, Settings, TokenClaims, TokenClientBinding
from tests.impl.test_e2e_world import running

STEPS = 14


@pytest.mark.parametrize(
    "profile", ["recommended", "opencapif-observed", "ts33122-rel18", "cr-method-update"]
)
def test_the_demo_passes_under_each_profile(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--profile", profile, "--allow-unsafe"]) == 0
    out = capsys.readouterr().out
    assert out.count("[ok  ]") == STEPS and "[FAIL]" not in out
    attack = next(line for line in out.splitlines() if "[attack]" in line)
    if profile == "opencapif-observed":
        assert "lets it through" in attack
    else:
        assert "refused" in attack


def test_a_profile_with_unsafe_values_needs_allowing(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--profile", "opencapif-observed"]) == 2
    error = capsys.readouterr().err
    assert "token-client-binding=unbound" in error and "--allow-unsafe" in error


def _run_with_expectations(tmp_path: Path, services: Settings, expected: Settings) -> list[str]:
    """The scenario over services configured with ``services`` while it expects ``expected``."""
    lines: list[str] = []
    with running(tmp_path, services) as deployment:
        deployment.settings = expected
        scenario = Scenario(deployment, StepRunner(lines.append))
        try:
            scenario.run()
        finally:
            scenario.close()
    return [line for line in lines if line.startswith("[FAIL]")]


def test_the_demo_fails_when_the_token_endpoint_is_not_bound_as_expected(tmp_path: Path) -> None:
    unbound = Settings(token_client_binding=TokenClientBinding.UNSAFE_UNBOUND, allow_unsafe=True)
    failures = _run_with_expectations(tmp_path, unbound, Settings())
    assert len(failures) == 1 and "token naming alice" in failures[0]


def test_the_demo_fails_when_the_mismatch_indication_is_missing(tmp_path: Path) -> None:
    silent = Settings(mismatch_indication=MismatchIndication.OFF)
    failures = _run_with_expectations(tmp_path, silent, Settings())
    assert len(failures) == 1 and "old method" in failures[0]


@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        (["--profile", "no-such-profile"], 2),
        (["--spec-dir", "/nonexistent"], 2),
        (["--bogus"], 2),
        (["--help"], 0),
    ],
)
def test_bad_input_and_help(arguments: list[str], status: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(arguments) == status
    assert "Traceback" not in capsys.readouterr().err


def _spec(tmp_path: Path, text: str) -> Path:
    (tmp_path / "profiles.yaml").write_text(text)
    return tmp_path


def test_profiles_resolve_extends_and_ignore_model_only_options(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        """
profiles:
  - id: base
    options: {token-claims: ts33122, mismatch-indication: "off", interconnection: supported}
  - id: child
    extends: base
    options: {mismatch-indication: "on"}
""",
    )
    assert profile_options("child", spec) == {
        "token-claims": "ts33122",
        "mismatch-indication": "on",
        "interconnection": "supported",
    }
    settings = settings_for_profile("child", spec)
    assert settings == dataclasses.replace(
        Settings(), token_claims=TokenClaims.TS33122, mismatch_indication=MismatchIndication.ON
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("profiles:\n  - id: a\n    extends: b\n  - id: b\n    extends: a\n", "extends itself"),
        ("profiles:\n  - id: a\n    options: {mismatch-indication: on}\n", "not a string"),
        ("profiles:\n  - id: a\n    options: {token-claims: jwt-of-my-own}\n", "no value"),
        ("profiles:\n  - id: a\n    extends: missing\n", "unknown profile"),
        ("profiles: {}\n", "no list of profiles"),
        ("profiles: [\n", "cannot read"),
    ],
)
def test_malformed_catalogues_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        settings_for_profile("a", _spec(tmp_path, text))


def test_the_installed_catalogue_is_found_and_every_profile_maps_to_settings() -> None:
    spec = locate_spec_dir()
    assert (spec / "profiles.yaml").is_file()
    for profile in (
        "recommended",
        "opencapif-observed",
        "ts33122-rel18",
        "ki2-conclusion",
        "cr-method-update",
    ):
        assert isinstance(settings_for_profile(profile, spec, allow_unsafe=True), Settings)
