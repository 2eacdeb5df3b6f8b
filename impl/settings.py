"""Behaviour settings of the reference implementation: one per option of the catalogue
(``spec/options.yaml``), each with named values.

Every open choice of TS 33.122 / TS 29.222 and of the contributions (FFS, Editor's Note, "up to
normative work"), and every choice a deployed implementation (ETSI OpenCAPIF) was seen to make
differently, is a field here, so that each profile of the catalogue can be run for real. The defaults
are the ``recommended`` profile.

**Unsafe alternatives.** A value that leaves out a check or a protection has a Python name starting
with ``UNSAFE_`` (``TokenClientBinding.UNSAFE_UNBOUND``); its catalogue value is unchanged
(``unbound``). Settings holding an unsafe value *in effect* are refused (:class:`UnsafeSettingError`)
unless built with ``allow_unsafe=True``, and every service that starts with them logs each one
(:func:`log_unsafe`). An option is in effect unless the option it belongs to switches its feature
off (the CAPIF-6/6e options without interconnection, the CAPIF-8 options without CAPIF-8):
:data:`IN_EFFECT_WHEN`.

**Adding an option.** Write its ``StrEnum`` (unsafe values named ``UNSAFE_*``), add a field of that
type to :class:`Settings` with the recommended value as default, and, when it only matters while
another option has a value, an entry in :data:`IN_EFFECT_WHEN`. Reading, writing, refusing and
logging follow from the field.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum

UNSAFE_PREFIX = "UNSAFE_"
_LOG = logging.getLogger(__name__)


class SettingsError(ValueError):
    """An option id or value that this implementation does not know."""


class UnsafeSettingError(SettingsError):
    """Settings with an unsafe value in effect, built without ``allow_unsafe``."""


class Interconnection(StrEnum):
    """CAPIF interconnection over CAPIF-6/6e (TS 23.222 clause 8.25; contributions 000, 001)."""

    NOT_SUPPORTED = "not-supported"
    SUPPORTED = "supported"


class InterconnectMethods(StrEnum):
    """The CAPIF-2e methods offered to invokers of another provider (contribution 002 EN: PKI FFS)."""

    ALL = "all"
    PSK_ONLY = "psk-only"


class InterconnectMethodSelection(StrEnum):
    """Who selects the method for an AEF of another provider (contribution 000 7.2.2, 001 6.X.2)."""

    AEF_CCF_SELECTS = "aef-ccf-selects"
    HOME_CCF_SELECTS = "home-ccf-selects"


class NegotiationRouting(StrEnum):
    """How the home CCF finds the CCF to relay a negotiation to (contribution 001 6.X.2).

    ``invoker-supplied`` relays to whichever CCF the AEF details in the request name.
    """

    AEF_REGISTRATION = "aef-registration"
    UNSAFE_INVOKER_SUPPLIED = "invoker-supplied"


class TokenRequestRouting(StrEnum):
    """How the home CCF finds the CCF to relay a token request to (contribution 000 7.2.3)."""

    AEF_REGISTRATION = "aef-registration"
    INVOKER_SUPPLIED = "invoker-supplied"


class HomeCcfResolution(StrEnum):
    """How the AEF's CCF finds the invoker's home CCF (contribution 000 7.2.3, 001 6.X.3.1, 002 NOTE X).

    ``invoker-supplied`` asks whichever interconnected CCF the Authentication Initiation Request names.
    """

    RESOLVED_FROM_INVOKER_ID = "resolved-from-invoker-id"
    INVOKER_SUPPLIED_VALIDATED = "invoker-supplied-validated"
    UNSAFE_INVOKER_SUPPLIED = "invoker-supplied"


class TokenRelayCheck(StrEnum):
    """What the AEF's CCF checks about a CCF relaying a token request (contribution 000 7.2.3 FFS)."""

    HOME_OF_CLIENT = "home-of-client"
    UNSAFE_NONE = "none"


class InfoReleaseCheck(StrEnum):
    """Whether the home CCF releases security information only to the CCF hosting the target AEF."""

    REQUESTER_HOSTS_AEF = "requester-hosts-aef"
    UNSAFE_INTERCONNECTED_ONLY = "interconnected-only"


class Capif6Protection(StrEnum):
    """Protection of CAPIF-6/6e (contribution 000 7.2.1). ``nds-ip`` runs as mutual TLS here."""

    MUTUAL_TLS = "mutual-tls"
    NDS_IP = "nds-ip"
    UNSAFE_NONE = "none"


class InterconnectAgreementCheck(StrEnum):
    """Whether a CCF acts on CAPIF-6/6e messages only from CCFs it has an agreement with."""

    ENFORCED = "enforced"
    UNSAFE_NOT_ENFORCED = "not-enforced"


class AccessPolicySource(StrEnum):
    """Where the AEF's CCF takes the policy for an invoker of another provider (contribution 000 7.2.3)."""

    AEF_CCF = "aef-ccf"
    UNSAFE_AEF_CCF_FALLBACK_HOME = "aef-ccf-fallback-home"


class OauthSecurityInformation(StrEnum):
    """Whether the AEF's CCF fetches the invoker's root CA for OAuth (contribution 000 7.2.3, 001 6.X.3.2).

    ``root-ca`` hands the AEF a root CA it may then use for a TLS-PKI session nobody selected.
    """

    NONE = "none"
    UNSAFE_ROOT_CA = "root-ca"


class SecurityInfoCaching(StrEnum):
    """How long the AEF's CCF and the AEF keep an invoker's security information (001 6.X.3.1)."""

    UNTIL_REVOKED = "until-revoked"
    PER_AUTHENTICATION = "per-authentication"
    LIFETIME = "lifetime"


class CacheUpdateInvalidation(StrEnum):
    """Whether a new AEFPSK makes the AEF's CCF and the AEF drop the old one."""

    NOTIFY = "notify"
    NONE = "none"


class PkiRootBinding(StrEnum):
    """How an AEF uses a root CA it receives for an invoker of another provider (contribution 000 7.2.3)."""

    BOUND_TO_INVOKER = "bound-to-invoker"
    UNSAFE_GLOBAL_TRUST_ANCHOR = "global-trust-anchor"


class CrossDomainTokenIssuer(StrEnum):
    """Which CCF signs a token for an AEF of another provider (contribution 000 7.2.3 FFS, 001 6.X.3.2)."""

    AEF_CCF = "aef-ccf"
    HOME_CCF = "home-ccf"


class AefTrustedTokenKeys(StrEnum):
    """Which CCF signing keys an AEF trusts for access tokens (contribution 000, FFS)."""

    OWN_CCF = "own-ccf"
    OWN_CCF_AND_DELEGATED = "own-ccf-and-delegated"
    UNSAFE_ANY_INTERCONNECTED_CCF = "any-interconnected-ccf"


class TokenClaims(StrEnum):
    """Claim set of the access token (TS 33.122 Annex C; TS 29.222 ``AccessTokenClaims``).

    ``ts29222`` names no invoker, so a revocation cannot reach its tokens before ``exp``;
    ``opencapif-observed`` puts the invoker in ``iss``.
    """

    TS33122 = "ts33122"
    UNSAFE_TS29222 = "ts29222"
    WITH_AUD_SUB = "with-aud-sub"
    UNSAFE_OPENCAPIF_OBSERVED = "opencapif-observed"


class TokenClientBinding(StrEnum):
    """Whether the token endpoint binds ``client_id`` to the authenticated invoker (RFC 6749 3.2.1)."""

    BOUND = "bound"
    UNSAFE_UNBOUND = "unbound"


class AefScopeCheck(StrEnum):
    """What the AEF checks in the token ``scope`` (TS 33.122 clause 6.5.2.3)."""

    AEF_AND_API = "aef-and-api"
    UNSAFE_API_ONLY = "api-only"
    UNSAFE_NONE = "none"


class MethodSelectionRule(StrEnum):
    """Which common method the selecting CCF chooses (TS 33.122 6.3.1.2 states no rule)."""

    INVOKER_ORDER = "invoker-order"
    ANY_COMMON = "any-common"


class MethodUpdatePropagation(StrEnum):
    """When an AEF's method update reaches its CCF (contribution 004)."""

    IMMEDIATE = "immediate"
    DELAYED = "delayed"


class MismatchAuthentication(StrEnum):
    """Whether the invoker accepts a method mismatch failure only from the authenticated AEF (004)."""

    AUTHENTICATED = "authenticated"
    UNSAFE_UNAUTHENTICATED = "unauthenticated"


class MismatchIndication(StrEnum):
    """Whether the AEF signals a security method mismatch (contribution 004, TS 33.122 clause 6.7)."""

    ON = "on"
    OFF = "off"


class AefMethodCheck(StrEnum):
    """Against what the AEF checks the invoker's security method (contribution 004)."""

    CURRENT_CONFIGURATION = "current-configuration"
    UNSAFE_CACHED_SECURITY_INFO = "cached-security-info"


class RevocationPropagation(StrEnum):
    """Whether a revocation at the home CCF reaches the CCFs and AEFs of other providers."""

    CAPIF6_NOTIFY = "capif6-notify"
    UNSAFE_NONE = "none"


class Capif8(StrEnum):
    """CAPIF-8, resource owner function to authorization function (contribution 003)."""

    NOT_SUPPORTED = "not-supported"
    SUPPORTED = "supported"


class RofAuthentication(StrEnum):
    """How the AzF authenticates the ROF on CAPIF-8 (contribution 003 6.2.2.1)."""

    CERTIFICATE = "certificate"
    PSK = "psk"
    PASSWORD = "password"
    UNSAFE_NONE = "none"


class Capif8Protection(StrEnum):
    """Whether CAPIF-8 runs over TLS (contribution 003 6.2.2.2); ``none`` is plaintext HTTP."""

    TLS = "tls"
    UNSAFE_NONE = "none"


class AefpskDerivation(StrEnum):
    """How AEFPSK is derived from the CAPIF-1e TLS session (TS 33.122 Annex A.1).

    ``annex-a1-tls12`` is the specified TLS 1.2 mapping (master secret, session ID);
    ``tls13-exporter`` is a documented deviation for TLS 1.3 (RFC 8446 exporter).
    """

    ANNEX_A1_TLS12 = "annex-a1-tls12"
    TLS13_EXPORTER = "tls13-exporter"


_INTERCONNECTED = ("interconnection", Interconnection.SUPPORTED)
_WITH_CAPIF8 = ("capif8", Capif8.SUPPORTED)
IN_EFFECT_WHEN: Mapping[str, tuple[str, StrEnum]] = {
    "interconnect_methods": _INTERCONNECTED,
    "interconnect_method_selection": _INTERCONNECTED,
    "negotiation_routing": _INTERCONNECTED,
    "token_request_routing": _INTERCONNECTED,
    "home_ccf_resolution": _INTERCONNECTED,
    "oauth_security_information": _INTERCONNECTED,
    "security_info_caching": _INTERCONNECTED,
    "cache_update_invalidation": _INTERCONNECTED,
    "token_relay_check": _INTERCONNECTED,
    "info_release_check": _INTERCONNECTED,
    "capif6_protection": _INTERCONNECTED,
    "interconnect_agreement_check": _INTERCONNECTED,
    "access_policy_source": _INTERCONNECTED,
    "pki_root_binding": _INTERCONNECTED,
    "cross_domain_token_issuer": _INTERCONNECTED,
    "revocation_propagation": _INTERCONNECTED,
    "mismatch_authentication": ("mismatch_indication", MismatchIndication.ON),
    "rof_authentication": _WITH_CAPIF8,
    "capif8_protection": _WITH_CAPIF8,
}
"""Field name -> (field, value) it needs to matter: an option of a feature that is off has no effect."""


@dataclass(frozen=True)
class Settings:
    """The implementation's behaviour settings; the defaults are the recommended values.

    ``allow_unsafe`` must be set to hold an unsafe value in effect (it is not an option and takes no
    part in comparisons).
    """

    interconnection: Interconnection = Interconnection.SUPPORTED
    interconnect_methods: InterconnectMethods = InterconnectMethods.ALL
    interconnect_method_selection: InterconnectMethodSelection = InterconnectMethodSelection.AEF_CCF_SELECTS
    negotiation_routing: NegotiationRouting = NegotiationRouting.AEF_REGISTRATION
    token_request_routing: TokenRequestRouting = TokenRequestRouting.AEF_REGISTRATION
    home_ccf_resolution: HomeCcfResolution = HomeCcfResolution.RESOLVED_FROM_INVOKER_ID
    token_relay_check: TokenRelayCheck = TokenRelayCheck.HOME_OF_CLIENT
    info_release_check: InfoReleaseCheck = InfoReleaseCheck.REQUESTER_HOSTS_AEF
    capif6_protection: Capif6Protection = Capif6Protection.MUTUAL_TLS
    interconnect_agreement_check: InterconnectAgreementCheck = InterconnectAgreementCheck.ENFORCED
    access_policy_source: AccessPolicySource = AccessPolicySource.AEF_CCF
    oauth_security_information: OauthSecurityInformation = OauthSecurityInformation.NONE
    security_info_caching: SecurityInfoCaching = SecurityInfoCaching.UNTIL_REVOKED
    cache_update_invalidation: CacheUpdateInvalidation = CacheUpdateInvalidation.NOTIFY
    pki_root_binding: PkiRootBinding = PkiRootBinding.BOUND_TO_INVOKER
    cross_domain_token_issuer: CrossDomainTokenIssuer = CrossDomainTokenIssuer.AEF_CCF
    aef_trusted_token_keys: AefTrustedTokenKeys = AefTrustedTokenKeys.OWN_CCF
    token_claims: TokenClaims = TokenClaims.WITH_AUD_SUB
    token_client_binding: TokenClientBinding = TokenClientBinding.BOUND
    aef_scope_check: AefScopeCheck = AefScopeCheck.AEF_AND_API
    aef_method_check: AefMethodCheck = AefMethodCheck.CURRENT_CONFIGURATION
    method_selection_rule: MethodSelectionRule = MethodSelectionRule.INVOKER_ORDER
    method_update_propagation: MethodUpdatePropagation = MethodUpdatePropagation.IMMEDIATE
    mismatch_authentication: MismatchAuthentication = MismatchAuthentication.AUTHENTICATED
    mismatch_indication: MismatchIndication = MismatchIndication.ON
    revocation_propagation: RevocationPropagation = RevocationPropagation.CAPIF6_NOTIFY
    capif8: Capif8 = Capif8.SUPPORTED
    rof_authentication: RofAuthentication = RofAuthentication.CERTIFICATE
    capif8_protection: Capif8Protection = Capif8Protection.TLS
    aefpsk_derivation: AefpskDerivation = AefpskDerivation.ANNEX_A1_TLS12
    allow_unsafe: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for option in _option_fields():
            value = getattr(self, option)
            kind = _enum_of(option)
            if not isinstance(value, kind):
                raise SettingsError(f"{_option_id(option)} must be a {kind.__name__}, not {value!r}")
        unsafe = self.unsafe_in_effect()
        if unsafe and not self.allow_unsafe:
            listed = ", ".join(f"{option}={value}" for option, value in unsafe.items())
            raise UnsafeSettingError(
                f"unsafe value(s) in effect: {listed}; allow them explicitly (allow_unsafe / --allow-unsafe)"
            )

    def unsafe_in_effect(self) -> dict[str, str]:
        """The unsafe values in effect, as catalogue option id -> value name."""
        found = {}
        for option in _option_fields():
            value = getattr(self, option)
            if value.name.startswith(UNSAFE_PREFIX) and self.in_effect(option):
                found[_option_id(option)] = str(value)
        return found

    def in_effect(self, field_name: str) -> bool:
        """Whether the option of ``field_name`` matters (its feature is on, :data:`IN_EFFECT_WHEN`)."""
        condition = IN_EFFECT_WHEN.get(field_name)
        return condition is None or getattr(self, condition[0]) is condition[1]

    @classmethod
    def from_options(
        cls, options: Mapping[str, str], *, ignore_unknown: bool = False, allow_unsafe: bool = False
    ) -> Settings:
        """Build settings from catalogue option ids (``token-claims``) to value names (``bound``).

        Unknown option ids are refused unless ``ignore_unknown`` is set; an unknown value of a known
        option is always refused; an unsafe value in effect is refused unless ``allow_unsafe``.
        """
        known = {_option_id(name): name for name in _option_fields()}
        values: dict[str, StrEnum] = {}
        for option_id, value_name in options.items():
            name = known.get(option_id)
            if name is None:
                if ignore_unknown:
                    continue
                raise SettingsError(f"unknown option id {option_id!r}; known: {', '.join(sorted(known))}")
            enum_type = _enum_of(name)
            try:
                values[name] = enum_type(value_name)
            except ValueError:
                allowed = ", ".join(member.value for member in enum_type)
                raise SettingsError(
                    f"option {option_id!r} has no value {value_name!r}; allowed: {allowed}"
                ) from None
        return cls(**values, allow_unsafe=allow_unsafe)  # type: ignore[arg-type]

    def to_options(self) -> dict[str, str]:
        """The settings as catalogue option ids to value names (the inverse of ``from_options``)."""
        return {_option_id(name): str(getattr(self, name)) for name in _option_fields()}


def option_ids() -> tuple[str, ...]:
    """Every catalogue option id the implementation has a setting for."""
    return tuple(_option_id(name) for name in _option_fields())


def log_unsafe(settings: Settings, who: str) -> None:
    """Log each unsafe value ``who`` (a service starting) runs with."""
    for option, value in settings.unsafe_in_effect().items():
        _LOG.warning("%s runs with the unsafe setting %s=%s", who, option, value)


def _option_fields() -> tuple[str, ...]:
    return tuple(item.name for item in fields(Settings) if item.name != "allow_unsafe")


def _option_id(field_name: str) -> str:
    return field_name.replace("_", "-")


def _enum_of(field_name: str) -> type[StrEnum]:
    default = next(item.default for item in fields(Settings) if item.name == field_name)
    assert isinstance(default, StrEnum)
    return type(default)
