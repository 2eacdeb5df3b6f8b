"""The behaviour settings: catalogue option ids and values, secure defaults, strict parsing."""

from __future__ import annotations

import pytest

from impl.settings import (
    AefMethodCheck,
    AefpskDerivation,
    AefScopeCheck,
    AefTrustedTokenKeys,
    MismatchIndication,
    Settings,
    SettingsError,
    TokenClaims,
    TokenClientBinding,
)

CATALOGUE = {
    "token-claims": ["ts33122", "ts29222", "with-aud-sub", "opencapif-observed"],
    "token-client-binding": ["bound", "unbound"],
    "aef-scope-check": ["aef-and-api", "api-only", "none"],
    "aef-trusted-token-keys": ["own-ccf", "own-ccf-and-delegated", "any-interconnected-ccf"],
    "mismatch-indication": ["on", "off"],
    "aef-method-check": ["current-configuration", "cached-security-info"],
    "aefpsk-derivation": ["annex-a1-tls12", "tls13-exporter"],
}


def test_defaults_are_the_recommended_values() -> None:
    assert Settings() == Settings(
        token_claims=TokenClaims.WITH_AUD_SUB,
        token_client_binding=TokenClientBinding.BOUND,
        aef_scope_check=AefScopeCheck.AEF_AND_API,
        aef_trusted_token_keys=AefTrustedTokenKeys.OWN_CCF,
        mismatch_indication=MismatchIndication.ON,
        aef_method_check=AefMethodCheck.CURRENT_CONFIGURATION,
        aefpsk_derivation=AefpskDerivation.ANNEX_A1_TLS12,
    )
    assert Settings.from_options({}) == Settings()


def test_option_ids_and_values_are_exactly_the_catalogue_ones() -> None:
    options = Settings().to_options()
    assert set(options) == set(CATALOGUE)
    for option_id, values in CATALOGUE.items():
        for value in values:
            assert Settings.from_options({option_id: value}).to_options()[option_id] == value


@pytest.mark.parametrize(("option_id", "value"), [(o, v) for o, values in CATALOGUE.items() for v in values])
def test_each_value_round_trips(option_id: str, value: str) -> None:
    settings = Settings.from_options({option_id: value})
    assert Settings.from_options(settings.to_options()) == settings


def test_unknown_option_id_is_refused_with_its_name() -> None:
    with pytest.raises(SettingsError, match="cross-domain-token-issuer"):
        Settings.from_options({"cross-domain-token-issuer": "home-ccf"})


def test_unknown_option_ids_are_ignored_only_when_asked() -> None:
    settings = Settings.from_options(
        {"cross-domain-token-issuer": "home-ccf", "token-client-binding": "unbound"}, ignore_unknown=True
    )
    assert settings == Settings(token_client_binding=TokenClientBinding.UNBOUND)


@pytest.mark.parametrize(
    ("option_id", "value"), [("token-claims", "jwt"), ("mismatch-indication", "ON"), ("aef-scope-check", "")]
)
def test_unknown_value_is_refused_even_when_ignoring_unknown_ids(option_id: str, value: str) -> None:
    with pytest.raises(SettingsError, match=option_id):
        Settings.from_options({option_id: value}, ignore_unknown=True)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.token_claims = TokenClaims.TS33122  # type: ignore[misc]
