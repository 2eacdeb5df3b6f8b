"""The CCF's CAPIF-1e endpoint: the TS 29.222 operations of the API invoker, plus provider registration.

Which operation is served to whom is the role table (:mod:`impl.ccf.service.operations`); the
gate authenticates the caller and checks its role before a handler here runs. Onboarding is
authenticated by the one-time onboarding secret as ``Authorization: Bearer <secret>`` (no client
certificate yet); provider registration by ``regSec`` (its functions have no certificate before they
register); every other operation by the client certificate issued at onboarding (contribution 004,
5.1.1: mutual TLS on CAPIF-1e), checked against the CCF's records on every request.
"""

from __future__ import annotations

from collections.abc import Mapping

from impl.ccf import Caller
from impl.ccf.service.endpoint import CallerHandler, EndpointApi
from impl.ccf.service.operations import CAPIF1E
from impl.ccf.service.requests import bearer_credential, created, ok, query_pairs, token_form
from impl.http import Handler, Request, Response


class Capif1eApi(EndpointApi):
    """Handlers of the CAPIF-1e endpoint."""

    endpoint = CAPIF1E

    def handlers(self) -> Mapping[str, CallerHandler]:
        return {
            "update-invoker": self.update_invoker,
            "offboard": self.offboard,
            "discover": self.discover,
            "create-context": self.create_context,
            "update-context": self.update_context,
            "token": self.token,
        }

    def secret_handlers(self) -> Mapping[str, Handler]:
        return {"onboard": self.onboard, "register": self.register_provider}

    def onboard(self, request: Request) -> Response:
        """TS 29.222 clause 8.4.2.2.3.1; TS 33.122 clause 6.1."""
        secret = bearer_credential(request)
        result = self._core.invokers.onboard(request.json(), onboarding_secret=secret, now=self._clock())
        return created(result.body.to_json(), self._locate(result.location))

    def update_invoker(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.4.2.3.3.2 (PUT): a new CSR gets a new certificate; the AEFs that may
        hold the old one are told before the answer."""
        onboarding_id = request.path_params["onboardingId"]
        result, notifications = self._core.invokers.update(
            caller, onboarding_id, request.json(), now=self._clock()
        )
        self._notifier.deliver(notifications)
        return ok(result.to_json())

    def offboard(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.4.2.3.3.1; TS 33.122 clause 6.2: the AEFs are told before the answer."""
        notifications = self._core.invokers.offboard(
            caller, request.path_params["onboardingId"], now=self._clock()
        )
        self._notifier.deliver(notifications)
        return Response.no_content()

    def discover(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.1.2.2.3.1."""
        return ok(self._core.discovery.discover(caller, query_pairs(request)).to_json())

    def create_context(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.5.2.2.3.1: negotiation; PSK keys come from this very CAPIF-1e session."""
        result = self._core.security.create_context(
            caller,
            request.path_params["apiInvokerId"],
            request.json(),
            keying=request.peer.capif1e_keying,
            now=self._clock(),
        )
        return created(result.body.to_json(), self._locate(result.location))

    def update_context(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.5.2.4.3.1 (``update``): re-negotiation after a method mismatch."""
        result = self._core.security.update_context(
            caller,
            request.path_params["apiInvokerId"],
            request.json(),
            keying=request.peer.capif1e_keying,
            now=self._clock(),
        )
        return ok(result.to_json())

    def token(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.5.2.6.3.1; every refusal after the gate is an ``AccessTokenErr``."""
        issued = self._core.tokens.request_token(
            caller, request.path_params["securityId"], token_form(request), now=self._clock()
        )
        return ok(issued.access_token_rsp(), headers={"Cache-Control": "no-store"})

    def register_provider(self, request: Request) -> Response:
        """TS 29.222 clause 8.9.2.2.3.1, authenticated by ``regSec``."""
        result = self._core.providers.register(request.json(), now=self._clock())
        return created(result.body.to_json(), self._locate(result.location))
