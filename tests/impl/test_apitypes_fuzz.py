"""Random and mutated input never raises anything but the 4xx error types (and never crashes)."""

from __future__ import annotations

import copy
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.apitypes.acl import AccessControlPolicyQuery
from impl.apitypes.discover import DiscoverQuery
from impl.apitypes.invoker import APIInvokerEnrolmentDetails
from impl.apitypes.problems import AccessTokenError, BadRequestError
from impl.apitypes.provider import APIProviderEnrolmentDetails
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.reader import JsonValue
from impl.apitypes.security import SecurityNotification, ServiceSecurity
from impl.apitypes.token import AccessTokenRequest
from tests.impl.test_apitypes_publish import ENROLMENT, REGISTRATION, SERVICE_API
from tests.impl.test_apitypes_security import SECURITY

FIELD_NAMES = sorted(
    {
        *SERVICE_API,
        *SECURITY,
        *ENROLMENT,
        *REGISTRATION,
        "aefId",
        "versions",
        "interfaceDescriptions",
        "securityMethods",
        "prefSecurityMethods",
        "interfaceDetails",
        "apiVersion",
        "ipv4Addr",
        "fqdn",
        "port",
        "apiIds",
        "cause",
        "apiInvokerId",
    }
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["PSK", "PKI", "OAUTH", "AEF", "v1", "127.0.0.1", "https://a.example.org/x", ""])
)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=40,
)

READERS: dict[str, Callable[[object], object]] = {
    "ServiceAPIDescription": lambda body: ServiceAPIDescription.read(body, creating=True),
    "ServiceAPIDescription update": lambda body: ServiceAPIDescription.read(body, creating=False),
    "APIInvokerEnrolmentDetails": lambda body: APIInvokerEnrolmentDetails.read(body, creating=True),
    "APIProviderEnrolmentDetails": lambda body: APIProviderEnrolmentDetails.read(body, creating=True),
    "ServiceSecurity": ServiceSecurity.read,
    "SecurityNotification": SecurityNotification.read,
}
VALID = {
    "ServiceAPIDescription": SERVICE_API,
    "ServiceAPIDescription update": SERVICE_API,
    "APIInvokerEnrolmentDetails": ENROLMENT,
    "APIProviderEnrolmentDetails": REGISTRATION,
    "ServiceSecurity": SECURITY,
    "SecurityNotification": {"apiInvokerId": "I", "apiIds": ["A"], "cause": "UNEXPECTED_REASON"},
}


def _read(name: str, body: object) -> None:
    try:
        READERS[name](body)
    except BadRequestError as refusal:
        details = refusal.to_problem_details()
        assert details["status"] == 400
        assert refusal.invalid_params, "a refused body names the field"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(READERS)), body=json_values)
def test_random_json_is_read_or_refused_with_a_400(name: str, body: JsonValue) -> None:
    _read(name, body)


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def mutated(body: object, data: st.DataObject) -> object:
    """A deep copy of ``body`` with one value below the top replaced by a random JSON value."""
    copied = copy.deepcopy(body)
    path = data.draw(st.sampled_from(_paths(copied)[1:]))
    replacement = data.draw(json_values)
    target: object = copied
    for step in path[:-1]:
        target = target[step]  # type: ignore[index]
    target[path[-1]] = replacement  # type: ignore[index]
    return copied


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(VALID)), data=st.data())
def test_mutated_valid_bodies_are_read_or_refused_with_a_400(name: str, data: st.DataObject) -> None:
    _read(name, mutated(VALID[name], data))


form_pairs = st.lists(
    st.tuples(
        st.sampled_from(["grant_type", "client_id", "scope", "resOwnerId", "client_secret"])
        | st.text(max_size=8),
        st.sampled_from(["client_credentials", "INV1", "3gpp#AEF1:api", "AEF1:a,b;AEF2:c"])
        | st.text(max_size=30),
    ),
    max_size=6,
)


@settings(max_examples=300)
@given(form=form_pairs)
def test_random_token_forms_are_read_or_refused_with_an_access_token_error(
    form: list[tuple[str, str]],
) -> None:
    try:
        AccessTokenRequest.read(form)
    except AccessTokenError as refusal:
        assert refusal.status in (400, 401)


query_pairs = st.lists(
    st.tuples(
        st.sampled_from(
            ["api-invoker-id", "aef-id", "api-name", "protocol", "comm-type", "api-supported-features"]
        )
        | st.text(max_size=8),
        st.sampled_from(["INV1", "HTTP_2", "REQUEST_RESPONSE", "0F", ""]) | st.text(max_size=20),
    ),
    max_size=5,
)


@settings(max_examples=300)
@given(pairs=query_pairs)
def test_random_queries_are_read_or_refused_with_a_400(pairs: list[tuple[str, str]]) -> None:
    for reader in (DiscoverQuery.read, AccessControlPolicyQuery.read):
        try:
            reader(pairs)
        except BadRequestError as refusal:
            assert refusal.invalid_params
