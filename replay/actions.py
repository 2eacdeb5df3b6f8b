"""The actions of the catalogue (``spec/actions``) the replayer can drive, with the sort of each
parameter, and why it cannot drive the others.

They are those of TS 33.122 Rel-18 (onboarding, negotiation, the three CAPIF-2e methods, offboarding),
the method update of contribution 004, the honest procedures of interconnection (TS 23.222 clause
8.25, contributions 000-002: relayed or home-selected negotiation, security information and policy
from the home CCF, token relay), CAPIF-8 (contribution 003: a resource owner's authorization and the
tokens that carry it), the attacker acting as the dishonest invokers, AEFs, CCFs and ROFs it
controls (including asking the CCF to revoke another invoker's authorization), and the network
attacker on an unprotected CAPIF-6/6e (``*-spoofed``, ``*-tampered``).
"""

from __future__ import annotations

from collections.abc import Mapping

INVOKER, CCF, AEF, API, METHOD, KEY, CERT, TOKEN, ROF = (
    "invoker",
    "ccf",
    "aef",
    "api",
    "method",
    "key",
    "cert",
    "token",
    "rof",
)

PARAMETERS: Mapping[str, Mapping[str, str]] = {
    "onboard": {"i": INVOKER, "c": CCF, "ct": CERT},
    "offboard": {"i": INVOKER, "c": CCF},
    "revoke-another": {"j": INVOKER, "c": CCF, "i": INVOKER, "a": AEF},
    "negotiate": {"i": INVOKER, "h": CCF, "a": AEF, "m": METHOD, "k": KEY},
    "negotiate-relayed": {"i": INVOKER, "h": CCF, "c": CCF, "a": AEF, "m": METHOD, "k": KEY},
    "negotiate-home-selects": {"i": INVOKER, "h": CCF, "c": CCF, "a": AEF, "m": METHOD, "k": KEY},
    "negotiate-relayed-to-attacker": {"i": INVOKER, "h": CCF, "d": CCF, "a": AEF, "m": METHOD, "k": KEY},
    "aef-fetch-psk": {"a": AEF, "c": CCF, "i": INVOKER, "b": AEF, "k": KEY},
    "aef-fetch-policy": {"a": AEF, "c": CCF, "i": INVOKER},
    "aef-fetch-certificate": {"a": AEF, "c": CCF, "i": INVOKER},
    "aef-fetch-root": {"a": AEF, "c": CCF, "i": INVOKER, "b": AEF, "r": CCF},
    "aef-fetch-policy-from-home": {"a": AEF, "c": CCF, "i": INVOKER, "h": CCF, "x": API},
    "fetch-from-home": {"a": AEF, "c": CCF, "i": INVOKER, "h": CCF, "m": METHOD, "k": KEY},
    "psk-session": {"a": AEF, "i": INVOKER, "k": KEY},
    "psk-session-attacker": {"a": AEF, "i": INVOKER, "k": KEY},
    "pki-session": {"a": AEF, "i": INVOKER, "ct": CERT, "r": CCF},
    "pki-session-attacker": {"a": AEF, "i": INVOKER, "ct": CERT, "r": CCF},
    "invoke": {"a": AEF, "i": INVOKER, "x": API, "m": METHOD},
    "invoke-attacker": {"a": AEF, "i": INVOKER, "x": API, "m": METHOD},
    "token-request": {"j": INVOKER, "c": CCF, "s": INVOKER, "a": AEF, "x": API, "t": TOKEN},
    "token-relayed": {"j": INVOKER, "h": CCF, "c": CCF, "s": INVOKER, "a": AEF, "x": API, "t": TOKEN},
    "token-home-issued": {"j": INVOKER, "h": CCF, "c": CCF, "s": INVOKER, "a": AEF, "x": API, "t": TOKEN},
    "token-expires": {"t": TOKEN},
    "rof-authorizes": {"r": ROF, "c": CCF, "i": INVOKER, "x": API},
    "rof-authorization-forged": {"r": ROF, "c": CCF, "i": INVOKER, "x": API},
    "ro-token": {"j": INVOKER, "c": CCF, "r": ROF, "a": AEF, "x": API, "t": TOKEN},
    "token-at-skew-limit": {"t": TOKEN},
    "oauth-invoke": {"a": AEF, "j": INVOKER, "t": TOKEN, "x": API, "c": CCF, "i": INVOKER},
    "oauth-invoke-attacker": {"a": AEF, "j": INVOKER, "t": TOKEN, "x": API, "c": CCF, "i": INVOKER},
    "oauth-invoke-dishonest-aef": {"a": AEF, "j": INVOKER, "t": TOKEN, "x": API},
    "method-enable": {"a": AEF, "c": CCF, "m": METHOD},
    "method-disable": {"a": AEF, "c": CCF, "m": METHOD},
    "aef-method-enable": {"a": AEF, "c": CCF, "m": METHOD},
    "aef-method-disable": {"a": AEF, "c": CCF, "m": METHOD},
    "method-update-reaches-ccf": {"a": AEF, "c": CCF, "m": METHOD},
    "mismatch-failure": {"i": INVOKER, "a": AEF, "m": METHOD},
    "attacker-makes-key": {"k": KEY},
    "attacker-ccf-issues-certificate": {"d": CCF, "ct": CERT, "i": INVOKER},
    "attacker-ccf-signs-token": {"d": CCF, "t": TOKEN, "s": INVOKER, "a": AEF, "x": API},
    "attacker-ccf-signs-token-as-another": {"d": CCF, "e": CCF, "t": TOKEN, "s": INVOKER, "a": AEF, "x": API},
    "release-to-attacker": {"h": CCF, "d": CCF, "i": INVOKER, "a": AEF, "k": KEY},
    "fetch-from-attacker": {"a": AEF, "c": CCF, "i": INVOKER, "d": CCF, "m": METHOD, "k": KEY},
    "release-spoofed": {"h": CCF, "e": CCF, "i": INVOKER, "a": AEF, "k": KEY},
    "fetch-spoofed": {"a": AEF, "c": CCF, "i": INVOKER, "h": CCF, "d": CCF, "m": METHOD, "k": KEY},
    "negotiate-relayed-tampered": {"i": INVOKER, "h": CCF, "c": CCF, "a": AEF, "m": METHOD, "k": KEY},
    "token-relay-spoofed": {"h": CCF, "c": CCF, "s": INVOKER, "a": AEF, "x": API, "t": TOKEN},
    "offboard-notice-dropped": {"i": INVOKER, "c": CCF},
    "token-relayed-to-attacker": {
        "j": INVOKER,
        "h": CCF,
        "d": CCF,
        "s": INVOKER,
        "a": AEF,
        "x": API,
        "t": TOKEN,
    },
    "token-relayed-by-attacker": {
        "d": CCF,
        "j": INVOKER,
        "c": CCF,
        "s": INVOKER,
        "a": AEF,
        "x": API,
        "t": TOKEN,
    },
}
"""Every action the replayer drives, and the sort of each of its parameters."""

NETWORK_ATTACKER_STEPS = frozenset(
    {
        "release-spoofed",
        "fetch-spoofed",
        "negotiate-relayed-tampered",
        "token-relay-spoofed",
        "offboard-notice-dropped",
    }
)
"""The actions of the network attacker on CAPIF-6/6e (:mod:`replay.wire.network`)."""


def unsupported_reason(action: str, via: str) -> str:
    """Why a step of ``action`` (over ``via``) cannot be driven."""
    if action.startswith("attacker-ccf-") or action.endswith(("-attacker", "-by-attacker")):
        return f"{action} needs a CCF the attacker controls, which the replayer does not play yet"
    if action.endswith("-dropped"):
        return f"{action} drops a CAPIF-6/6e message, which the replayer does not translate yet"
    if action.endswith("-forged"):
        return f"{action} needs the network attacker on CAPIF-2e, which the replayer does not play yet"
    if action.endswith("-dishonest-aef"):
        return f"{action} needs an AEF the attacker controls, which the replayer does not play yet"
    if action.startswith("aef-method-") or action == "method-update-reaches-ccf":
        return f"{action} is a method update that reaches the CCF later; the replayer updates in one step"
    if action == "cached-information-expires":
        return f"{action} ends a cache lifetime, which the target has no operation for"
    return f"{action} has no wire translation in the replayer"
