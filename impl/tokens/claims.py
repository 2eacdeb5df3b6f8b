"""The claim sets an access token can carry: a deployment setting with four named values.

* ``ts33122`` — TS 33.122 Annex C: ``client_id``, ``scope``, ``exp`` (plus ``iat``).
* ``ts29222`` — TS 29.222 ``AccessTokenClaims`` (CAPIF_Security_API): ``iss`` = CCF id, ``scope``,
  ``exp`` (plus ``iat``). It names no invoker.
* ``with-aud-sub`` — not 3GPP: ``iss``, ``sub`` = invoker, ``aud`` = AEF ids, ``client_id``, ``scope``,
  ``exp``, ``iat``, ``jti`` (RFC 7519 clause 4.1 and RFC 9068 clause 2.2 practice).
* ``opencapif-observed`` — what ETSI OpenCAPIF v2.x was seen to issue: ``iss`` = ``sub`` = invoker id,
  no ``aud``, plus the members its JWT library adds (``fresh``, ``type``, ``csrf``, ``nbf``, ``jti``,
  ``res_owner_id``).

Neither 3GPP claim set has ``aud``: the AEF's audience check is its own aefId in ``scope``
(TS 33.122 Annex C). The ``scope`` syntax follows the claim set: TS 33.122 Annex C for ``ts33122``,
``3gpp#...`` (TS 29.222 clause 8.5.2) for the others.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from impl.tokens.scope import ScopeEntry, ScopeSyntax, format_scope


@dataclass(frozen=True)
class ClaimRules:
    """What a claim set requires and means, as the verifier applies it."""

    required: frozenset[str]
    scope_syntax: ScopeSyntax
    issuer_is_ccf: bool
    subject_claims: tuple[str, ...]


class ClaimSet(StrEnum):
    """Which claims the CCF writes and the AEF requires (TS 33.122 Annex C; TS 29.222 clause 8.5)."""

    TS33122 = "ts33122"
    TS29222 = "ts29222"
    WITH_AUD_SUB = "with-aud-sub"
    OPENCAPIF_OBSERVED = "opencapif-observed"

    @property
    def rules(self) -> ClaimRules:
        """Required claims, scope syntax, whether ``iss`` names the CCF, and which claims name the
        invoker (all present ones must agree)."""
        match self:
            case ClaimSet.TS33122:
                return ClaimRules(
                    frozenset({"client_id", "scope", "exp"}), ScopeSyntax.TS33122, True, ("client_id",)
                )
            case ClaimSet.TS29222:
                return ClaimRules(frozenset({"iss", "scope", "exp"}), ScopeSyntax.TS29222, True, ())
            case ClaimSet.WITH_AUD_SUB:
                return ClaimRules(
                    frozenset({"iss", "sub", "aud", "client_id", "scope", "exp", "iat", "jti"}),
                    ScopeSyntax.TS29222,
                    True,
                    ("sub", "client_id"),
                )
            case ClaimSet.OPENCAPIF_OBSERVED:
                return ClaimRules(
                    frozenset({"iss", "sub", "scope", "exp"}), ScopeSyntax.TS29222, False, ("sub",)
                )


def build_claims(
    claim_set: ClaimSet,
    *,
    ccf_id: str,
    invoker_id: str,
    scope: Sequence[ScopeEntry],
    issued_at: int,
    expires_at: int,
) -> dict[str, Any]:
    """The claims a CCF writes for ``claim_set`` (TS 33.122 Annex C; TS 29.222 clause 8.5.2)."""
    scope_text = format_scope(scope, claim_set.rules.scope_syntax)
    match claim_set:
        case ClaimSet.TS33122:
            return {"client_id": invoker_id, "scope": scope_text, "exp": expires_at, "iat": issued_at}
        case ClaimSet.TS29222:
            return {"iss": ccf_id, "scope": scope_text, "exp": expires_at, "iat": issued_at}
        case ClaimSet.WITH_AUD_SUB:
            return {
                "iss": ccf_id,
                "sub": invoker_id,
                "aud": [entry.aef_id for entry in scope],
                "client_id": invoker_id,
                "scope": scope_text,
                "exp": expires_at,
                "iat": issued_at,
                "jti": str(uuid.uuid4()),
            }
        case ClaimSet.OPENCAPIF_OBSERVED:
            return {
                "fresh": False,
                "iat": issued_at,
                "jti": str(uuid.uuid4()),
                "type": "access",
                "sub": invoker_id,
                "nbf": issued_at,
                "csrf": str(uuid.uuid4()),
                "exp": expires_at,
                "iss": invoker_id,
                "scope": scope_text,
                "res_owner_id": None,
            }
