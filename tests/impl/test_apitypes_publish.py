"""TS 29.222 publish, invoker and provider bodies: accepted shapes round-trip, refusals name the field."""

from __future__ import annotations

import copy

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.apitypes.invoker import APIInvokerEnrolmentDetails
from impl.apitypes.problems import BadRequestError, Cause
from impl.apitypes.provider import APIProviderEnrolmentDetails
from impl.apitypes.publish import InterfaceDescription, ServiceAPIDescription
from impl.apitypes.reader import Fields, JsonObject

SERVICE_API: JsonObject = {
    "apiName": "3gpp-monitoring-event",
    "aefProfiles": [
        {
            "aefId": "AEF01",
            "versions": [
                {
                    "apiVersion": "v1",
                    "expiry": "2030-01-01T00:00:00Z",
                    "resources": [
                        {
                            "resourceName": "subscriptions",
                            "commType": "SUBSCRIBE_NOTIFY",
                            "uri": "/subscriptions",
                            "operations": ["GET", "POST"],
                            "custOperations": [{"commType": "REQUEST_RESPONSE", "custOpName": "check"}],
                        }
                    ],
                }
            ],
            "protocol": "HTTP_2",
            "dataFormat": "JSON",
            "securityMethods": ["PSK", "OAUTH"],
            "interfaceDescriptions": [
                {"ipv4Addr": "192.0.2.1", "port": 443, "apiPrefix": "/nef", "securityMethods": ["PKI"]},
                {"fqdn": "aef.example.org", "port": 8443},
            ],
            "aefLocation": {"dcId": "dc-7"},
            "serviceKpis": {"maxReqRate": 10},
        },
        {"aefId": "AEF02", "versions": [{"apiVersion": "v2"}], "domainName": "example.org"},
    ],
    "apiStatus": {"aefIds": ["AEF01"]},
    "description": "events",
    "supportedFeatures": "0A",
    "shareableInfo": {"isShareable": True, "capifProvDoms": ["dom-b"]},
    "serviceAPICategory": "monitoring",
    "apiSuppFeats": "1",
    "pubApiPath": {"ccfIds": ["ccf-b"]},
    "ccfId": "ccf-home",
}


def test_a_full_service_api_description_round_trips() -> None:
    description = ServiceAPIDescription.read(SERVICE_API, creating=True)
    assert description.to_json() == SERVICE_API
    assert ServiceAPIDescription.read(description.to_json(), creating=False) == description


def test_interface_methods_and_active_profiles_are_read() -> None:
    description = ServiceAPIDescription.read(SERVICE_API, creating=True)
    first = description.aef_profiles[0]
    assert first.security_methods == (SecurityMethod.PSK, SecurityMethod.OAUTH)
    assert first.interface_descriptions is not None
    assert first.interface_descriptions[0].security_methods == (SecurityMethod.PKI,)
    assert [p.aef_id for p in description.active_profiles()] == ["AEF01"]


def test_restricting_to_aefs_keeps_api_status_consistent() -> None:
    description = ServiceAPIDescription.read(SERVICE_API, creating=True).restricted_to(frozenset({"AEF02"}))
    assert [p.aef_id for p in description.aef_profiles] == ["AEF02"]
    assert description.api_status_aef_ids == ()


def test_unknown_attributes_are_ignored_and_not_kept() -> None:
    body = copy.deepcopy(SERVICE_API)
    body["vendorExtension"] = {"x": 1}
    assert "vendorExtension" not in ServiceAPIDescription.read(body, creating=True).to_json()


def _mutated(path: list[str | int], value: object) -> JsonObject:
    body = copy.deepcopy(SERVICE_API)
    target: object = body
    for step in path[:-1]:
        target = target[step]  # type: ignore[index]
    if value is _DELETE:
        del target[path[-1]]  # type: ignore[attr-defined]
    else:
        target[path[-1]] = value  # type: ignore[index]
    return body


_DELETE = object()

REFUSALS = [
    ("missing apiName", ["apiName"], _DELETE, "/apiName", Cause.MANDATORY_IE_MISSING),
    ("apiName with a separator", ["apiName"], "a:b", "/apiName", Cause.MANDATORY_IE_INCORRECT),
    ("apiId on create", ["apiId"], "API1", "/apiId", Cause.OPTIONAL_IE_INCORRECT),
    ("no profiles", ["aefProfiles"], [], "/aefProfiles", Cause.MANDATORY_IE_INCORRECT),
    ("profile not an object", ["aefProfiles", 0], "AEF01", "/aefProfiles/0", Cause.MANDATORY_IE_INCORRECT),
    (
        "missing versions",
        ["aefProfiles", 0, "versions"],
        _DELETE,
        "/aefProfiles/0/versions",
        Cause.MANDATORY_IE_MISSING,
    ),
    (
        "unknown security method",
        ["aefProfiles", 0, "securityMethods"],
        ["PSK", "TLS13"],
        "/aefProfiles/0/securityMethods/1",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "repeated security method",
        ["aefProfiles", 0, "securityMethods"],
        ["PSK", "PSK"],
        "/aefProfiles/0/securityMethods",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "both domainName and interfaces",
        ["aefProfiles", 0, "domainName"],
        "example.org",
        "/aefProfiles/0",
        Cause.MANDATORY_IE_INCORRECT,
    ),
    (
        "neither domainName nor interfaces",
        ["aefProfiles", 1, "domainName"],
        _DELETE,
        "/aefProfiles/1",
        Cause.MANDATORY_IE_MISSING,
    ),
    (
        "port out of range",
        ["aefProfiles", 0, "interfaceDescriptions", 0, "port"],
        70000,
        "/aefProfiles/0/interfaceDescriptions/0/port",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "port is a boolean",
        ["aefProfiles", 0, "interfaceDescriptions", 0, "port"],
        True,
        "/aefProfiles/0/interfaceDescriptions/0/port",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "bad IPv4 address",
        ["aefProfiles", 0, "interfaceDescriptions", 0, "ipv4Addr"],
        "192.0.2.300",
        "/aefProfiles/0/interfaceDescriptions/0/ipv4Addr",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "bad FQDN",
        ["aefProfiles", 0, "interfaceDescriptions", 1, "fqdn"],
        "not a name",
        "/aefProfiles/0/interfaceDescriptions/1/fqdn",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "two addresses",
        ["aefProfiles", 0, "interfaceDescriptions", 1, "ipv4Addr"],
        "192.0.2.2",
        "/aefProfiles/0/interfaceDescriptions/1",
        Cause.MANDATORY_IE_INCORRECT,
    ),
    (
        "unknown protocol",
        ["aefProfiles", 0, "protocol"],
        "HTTP_3",
        "/aefProfiles/0/protocol",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "bad expiry",
        ["aefProfiles", 0, "versions", 0, "expiry"],
        "tomorrow",
        "/aefProfiles/0/versions/0/expiry",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "expiry without zone",
        ["aefProfiles", 0, "versions", 0, "expiry"],
        "2030-01-01T00:00:00",
        "/aefProfiles/0/versions/0/expiry",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    (
        "status names a stranger",
        ["apiStatus", "aefIds"],
        ["AEF09"],
        "/apiStatus/aefIds",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    ("features not hex", ["supportedFeatures"], "xyz", "/supportedFeatures", Cause.OPTIONAL_IE_INCORRECT),
    (
        "NaN in an opaque object",
        ["aefProfiles", 0, "serviceKpis"],
        {"maxReqRate": float("nan")},
        "/aefProfiles/0/serviceKpis/maxReqRate",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
    ("description too long", ["description"], "x" * 5000, "/description", Cause.OPTIONAL_IE_INCORRECT),
    (
        "control character",
        ["serviceAPICategory"],
        "a\u0000b",
        "/serviceAPICategory",
        Cause.OPTIONAL_IE_INCORRECT,
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "pointer", "cause"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_name_the_field(path: list[str | int], value: object, pointer: str, cause: Cause) -> None:
    with pytest.raises(BadRequestError) as refusal:
        ServiceAPIDescription.read(_mutated(path, value), creating=True)
    assert refusal.value.cause is cause
    assert [param.param for param in refusal.value.invalid_params] == [pointer]
    assert refusal.value.to_problem_details()["status"] == 400


def test_an_aef_may_appear_once_per_description() -> None:
    body = copy.deepcopy(SERVICE_API)
    body["aefProfiles"] = [SERVICE_API["aefProfiles"][0]] * 2  # type: ignore[index]
    with pytest.raises(BadRequestError) as refusal:
        ServiceAPIDescription.read(body, creating=True)
    assert refusal.value.invalid_params[0].param == "/aefProfiles"


def test_interface_address_key_normalises_names_and_ignores_methods() -> None:
    first = InterfaceDescription.read(
        Fields({"fqdn": "AEF.Example.org.", "port": 1, "securityMethods": ["PSK"]}, "")
    )
    second = InterfaceDescription.read(Fields({"fqdn": "aef.example.org", "port": 1}, ""))
    assert first.address_key() == second.address_key()
    assert first != second


ENROLMENT: JsonObject = {
    "onboardingInformation": {"apiInvokerPublicKey": "-----BEGIN CERTIFICATE REQUEST-----..."},
    "notificationDestination": "https://invoker.example.org/cb",
    "requestTestNotification": False,
    "apiInvokerInformation": "device 7",
    "supportedFeatures": "3",
}


def test_enrolment_details_read_and_answer() -> None:
    details = APIInvokerEnrolmentDetails.read(ENROLMENT, creating=True)
    answered = details.assigned("INV1", "CERT", ())
    assert answered.to_json() == {
        **{key: value for key, value in ENROLMENT.items() if key != "requestTestNotification"},
        "apiInvokerId": "INV1",
        "onboardingInformation": {
            "apiInvokerPublicKey": "-----BEGIN CERTIFICATE REQUEST-----...",
            "apiInvokerCertificate": "CERT",
        },
        "supportedFeatures": "0",
    }


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"apiInvokerId": "INV1"}, "/apiInvokerId"),
        ({"notificationDestination": "ftp://x/y"}, "/notificationDestination"),
        ({"notificationDestination": "not a uri"}, "/notificationDestination"),
        ({"onboardingInformation": {}}, "/onboardingInformation/apiInvokerPublicKey"),
        (
            {"onboardingInformation": {"apiInvokerPublicKey": "x" * 20000}},
            "/onboardingInformation/apiInvokerPublicKey",
        ),
    ],
)
def test_enrolment_refusals(change: JsonObject, pointer: str) -> None:
    with pytest.raises(BadRequestError) as refusal:
        APIInvokerEnrolmentDetails.read({**ENROLMENT, **change}, creating=True)
    assert refusal.value.invalid_params[0].param == pointer


def test_an_update_needs_the_invoker_id() -> None:
    with pytest.raises(BadRequestError) as refusal:
        APIInvokerEnrolmentDetails.read(ENROLMENT, creating=False)
    assert refusal.value.cause is Cause.MANDATORY_IE_MISSING


REGISTRATION: JsonObject = {
    "regSec": "secret",
    "apiProvFuncs": [
        {"regInfo": {"apiProvPubKey": "CSR1"}, "apiProvFuncRole": "AMF", "apiProvFuncInfo": "amf"},
        {"regInfo": {"apiProvPubKey": "CSR2"}, "apiProvFuncRole": "AEF"},
    ],
    "apiProvDomInfo": "provider",
}


def test_registration_reads_functions() -> None:
    registration = APIProviderEnrolmentDetails.read(REGISTRATION, creating=True)
    assert [str(f.api_prov_func_role) for f in registration.api_prov_funcs] == ["AMF", "AEF"]
    assert registration.to_json() == REGISTRATION


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"regSec": None}, "/regSec"),
        ({"apiProvDomId": "DOM1"}, "/apiProvDomId"),
        (
            {"apiProvFuncs": [{"regInfo": {"apiProvPubKey": "C"}, "apiProvFuncRole": "CCF"}]},
            "/apiProvFuncs/0/apiProvFuncRole",
        ),
        (
            {
                "apiProvFuncs": [
                    {"regInfo": {"apiProvPubKey": "C"}, "apiProvFuncRole": "AEF", "apiProvFuncId": "x"}
                ]
            },
            "/apiProvFuncs/0/apiProvFuncId",
        ),
    ],
)
def test_registration_refusals(change: JsonObject, pointer: str) -> None:
    with pytest.raises(BadRequestError) as refusal:
        APIProviderEnrolmentDetails.read({**REGISTRATION, **change}, creating=True)
    assert refusal.value.invalid_params[0].param == pointer


def test_a_body_that_is_not_an_object_is_refused_at_the_root() -> None:
    with pytest.raises(BadRequestError) as refusal:
        ServiceAPIDescription.read(["apiName"], creating=True)
    assert refusal.value.invalid_params[0].param == "/"
