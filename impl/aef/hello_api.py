"""The example service API this AEF exposes: ``hello`` v1, one resource.

``GET {apiRoot}/hello/v1/greeting`` (TS 29.122 clause 5.2.4 URI structure; ``{apiRoot}`` is the
interface's ``https://host:port`` and ``apiPrefix``) answers who called and by which CAPIF-2e method,
once :class:`~impl.aef.access.AccessCheck` has accepted the request. The description the APF publishes
for it (TS 29.222 ``ServiceAPIDescription``) lists every interface with its current methods.

An AEF may serve the same example under further names (``{apiRoot}/{apiName}/v1/greeting``), each
published as a service API of its own, so that token scope and access control per API can be
exercised on one AEF.
"""

from __future__ import annotations

from collections.abc import Sequence

from impl.aef.access import AccessCheck
from impl.aef.interfaces import AefInterface
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.reader import JsonObject, JsonValue
from impl.http import Request, Response, Router

API_NAME = "hello"
API_VERSION = "v1"
RESOURCE = "/greeting"


def add_hello_routes(
    router: Router, interface: AefInterface, access: AccessCheck, aef_id: str, api_name: str = API_NAME
) -> None:
    """Serve the example API as ``api_name`` on ``interface``."""

    def greeting(request: Request) -> Response:
        invocation = access.authorize(request, interface, api_name)
        return Response.json(
            {
                "greeting": f"hello, {invocation.api_invoker_id or 'holder of a valid access token'}",
                "apiInvokerId": invocation.api_invoker_id,
                "securityMethod": invocation.method.value,
                "aefId": aef_id,
                "interface": interface.name,
            }
        )

    router.add("GET", f"{interface.api_prefix}/{api_name}/{API_VERSION}{RESOURCE}", greeting)


def hello_api_description(
    aef_id: str, interfaces: Sequence[AefInterface], api_name: str = API_NAME
) -> JsonObject:
    """The ``ServiceAPIDescription`` an APF publishes for this AEF's example API named ``api_name``
    (TS 29.222 8.2.4)."""
    methods = {method for interface in interfaces for method in interface.methods}
    profile_methods: list[JsonValue] = [method.value for method in SecurityMethod if method in methods]
    descriptions: list[JsonValue] = [interface.description().to_json() for interface in interfaces]
    return {
        "apiName": api_name,
        "description": "Example service API of the capifsec AEF",
        "aefProfiles": [
            {
                "aefId": aef_id,
                "versions": [
                    {
                        "apiVersion": API_VERSION,
                        "resources": [
                            {
                                "resourceName": "greeting",
                                "commType": "REQUEST_RESPONSE",
                                "uri": RESOURCE,
                                "operations": ["GET"],
                            }
                        ],
                    }
                ],
                "protocol": "HTTP_1_1",
                "dataFormat": "JSON",
                "securityMethods": profile_methods,
                "interfaceDescriptions": descriptions,
            }
        ],
    }
