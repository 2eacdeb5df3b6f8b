"""CAPIF_Security_API bodies, the token request form, and query parameters."""

from __future__ import annotations

import pytest

from impl.apitypes.acl import AccessControlPolicyList, AccessControlPolicyQuery
from impl.apitypes.discover import DiscoveredAPIs, DiscoverQuery
from impl.apitypes.enums import CommunicationType, RevocationCause, SecurityMethod
from impl.apitypes.problems import AccessTokenError, BadRequestError, Cause, TokenErrorCode
from impl.apitypes.reader import JsonObject
from impl.apitypes.security import SecurityNotification, ServiceSecurity
from impl.apitypes.token import AccessTokenRequest
from impl.tokens import ScopeEntry

SECURITY: JsonObject = {
    "securityInfo": [
        {"aefId": "AEF1", "prefSecurityMethods": ["PSK", "OAUTH"]},
        {
            "interfaceDetails": {"ipv4Addr": "127.0.0.1", "port": 8001},
            "apiId": "API1",
            "prefSecurityMethods": ["PKI"],
        },
    ],
    "notificationDestination": "https://127.0.0.1:9000/n",
    "supportedFeatures": "0",
}


def test_service_security_round_trips_and_keeps_preference_order() -> None:
    security = ServiceSecurity.read(SECURITY)
    assert security.security_info[0].pref_security_methods == (SecurityMethod.PSK, SecurityMethod.OAUTH)
    assert security.to_json() == SECURITY


def test_ccf_written_fields_in_a_request_are_ignored() -> None:
    entry = {
        "aefId": "AEF1",
        "prefSecurityMethods": ["PKI"],
        "selSecurityMethod": "PSK",
        "authenticationInfo": "k",
    }
    security = ServiceSecurity.read({**SECURITY, "securityInfo": [entry]})
    assert security.security_info[0].sel_security_method is None
    assert security.security_info[0].authentication_info is None


@pytest.mark.parametrize(
    ("entries", "pointer", "cause"),
    [
        ([], "/securityInfo", Cause.MANDATORY_IE_INCORRECT),
        ([{"prefSecurityMethods": ["PSK"]}], "/securityInfo/0", Cause.MANDATORY_IE_MISSING),
        (
            [{"aefId": "A", "interfaceDetails": {"fqdn": "a.example.org"}, "prefSecurityMethods": ["PSK"]}],
            "/securityInfo/0",
            Cause.MANDATORY_IE_INCORRECT,
        ),
        (
            [{"aefId": "A", "prefSecurityMethods": []}],
            "/securityInfo/0/prefSecurityMethods",
            Cause.MANDATORY_IE_INCORRECT,
        ),
        (
            [{"aefId": "A", "prefSecurityMethods": ["psk"]}],
            "/securityInfo/0/prefSecurityMethods/0",
            Cause.MANDATORY_IE_INCORRECT,
        ),
        ([{"aefId": "A"}], "/securityInfo/0/prefSecurityMethods", Cause.MANDATORY_IE_MISSING),
        (
            [{"aefId": "A B", "prefSecurityMethods": ["PKI"]}],
            "/securityInfo/0/aefId",
            Cause.OPTIONAL_IE_INCORRECT,
        ),
        (
            [{"aefId": "A", "prefSecurityMethods": ["PKI"]}, {"aefId": "A", "prefSecurityMethods": ["PSK"]}],
            "/securityInfo",
            Cause.MANDATORY_IE_INCORRECT,
        ),
    ],
)
def test_service_security_refusals(entries: list[JsonObject], pointer: str, cause: Cause) -> None:
    with pytest.raises(BadRequestError) as refusal:
        ServiceSecurity.read({**SECURITY, "securityInfo": list(entries)})
    assert refusal.value.cause is cause
    assert refusal.value.invalid_params[0].param == pointer


def test_security_notification_reads_the_revocation() -> None:
    body: JsonObject = {
        "apiInvokerId": "INV1",
        "aefId": "AEF1",
        "apiIds": ["API1"],
        "cause": "OVERLIMIT_USAGE",
    }
    notification = SecurityNotification.read(body)
    assert notification.cause is RevocationCause.OVERLIMIT_USAGE
    assert notification.to_json() == body


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"apiInvokerId": "INV1", "apiIds": [], "cause": "UNEXPECTED_REASON"}, "/apiIds"),
        ({"apiInvokerId": "INV1", "apiIds": ["A"], "cause": "BORED"}, "/cause"),
        ({"apiIds": ["A"], "cause": "UNEXPECTED_REASON"}, "/apiInvokerId"),
    ],
)
def test_security_notification_refusals(body: JsonObject, pointer: str) -> None:
    with pytest.raises(BadRequestError) as refusal:
        SecurityNotification.read(body)
    assert refusal.value.invalid_params[0].param == pointer


def test_token_request_reads_both_scope_syntaxes() -> None:
    for scope in ("3gpp#AEF1:api-a,api-b;AEF2:api-c", "AEF1:api-a,api-b;AEF2:api-c"):
        request = AccessTokenRequest.read(
            [("grant_type", "client_credentials"), ("client_id", "INV1"), ("scope", scope), ("other", "x")]
        )
        assert request.client_id == "INV1"
        assert request.scope == (ScopeEntry("AEF1", ("api-a", "api-b")), ScopeEntry("AEF2", ("api-c",)))


BASE_FORM = [("grant_type", "client_credentials"), ("client_id", "INV1"), ("scope", "3gpp#AEF1:api-a")]


@pytest.mark.parametrize(
    ("form", "error", "status"),
    [
        ([], TokenErrorCode.INVALID_REQUEST, 400),
        ([("client_id", "INV1"), ("scope", "3gpp#A:b")], TokenErrorCode.INVALID_REQUEST, 400),
        ([("grant_type", "password"), *BASE_FORM[1:]], TokenErrorCode.UNSUPPORTED_GRANT_TYPE, 400),
        ([*BASE_FORM, ("client_id", "INV2")], TokenErrorCode.INVALID_REQUEST, 400),
        ([BASE_FORM[0], BASE_FORM[2]], TokenErrorCode.INVALID_REQUEST, 400),
        ([*BASE_FORM, ("resOwnerId", "")], TokenErrorCode.INVALID_REQUEST, 400),
        ([*BASE_FORM, ("authCode", "code")], TokenErrorCode.INVALID_REQUEST, 400),
        (BASE_FORM[:2], TokenErrorCode.INVALID_SCOPE, 400),
        ([*BASE_FORM[:2], ("scope", "3gpp#AEF1:")], TokenErrorCode.INVALID_SCOPE, 400),
        ([*BASE_FORM[:2], ("scope", "3gpp#AEF1:a;AEF1:b")], TokenErrorCode.INVALID_SCOPE, 400),
        ([*BASE_FORM[:2], ("scope", "AEF1 a")], TokenErrorCode.INVALID_SCOPE, 400),
        ([*BASE_FORM[:2], ("scope", "x" * 3000)], TokenErrorCode.INVALID_REQUEST, 400),
    ],
)
def test_token_request_refusals(form: list[tuple[str, str]], error: TokenErrorCode, status: int) -> None:
    with pytest.raises(AccessTokenError) as refusal:
        AccessTokenRequest.read(form)
    assert refusal.value.error is error
    assert refusal.value.status == status
    assert refusal.value.to_json()["error"] == str(error)


def test_a_resource_owner_is_read_for_the_token_endpoint_to_check() -> None:
    """TS 29.222 ``AccessTokenReq.resOwnerId``: the CAPIF-8 authorization decides (impl.capif8)."""
    assert AccessTokenRequest.read([*BASE_FORM, ("resOwnerId", "msisdn-491701234567")]).res_owner_id == (
        "msisdn-491701234567"
    )


def test_invalid_client_is_a_401() -> None:
    assert AccessTokenError(TokenErrorCode.INVALID_CLIENT, "x").status == 401


def test_discover_query_reads_filters() -> None:
    query = DiscoverQuery.read(
        [("api-invoker-id", "INV1"), ("comm-type", "SUBSCRIBE_NOTIFY"), ("aef-id", "AEF1")]
    )
    assert query.comm_type == CommunicationType.SUBSCRIBE_NOTIFY
    assert query.aef_id == "AEF1"


@pytest.mark.parametrize(
    ("pairs", "param", "cause"),
    [
        ([], "api-invoker-id", Cause.MANDATORY_QUERY_PARAM_MISSING),
        ([("api-invoker-id", "")], "api-invoker-id", Cause.MANDATORY_QUERY_PARAM_INCORRECT),
        ([("api-invoker-id", "I"), ("api-invoker-id", "J")], "api-invoker-id", Cause.INVALID_QUERY_PARAM),
        ([("api-invoker-id", "I"), ("colour", "red")], "colour", Cause.INVALID_QUERY_PARAM),
        ([("api-invoker-id", "I"), ("ue-ip-addr", "1")], "ue-ip-addr", Cause.OPTIONAL_QUERY_PARAM_INCORRECT),
        (
            [("api-invoker-id", "I"), ("api-supported-features", "1")],
            "api-supported-features",
            Cause.OPTIONAL_QUERY_PARAM_INCORRECT,
        ),
        (
            [("api-invoker-id", "I"), ("supported-features", "g")],
            "supported-features",
            Cause.OPTIONAL_QUERY_PARAM_INCORRECT,
        ),
    ],
)
def test_discover_query_refusals(pairs: list[tuple[str, str]], param: str, cause: Cause) -> None:
    with pytest.raises(BadRequestError) as refusal:
        DiscoverQuery.read(pairs)
    assert refusal.value.cause is cause
    assert refusal.value.invalid_params[0].param == param


def test_empty_discovery_omits_the_list_and_acl_lists_invokers() -> None:
    assert DiscoveredAPIs(()).to_json() == {}
    assert AccessControlPolicyList(("INV1",)).to_json() == {"apiInvokerPolicies": [{"apiInvokerId": "INV1"}]}
    with pytest.raises(BadRequestError):
        AccessControlPolicyQuery.read([("api-invoker-id", "INV1")])
