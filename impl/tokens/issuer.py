"""Token issuance at the CCF's authorization function (TS 33.122 clause 6.5.2.2 and Annex C;
TS 29.222 clause 8.5.2, ``POST /securities/{securityId}/token``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from impl.tokens.claims import ClaimSet, build_claims
from impl.tokens.encoding import encode_json
from impl.tokens.jws import encode_header, sign_compact
from impl.tokens.keys import SigningKey, TrustedKey
from impl.tokens.scope import ScopeEntry

TOKEN_MEDIA_TYPE = "JWT"


@dataclass(frozen=True)
class IssuedToken:
    """An issued access token with what the ``AccessTokenRsp`` reports about it (TS 29.222 8.5.5)."""

    access_token: str
    expires_in: int
    scope: str

    def access_token_rsp(self) -> dict[str, Any]:
        """The ``AccessTokenRsp`` body (TS 29.222 CAPIF_Security_API)."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


class TokenIssuer:
    """Signs access tokens for one CCF with its signing key, in one claim set.

    The header (``alg``, ``typ`` = ``JWT``, ``kid``) is encoded once, at construction.
    """

    __slots__ = ("_ccf_id", "_claim_set", "_header_segment", "_signing_key")

    def __init__(self, signing_key: SigningKey, *, ccf_id: str, claim_set: ClaimSet) -> None:
        if not isinstance(ccf_id, str) or not ccf_id:
            raise ValueError("ccf_id must be a non-empty string")
        self._signing_key = signing_key
        self._ccf_id = ccf_id
        self._claim_set = ClaimSet(claim_set)
        self._header_segment = encode_header(signing_key, TOKEN_MEDIA_TYPE)

    @property
    def trusted_key(self) -> TrustedKey:
        """The public key an AEF adds to its trusted key set to accept this CCF's tokens."""
        return self._signing_key.trusted_key(self._ccf_id)

    def issue(
        self,
        invoker_id: str,
        scope: Sequence[ScopeEntry],
        *,
        lifetime: int,
        now: int,
        res_owner_id: str | None = None,
    ) -> IssuedToken:
        """A token for ``invoker_id`` granting ``scope``, valid from ``now`` for ``lifetime`` seconds;
        with ``res_owner_id`` it carries the claim ``resOwnerId`` (TS 29.222 ``AccessTokenClaims``).

        Raises ValueError (or its subclass ScopeSyntaxError) on an empty invoker id, an empty or
        malformed scope, or a lifetime that is not a positive number of seconds.
        """
        if not isinstance(invoker_id, str) or not invoker_id:
            raise ValueError("invoker_id must be a non-empty string")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
            raise ValueError("lifetime must be a positive number of seconds")
        if isinstance(now, bool) or not isinstance(now, int):
            raise ValueError("now must be an integer number of seconds since the epoch")
        claims = build_claims(
            self._claim_set,
            ccf_id=self._ccf_id,
            invoker_id=invoker_id,
            scope=scope,
            issued_at=now,
            expires_at=now + lifetime,
        )
        if res_owner_id is not None:
            claims["resOwnerId"] = res_owner_id
        token = sign_compact(self._header_segment, encode_json(claims), self._signing_key)
        return IssuedToken(token, lifetime, claims["scope"])
