"""The AEF's revocation list (TS 33.122 clauses 6.2 and 6.6; TS 29.222 AEF_Security_API
``revoke-authorization``).

Sessions authenticated by PSK or PKI are checked against the security information the AEF caches, and a
revocation drops that (:class:`~impl.aef.security_info.SecurityInfoCache`). An access token is
self-contained and valid until ``exp``, so the AEF also remembers, per invoker and API, when it was
revoked, and refuses every token naming that invoker issued at or before that moment (``iat``; a token
without ``iat`` is refused). A later context of the same invoker gets newer tokens, which pass. A token
whose claim set names no invoker (TS 29.222 ``AccessTokenClaims``) cannot be tied to a revocation: it
stays usable until ``exp``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

ALL_APIS = "*"


class RevocationList:
    """When each (invoker, API) was last revoked, in seconds since the epoch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revoked: dict[str, dict[str, int]] = {}

    def revoke(self, api_invoker_id: str, api_names: Iterable[str] | None, *, at: int) -> None:
        """Record a revocation of ``api_names`` (None: every API of this AEF) at ``at``."""
        with self._lock:
            per_api = self._revoked.setdefault(api_invoker_id, {})
            for name in (ALL_APIS,) if api_names is None else tuple(api_names):
                per_api[name] = max(at, per_api.get(name, at))

    def refuses_token(self, api_invoker_id: str, api_name: str, issued_at: int | None) -> bool:
        """Whether a token naming the invoker, issued at ``issued_at``, is revoked for ``api_name``."""
        with self._lock:
            per_api = self._revoked.get(api_invoker_id)
            if not per_api:
                return False
            moments = [at for name, at in per_api.items() if name in (api_name, ALL_APIS)]
        return bool(moments) and (issued_at is None or issued_at <= max(moments))
