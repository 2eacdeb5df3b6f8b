"""Token verification at the AEF (TS 33.122 clause 6.5.2.3 and Annex C).

The AEF checks, in order: the JWS structure and header (an algorithm it does not allow is refused as
such), the signature against the keys it trusts, the header's ``typ`` (after the signature, so that a
forged token is refused as forged), the claims the configured claim set requires, ``exp`` with at most
30 s of clock skew (TS 33.122 Annex C), ``nbf``/``iat`` not in the future, the issuer, the audience when
an ``aud`` is present (RFC 7519 clause 4.1.3), agreement of the claims naming the invoker, and finally
its own aefId and the requested API in ``scope``. Every refusal raises the same :class:`InvalidToken`.
"""

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from impl.tokens.claims import ClaimRules, ClaimSet
from impl.tokens.errors import InvalidToken, ScopeSyntaxError, TokenRefusal
from impl.tokens.issuer import TOKEN_MEDIA_TYPE
from impl.tokens.jwa import Algorithm
from impl.tokens.jws import decode_json_segment, resolve_header, split_compact
from impl.tokens.keys import TrustedKey, TrustedKeySet
from impl.tokens.scope import ScopeEntry, parse_scope, scope_grants

MAX_CLOCK_SKEW = 30
DEFAULT_MAX_TOKEN_LENGTH = 8000
"""Characters; below the HTTP layer's 8 KiB header line, so that an AEF refuses an oversized token
itself (401) rather than the line holding it (431)."""
HEADER_CACHE_SIZE = 64
SCOPE_CACHE_SIZE = 1024
TOKEN_CACHE_SIZE = 4096


class ScopeCheck(StrEnum):
    """How much of ``scope`` the AEF checks: the 33.122 rule, or the weaker ones seen or modelled."""

    AEF_AND_API = "aef-and-api"
    API_ONLY = "api-only"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What the AEF learns from an accepted token."""

    issuer: str
    kid: str
    subject: str | None
    scope: tuple[ScopeEntry, ...]
    expires_at: int
    claims: Mapping[str, object]
    issued_at: int | None = None


def _integer_claim(claims: Mapping[str, object], name: str) -> int | None:
    """The claim's value; None when absent; a present claim of the wrong type (or null) is refused."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidToken(TokenRefusal.BAD_CLAIM_TYPE)
    return value


def _string_claim(claims: Mapping[str, object], name: str) -> str | None:
    """The claim's value; None when absent; a present claim that is not a non-empty string is refused."""
    if name not in claims:
        return None
    value = claims[name]
    if not isinstance(value, str) or not value:
        raise InvalidToken(TokenRefusal.BAD_CLAIM_TYPE)
    return value


def _check_audience(claims: Mapping[str, object], aef_id: str) -> None:
    if "aud" not in claims:
        return
    audience = claims["aud"]
    names = [audience] if isinstance(audience, str) else audience
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise InvalidToken(TokenRefusal.BAD_CLAIM_TYPE)
    if aef_id not in names:
        raise InvalidToken(TokenRefusal.WRONG_AUDIENCE)


def _subject(claims: Mapping[str, object], rules: ClaimRules) -> str | None:
    """The invoker the token names; every claim of the claim set that names it must agree."""
    names = {name for name in (_string_claim(claims, claim) for claim in rules.subject_claims) if name}
    if len(names) > 1:
        raise InvalidToken(TokenRefusal.SUBJECT_MISMATCH)
    return names.pop() if names else None


class TokenVerifier:
    """An AEF's access-token check, configured once and used per request.

    ``trusted_keys`` is the trust setting (own CCF only, own and delegated CCFs, any interconnected
    CCF): the caller decides what is in it. ``allowed_algorithms`` (default ES256 only) must cover
    every trusted key. ``clock_skew`` is at most 30 s (TS 33.122 Annex C).
    """

    __slots__ = (
        "_aef_id",
        "_allowed_algorithms",
        "_headers",
        "_max_length",
        "_rules",
        "_scope_check",
        "_scopes",
        "_skew",
        "_tokens",
        "_trusted_keys",
    )

    def __init__(
        self,
        trusted_keys: TrustedKeySet,
        *,
        aef_id: str,
        claim_set: ClaimSet,
        scope_check: ScopeCheck = ScopeCheck.AEF_AND_API,
        allowed_algorithms: frozenset[Algorithm] = frozenset({Algorithm.ES256}),
        clock_skew: int = MAX_CLOCK_SKEW,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
    ) -> None:
        if not isinstance(aef_id, str) or not aef_id:
            raise ValueError("aef_id must be a non-empty string")
        if not 0 <= clock_skew <= MAX_CLOCK_SKEW:
            raise ValueError(f"clock_skew must be between 0 and {MAX_CLOCK_SKEW} s (TS 33.122 Annex C)")
        if max_token_length <= 0:
            raise ValueError("max_token_length must be positive")
        for key in trusted_keys:
            if key.algorithm not in allowed_algorithms:
                raise ValueError(f"trusted key {key.kid!r} uses {key.algorithm}, which is not allowed")
        self._trusted_keys = trusted_keys
        self._aef_id = aef_id
        self._rules = ClaimSet(claim_set).rules
        self._scope_check = ScopeCheck(scope_check)
        self._skew = clock_skew
        self._max_length = max_token_length
        self._allowed_algorithms = allowed_algorithms
        self._headers: dict[str, tuple[TrustedKey, bool]] = {}
        self._scopes: dict[str, tuple[ScopeEntry, ...]] = {}
        self._tokens: dict[str, _KnownToken] = {}

    def _header(self, header_segment: str) -> tuple[TrustedKey, bool]:
        """The key a header names and whether its ``typ`` is the token media type. Tokens of one CCF
        key share one header segment, so a bounded cache (successful look-ups only, at most
        ``HEADER_CACHE_SIZE``) spares decoding it per request."""
        found = self._headers.get(header_segment)
        if found is None:
            header = resolve_header(header_segment, self._trusted_keys, self._allowed_algorithms)
            found = (header.key, header.has_type(TOKEN_MEDIA_TYPE))
            if len(self._headers) < HEADER_CACHE_SIZE:
                self._headers[header_segment] = found
        return found

    def verify(self, token: object, *, api_name: str, now: int) -> VerifiedToken:
        """Accept ``token`` for invoking ``api_name`` on this AEF at time ``now`` (seconds since the
        epoch), or raise :class:`InvalidToken`.

        A bearer token is presented again and again until ``exp``, so what does not depend on the
        request (the parsed token and its claims checks) is kept per token string, bounded, once the
        token has passed them; the signature, the times and the API are checked on every request."""
        if not isinstance(token, str):
            raise InvalidToken(TokenRefusal.NOT_A_STRING)
        known = self._tokens.get(token)
        if known is None:
            known = self._parse(token)
        elif not known.key.prepared_signature_is_valid(known.signature, known.signing_input):
            raise InvalidToken(TokenRefusal.BAD_SIGNATURE)
        _check_times_of(known, now, self._skew)
        if self._scope_check is not ScopeCheck.NONE:
            aef_id = self._aef_id if self._scope_check is ScopeCheck.AEF_AND_API else None
            if not scope_grants(known.verified.scope, aef_id, api_name):
                raise InvalidToken(TokenRefusal.SCOPE_MISMATCH)
        return known.verified

    def _parse(self, token: str) -> "_KnownToken":
        """Everything of the token that does not depend on the request, checked; kept when it passes."""
        jws = split_compact(token, self._max_length)
        key, typed = self._header(jws.header_segment)
        prepared = key.prepared_signature(jws.signature)
        if prepared is None or not key.prepared_signature_is_valid(prepared, jws.signing_input):
            raise InvalidToken(TokenRefusal.BAD_SIGNATURE)
        if not typed:
            raise InvalidToken(TokenRefusal.WRONG_TYPE)
        claims = decode_json_segment(jws.payload_segment)
        rules = self._rules
        if not rules.required.issubset(claims):
            raise InvalidToken(TokenRefusal.MISSING_CLAIM)
        expires_at = _integer_claim(claims, "exp")
        if expires_at is None:
            raise InvalidToken(TokenRefusal.MISSING_CLAIM)
        not_before = _integer_claim(claims, "nbf")
        issued_at = _integer_claim(claims, "iat")
        issuer = _string_claim(claims, "iss")
        if rules.issuer_is_ccf and issuer is not None and issuer != key.issuer:
            raise InvalidToken(TokenRefusal.WRONG_ISSUER)
        _check_audience(claims, self._aef_id)
        subject = _subject(claims, rules)
        scope = self._parsed_scope(claims, rules)
        verified = VerifiedToken(
            key.issuer, key.kid, subject, scope, expires_at, MappingProxyType(claims), issued_at
        )
        known = _KnownToken(
            verified,
            key=key,
            signing_input=jws.signing_input,
            signature=prepared,
            not_before=not_before,
            issued_at=issued_at,
        )
        if len(self._tokens) >= TOKEN_CACHE_SIZE:
            with contextlib.suppress(KeyError, StopIteration, RuntimeError):
                del self._tokens[next(iter(self._tokens))]  # the oldest
        self._tokens[token] = known
        return known

    def _parsed_scope(self, claims: Mapping[str, object], rules: ClaimRules) -> tuple[ScopeEntry, ...]:
        """The parsed ``scope``. A CCF writes the same scope string into many tokens, so parses are
        cached (bounded) by string."""
        scope_text = _string_claim(claims, "scope")
        if scope_text is None:
            raise InvalidToken(TokenRefusal.MISSING_CLAIM)
        scope = self._scopes.get(scope_text)
        if scope is None:
            try:
                scope = parse_scope(scope_text, rules.scope_syntax)
            except ScopeSyntaxError as error:
                raise InvalidToken(TokenRefusal.MALFORMED_SCOPE) from error
            if len(self._scopes) < SCOPE_CACHE_SIZE:
                self._scopes[scope_text] = scope
        return scope


class _KnownToken:
    """A token that passed every check that does not depend on the request; ``signature`` prepared."""

    __slots__ = ("issued_at", "key", "not_before", "signature", "signing_input", "verified")

    def __init__(
        self,
        verified: VerifiedToken,
        *,
        key: TrustedKey,
        signing_input: bytes,
        signature: bytes,
        not_before: int | None,
        issued_at: int | None,
    ) -> None:
        self.verified = verified
        self.key = key
        self.signing_input = signing_input
        self.signature = signature
        self.not_before = not_before
        self.issued_at = issued_at


def _check_times_of(known: _KnownToken, now: int, skew: int) -> None:
    """``exp`` passed by more than ``skew`` seconds, or ``nbf``/``iat`` ahead by more, is refused."""
    if now > known.verified.expires_at + skew:
        raise InvalidToken(TokenRefusal.EXPIRED)
    for moment in (known.not_before, known.issued_at):
        if moment is not None and moment > now + skew:
            raise InvalidToken(TokenRefusal.NOT_YET_VALID)
