"""CAPIF access tokens: issuance at the CCF, verification at the AEF (TS 33.122 clause 6.5.2 and
Annex C; TS 29.222 clause 8.5, CAPIF_Security_API ``AccessTokenClaims``).

The safe API is what this package exports. ``jwa``, ``jws`` and ``encoding`` are the low-level layer
(RFC 7515/7518 mechanics) underneath; use them directly only to test the signature layer.

Typical use::

    signing_key = SigningKey.generate("ccf-1-2026")
    issuer = TokenIssuer(signing_key, ccf_id="ccf-1", claim_set=ClaimSet.TS29222)
    token = issuer.issue("inv-7", [ScopeEntry("aef-3", ("api-a",))], lifetime=600, now=now)
    verifier = TokenVerifier(TrustedKeySet([issuer.trusted_key]), aef_id="aef-3",
                             claim_set=ClaimSet.TS29222)
    verified = verifier.verify(token.access_token, api_name="api-a", now=now)  # or InvalidToken
"""

from impl.tokens.claims import ClaimSet
from impl.tokens.errors import InvalidToken, KeyConfigurationError, ScopeSyntaxError, TokenRefusal
from impl.tokens.issuer import IssuedToken, TokenIssuer
from impl.tokens.jwa import Algorithm
from impl.tokens.keys import SigningKey, TrustedKey, TrustedKeySet
from impl.tokens.scope import ScopeEntry, ScopeSyntax, format_scope, parse_scope
from impl.tokens.verifier import MAX_CLOCK_SKEW, ScopeCheck, TokenVerifier, VerifiedToken

__all__ = [
    "MAX_CLOCK_SKEW",
    "Algorithm",
    "ClaimSet",
    "InvalidToken",
    "IssuedToken",
    "KeyConfigurationError",
    "ScopeCheck",
    "ScopeEntry",
    "ScopeSyntax",
    "ScopeSyntaxError",
    "SigningKey",
    "TokenIssuer",
    "TokenRefusal",
    "TokenVerifier",
    "TrustedKey",
    "TrustedKeySet",
    "VerifiedToken",
    "format_scope",
    "parse_scope",
]
