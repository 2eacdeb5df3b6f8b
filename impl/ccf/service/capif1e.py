"""The CCF's CAPIF-1e endpoint: the TS 29.222 APIs an API invoker calls, plus provider registration.

Routes (paths and status codes of the TS 29.222 Rel-18 OpenAPI files):

* ``POST /api-invoker-management/v1/onboardedInvokers`` (201, Location): onboarding, authenticated by
  the one-time onboarding secret as ``Authorization: Bearer <secret>``; no client certificate yet.
* ``PUT|DELETE /api-invoker-management/v1/onboardedInvokers/{onboardingId}`` (200 | 204).
* ``GET /service-apis/v1/allServiceAPIs`` (200).
* ``PUT /capif-security/v1/trustedInvokers/{apiInvokerId}`` (201, Location),
  ``POST .../{apiInvokerId}/update`` (200), ``DELETE .../{apiInvokerId}`` (204).
* ``POST /capif-security/v1/securities/{securityId}/token`` (200 ``AccessTokenRsp`` or ``AccessTokenErr``).
* ``POST /api-provider-management/v1/registrations`` (201, Location): a provider's functions have no
  certificate before they register, so registration, authenticated by ``regSec``, is served here next to
  onboarding; every other provider operation needs mutual TLS on CAPIF-3/4/5.

Every other operation needs the client certificate issued at onboarding (contribution 004, 5.1.1:
mutual TLS on CAPIF-1e), checked against the CCF's records on every request.
"""

from __future__ import annotations

from impl.ccf.service.endpoint import EndpointApi
from impl.ccf.service.requests import bearer_credential, created, ok, query_pairs, token_form
from impl.http import Request, Response, Router

ONBOARDED_INVOKERS = "/api-invoker-management/v1/onboardedInvokers"
ALL_SERVICE_APIS = "/service-apis/v1/allServiceAPIs"
TRUSTED_INVOKERS = "/capif-security/v1/trustedInvokers"
TOKEN = "/capif-security/v1/securities/{securityId}/token"
REGISTRATIONS = "/api-provider-management/v1/registrations"


class Capif1eApi(EndpointApi):
    """Handlers of the CAPIF-1e endpoint."""

    def router(self) -> Router:
        router = Router()
        router.add("POST", ONBOARDED_INVOKERS, self.onboard)
        router.add("PUT", ONBOARDED_INVOKERS + "/{onboardingId}", self.update_invoker)
        router.add("DELETE", ONBOARDED_INVOKERS + "/{onboardingId}", self.offboard)
        router.add("GET", ALL_SERVICE_APIS, self.discover)
        router.add("PUT", TRUSTED_INVOKERS + "/{apiInvokerId}", self.create_context)
        router.add("POST", TRUSTED_INVOKERS + "/{apiInvokerId}/update", self.update_context)
        router.add("DELETE", TRUSTED_INVOKERS + "/{apiInvokerId}", self.delete_context)
        router.add("POST", TOKEN, self.token)
        router.add("POST", REGISTRATIONS, self.register_provider)
        return router

    def onboard(self, request: Request) -> Response:
        """TS 29.222 clause 8.4.2.2.3.1; TS 33.122 clause 6.1."""
        secret = bearer_credential(request)
        result = self._core.invokers.onboard(request.json(), onboarding_secret=secret, now=self._clock())
        return created(result.body.to_json(), self._locate(result.location))

    def update_invoker(self, request: Request) -> Response:
        """TS 29.222 clause 8.4.2.3.3.2 (PUT): a new CSR gets a new certificate."""
        caller = self._auth.caller(request)
        onboarding_id = request.path_params["onboardingId"]
        result = self._core.invokers.update(caller, onboarding_id, request.json(), now=self._clock())
        return ok(result.to_json())

    def offboard(self, request: Request) -> Response:
        """TS 29.222 clause 8.4.2.3.3.1; TS 33.122 clause 6.2: the AEFs are told before the answer."""
        caller = self._auth.caller(request)
        notifications = self._core.invokers.offboard(
            caller, request.path_params["onboardingId"], now=self._clock()
        )
        self._notifier.deliver(notifications)
        return Response.no_content()

    def discover(self, request: Request) -> Response:
        """TS 29.222 clause 8.1.2.2.3.1."""
        caller = self._auth.caller(request)
        return ok(self._core.discovery.discover(caller, query_pairs(request)).to_json())

    def create_context(self, request: Request) -> Response:
        """TS 29.222 clause 8.5.2.2.3.1: negotiation; PSK keys come from this very CAPIF-1e session."""
        caller = self._auth.caller(request)
        result = self._core.security.create_context(
            caller,
            request.path_params["apiInvokerId"],
            request.json(),
            keying=request.peer.capif1e_keying,
            now=self._clock(),
        )
        return created(result.body.to_json(), self._locate(result.location))

    def update_context(self, request: Request) -> Response:
        """TS 29.222 clause 8.5.2.4.3.1 (``update``): re-negotiation after a method mismatch."""
        caller = self._auth.caller(request)
        result = self._core.security.update_context(
            caller,
            request.path_params["apiInvokerId"],
            request.json(),
            keying=request.peer.capif1e_keying,
            now=self._clock(),
        )
        return ok(result.to_json())

    def token(self, request: Request) -> Response:
        """TS 29.222 clause 8.5.2.6.3.1; every refusal is an ``AccessTokenErr``."""
        caller = self._auth.token_client(request)
        issued = self._core.tokens.request_token(
            caller, request.path_params["securityId"], token_form(request), now=self._clock()
        )
        return ok(issued.access_token_rsp(), headers={"Cache-Control": "no-store"})

    def register_provider(self, request: Request) -> Response:
        """TS 29.222 clause 8.9.2.2.3.1, authenticated by ``regSec``."""
        result = self._core.providers.register(request.json(), now=self._clock())
        return created(result.body.to_json(), self._locate(result.location))
