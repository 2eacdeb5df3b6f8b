"""What the AEF's CCF keeps of the security information a home CCF released for an invoker
(contribution 001 6.X.3.1: "If it has no security information, the CCF-A shall request the security
information ... from CCF-B"), for as long as ``security-info-caching`` says
(:func:`impl.aef.security_info.kept_for`): ``until-revoked`` until the home CCF's revocation notice,
the AEF's own revocation, a new negotiation or the home CCF's update notice
(``cache-update-invalidation=notify``) drops it, ``per-authentication`` not at all, ``lifetime`` that
long.

Deviation: the AEF's CCF still asks the home CCF whenever its AEF asks (the AEF does at every
check-authentication), so that an honest re-negotiation the AEF's CCF did not see
(``interconnect-method-selection=home-ccf-selects``) never leaves an invoker refused; what it keeps
answers the AEF while the home CCF cannot be reached. That is where a kept AEFPSK outlives a new one.

In memory only: after a restart the CCF asks again. An answer that arrives after a drop for the same
invoker is not kept (it may predate the revocation).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from impl.interconnect.messages import SecurityInformationResponse


@dataclass(frozen=True)
class HeldKey:
    """An answer is for one invoker at one AEF, from one home CCF, for the methods the AEF offered."""

    api_invoker_id: str
    aef_id: str
    home_ccf_id: str
    methods: tuple[str, ...]


class HeldAnswers:
    """Answers of home CCFs, each kept ``lifetime`` seconds; ``clock`` is monotonic seconds."""

    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[HeldKey, tuple[SecurityInformationResponse, float]] = {}
        self._generation: dict[str, int] = {}

    def generation(self, api_invoker_id: str) -> int:
        """Taken before asking the home CCF, given back to :meth:`keep`."""
        with self._lock:
            return self._generation.get(api_invoker_id, 0)

    def get(self, key: HeldKey) -> SecurityInformationResponse | None:
        with self._lock:
            found = self._held.get(key)
        if found is None or self._clock() - found[1] >= self._lifetime:
            return None
        return found[0]

    def keep(self, key: HeldKey, answer: SecurityInformationResponse, generation: int) -> None:
        if self._lifetime <= 0:
            return
        with self._lock:
            if self._generation.get(key.api_invoker_id, 0) == generation:
                self._held[key] = (answer, self._clock())

    def drop(self, api_invoker_id: str, *, home_ccf_id: str | None = None, aef_id: str | None = None) -> None:
        """Forget what is held of the invoker (from that home CCF, at that AEF, when given)."""
        with self._lock:
            self._generation[api_invoker_id] = self._generation.get(api_invoker_id, 0) + 1
            for key in [
                key
                for key in self._held
                if key.api_invoker_id == api_invoker_id
                and home_ccf_id in (None, key.home_ccf_id)
                and aef_id in (None, key.aef_id)
            ]:
                del self._held[key]
