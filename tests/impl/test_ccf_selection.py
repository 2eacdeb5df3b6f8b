"""Method selection and entry resolution as pure functions (TS 33.122 clause 6.3.1.2; TS 29.222)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.reader import Fields
from impl.apitypes.security import SecurityInformation
from impl.ccf.selection import AmbiguousInterfaceError, resolve, select_method
from impl.settings import MethodSelectionRule
from tests.impl.test_ccf_world import Body, interface, profile

METHODS = list(SecurityMethod)


@given(
    preferred=st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True),
    supported=st.frozensets(st.sampled_from(METHODS)),
)
def test_the_selection_is_the_first_preference_the_aef_supports(
    preferred: list[SecurityMethod], supported: frozenset[SecurityMethod]
) -> None:
    chosen = select_method(preferred, supported)
    if chosen is None:
        assert not set(preferred) & supported
    else:
        assert chosen in supported and chosen in preferred
        assert not set(preferred[: preferred.index(chosen)]) & supported


@given(
    preferred=st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True),
    supported=st.frozensets(st.sampled_from(METHODS)),
)
def test_any_common_ignores_the_invokers_order(
    preferred: list[SecurityMethod], supported: frozenset[SecurityMethod]
) -> None:
    """``method-selection-rule=any-common``: a common method, the same whatever the invoker's order."""
    chosen = select_method(preferred, supported, MethodSelectionRule.ANY_COMMON)
    assert chosen == select_method(list(reversed(preferred)), supported, MethodSelectionRule.ANY_COMMON)
    if chosen is None:
        assert not set(preferred) & supported
    else:
        assert chosen in supported and chosen in preferred
        assert not {method for method in METHODS[: METHODS.index(chosen)]} & set(preferred) & supported


def test_the_rules_differ_when_the_invoker_prefers_a_later_method() -> None:
    both = frozenset({SecurityMethod.PKI, SecurityMethod.OAUTH})
    preferred = [SecurityMethod.OAUTH, SecurityMethod.PKI]
    assert select_method(preferred, both, MethodSelectionRule.INVOKER_ORDER) is SecurityMethod.OAUTH
    assert select_method(preferred, both, MethodSelectionRule.ANY_COMMON) is SecurityMethod.PKI


def _api(
    api_id: str, name: str, profiles: list[Body], status: list[str] | None = None
) -> ServiceAPIDescription:
    body: Body = {"apiName": name, "aefProfiles": list(profiles)}
    if status is not None:
        body["apiStatus"] = {"aefIds": list(status)}
    return ServiceAPIDescription.read(body, creating=True).with_api_id(api_id)


def _entry(body: Body) -> SecurityInformation:
    return SecurityInformation.read(Fields(body, ""))


def test_an_aef_entry_covers_all_its_apis_and_offers_what_any_interface_offers() -> None:
    apis = [
        _api("API1", "a", [profile("AEF1", methods=["PSK", "PKI", "OAUTH"])]),
        _api("API2", "b", [profile("AEF1", methods=["PKI", "OAUTH"], interfaces=[interface(8002)])]),
        _api("API3", "c", [profile("AEF2", methods=["PSK"])]),
    ]
    target = resolve(_entry({"aefId": "AEF1", "prefSecurityMethods": ["PSK"]}), apis)
    assert target is not None
    assert target.api_ids == ("API1", "API2")
    assert target.supported == {SecurityMethod.PSK, SecurityMethod.PKI, SecurityMethod.OAUTH}
    assert [i.port for i in target.interfaces_offering(SecurityMethod.PKI)] == [8001, 8002]
    assert [i.port for i in target.interfaces_offering(SecurityMethod.PSK)] == [8001]
    narrowed = resolve(_entry({"aefId": "AEF1", "apiId": "API1", "prefSecurityMethods": ["PSK"]}), apis)
    assert narrowed is not None and SecurityMethod.PSK in narrowed.supported


def test_inactive_profiles_and_unknown_targets_resolve_to_nothing() -> None:
    apis = [
        _api(
            "API1", "a", [profile("AEF1", methods=["PKI"]), profile("AEF2", methods=["PKI"])], status=["AEF2"]
        )
    ]
    assert resolve(_entry({"aefId": "AEF1", "prefSecurityMethods": ["PKI"]}), apis) is None
    assert resolve(_entry({"aefId": "AEF9", "prefSecurityMethods": ["PKI"]}), apis) is None
    assert resolve(_entry({"aefId": "AEF2", "apiId": "API9", "prefSecurityMethods": ["PKI"]}), apis) is None


def test_interface_methods_take_precedence_and_psk_needs_an_encodable_interface() -> None:
    apis = [
        _api(
            "API1",
            "a",
            [profile("AEF1", methods=["OAUTH"], interfaces=[interface(8001, methods=["PSK"]), interface(0)])],
        )
    ]
    first = resolve(
        _entry(
            {
                "interfaceDetails": {"ipv4Addr": "127.0.0.1", "port": 8001, "apiPrefix": "/exposure"},
                "prefSecurityMethods": ["PSK"],
            }
        ),
        apis,
    )
    assert first is not None and first.supported == {SecurityMethod.PSK}
    port_zero = interface(0, methods=["PSK"])
    zero_api = [_api("API2", "b", [profile("AEF2", methods=None, interfaces=[port_zero])])]
    second = resolve(_entry({"aefId": "AEF2", "prefSecurityMethods": ["PSK"]}), zero_api)
    assert second is not None and second.supported == frozenset()


def test_an_interface_published_for_two_aefs_is_ambiguous() -> None:
    apis = [
        _api("API1", "a", [profile("AEF1", methods=["PKI"])]),
        _api("API2", "b", [profile("AEF2", methods=["PKI"])]),
    ]
    entry = _entry(
        {
            "interfaceDetails": {"ipv4Addr": "127.0.0.1", "port": 8001, "apiPrefix": "/exposure"},
            "prefSecurityMethods": ["PKI"],
        }
    )
    with pytest.raises(AmbiguousInterfaceError):
        resolve(entry, apis)
