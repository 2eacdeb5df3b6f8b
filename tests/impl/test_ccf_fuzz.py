"""Every CCF service answers random or mutated input with its 4xx error type, never anything else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.apitypes.problems import AccessTokenError, ProblemError
from impl.store.secrets import SecretPurpose
from tests.impl.test_apitypes_fuzz import json_values, mutated
from tests.impl.test_ccf_world import (
    NOTIFY,
    NOW,
    Provider,
    World,
    interface,
    invoker_caller,
    make_csr,
    profile,
    tls12_keying,
)


@dataclass
class Populated:
    world: World
    provider: Provider
    invoker_id: str
    api_id: str


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Populated]:
    world = World(Path(tmp_path_factory.mktemp("ccf")))
    provider = world.register(aef_count=2)
    api_id = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK", "PKI", "OAUTH"])])
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["OAUTH"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["OAUTH"]}])
    yield Populated(world, provider, invoker_id, api_id)
    world.close()


def _valid_bodies(scene: Populated) -> dict[str, object]:
    aef = scene.provider.aefs[0]
    return {
        "onboard": {
            "onboardingInformation": {"apiInvokerPublicKey": make_csr()[1]},
            "notificationDestination": NOTIFY,
        },
        "update invoker": {
            "apiInvokerId": scene.invoker_id,
            "onboardingInformation": {"apiInvokerPublicKey": make_csr()[1]},
            "notificationDestination": NOTIFY,
        },
        "register": {
            "regSec": "x",
            "apiProvFuncs": [{"regInfo": {"apiProvPubKey": make_csr()[1]}, "apiProvFuncRole": "AMF"}],
        },
        "publish": {"apiName": "api-z", "aefProfiles": [profile(aef, methods=["PKI"])]},
        "update api": {"apiName": "api-a", "aefProfiles": [profile(aef, methods=["PSK", "PKI", "OAUTH"])]},
        "negotiate": {
            "securityInfo": [{"aefId": aef, "prefSecurityMethods": ["PSK", "OAUTH"]}],
            "notificationDestination": NOTIFY,
        },
        "revoke": {"apiInvokerId": scene.invoker_id, "apiIds": [scene.api_id], "cause": "UNEXPECTED_REASON"},
    }


def _call(scene: Populated, name: str, body: object) -> None:
    ccf, provider, invoker_id = scene.world.ccf, scene.provider, scene.invoker_id
    calls: dict[str, Callable[[], object]] = {
        "onboard": lambda: ccf.invokers.onboard(
            body, onboarding_secret=scene.world.secret(SecretPurpose.INVOKER_ONBOARDING), now=NOW
        ),
        "update invoker": lambda: ccf.invokers.update(invoker_caller(invoker_id), invoker_id, body, now=NOW),
        "register": lambda: ccf.providers.register(body, now=NOW),
        "publish": lambda: ccf.publishing.publish(provider.apf_caller, provider.apf, body, now=NOW),
        "update api": lambda: ccf.publishing.update(
            provider.apf_caller, provider.apf, scene.api_id, body, now=NOW
        ),
        "negotiate": lambda: ccf.security.update_context(
            invoker_caller(invoker_id), invoker_id, body, keying=tls12_keying(), now=NOW
        ),
        "revoke": lambda: ccf.security.revoke(provider.aef_caller(1), invoker_id, body, now=NOW),
    }
    try:
        calls[name]()
    except ProblemError as refusal:
        assert 400 <= refusal.status < 500


NAMES = ["onboard", "update invoker", "register", "publish", "update api", "negotiate", "revoke"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), body=json_values)
def test_random_bodies_get_a_4xx(populated: Populated, name: str, body: object) -> None:
    _call(populated, name, body)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), data=st.data())
def test_mutated_valid_bodies_get_an_answer_or_a_4xx(
    populated: Populated, name: str, data: st.DataObject
) -> None:
    _call(populated, name, mutated(_valid_bodies(populated)[name], data))


pairs = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "api-invoker-id",
                "aef-id",
                "api-name",
                "authenticationInfo",
                "authorizationInfo",
                "grant_type",
                "client_id",
                "scope",
            ]
        )
        | st.text(max_size=8),
        st.sampled_from(["true", "INV", "client_credentials", "3gpp#AEF:api-a", ""]) | st.text(max_size=20),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=pairs)
def test_random_queries_and_forms_get_a_4xx(populated: Populated, query: list[tuple[str, str]]) -> None:
    ccf, provider, invoker_id = populated.world.ccf, populated.provider, populated.invoker_id
    for call in (
        lambda: ccf.discovery.discover(invoker_caller(invoker_id), query),
        lambda: ccf.security.get_context(provider.aef_caller(0), invoker_id, query),
        lambda: ccf.access_control.policy_list(provider.aef_caller(0), populated.api_id, query),
    ):
        try:
            call()
        except ProblemError as refusal:
            assert 400 <= refusal.status < 500
    try:
        ccf.tokens.request_token(invoker_caller(invoker_id), invoker_id, query, now=NOW)
    except AccessTokenError as refusal:
        assert refusal.status in (400, 401)
