"""The CCF's CAPIF-3/4/5 endpoint: the TS 29.222 APIs of the AEF, APF and AMF, over mutual TLS.

The handshake requires a client certificate chaining to the CCF's CA (TS 33.122 clause 5: CAPIF-3/4/5
are protected by TLS with mutual certificate authentication), and each request is checked against the
CCF's records, so a deregistered function's certificate is refused although it still chains.

Routes: ``PUT|DELETE /api-provider-management/v1/registrations/{registrationId}`` (AMF; 200 | 204);
``POST|GET /published-apis/v1/{apfId}/service-apis`` (APF; 201 | 200) and
``GET|PUT|DELETE .../service-apis/{serviceApiId}`` (200 | 200 | 204); ``GET|DELETE
/capif-security/v1/trustedInvokers/{apiInvokerId}`` and ``POST .../{apiInvokerId}/delete`` (AEF; 200 |
204 | 204); ``GET /access-control-policy/v1/accessControlPolicyList/{serviceApiId}`` (AEF; 200).
"""

from __future__ import annotations

from impl.ccf.service.endpoint import EndpointApi
from impl.ccf.service.requests import created, ok, query_pairs
from impl.http import Request, Response, Router

REGISTRATION = "/api-provider-management/v1/registrations/{registrationId}"
SERVICE_APIS = "/published-apis/v1/{apfId}/service-apis"
TRUSTED_INVOKER = "/capif-security/v1/trustedInvokers/{apiInvokerId}"
POLICY_LIST = "/access-control-policy/v1/accessControlPolicyList/{serviceApiId}"


class Capif345Api(EndpointApi):
    """Handlers of the CAPIF-3/4/5 endpoint."""

    def router(self) -> Router:
        router = Router()
        router.add("PUT", REGISTRATION, self.update_registration)
        router.add("DELETE", REGISTRATION, self.deregister)
        router.add("POST", SERVICE_APIS, self.publish)
        router.add("GET", SERVICE_APIS, self.list_published)
        router.add("GET", SERVICE_APIS + "/{serviceApiId}", self.get_published)
        router.add("PUT", SERVICE_APIS + "/{serviceApiId}", self.update_published)
        router.add("DELETE", SERVICE_APIS + "/{serviceApiId}", self.unpublish)
        router.add("GET", TRUSTED_INVOKER, self.security_information)
        router.add("DELETE", TRUSTED_INVOKER, self.delete_context)
        router.add("POST", TRUSTED_INVOKER + "/delete", self.revoke)
        router.add("GET", POLICY_LIST, self.policy_list)
        return router

    def update_registration(self, request: Request) -> Response:
        """TS 29.222 clause 8.9.2.3.3.2 (PUT), by an AMF of the domain."""
        caller = self._auth.caller(request)
        registration_id = request.path_params["registrationId"]
        result = self._core.providers.update(caller, registration_id, request.json(), now=self._clock())
        return ok(result.to_json())

    def deregister(self, request: Request) -> Response:
        """TS 29.222 clause 8.9.2.3.3.1, by an AMF of the domain."""
        caller = self._auth.caller(request)
        self._core.providers.deregister(caller, request.path_params["registrationId"], now=self._clock())
        return Response.no_content()

    def publish(self, request: Request) -> Response:
        """TS 29.222 clause 8.2.2.2.3.1, by the APF itself."""
        caller = self._auth.caller(request)
        result = self._core.publishing.publish(
            caller, request.path_params["apfId"], request.json(), now=self._clock()
        )
        return created(result.body.to_json(), self._locate(result.location))

    def list_published(self, request: Request) -> Response:
        """TS 29.222 clause 8.2.2.2.3.2: an array, possibly empty."""
        caller = self._auth.caller(request)
        published = self._core.publishing.list(caller, request.path_params["apfId"])
        return ok([api.to_json() for api in published])

    def get_published(self, request: Request) -> Response:
        """TS 29.222 clause 8.2.2.3.3.1."""
        caller = self._auth.caller(request)
        api = self._core.publishing.get(
            caller, request.path_params["apfId"], request.path_params["serviceApiId"]
        )
        return ok(api.to_json())

    def update_published(self, request: Request) -> Response:
        """TS 29.222 clause 8.2.2.3.3.2: contribution 004's security method update by the APF."""
        caller = self._auth.caller(request)
        api = self._core.publishing.update(
            caller,
            request.path_params["apfId"],
            request.path_params["serviceApiId"],
            request.json(),
            now=self._clock(),
        )
        return ok(api.to_json())

    def unpublish(self, request: Request) -> Response:
        """TS 29.222 clause 8.2.2.3.3.3."""
        caller = self._auth.caller(request)
        self._core.publishing.unpublish(
            caller, request.path_params["apfId"], request.path_params["serviceApiId"], now=self._clock()
        )
        return Response.no_content()

    def security_information(self, request: Request) -> Response:
        """TS 29.222 clause 8.5.2.2.3.2: the AEF fetches an invoker's security information."""
        caller = self._auth.caller(request)
        answer = self._core.security.get_context(
            caller, request.path_params["apiInvokerId"], query_pairs(request)
        )
        return ok(answer.to_json())

    def revoke(self, request: Request) -> Response:
        """TS 29.222 clause 8.5.2.5.3.1 (``delete``); TS 33.122 clause 6.6."""
        caller = self._auth.caller(request)
        notifications = self._core.security.revoke(
            caller, request.path_params["apiInvokerId"], request.json(), now=self._clock()
        )
        self._notifier.deliver(notifications)
        return Response.no_content()

    def policy_list(self, request: Request) -> Response:
        """TS 29.222 clause 8.6.2.2.3.1."""
        caller = self._auth.caller(request)
        policies = self._core.access_control.policy_list(
            caller, request.path_params["serviceApiId"], query_pairs(request)
        )
        return ok(policies.to_json())
