"""CAPIF_Security_API: method negotiation, AEFPSK, security information for the AEF, revocation."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from impl.aefpsk import ServiceApiInterface, derive_aefpsk_tls13
from impl.apitypes.problems import BadRequestError, Cause, ForbiddenError, NotFoundError
from impl.ccf import Caller, Role
from impl.settings import AefpskDerivation, Settings
from tests.impl.test_ccf_world import (
    NOTIFY,
    NOW,
    Body,
    Entries,
    World,
    interface,
    invoker_caller,
    profile,
    tls12_keying,
    tls13_keying,
)


def _service_security(entries: Entries) -> Body:
    return {"securityInfo": list(entries), "notificationDestination": NOTIFY}


def _count(world: World, table: str) -> int:
    with world.database.transaction() as tx:
        row = tx.row(f"SELECT count(*) AS n FROM {table}")
        assert row is not None
        return int(row["n"])


# (invoker preferences, AEF profile methods, interface methods, expected selection or None)
SELECTIONS = [
    (["PSK", "PKI", "OAUTH"], ["PSK", "PKI", "OAUTH"], None, "PSK"),
    (["OAUTH", "PSK"], ["PSK", "PKI", "OAUTH"], None, "OAUTH"),
    (["PKI", "OAUTH"], ["OAUTH"], None, "OAUTH"),
    (["PSK"], ["PKI", "OAUTH"], None, None),
    (["PSK", "OAUTH"], ["PSK", "OAUTH"], ["OAUTH"], "OAUTH"),
    (["PKI"], ["PSK"], ["PKI"], "PKI"),
    (["PSK"], ["PSK"], ["PKI"], None),
    (["OAUTH"], None, None, None),
]


@pytest.mark.parametrize(("preferred", "aef_methods", "interface_methods", "expected"), SELECTIONS)
def test_selection_follows_preferences_and_interface_overrides_profile(
    world: World,
    preferred: list[str],
    aef_methods: list[str] | None,
    interface_methods: list[str] | None,
    expected: str | None,
) -> None:
    provider = world.register()
    aef = provider.aefs[0]
    world.publish(
        provider,
        "api-a",
        [profile(aef, methods=aef_methods, interfaces=[interface(8001, methods=interface_methods)])],
    )
    invoker_id = world.onboard()
    body = _service_security([{"aefId": aef, "prefSecurityMethods": preferred}])
    caller = invoker_caller(invoker_id)
    if expected is None:
        with pytest.raises(ForbiddenError) as refusal:
            world.ccf.security.create_context(caller, invoker_id, body, keying=tls12_keying(), now=NOW)
        assert refusal.value.cause is Cause.NO_COMMON_SECURITY_METHOD
        assert refusal.value.invalid_params[0].param == "/securityInfo/0/prefSecurityMethods"
        assert _count(world, "security_contexts") == 0
    else:
        created = world.ccf.security.create_context(caller, invoker_id, body, keying=tls12_keying(), now=NOW)
        assert created.body.security_info[0].sel_security_method == expected
        assert created.location.endswith(f"/capif-security/v1/trustedInvokers/{invoker_id}")


def test_one_unmet_entry_refuses_the_whole_request_and_writes_nothing(world: World) -> None:
    provider = world.register(aef_count=2)
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["OAUTH"])])
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["PKI"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    body = _service_security(
        [
            {"aefId": provider.aefs[0], "prefSecurityMethods": ["OAUTH"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["PSK", "OAUTH"]},
        ]
    )
    with pytest.raises(ForbiddenError) as refusal:
        world.ccf.security.create_context(
            invoker_caller(invoker_id), invoker_id, body, keying=tls12_keying(), now=NOW
        )
    assert refusal.value.invalid_params[0].param == "/securityInfo/1/prefSecurityMethods"
    assert _count(world, "security_contexts") == _count(world, "security_entries") == 0


def test_an_aef_entry_selects_a_method_one_of_its_interfaces_offers(world: World) -> None:
    provider = world.register()
    aef = provider.aefs[0]
    interfaces = [interface(8001, methods=["PSK", "OAUTH"]), interface(8002, methods=["OAUTH"])]
    world.publish(provider, "api-a", [profile(aef, methods=None, interfaces=interfaces)])
    invoker_id = world.onboard()
    entry = {"aefId": aef, "prefSecurityMethods": ["PSK", "OAUTH"]}
    selected = world.negotiate(invoker_id, [entry], tls12_keying())
    assert selected.security_info[0].sel_security_method == "PSK"
    assert _count(world, "aef_psks") == 1  # for 8001, the one interface offering PSK


def test_psk_needs_an_interface(world: World) -> None:
    provider = world.register()
    aef = provider.aefs[0]
    domain_profile = {
        "aefId": aef,
        "versions": [{"apiVersion": "v1"}],
        "domainName": "aef.example.org",
        "securityMethods": ["PSK", "PKI"],
    }
    world.publish(provider, "api-a", [domain_profile])
    invoker_id = world.onboard()
    selected = world.negotiate(invoker_id, [{"aefId": aef, "prefSecurityMethods": ["PSK", "PKI"]}])
    assert selected.security_info[0].sel_security_method == "PKI"


def test_psk_stores_annex_a1_aefpsk_for_the_aef_only(world: World) -> None:
    provider = world.register(aef_count=2)
    aef = provider.aefs[0]
    world.publish(
        provider, "api-a", [profile(aef, methods=["PSK"], interfaces=[interface(8001, prefix="/a")])]
    )
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["PKI"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    keying = tls12_keying()
    world.negotiate(
        invoker_id,
        [
            {"aefId": aef, "prefSecurityMethods": ["PSK"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["PKI"]},
        ],
        keying,
    )
    answer = world.ccf.security.get_context(
        provider.aef_caller(0), invoker_id, [("authenticationInfo", "true")]
    )
    assert len(answer.security_info) == 1
    item = answer.security_info[0]
    assert item.sel_security_method == "PSK" and item.aef_id is None
    assert item.interface_details is not None and item.interface_details.port == 8001
    assert keying.master_secret is not None and keying.session_id is not None
    p0 = b"127.0.0.1:8001/a"
    s = (
        b"\x7a"
        + p0
        + len(p0).to_bytes(2, "big")
        + keying.session_id
        + len(keying.session_id).to_bytes(2, "big")
    )
    assert item.authentication_info == hmac.new(keying.master_secret, s, hashlib.sha256).hexdigest()


def test_psk_is_refused_without_usable_keying(world: World) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK", "OAUTH"])])
    invoker_id = world.onboard()
    body = _service_security([{"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK", "OAUTH"]}])
    caller = invoker_caller(invoker_id)
    for keying in (None, tls13_keying()):
        with pytest.raises(ForbiddenError) as refusal:
            world.ccf.security.create_context(caller, invoker_id, body, keying=keying, now=NOW)
        assert refusal.value.cause is Cause.PSK_KEYING_UNAVAILABLE
    assert _count(world, "security_entries") == 0


def test_the_tls13_exporter_mapping_derives_from_the_exporter(tmp_path: Path) -> None:
    world = World(tmp_path, settings=Settings(aefpsk_derivation=AefpskDerivation.TLS13_EXPORTER))
    try:
        provider = world.register()
        world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK"])])
        invoker_id = world.onboard()
        keying = tls13_keying()
        world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]}], keying)
        answer = world.ccf.security.get_context(
            provider.aef_caller(0), invoker_id, [("authenticationInfo", "true")]
        )
        interface_info = ServiceApiInterface(ipv4_addr="127.0.0.1", port=8001, api_prefix="/exposure")
        expected = derive_aefpsk_tls13(keying.export_keying_material, interface_info)
        assert answer.security_info[0].authentication_info == expected.hex()
    finally:
        world.close()


def test_pki_and_oauth_information_for_the_aef(world: World) -> None:
    provider = world.register(aef_count=2)
    api_a = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["OAUTH"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    world.negotiate(
        invoker_id,
        [
            {"aefId": provider.aefs[0], "apiId": api_a, "prefSecurityMethods": ["PKI"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["OAUTH"]},
        ],
    )
    query = [("authenticationInfo", "true"), ("authorizationInfo", "true")]
    pki = world.ccf.security.get_context(provider.aef_caller(0), invoker_id, query).security_info
    assert pki[0].authentication_info is not None and "BEGIN CERTIFICATE" in pki[0].authentication_info
    assert pki[0].authorization_info == f"{provider.aefs[0]}:api-a"
    oauth = world.ccf.security.get_context(provider.aef_caller(1), invoker_id, query).security_info
    assert oauth[0].authentication_info is None
    assert oauth[0].authorization_info == f"{provider.aefs[1]}:api-b"
    bare = world.ccf.security.get_context(provider.aef_caller(0), invoker_id, []).security_info
    assert bare[0].authentication_info is None and bare[0].authorization_info is None


def test_only_aefs_read_security_information_and_only_their_own(world: World) -> None:
    provider = world.register(aef_count=2)
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    with pytest.raises(ForbiddenError):
        world.ccf.security.get_context(invoker_caller(invoker_id), invoker_id, [])
    with pytest.raises(NotFoundError):
        world.ccf.security.get_context(provider.aef_caller(1), invoker_id, [])
    with pytest.raises(BadRequestError):
        world.ccf.security.get_context(provider.aef_caller(0), invoker_id, [("authenticationInfo", "yes")])


def test_only_the_invoker_itself_negotiates_and_only_once(world: World) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id, other = world.onboard(), world.onboard()
    body = _service_security([{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    with pytest.raises(ForbiddenError) as refusal:
        world.ccf.security.create_context(invoker_caller(other), invoker_id, body, keying=None, now=NOW)
    assert refusal.value.cause is Cause.REQUEST_NOT_AUTHORIZED
    world.ccf.security.create_context(invoker_caller(invoker_id), invoker_id, body, keying=None, now=NOW)
    with pytest.raises(ForbiddenError) as again:
        world.ccf.security.create_context(invoker_caller(invoker_id), invoker_id, body, keying=None, now=NOW)
    assert again.value.cause is Cause.SECURITY_CONTEXT_EXISTS


@pytest.mark.parametrize(
    ("entry", "pointer"),
    [
        ({"aefId": "AEFunknown", "prefSecurityMethods": ["PKI"]}, "/securityInfo/0/aefId"),
        (
            {"interfaceDetails": {"ipv4Addr": "127.0.0.1", "port": 9999}, "prefSecurityMethods": ["PKI"]},
            "/securityInfo/0/interfaceDetails",
        ),
    ],
)
def test_entries_naming_nothing_published_are_a_400(world: World, entry: Body, pointer: str) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id = world.onboard()
    with pytest.raises(BadRequestError) as refusal:
        world.ccf.security.create_context(
            invoker_caller(invoker_id), invoker_id, _service_security([entry]), keying=None, now=NOW
        )
    assert refusal.value.invalid_params[0].param == pointer


def test_an_interface_entry_resolves_to_its_aef(world: World) -> None:
    provider = world.register()
    world.publish(
        provider,
        "api-a",
        [profile(provider.aefs[0], methods=["OAUTH"], interfaces=[interface(8001, methods=["PKI"])])],
    )
    invoker_id = world.onboard()
    entry: Body = {
        "interfaceDetails": {"ipv4Addr": "127.0.0.1", "port": 8001, "apiPrefix": "/exposure"},
        "prefSecurityMethods": ["OAUTH", "PKI"],
    }
    selected = world.negotiate(invoker_id, [entry])
    assert selected.security_info[0].sel_security_method == "PKI"
    info = world.ccf.security.get_context(provider.aef_caller(0), invoker_id, []).security_info
    assert info[0].interface_details is not None and info[0].interface_details.port == 8001


def test_an_invoker_outside_the_audience_cannot_negotiate(world: World) -> None:
    provider = world.register()
    api_a = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id, allowed = world.onboard(), world.onboard()
    world.ccf.operator.set_api_audience(api_a, [allowed])
    body = _service_security([{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    with pytest.raises(ForbiddenError) as refusal:
        world.ccf.security.create_context(invoker_caller(invoker_id), invoker_id, body, keying=None, now=NOW)
    assert refusal.value.cause is Cause.API_INVOKER_NOT_AUTHORIZED
    world.ccf.security.create_context(invoker_caller(allowed), allowed, body, keying=None, now=NOW)


def test_method_update_makes_the_context_stale_until_renegotiated(world: World) -> None:
    """Contribution 004: the APF updates the AEF's method; the old selection stops being served: the
    AEF is shown it as withdrawn (its method, no AEFPSK, no authorization) until re-negotiated."""
    provider = world.register()
    aef = provider.aefs[0]
    body = {"apiName": "api-a", "aefProfiles": [profile(aef, methods=["PSK", "PKI"])]}
    created = world.ccf.publishing.publish(provider.apf_caller, provider.apf, body, now=NOW)
    api_id = created.body.api_id
    assert api_id is not None
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": aef, "prefSecurityMethods": ["PSK", "PKI"]}])
    assert _count(world, "aef_psks") == 1

    updated = {"apiName": "api-a", "aefProfiles": [profile(aef, methods=["PKI"])]}
    world.ccf.publishing.update(provider.apf_caller, provider.apf, api_id, updated, now=NOW)

    assert _count(world, "aef_psks") == 0
    everything = [("authenticationInfo", "true"), ("authorizationInfo", "true")]
    withdrawn = world.ccf.security.get_context(provider.aef_caller(0), invoker_id, everything)
    shown = [
        (i.sel_security_method, i.authentication_info, i.authorization_info) for i in withdrawn.security_info
    ]
    assert shown == [("PSK", None, None)]
    renegotiated = world.ccf.security.update_context(
        invoker_caller(invoker_id),
        invoker_id,
        _service_security([{"aefId": aef, "prefSecurityMethods": ["PSK", "PKI"]}]),
        keying=tls12_keying(),
        now=NOW,
    )
    assert [i.sel_security_method for i in renegotiated.security_info] == ["PKI"]
    served = world.ccf.security.get_context(provider.aef_caller(0), invoker_id, [])
    assert [i.sel_security_method for i in served.security_info] == ["PKI"]


def test_an_update_that_keeps_the_selected_method_keeps_the_context(world: World) -> None:
    provider = world.register()
    aef = provider.aefs[0]
    api_id = world.publish(provider, "api-a", [profile(aef, methods=["PKI"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": aef, "prefSecurityMethods": ["PKI"]}])
    updated = {"apiName": "api-a", "aefProfiles": [profile(aef, methods=["PKI", "OAUTH"])]}
    world.ccf.publishing.update(provider.apf_caller, provider.apf, api_id, updated, now=NOW)
    assert world.ccf.security.get_context(provider.aef_caller(0), invoker_id, []).security_info


def test_update_merges_by_target_and_needs_a_context(world: World) -> None:
    provider = world.register(aef_count=2)
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI", "OAUTH"])])
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["OAUTH"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    caller = invoker_caller(invoker_id)
    first = _service_security([{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    with pytest.raises(NotFoundError):
        world.ccf.security.update_context(caller, invoker_id, first, keying=None, now=NOW)
    world.ccf.security.create_context(caller, invoker_id, first, keying=None, now=NOW)
    second = _service_security(
        [
            {"aefId": provider.aefs[0], "prefSecurityMethods": ["OAUTH"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["OAUTH"]},
        ]
    )
    answer = world.ccf.security.update_context(caller, invoker_id, second, keying=None, now=NOW)
    assert sorted((i.aef_id, str(i.sel_security_method)) for i in answer.security_info) == sorted(
        [(provider.aefs[0], "OAUTH"), (provider.aefs[1], "OAUTH")]
    )
    assert _count(world, "security_entries") == 2


def test_revocation_by_the_aef_denies_for_good_and_notifies_the_aef_and_the_invoker(world: World) -> None:
    provider = world.register()
    aef = provider.aefs[0]
    api_a = world.publish(provider, "api-a", [profile(aef, methods=["PSK"])])
    api_b = world.publish(provider, "api-b", [profile(aef, methods=["PSK"], interfaces=[interface(8001)])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": aef, "prefSecurityMethods": ["PSK"]}])
    revocation = {"apiInvokerId": invoker_id, "apiIds": [api_a], "cause": "OVERLIMIT_USAGE"}

    notifications = world.ccf.security.revoke(provider.aef_caller(0), invoker_id, revocation, now=NOW)

    assert [notification.recipient for notification in notifications] == [
        Caller(Role.AEF, aef),
        invoker_caller(invoker_id),
    ]
    assert [notification.destination for notification in notifications] == [None, NOTIFY]
    assert all(notification.body.to_json() == {**revocation, "aefId": aef} for notification in notifications)
    still = world.ccf.security.get_context(
        provider.aef_caller(0), invoker_id, [("authorizationInfo", "true")]
    )
    assert still.security_info[0].authorization_info == f"{aef}:api-b"
    with pytest.raises(ForbiddenError):
        world.ccf.security.update_context(
            invoker_caller(invoker_id),
            invoker_id,
            _service_security([{"aefId": aef, "apiId": api_a, "prefSecurityMethods": ["PSK"]}]),
            keying=tls12_keying(),
            now=NOW,
        )
    assert api_b


@pytest.mark.parametrize(
    ("caller_role", "body_change", "error"),
    [
        (Role.INVOKER, {}, ForbiddenError),
        (Role.AEF, {"aefId": "AEFother"}, ForbiddenError),
        (Role.AEF, {"apiIds": ["APIunknown"]}, BadRequestError),
        (Role.AEF, {"apiInvokerId": "INVother"}, BadRequestError),
    ],
)
def test_revocation_refusals(
    world: World, caller_role: Role, body_change: Body, error: type[Exception]
) -> None:
    provider = world.register()
    api_a = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    caller = Caller(caller_role, provider.aefs[0] if caller_role is Role.AEF else invoker_id)
    body = {"apiInvokerId": invoker_id, "apiIds": [api_a], "cause": "UNEXPECTED_REASON", **body_change}
    with pytest.raises(error):
        world.ccf.security.revoke(caller, invoker_id, body, now=NOW)


def test_only_an_aef_revokes_and_only_an_invoker_it_may_have_served(world: World) -> None:
    """Revoke_Authorization's only consumer is the AEF (TS 29.222 Table 5.1-1): not the invoker
    itself, not an APF; and an AEF gets the same 404 for an invoker with no entries at it as for an
    unknown one, whether or not that invoker has a context at another AEF."""
    provider = world.register(aef_count=2)
    api_a = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    for caller in (invoker_caller(invoker_id), provider.apf_caller):
        with pytest.raises(ForbiddenError):
            world.ccf.security.revoke_all(caller, invoker_id, now=NOW)
    body = {"apiInvokerId": invoker_id, "apiIds": [api_a], "cause": "UNEXPECTED_REASON"}
    for unknown in (invoker_id, "INVunknown"):
        with pytest.raises(NotFoundError):
            world.ccf.security.revoke_all(provider.aef_caller(1), unknown, now=NOW)
        with pytest.raises(NotFoundError):
            world.ccf.security.revoke(
                provider.aef_caller(1), unknown, {**body, "apiInvokerId": unknown}, now=NOW
            )
    assert world.ccf.security.get_context(provider.aef_caller(0), invoker_id, []).security_info


def test_delete_by_an_aef_revokes_every_api_at_that_aef(world: World) -> None:
    provider = world.register(aef_count=2)
    api_a = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["PKI"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    world.negotiate(
        invoker_id,
        [
            {"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["PKI"]},
        ],
    )
    notifications = world.ccf.security.revoke_all(provider.aef_caller(0), invoker_id, now=NOW)
    assert notifications[0].body.api_ids == (api_a,)
    with pytest.raises(NotFoundError):
        world.ccf.security.get_context(provider.aef_caller(0), invoker_id, [])
    assert world.ccf.security.get_context(provider.aef_caller(1), invoker_id, []).security_info
    with pytest.raises(ForbiddenError):
        world.ccf.security.revoke_all(provider.apf_caller, invoker_id, now=NOW)
