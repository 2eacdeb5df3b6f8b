"""The behaviour settings: every catalogue option and value, secure defaults, strict parsing, and
unsafe values refused unless allowed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from impl.catalogue_profiles import ProfileError, locate_spec_dir, profile_options, settings_for_profile
from impl.settings import (
    UNSAFE_PREFIX,
    Capif8,
    Interconnection,
    Settings,
    SettingsError,
    TokenClaims,
    TokenClientBinding,
    UnsafeSettingError,
    log_unsafe,
    option_ids,
)


def _catalogue_options() -> dict[str, list[str]]:
    document = yaml.safe_load((locate_spec_dir() / "options.yaml").read_text("utf-8"))
    return {entry["id"]: [value["id"] for value in entry["values"]] for entry in document["options"]}


CATALOGUE = _catalogue_options()


def test_every_catalogue_option_is_a_setting_with_exactly_its_values() -> None:
    assert set(option_ids()) == set(CATALOGUE)
    for option_id, values in CATALOGUE.items():
        for value in values:
            settings = Settings.from_options({option_id: value}, allow_unsafe=True)
            assert settings.to_options()[option_id] == value


def test_defaults_are_the_recommended_profile() -> None:
    assert Settings() == settings_for_profile("recommended")
    assert Settings.from_options({}) == Settings()
    assert Settings().unsafe_in_effect() == {}


@pytest.mark.parametrize(("option_id", "value"), [(o, v) for o, values in CATALOGUE.items() for v in values])
def test_each_value_round_trips(option_id: str, value: str) -> None:
    settings = Settings.from_options({option_id: value}, allow_unsafe=True)
    assert Settings.from_options(settings.to_options(), allow_unsafe=True) == settings


def test_unknown_option_id_is_refused_with_its_name() -> None:
    with pytest.raises(SettingsError, match="no-such-option"):
        Settings.from_options({"no-such-option": "x"})


def test_unknown_option_ids_are_ignored_only_when_asked() -> None:
    settings = Settings.from_options(
        {"no-such-option": "x", "token-client-binding": "unbound"}, ignore_unknown=True, allow_unsafe=True
    )
    assert settings == Settings(token_client_binding=TokenClientBinding.UNSAFE_UNBOUND, allow_unsafe=True)


@pytest.mark.parametrize(
    ("option_id", "value"), [("token-claims", "jwt"), ("mismatch-indication", "ON"), ("aef-scope-check", "")]
)
def test_unknown_value_is_refused_even_when_ignoring_unknown_ids(option_id: str, value: str) -> None:
    with pytest.raises(SettingsError, match=option_id):
        Settings.from_options({option_id: value}, ignore_unknown=True)


def test_a_value_of_the_wrong_option_type_is_refused() -> None:
    with pytest.raises(SettingsError, match="token-claims"):
        Settings(token_claims=TokenClientBinding.BOUND)  # type: ignore[arg-type]


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.token_claims = TokenClaims.TS33122  # type: ignore[misc]


def _unsafe_values() -> list[tuple[str, str]]:
    found = []
    for option_id in CATALOGUE:
        for value in CATALOGUE[option_id]:
            member = type(getattr(Settings(), option_id.replace("-", "_")))(value)
            if member.name.startswith(UNSAFE_PREFIX):
                found.append((option_id, value))
    return found


@pytest.mark.parametrize(("option_id", "value"), _unsafe_values())
def test_an_unsafe_value_is_refused_unless_allowed(option_id: str, value: str) -> None:
    with pytest.raises(UnsafeSettingError, match=f"{option_id}={value}"):
        Settings.from_options({option_id: value})
    allowed = Settings.from_options({option_id: value}, allow_unsafe=True)
    assert allowed.unsafe_in_effect() == {option_id: value}


def test_the_unsafe_values_are_those_that_drop_a_check_or_a_protection() -> None:
    assert dict.fromkeys(_unsafe_values()) == dict.fromkeys(
        [
            ("home-ccf-resolution", "invoker-supplied"),
            ("negotiation-routing", "invoker-supplied"),
            ("oauth-security-information", "root-ca"),
            ("mismatch-authentication", "unauthenticated"),
            ("token-relay-check", "none"),
            ("info-release-check", "interconnected-only"),
            ("capif6-protection", "none"),
            ("interconnect-agreement-check", "not-enforced"),
            ("access-policy-source", "aef-ccf-fallback-home"),
            ("pki-root-binding", "global-trust-anchor"),
            ("aef-trusted-token-keys", "any-interconnected-ccf"),
            ("token-claims", "ts29222"),
            ("token-claims", "opencapif-observed"),
            ("token-client-binding", "unbound"),
            ("aef-scope-check", "api-only"),
            ("aef-scope-check", "none"),
            ("aef-method-check", "cached-security-info"),
            ("revocation-propagation", "none"),
            ("rof-authentication", "none"),
            ("capif8-protection", "none"),
        ]
    )


def test_an_option_of_a_feature_that_is_off_is_not_in_effect() -> None:
    quiet = Settings.from_options(
        {"interconnection": "not-supported", "capif6-protection": "none", "capif8": "not-supported"}
        | {"rof-authentication": "none"}
    )
    assert quiet.interconnection is Interconnection.NOT_SUPPORTED and quiet.capif8 is Capif8.NOT_SUPPORTED
    assert quiet.unsafe_in_effect() == {}


def test_unsafe_values_in_effect_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(token_client_binding=TokenClientBinding.UNSAFE_UNBOUND, allow_unsafe=True)
    with caplog.at_level(logging.WARNING, logger="impl.settings"):
        log_unsafe(settings, "the test CCF")
    assert caplog.messages == ["the test CCF runs with the unsafe setting token-client-binding=unbound"]


def test_allow_unsafe_takes_no_part_in_comparisons() -> None:
    assert Settings(allow_unsafe=True) == Settings()
    assert "token-client-binding" in Settings().to_options()
    assert "allow-unsafe" not in Settings().to_options()


def test_every_profile_maps_to_settings_and_unsafe_ones_need_allowing() -> None:
    spec = locate_spec_dir()
    profiles = yaml.safe_load((spec / "profiles.yaml").read_text("utf-8"))["profiles"]
    for profile in (entry["id"] for entry in profiles):
        settings = settings_for_profile(profile, spec, allow_unsafe=True)
        assert (
            settings.to_options()
            == Settings.from_options(profile_options(profile, spec), allow_unsafe=True).to_options()
        )
        if settings.unsafe_in_effect():
            with pytest.raises(ProfileError, match="unsafe"):
                settings_for_profile(profile, spec)


def test_a_catalogue_option_without_a_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "profiles.yaml").write_text(
        "profiles:\n  - id: a\n    options: {brand-new-option: x}\n", encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="brand-new-option"):
        settings_for_profile("a", tmp_path)
