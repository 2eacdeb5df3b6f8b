"""What the handlers of both CCF endpoints share: the core, the notifier, the clock, ``locate``, caller
authentication, and building the endpoint's routes from the role table."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from impl.ccf import Caller, CapifCoreFunction
from impl.ccf.service.gate import Gate
from impl.ccf.service.notifier import Notifier
from impl.ccf.service.operations import OPERATIONS, Endpoint
from impl.ccf.service.requests import CertificateAuthenticator
from impl.clock import Clock
from impl.http import Handler, Request, Response, Router

CallerHandler = Callable[[Request, Caller], Response]


class EndpointApi:
    """Base of :class:`~impl.ccf.service.capif1e.Capif1eApi` and
    :class:`~impl.ccf.service.capif345.Capif345Api`; ``locate`` turns the core's resource path into the
    absolute ``Location`` (the core builds paths, the binding knows the endpoints' base URLs)."""

    endpoint: Endpoint

    def __init__(
        self, core: CapifCoreFunction, notifier: Notifier, clock: Clock, locate: Callable[[str], str]
    ) -> None:
        self._core = core
        self._notifier = notifier
        self._clock = clock
        self._locate = locate
        self._gate = Gate(self.endpoint, CertificateAuthenticator(core, clock))

    def handlers(self) -> Mapping[str, CallerHandler]:
        """The certificate-authenticated operations this endpoint serves, by operation key."""
        return {}

    def secret_handlers(self) -> Mapping[str, Handler]:
        """The secret-authenticated operations this endpoint serves, by operation key."""
        return {}

    def router(self) -> Router:
        """Every operation of the role table, gated for this endpoint."""
        return self._gate.router(OPERATIONS, self.handlers(), self.secret_handlers())
