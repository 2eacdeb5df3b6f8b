"""Discovery filters and the access control policy (discovery, ACL list, audiences, revocations)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from impl.apitypes.problems import BadRequestError, ForbiddenError, NotFoundError
from tests.impl.test_ccf_world import NOW, Provider, World, interface, invoker_caller, profile


@dataclass
class Catalogue:
    world: World
    provider: Provider
    monitoring: str
    location: str


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[Catalogue]:
    world = World(tmp_path)
    provider = world.register(aef_count=2)
    notify_version = [
        {
            "apiVersion": "v2",
            "resources": [{"resourceName": "subs", "commType": "SUBSCRIBE_NOTIFY", "uri": "/subs"}],
        }
    ]
    monitoring = world.publish(
        provider,
        "monitoring",
        [
            profile(provider.aefs[0], methods=["OAUTH"], protocol="HTTP_2"),
            profile(provider.aefs[1], methods=["PKI"], interfaces=[interface(8002)], versions=notify_version),
        ],
    )
    location = world.publish(
        provider, "location", [profile(provider.aefs[1], methods=["PKI"], interfaces=[interface(8003)])]
    )
    yield Catalogue(world, provider, monitoring, location)
    world.close()


def _discover(catalogue: Catalogue, invoker_id: str, **filters: str) -> dict[str, list[str]]:
    query = [("api-invoker-id", invoker_id), *filters.items()]
    found = catalogue.world.ccf.discovery.discover(
        invoker_caller(invoker_id), [(k.replace("_", "-"), v) for k, v in query]
    )
    return {str(api.api_id): [p.aef_id for p in api.aef_profiles] for api in found.service_api_descriptions}


def test_filters_select_apis_and_their_matching_profiles(catalogue: Catalogue) -> None:
    invoker_id = catalogue.world.onboard()
    aef0, aef1 = catalogue.provider.aefs
    everything = {catalogue.monitoring: [aef0, aef1], catalogue.location: [aef1]}
    assert _discover(catalogue, invoker_id) == everything
    assert _discover(catalogue, invoker_id, api_name="location") == {catalogue.location: [aef1]}
    assert _discover(catalogue, invoker_id, aef_id=aef0) == {catalogue.monitoring: [aef0]}
    assert _discover(catalogue, invoker_id, protocol="HTTP_2") == {catalogue.monitoring: [aef0]}
    assert _discover(catalogue, invoker_id, api_version="v2") == {catalogue.monitoring: [aef1]}
    assert _discover(catalogue, invoker_id, comm_type="SUBSCRIBE_NOTIFY") == {catalogue.monitoring: [aef1]}
    assert _discover(catalogue, invoker_id, api_cat="test", data_format="JSON") == everything
    assert _discover(catalogue, invoker_id, api_cat="other") == {}
    assert _discover(catalogue, invoker_id, api_name="location", api_supported_features="1") == {}


def test_discovery_honours_audience_and_revocation(catalogue: Catalogue) -> None:
    world = catalogue.world
    invoker_id, outsider = world.onboard(), world.onboard()
    world.ccf.operator.set_api_audience(catalogue.location, [invoker_id])
    assert catalogue.location not in _discover(catalogue, outsider)
    assert catalogue.location in _discover(catalogue, invoker_id)
    aef0 = catalogue.provider.aefs[0]
    world.negotiate(invoker_id, [{"aefId": aef0, "prefSecurityMethods": ["OAUTH"]}])  # served by aef0
    revocation = {"apiInvokerId": invoker_id, "apiIds": [catalogue.monitoring], "cause": "UNEXPECTED_REASON"}
    world.ccf.security.revoke(catalogue.provider.aef_caller(0), invoker_id, revocation, now=NOW)
    assert _discover(catalogue, invoker_id)[catalogue.monitoring] == [catalogue.provider.aefs[1]]
    world.ccf.operator.set_api_audience(catalogue.location, None)
    assert catalogue.location in _discover(catalogue, outsider)


def test_an_invoker_discovers_only_for_itself(catalogue: Catalogue) -> None:
    invoker_id, other = catalogue.world.onboard(), catalogue.world.onboard()
    with pytest.raises(ForbiddenError):
        catalogue.world.ccf.discovery.discover(invoker_caller(other), [("api-invoker-id", invoker_id)])
    with pytest.raises(BadRequestError):
        catalogue.world.ccf.discovery.discover(invoker_caller(other), [("api-invoker-id", other), ("x", "1")])
    with pytest.raises(NotFoundError):
        catalogue.world.ccf.operator.set_api_audience("APIunknown", None)


def test_the_acl_lists_invokers_with_a_live_context_for_the_api_at_that_aef(catalogue: Catalogue) -> None:
    world = catalogue.world
    aef0, aef1 = catalogue.provider.aefs
    first, second = world.onboard(), world.onboard()
    world.onboard()  # onboarded, no security context: never listed
    world.negotiate(first, [{"aefId": aef0, "prefSecurityMethods": ["OAUTH"]}])
    world.negotiate(second, [{"aefId": aef1, "apiId": catalogue.location, "prefSecurityMethods": ["PKI"]}])
    acl = world.ccf.access_control

    def listed(api_id: str, aef_index: int, *extra: tuple[str, str]) -> list[str]:
        aef = catalogue.provider.aefs[aef_index]
        answer = acl.policy_list(catalogue.provider.aef_caller(aef_index), api_id, [("aef-id", aef), *extra])
        return list(answer.api_invoker_ids)

    assert listed(catalogue.monitoring, 0) == [first]
    assert listed(catalogue.monitoring, 1) == []
    assert listed(catalogue.location, 1) == [second]
    assert listed(catalogue.location, 1, ("api-invoker-id", first)) == []
    revocation = {"apiInvokerId": first, "apiIds": [catalogue.monitoring], "cause": "OVERLIMIT_USAGE"}
    world.ccf.security.revoke(catalogue.provider.aef_caller(0), first, revocation, now=NOW)
    assert listed(catalogue.monitoring, 0) == []

    with pytest.raises(ForbiddenError):
        acl.policy_list(catalogue.provider.aef_caller(0), catalogue.monitoring, [("aef-id", aef1)])
    with pytest.raises(NotFoundError):
        acl.policy_list(catalogue.provider.aef_caller(0), catalogue.location, [("aef-id", aef0)])
