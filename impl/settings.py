"""Behaviour settings of the reference implementation: each a named option with named values.

The option ids and values are the implementation-side options of the catalogue in ``spec/``; their
defaults are the secure ("recommended") choice. Where TS 33.122 / TS 29.222 or a contribution leaves
a choice open, or a deployed implementation (ETSI OpenCAPIF) was seen to choose differently, the
choice is a setting here so that each profile of the catalogue can be reproduced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum


class SettingsError(ValueError):
    """An option id or value that this implementation does not know."""


class TokenClaims(StrEnum):
    """Claim set of the access token (TS 33.122 Annex C; TS 29.222 ``AccessTokenClaims``)."""

    TS33122 = "ts33122"
    TS29222 = "ts29222"
    WITH_AUD_SUB = "with-aud-sub"
    OPENCAPIF_OBSERVED = "opencapif-observed"


class TokenClientBinding(StrEnum):
    """Whether the token endpoint binds ``client_id`` to the authenticated invoker (RFC 6749 3.2.1)."""

    BOUND = "bound"
    UNBOUND = "unbound"


class AefScopeCheck(StrEnum):
    """What the AEF checks in the token ``scope`` (TS 33.122 clause 6.5.2.3)."""

    AEF_AND_API = "aef-and-api"
    API_ONLY = "api-only"
    NONE = "none"


class AefTrustedTokenKeys(StrEnum):
    """Which CCF signing keys an AEF trusts for access tokens (contribution 000, FFS)."""

    OWN_CCF = "own-ccf"
    OWN_CCF_AND_DELEGATED = "own-ccf-and-delegated"
    ANY_INTERCONNECTED_CCF = "any-interconnected-ccf"


class MismatchIndication(StrEnum):
    """Whether the AEF signals a security method mismatch (contribution 004, TS 33.122 clause 6.7)."""

    ON = "on"
    OFF = "off"


class AefMethodCheck(StrEnum):
    """Against what the AEF checks the invoker's security method (contribution 004)."""

    CURRENT_CONFIGURATION = "current-configuration"
    CACHED_SECURITY_INFO = "cached-security-info"


class AefpskDerivation(StrEnum):
    """How AEFPSK is derived from the CAPIF-1e TLS session (TS 33.122 Annex A.1).

    ``annex-a1-tls12`` is the specified TLS 1.2 mapping (master secret, session ID);
    ``tls13-exporter`` is a documented deviation for TLS 1.3 (RFC 8446 exporter).
    """

    ANNEX_A1_TLS12 = "annex-a1-tls12"
    TLS13_EXPORTER = "tls13-exporter"


@dataclass(frozen=True)
class Settings:
    """The implementation's behaviour settings; the defaults are the recommended values."""

    token_claims: TokenClaims = TokenClaims.WITH_AUD_SUB
    token_client_binding: TokenClientBinding = TokenClientBinding.BOUND
    aef_scope_check: AefScopeCheck = AefScopeCheck.AEF_AND_API
    aef_trusted_token_keys: AefTrustedTokenKeys = AefTrustedTokenKeys.OWN_CCF
    mismatch_indication: MismatchIndication = MismatchIndication.ON
    aef_method_check: AefMethodCheck = AefMethodCheck.CURRENT_CONFIGURATION
    aefpsk_derivation: AefpskDerivation = AefpskDerivation.ANNEX_A1_TLS12

    @classmethod
    def from_options(cls, options: Mapping[str, str], *, ignore_unknown: bool = False) -> Settings:
        """Build settings from catalogue option ids (``token-claims``) to value names (``bound``).

        Unknown option ids are refused unless ``ignore_unknown`` is set (the catalogue also holds
        model-only options); an unknown value of a known option is always refused.
        """
        known = {_option_id(field.name): field for field in fields(cls)}
        values: dict[str, StrEnum] = {}
        for option_id, value_name in options.items():
            field = known.get(option_id)
            if field is None:
                if ignore_unknown:
                    continue
                raise SettingsError(f"unknown option id {option_id!r}; known: {', '.join(sorted(known))}")
            enum_type = _enum_of(field.name)
            try:
                values[field.name] = enum_type(value_name)
            except ValueError:
                allowed = ", ".join(member.value for member in enum_type)
                raise SettingsError(
                    f"option {option_id!r} has no value {value_name!r}; allowed: {allowed}"
                ) from None
        return cls(**values)  # type: ignore[arg-type]

    def to_options(self) -> dict[str, str]:
        """The settings as catalogue option ids to value names (the inverse of ``from_options``)."""
        return {_option_id(field.name): str(getattr(self, field.name)) for field in fields(self)}


def _option_id(field_name: str) -> str:
    return field_name.replace("_", "-")


def _enum_of(field_name: str) -> type[StrEnum]:
    default = getattr(Settings(), field_name)
    assert isinstance(default, StrEnum)
    return type(default)
