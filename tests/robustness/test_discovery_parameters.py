"""Issue 13, defect 7: discovery accepts every query parameter of the Rel-18 OpenAPI
(``TS29222_CAPIF_Discover_Service_API.yaml``), in the serialisations OpenAPI gives them: filters where
this CCF supports them, the others read and ignored (``impl.apitypes.discover.IGNORED_PARAMETERS``,
TS 29.222 clause 8.1.2.2.3.1)."""

import json
import urllib.parse

import pytest
import yaml

from impl.apitypes.discover import IGNORED_PARAMETERS
from impl.deployment import HELLO_API, Deployment
from tests.impl.test_e2e_world import Ready, capif1e_client
from tests.robustness.conftest import shared_file

ALL_SERVICE_APIS = "/service-apis/v1/allServiceAPIs"
DISCOVER_API = "3gpp/openapi/rel18/TS29222_CAPIF_Discover_Service_API.yaml"

# A schema-valid value for each optional parameter; objects both as JSON and exploded (form style).
VALUES: dict[str, list[list[tuple[str, str]]]] = {
    "api-name": [[("api-name", HELLO_API)]],
    "api-version": [[("api-version", "v1")]],
    "comm-type": [[("comm-type", "REQUEST_RESPONSE")]],
    "protocol": [[("protocol", "HTTP_1_1")]],
    "aef-id": [],  # filled with the deployment's AEF
    "data-format": [[("data-format", "JSON")]],
    "api-cat": [[("api-cat", "example")]],
    "preferred-aef-loc": [[("preferred-aef-loc", json.dumps({"dcId": "dc-1"}))]],
    "req-api-prov-name": [[("req-api-prov-name", "provider-1")]],
    "supported-features": [[("supported-features", "0")]],
    "api-supported-features": [[("api-name", HELLO_API), ("api-supported-features", "0")]],
    "ue-ip-addr": [
        [("ue-ip-addr", json.dumps({"ipv4Addr": "198.51.100.1"}))],
        [("ipv4Addr", "198.51.100.1")],
    ],
    "service-kpis": [
        [("service-kpis", json.dumps({"maxReqRate": 10, "avalMem": "2 GB"}))],
        [("maxReqRate", "10"), ("maxRestime", "2"), ("availability", "99"), ("avalComp", "1.5 GFLOPS")],
        [("avalGraComp", "2 TFLOPS"), ("avalMem", "2 GB"), ("avalStor", "1 TB"), ("conBand", "1000")],
    ],
}


def rel18_parameters() -> list[str]:
    document = yaml.safe_load(shared_file(DISCOVER_API).read_text())
    return [parameter["name"] for parameter in document["paths"]["/allServiceAPIs"]["get"]["parameters"]]


def discover(deployment: Deployment, ready: Ready, pairs: list[tuple[str, str]]) -> tuple[int, object]:
    query = urllib.parse.urlencode([("api-invoker-id", ready.api_invoker_id), *pairs])
    with capif1e_client(deployment, ready.invoker.identity.credential) as client:
        response = client.get(f"{ALL_SERVICE_APIS}?{query}")
    return response.status, response.json()


def api_names(document: object) -> set[str]:
    assert isinstance(document, dict)
    return {api["apiName"] for api in document.get("serviceAPIDescriptions", [])}


def test_every_rel18_parameter_has_a_case() -> None:
    assert set(rel18_parameters()) == {"api-invoker-id", *VALUES}


@pytest.mark.parametrize("parameter", list(VALUES))
def test_every_rel18_parameter_is_accepted(parameter: str, deployment: Deployment, ready: Ready) -> None:
    cases = VALUES[parameter] or [[("aef-id", ready.negotiated["/pki"].target.aef_id)]]
    for pairs in cases:
        status, document = discover(deployment, ready, pairs)
        assert status == 200, (pairs, document)
        expected = set() if parameter == "api-cat" else {HELLO_API}  # the example API has no category
        assert api_names(document) == expected, pairs


def test_filters_filter_and_unknown_enumeration_values_match_nothing(
    deployment: Deployment, ready: Ready
) -> None:
    assert api_names(discover(deployment, ready, [("api-name", HELLO_API)])[1]) == {HELLO_API}
    assert api_names(discover(deployment, ready, [("api-name", "other")])[1]) == set()
    assert api_names(discover(deployment, ready, [("protocol", "HTTP_3")])[1]) == set()
    assert api_names(discover(deployment, ready, [("aef-id", "AEF-elsewhere")])[1]) == set()


def test_ignored_parameters_are_the_documented_ones() -> None:
    filtering = {"api-invoker-id", "api-name", "api-version", "comm-type", "protocol", "aef-id"}
    filtering |= {"data-format", "api-cat", "supported-features", "api-supported-features"}
    assert set(rel18_parameters()) - filtering <= IGNORED_PARAMETERS


def test_a_json_parameter_that_is_not_an_object_is_a_400(deployment: Deployment, ready: Ready) -> None:
    status, document = discover(deployment, ready, [("service-kpis", "[1]")])
    assert status == 400
    assert isinstance(document, dict) and document["cause"] == "OPTIONAL_QUERY_PARAM_INCORRECT"
