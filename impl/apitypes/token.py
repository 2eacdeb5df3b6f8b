"""The token endpoint's request: ``AccessTokenReq`` (TS 29.222 clause 8.5.4.2, RFC 6749 clause 4.4.2).

The ``scope`` is read in either syntax of :mod:`impl.tokens.scope`: ``3gpp#aefId:api1,api2;...``
(TS 29.222) or ``aefId:api1,api2;...`` (TS 33.122 Annex C).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from impl.apitypes.problems import AccessTokenError, TokenErrorCode
from impl.tokens import ScopeEntry, ScopeSyntax, ScopeSyntaxError, parse_scope
from impl.tokens.scope import TS29222_SCOPE_PREFIX

MAX_FORM_VALUE_LENGTH = 2048


@dataclass(frozen=True)
class AccessTokenRequest:
    """TS 29.222 ``AccessTokenReq`` with ``grant_type=client_credentials``.

    ``client_secret`` is ignored: the client authenticates with its CAPIF-1e certificate.
    ``resOwnerId`` names the resource owner whose authorization (recorded over CAPIF-8) the token
    carries; ``authCode`` (authorization code flows) is not supported and refused.
    Unknown parameters are ignored (RFC 6749 clause 3.2); repeated ones are refused (clause 3.1).
    """

    client_id: str
    scope: tuple[ScopeEntry, ...]
    res_owner_id: str | None = None

    @classmethod
    def read(cls, pairs: Iterable[tuple[str, str]]) -> AccessTokenRequest:
        """Read the form parameters; every refusal is an ``AccessTokenError`` (RFC 6749 clause 5.2)."""
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form:
                raise _invalid_request(f"parameter {name} is repeated")
            if len(value) > MAX_FORM_VALUE_LENGTH or any(ord(char) < 0x20 for char in value):
                raise _invalid_request(f"parameter {name} is too long or holds control characters")
            form[name] = value
        grant_type = form.get("grant_type")
        if not grant_type:
            raise _invalid_request("grant_type is required")
        if grant_type != "client_credentials":
            description = "only client_credentials is supported"
            raise AccessTokenError(TokenErrorCode.UNSUPPORTED_GRANT_TYPE, description)
        client_id = form.get("client_id")
        if not client_id:
            raise _invalid_request("client_id is required")
        if "authCode" in form:
            raise _invalid_request("authCode is not supported by this CAPIF core function")
        res_owner_id = form.get("resOwnerId")
        if res_owner_id is not None and (not res_owner_id or any(char.isspace() for char in res_owner_id)):
            raise _invalid_request("resOwnerId must be a non-empty identifier")
        scope = form.get("scope")
        if not scope:
            raise AccessTokenError(TokenErrorCode.INVALID_SCOPE, "scope is required")
        syntax = ScopeSyntax.TS29222 if scope.startswith(TS29222_SCOPE_PREFIX) else ScopeSyntax.TS33122
        try:
            entries = parse_scope(scope, syntax)
        except ScopeSyntaxError as error:
            raise AccessTokenError(TokenErrorCode.INVALID_SCOPE, str(error)) from None
        return cls(client_id=client_id, scope=entries, res_owner_id=res_owner_id)


def _invalid_request(description: str) -> AccessTokenError:
    return AccessTokenError(TokenErrorCode.INVALID_REQUEST, description)
