"""The CCF's CAPIF-3/4/5 endpoint: the TS 29.222 operations of the AEF, APF and AMF, over mutual TLS.

The handshake requires a client certificate chaining to the CCF's CA (TS 33.122 clause 5: CAPIF-3/4/5
are protected by TLS with mutual certificate authentication), and each request is checked against the
CCF's records, so a deregistered function's certificate is refused although it still chains. Which
operation is served to which of the three roles is the role table (:mod:`impl.ccf.service.operations`),
checked by the gate before a handler here runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from impl.ccf import Caller
from impl.ccf.service.endpoint import CallerHandler, EndpointApi
from impl.ccf.service.operations import CAPIF345
from impl.ccf.service.requests import created, ok, query_pairs
from impl.http import Request, Response


class Capif345Api(EndpointApi):
    """Handlers of the CAPIF-3/4/5 endpoint."""

    endpoint = CAPIF345

    def handlers(self) -> Mapping[str, CallerHandler]:
        return {
            "update-registration": self.update_registration,
            "deregister": self.deregister,
            "publish": self.publish,
            "list-published": self.list_published,
            "get-published": self.get_published,
            "update-published": self.update_published,
            "unpublish": self.unpublish,
            "security-information": self.security_information,
            "revoke-all": self.revoke_all,
            "revoke": self.revoke,
            "policy-list": self.policy_list,
        }

    def update_registration(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.9.2.3.3.2 (PUT), by an AMF of the domain."""
        registration_id = request.path_params["registrationId"]
        result = self._core.providers.update(caller, registration_id, request.json(), now=self._clock())
        return ok(result.to_json())

    def deregister(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.9.2.3.3.1, by an AMF of the domain."""
        self._core.providers.deregister(caller, request.path_params["registrationId"], now=self._clock())
        return Response.no_content()

    def publish(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.2.2.2.3.1, by the APF itself."""
        result = self._core.publishing.publish(
            caller, request.path_params["apfId"], request.json(), now=self._clock()
        )
        return created(result.body.to_json(), self._locate(result.location))

    def list_published(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.2.2.2.3.2: an array, possibly empty."""
        published = self._core.publishing.list(caller, request.path_params["apfId"])
        return ok([api.to_json() for api in published])

    def get_published(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.2.2.3.3.1."""
        api = self._core.publishing.get(
            caller, request.path_params["apfId"], request.path_params["serviceApiId"]
        )
        return ok(api.to_json())

    def update_published(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.2.2.3.3.2: contribution 004's security method update by the APF."""
        api = self._core.publishing.update(
            caller,
            request.path_params["apfId"],
            request.path_params["serviceApiId"],
            request.json(),
            now=self._clock(),
        )
        return ok(api.to_json())

    def unpublish(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.2.2.3.3.3."""
        self._core.publishing.unpublish(
            caller, request.path_params["apfId"], request.path_params["serviceApiId"], now=self._clock()
        )
        return Response.no_content()

    def security_information(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.5.2.2.3.2: the AEF fetches an invoker's security information."""
        answer = self._core.security.get_context(
            caller, request.path_params["apiInvokerId"], query_pairs(request)
        )
        return ok(answer.to_json())

    def revoke_all(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.5.2.2.3.3: the AEF revokes the invoker's authorization for every API of
        that AEF; the invoker is notified before the answer."""
        notifications = self._core.security.revoke_all(
            caller, request.path_params["apiInvokerId"], now=self._clock()
        )
        self._notifier.deliver(notifications)
        return Response.no_content()

    def revoke(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.5.2.5.3.1 (``delete``); TS 33.122 clause 6.6."""
        notifications = self._core.security.revoke(
            caller, request.path_params["apiInvokerId"], request.json(), now=self._clock()
        )
        self._notifier.deliver(notifications)
        return Response.no_content()

    def policy_list(self, request: Request, caller: Caller) -> Response:
        """TS 29.222 clause 8.6.2.2.3.1."""
        policies = self._core.access_control.policy_list(
            caller, request.path_params["serviceApiId"], query_pairs(request)
        )
        return ok(policies.to_json())
