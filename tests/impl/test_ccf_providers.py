"""Provider management and publishing: registration secret, AMF authority, APF/AEF ownership."""

from __future__ import annotations

import json

import pytest
from cryptography import x509

from impl.apitypes.problems import BadRequestError, Cause, ForbiddenError, NotFoundError, UnauthorizedError
from impl.ccf import Caller, Role
from impl.store.secrets import SecretPurpose
from tests.impl.test_ccf_world import NOW, Body, Provider, World, interface, make_csr, profile


def _current(world: World, provider: Provider) -> list[Body]:
    """The domain's functions as stored (each with its apiProvFuncId): the body of a no-op update."""
    with world.database.transaction() as tx:
        rows = tx.rows(
            "SELECT details_json FROM provider_functions WHERE api_prov_dom_id = ? ORDER BY rowid",
            (provider.dom_id,),
        )
    return [json.loads(row["details_json"]) for row in rows]


def test_registration_certifies_each_function(world: World) -> None:
    secret = world.secret(SecretPurpose.PROVIDER_REGISTRATION)
    body = {
        "regSec": secret,
        "apiProvFuncs": [
            {"regInfo": {"apiProvPubKey": make_csr()[1]}, "apiProvFuncRole": "AMF"},
            {
                "regInfo": {"apiProvPubKey": make_csr()[1]},
                "apiProvFuncRole": "AEF",
                "apiProvFuncInfo": "edge",
            },
        ],
    }
    created = world.ccf.providers.register(body, now=NOW)
    dom_id = created.body.api_prov_dom_id
    assert dom_id is not None and created.location.endswith(
        f"/api-provider-management/v1/registrations/{dom_id}"
    )
    for function, role in zip(created.body.api_prov_funcs, (Role.AMF, Role.AEF), strict=True):
        assert function.api_prov_func_id is not None and function.api_prov_func_id.startswith(str(role))
        assert function.reg_info.api_prov_cert is not None
        certificate = x509.load_pem_x509_certificate(function.reg_info.api_prov_cert.encode())
        assert world.ccf.credentials.caller_for_certificate(certificate, now=NOW) == Caller(
            role, function.api_prov_func_id
        )
    with pytest.raises(UnauthorizedError):
        world.ccf.providers.register(body, now=NOW)


def test_registration_needs_an_amf_and_a_valid_csr(world: World) -> None:
    no_amf = {
        "regSec": world.secret(SecretPurpose.PROVIDER_REGISTRATION),
        "apiProvFuncs": [{"regInfo": {"apiProvPubKey": make_csr()[1]}, "apiProvFuncRole": "AEF"}],
    }
    with pytest.raises(BadRequestError):
        world.ccf.providers.register(no_amf, now=NOW)
    bad_csr = {
        "regSec": world.secret(SecretPurpose.PROVIDER_REGISTRATION),
        "apiProvFuncs": [
            {"regInfo": {"apiProvPubKey": make_csr()[1]}, "apiProvFuncRole": "AMF"},
            {"regInfo": {"apiProvPubKey": "garbage"}, "apiProvFuncRole": "AEF"},
        ],
    }
    with pytest.raises(BadRequestError) as refusal:
        world.ccf.providers.register(bad_csr, now=NOW)
    assert refusal.value.invalid_params[0].param == "/apiProvFuncs/1/regInfo/apiProvPubKey"
    with world.database.transaction() as tx:
        assert tx.rows("SELECT * FROM provider_domains") == []
        assert tx.rows("SELECT * FROM certificates") == []


def _update_body(world: World, provider: Provider, functions: list[Body]) -> Body:
    return {"apiProvDomId": provider.dom_id, "regSec": "unused", "apiProvFuncs": functions}


def test_an_amf_adds_and_removes_functions(world: World) -> None:
    provider = world.register(aef_count=2)
    current = _current(world, provider)
    kept = [f for f in current if f["apiProvFuncId"] != provider.aefs[1]]
    added: Body = {"regInfo": {"apiProvPubKey": make_csr()[1]}, "apiProvFuncRole": "AEF"}
    updated = world.ccf.providers.update(
        provider.amf_caller, provider.dom_id, _update_body(world, provider, [*kept, added]), now=NOW
    )
    ids = [f.api_prov_func_id for f in updated.api_prov_funcs]
    assert provider.aefs[1] not in ids and len(ids) == 4
    with world.database.transaction() as tx:
        removed = tx.row("SELECT revoked_at FROM certificates WHERE subject_id = ?", (provider.aefs[1],))
    assert removed is not None and removed["revoked_at"] is not None


def test_a_function_in_use_cannot_be_removed(world: World) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    current = _current(world, provider)
    without_aef = [f for f in current if f["apiProvFuncId"] != provider.aefs[0]]
    with pytest.raises(ForbiddenError) as refusal:
        world.ccf.providers.update(
            provider.amf_caller, provider.dom_id, _update_body(world, provider, without_aef), now=NOW
        )
    assert refusal.value.cause is Cause.FUNCTION_IN_USE


def test_only_an_amf_of_the_domain_manages_it(world: World) -> None:
    provider, other = world.register(), world.register()
    body = _update_body(world, provider, _current(world, provider))
    for caller in (other.amf_caller, provider.apf_caller, Caller(Role.INVOKER, provider.amf)):
        with pytest.raises(ForbiddenError):
            world.ccf.providers.update(caller, provider.dom_id, body, now=NOW)
        with pytest.raises(ForbiddenError):
            world.ccf.providers.deregister(caller, provider.dom_id, now=NOW)
    with pytest.raises(ForbiddenError):  # the same answer as for the other, existing domain
        world.ccf.providers.deregister(provider.amf_caller, "DOMunknown", now=NOW)
    with pytest.raises(BadRequestError):
        world.ccf.providers.update(provider.amf_caller, other.dom_id, body, now=NOW)


def test_an_update_cannot_take_over_another_domains_function_or_change_a_role(world: World) -> None:
    provider, other = world.register(), world.register()
    current = _current(world, provider)
    stolen = {**_current(world, other)[0]}
    with pytest.raises(BadRequestError) as refusal:
        world.ccf.providers.update(
            provider.amf_caller, provider.dom_id, _update_body(world, provider, [*current, stolen]), now=NOW
        )
    assert refusal.value.invalid_params[0].param == f"/apiProvFuncs/{len(current)}/apiProvFuncId"
    changed = [
        {**f, "apiProvFuncRole": "APF"} if f["apiProvFuncId"] == provider.aefs[0] else f for f in current
    ]
    with pytest.raises(BadRequestError):
        world.ccf.providers.update(
            provider.amf_caller, provider.dom_id, _update_body(world, provider, changed), now=NOW
        )


def test_deregistration_unpublishes_and_revokes(world: World) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PKI"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    world.ccf.providers.deregister(provider.amf_caller, provider.dom_id, now=NOW)
    with world.database.transaction() as tx:
        assert tx.rows("SELECT * FROM service_apis") == []
        assert tx.rows("SELECT * FROM provider_functions") == []
        assert tx.rows("SELECT * FROM certificates WHERE role != 'INVOKER' AND revoked_at IS NULL") == []
        assert [r["stale"] for r in tx.rows("SELECT stale FROM security_entries")] == [1]
    with pytest.raises(NotFoundError):
        world.ccf.security.get_context(provider.aef_caller(0), invoker_id, [])


def test_publishing_belongs_to_the_apf_and_its_domain(world: World) -> None:
    provider, other = world.register(), world.register()
    body = {"apiName": "api-a", "aefProfiles": [profile(provider.aefs[0], methods=["PKI"])]}
    with pytest.raises(ForbiddenError):
        world.ccf.publishing.publish(other.apf_caller, provider.apf, body, now=NOW)
    with pytest.raises(BadRequestError) as refusal:
        world.ccf.publishing.publish(other.apf_caller, other.apf, body, now=NOW)
    assert refusal.value.invalid_params[0].param == "/aefProfiles/0/aefId"
    created = world.ccf.publishing.publish(provider.apf_caller, provider.apf, body, now=NOW)
    api_id = created.body.api_id
    assert api_id is not None
    assert created.location.endswith(f"/published-apis/v1/{provider.apf}/service-apis/{api_id}")
    assert world.ccf.publishing.get(provider.apf_caller, provider.apf, api_id) == created.body
    assert world.ccf.publishing.list(provider.apf_caller, provider.apf) == (created.body,)
    with pytest.raises(NotFoundError):
        world.ccf.publishing.get(other.apf_caller, other.apf, api_id)
    with pytest.raises(ForbiddenError) as duplicate:
        world.ccf.publishing.publish(provider.apf_caller, provider.apf, body, now=NOW)
    assert duplicate.value.cause is Cause.API_ALREADY_PUBLISHED_AT_AEF


def test_an_update_may_not_rename_the_resource_and_unpublish_removes_it(world: World) -> None:
    provider = world.register()
    api_id = world.publish(
        provider, "api-a", [profile(provider.aefs[0], methods=["PKI"], interfaces=[interface(8001)])]
    )
    body = {
        "apiName": "api-a",
        "apiId": "APIother",
        "aefProfiles": [profile(provider.aefs[0], methods=["PKI"])],
    }
    with pytest.raises(BadRequestError):
        world.ccf.publishing.update(provider.apf_caller, provider.apf, api_id, body, now=NOW)
    world.ccf.publishing.unpublish(provider.apf_caller, provider.apf, api_id, now=NOW)
    with pytest.raises(NotFoundError):
        world.ccf.publishing.unpublish(provider.apf_caller, provider.apf, api_id, now=NOW)
