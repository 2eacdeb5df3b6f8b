"""The actions of the catalogue (``spec/actions``) the replayer can drive on one CAPIF provider, with
the sort of each parameter, and why it cannot drive the others.

The single-provider actions are those of TS 33.122 Rel-18 (onboarding, negotiation, the three CAPIF-2e
methods, offboarding), the method update of contribution 004, and the attacker acting as the
dishonest invokers it controls (including asking the CCF to revoke another invoker's
authorization). CAPIF-6/6e (TS 23.222 clause 8.25, contributions 000-002), CAPIF-8 (contribution 003)
and CCFs the attacker controls have no counterpart in a one-provider deployment.
"""

from __future__ import annotations

from collections.abc import Mapping

INVOKER, CCF, AEF, API, METHOD, KEY, CERT, TOKEN = (
    "invoker",
    "ccf",
    "aef",
    "api",
    "method",
    "key",
    "cert",
    "token",
)

PARAMETERS: Mapping[str, Mapping[str, str]] = {
    "onboard": {"i": INVOKER, "c": CCF, "ct": CERT},
    "offboard": {"i": INVOKER, "c": CCF},
    "revoke-another": {"j": INVOKER, "c": CCF, "i": INVOKER, "a": AEF},
    "negotiate": {"i": INVOKER, "h": CCF, "a": AEF, "m": METHOD, "k": KEY},
    "aef-fetch-psk": {"a": AEF, "c": CCF, "i": INVOKER, "b": AEF, "k": KEY},
    "aef-fetch-policy": {"a": AEF, "c": CCF, "i": INVOKER},
    "aef-fetch-certificate": {"a": AEF, "c": CCF, "i": INVOKER},
    "psk-session": {"a": AEF, "i": INVOKER, "k": KEY},
    "psk-session-attacker": {"a": AEF, "i": INVOKER, "k": KEY},
    "pki-session": {"a": AEF, "i": INVOKER, "ct": CERT, "r": CCF},
    "pki-session-attacker": {"a": AEF, "i": INVOKER, "ct": CERT, "r": CCF},
    "invoke": {"a": AEF, "i": INVOKER, "x": API, "m": METHOD},
    "invoke-attacker": {"a": AEF, "i": INVOKER, "x": API, "m": METHOD},
    "token-request": {"j": INVOKER, "c": CCF, "s": INVOKER, "a": AEF, "x": API, "t": TOKEN},
    "token-expires": {"t": TOKEN},
    "oauth-invoke": {"a": AEF, "j": INVOKER, "t": TOKEN, "x": API, "c": CCF, "i": INVOKER},
    "oauth-invoke-attacker": {"a": AEF, "j": INVOKER, "t": TOKEN, "x": API, "c": CCF, "i": INVOKER},
    "method-enable": {"a": AEF, "c": CCF, "m": METHOD},
    "method-disable": {"a": AEF, "c": CCF, "m": METHOD},
    "mismatch-failure": {"i": INVOKER, "a": AEF, "m": METHOD},
    "attacker-makes-key": {"k": KEY},
}
"""Every action the replayer drives, and the sort of each of its parameters."""


INTERCONNECTION_ONLY = frozenset({"negotiate-home-selects", "token-home-issued", "aef-fetch-root"})
"""Interconnection actions that do not themselves travel on CAPIF-6/6e: they concern an AEF of another
provider, or security information that only CAPIF-6/6e brings."""


def unsupported_reason(action: str, via: str) -> str:
    """Why a step of ``action`` (over ``via``) cannot be driven on one CAPIF provider."""
    if "CAPIF-6" in via:
        return f"{action} crosses CAPIF-6/6e between two CCFs; the target is one CAPIF provider"
    if action in INTERCONNECTION_ONLY:
        return (
            f"{action} concerns an AEF or a CA of another provider (interconnection);"
            " the target is one CAPIF provider"
        )
    if "CAPIF-8" in via or action.startswith(("rof-", "ro-")):
        return f"{action} belongs to CAPIF-8 (resource owner function), which the target does not offer"
    if action.startswith("attacker-ccf-"):
        return f"{action} needs a CCF the attacker controls; the target's CCF is honest"
    return f"{action} has no single-provider REST mapping"
