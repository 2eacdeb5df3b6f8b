"""What the handlers of both CCF endpoints share: the core, the notifier, the clock, ``locate``, caller
authentication, and the one operation served on both, the deletion of an invoker's security context."""

from __future__ import annotations

from collections.abc import Callable

from impl.ccf import CapifCoreFunction
from impl.ccf.service.notifier import Notifier
from impl.ccf.service.requests import CallerAuthenticator
from impl.clock import Clock
from impl.http import Request, Response


class EndpointApi:
    """Base of :class:`~impl.ccf.service.capif1e.Capif1eApi` and
    :class:`~impl.ccf.service.capif345.Capif345Api`; ``locate`` turns the core's resource path into the
    absolute ``Location`` (the core builds paths, the binding knows the endpoints' base URLs)."""

    def __init__(
        self, core: CapifCoreFunction, notifier: Notifier, clock: Clock, locate: Callable[[str], str]
    ) -> None:
        self._core = core
        self._notifier = notifier
        self._clock = clock
        self._locate = locate
        self._auth = CallerAuthenticator(core, clock)

    def delete_context(self, request: Request) -> Response:
        """TS 29.222 clause 8.5.2.2.3.3: by the invoker itself on CAPIF-1e, or by an AEF on CAPIF-3 for
        every API of that AEF; the other side is notified before the answer."""
        caller = self._auth.caller(request)
        notifications = self._core.security.delete_context(
            caller, request.path_params["apiInvokerId"], now=self._clock()
        )
        self._notifier.deliver(notifications)
        return Response.no_content()
