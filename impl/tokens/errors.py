"""Errors of the access-token layer (TS 33.122 Annex C; TS 29.222 clause 8.5, CAPIF_Security_API).

One opaque error type, :class:`InvalidToken`, covers every reason a token is refused, so that the AEF
answers every refusal with the same 401 and leaks nothing (TS 33.122 clause 6.5.2.3). The reason code
travels on the exception for logs and tests only.
"""

from enum import StrEnum


class TokenRefusal(StrEnum):
    """Why a token was refused: for logs and tests, never for the wire."""

    NOT_A_STRING = "not-a-string"
    OVERSIZED = "oversized"
    MALFORMED = "malformed"
    DUPLICATE_MEMBER = "duplicate-member"
    FORBIDDEN_KEY_HEADER = "forbidden-key-header"
    CRITICAL_HEADER = "critical-header"
    UNKNOWN_HEADER = "unknown-header"
    WRONG_TYPE = "wrong-type"
    ALG_NONE = "alg-none"
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"
    MISSING_KID = "missing-kid"
    UNKNOWN_KID = "unknown-kid"
    ALGORITHM_KEY_MISMATCH = "algorithm-key-mismatch"
    BAD_SIGNATURE = "bad-signature"
    MISSING_CLAIM = "missing-claim"
    BAD_CLAIM_TYPE = "bad-claim-type"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    WRONG_ISSUER = "wrong-issuer"
    WRONG_AUDIENCE = "wrong-audience"
    SUBJECT_MISMATCH = "subject-mismatch"
    MALFORMED_SCOPE = "malformed-scope"
    SCOPE_MISMATCH = "scope-mismatch"


class InvalidToken(Exception):  # noqa: N818 - the name follows pyca/cryptography's InvalidToken
    """The access token is not acceptable; ``reason`` says why (TS 33.122 clause 6.5.2.3, Annex C).

    ``str()`` of the exception is deliberately the same for every reason.
    """

    def __init__(self, reason: TokenRefusal) -> None:
        super().__init__("invalid access token")
        self.reason = reason

    def __repr__(self) -> str:
        return f"InvalidToken({self.reason.value!r})"


class ScopeSyntaxError(ValueError):
    """A scope string or scope entry breaks the TS 33.122 Annex C / TS 29.222 clause 8.5 syntax."""


class KeyConfigurationError(ValueError):
    """A signing or trusted key cannot be used as configured (RFC 7517, RFC 7518 clause 3)."""
