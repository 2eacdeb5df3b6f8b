"""API invoker management: onboarding credential, certificate issuance, update, offboarding."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from impl.apitypes.problems import BadRequestError, Cause, ForbiddenError, NotFoundError, UnauthorizedError
from impl.ccf import Caller, Role
from impl.store.invokers import invoker
from impl.store.secrets import SecretPurpose
from impl.store.tokens import tokens_of
from tests.impl.test_ccf_world import NOTIFY, NOW, World, interface, invoker_caller, make_csr, profile


def _enrolment(csr: str | None = None) -> dict[str, object]:
    return {
        "onboardingInformation": {"apiInvokerPublicKey": csr or make_csr()[1]},
        "notificationDestination": NOTIFY,
        "apiInvokerInformation": "test invoker",
    }


def test_onboarding_issues_a_certificate_for_the_assigned_id(world: World) -> None:
    key, csr = make_csr()
    secret = world.secret(SecretPurpose.INVOKER_ONBOARDING)
    created = world.ccf.invokers.onboard(_enrolment(csr), onboarding_secret=secret, now=NOW)
    invoker_id = created.body.api_invoker_id
    assert invoker_id is not None and invoker_id.startswith("INV")
    assert (
        created.location == f"https://127.0.0.1:8443/api-invoker-management/v1/onboardedInvokers/{invoker_id}"
    )
    pem = created.body.onboarding_information.api_invoker_certificate
    assert pem is not None
    certificate = x509.load_pem_x509_certificate(pem.encode())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == invoker_id
    assert certificate.public_key() == key.public_key()
    assert world.ccf.credentials.caller_for_certificate(certificate, now=NOW) == Caller(
        Role.INVOKER, invoker_id
    )
    assert created.body.to_json()["apiInvokerInformation"] == "test invoker"


def test_the_api_list_holds_the_apis_the_invoker_may_use(world: World) -> None:
    provider = world.register()
    api_id = world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["OAUTH"])])
    secret = world.secret(SecretPurpose.INVOKER_ONBOARDING)
    created = world.ccf.invokers.onboard(_enrolment(), onboarding_secret=secret, now=NOW)
    assert created.body.api_list is not None
    assert [api.api_id for api in created.body.api_list] == [api_id]


@pytest.mark.parametrize("secret", [None, "", "guessed-secret"])
def test_onboarding_without_a_valid_secret_is_a_401(world: World, secret: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        world.ccf.invokers.onboard(_enrolment(), onboarding_secret=secret, now=NOW)


def test_the_onboarding_secret_is_spent_once(world: World) -> None:
    secret = world.secret(SecretPurpose.INVOKER_ONBOARDING)
    world.ccf.invokers.onboard(_enrolment(), onboarding_secret=secret, now=NOW)
    with pytest.raises(UnauthorizedError) as refusal:
        world.ccf.invokers.onboard(_enrolment(), onboarding_secret=secret, now=NOW)
    assert refusal.value.cause is Cause.CREDENTIAL_INVALID


def test_a_secret_can_follow_its_option_on_a_command_line(world: World) -> None:
    """A one-time secret never begins with ``-``: ``capifsec invoker onboard --secret S`` would read
    such an S as an option and stop with a usage error (URL-safe base64 did so once in 64)."""
    made = [world.ccf.operator.create_secret(SecretPurpose.INVOKER_ONBOARDING, now=NOW) for _ in range(64)]
    assert all(re.fullmatch("[0-9a-f]{64}", secret) for secret in made)
    assert len(set(made)) == len(made)


def test_an_expired_or_wrong_purpose_secret_is_refused(world: World) -> None:
    expiring = world.ccf.operator.create_secret(
        SecretPurpose.INVOKER_ONBOARDING, now=NOW, lifetime=timedelta(minutes=5)
    )
    with pytest.raises(UnauthorizedError):
        world.ccf.invokers.onboard(_enrolment(), onboarding_secret=expiring, now=NOW + timedelta(minutes=5))
    registration = world.secret(SecretPurpose.PROVIDER_REGISTRATION)
    with pytest.raises(UnauthorizedError):
        world.ccf.invokers.onboard(_enrolment(), onboarding_secret=registration, now=NOW)


def test_a_refused_body_does_not_spend_the_secret(world: World) -> None:
    secret = world.secret(SecretPurpose.INVOKER_ONBOARDING)
    with pytest.raises(BadRequestError) as refusal:
        world.ccf.invokers.onboard(_enrolment("not a CSR"), onboarding_secret=secret, now=NOW)
    assert refusal.value.invalid_params[0].param == "/onboardingInformation/apiInvokerPublicKey"
    created = world.ccf.invokers.onboard(_enrolment(), onboarding_secret=secret, now=NOW)
    assert created.body.api_invoker_id is not None


def test_update_with_a_new_csr_replaces_and_revokes_the_certificate(world: World) -> None:
    invoker_id = world.onboard()
    with world.database.transaction() as tx:
        before = invoker(tx, invoker_id)
    assert before is not None
    old_pem = before.enrolment.onboarding_information.api_invoker_certificate
    assert old_pem is not None
    body = {**_enrolment(), "apiInvokerId": invoker_id}
    updated, _ = world.ccf.invokers.update(invoker_caller(invoker_id), invoker_id, body, now=NOW)
    new_pem = updated.onboarding_information.api_invoker_certificate
    assert new_pem is not None and new_pem != old_pem
    old = x509.load_pem_x509_certificate(old_pem.encode())
    new = x509.load_pem_x509_certificate(new_pem.encode())
    assert world.ccf.credentials.caller_for_certificate(old, now=NOW) is None
    assert world.ccf.credentials.caller_for_certificate(new, now=NOW) == invoker_caller(invoker_id)


def test_update_keeps_the_certificate_when_the_key_is_unchanged(world: World) -> None:
    _, csr = make_csr()
    created = world.ccf.invokers.onboard(
        _enrolment(csr), onboarding_secret=world.secret(SecretPurpose.INVOKER_ONBOARDING), now=NOW
    )
    invoker_id = created.body.api_invoker_id
    assert invoker_id is not None
    body = {**_enrolment(csr), "apiInvokerId": invoker_id, "apiInvokerInformation": "renamed"}
    updated, _ = world.ccf.invokers.update(invoker_caller(invoker_id), invoker_id, body, now=NOW)
    assert updated.onboarding_information.api_invoker_certificate == (
        created.body.onboarding_information.api_invoker_certificate
    )
    assert updated.api_invoker_information == "renamed"


def test_only_the_invoker_itself_updates_or_offboards(world: World) -> None:
    invoker_id = world.onboard()
    other = world.onboard()
    body = {**_enrolment(), "apiInvokerId": invoker_id}
    with pytest.raises(ForbiddenError):
        world.ccf.invokers.update(invoker_caller(other), invoker_id, body, now=NOW)
    with pytest.raises(ForbiddenError):
        world.ccf.invokers.offboard(Caller(Role.AMF, invoker_id), invoker_id, now=NOW)
    with pytest.raises(BadRequestError):
        world.ccf.invokers.update(
            invoker_caller(invoker_id), invoker_id, {**body, "apiInvokerId": other}, now=NOW
        )


def test_offboarding_deletes_everything_and_notifies_the_aefs(world: World) -> None:
    provider = world.register(aef_count=2)
    psk_api = world.publish(provider, "api-psk", [profile(provider.aefs[0], methods=["PSK"])])
    oauth_api = world.publish(
        provider, "api-oauth", [profile(provider.aefs[1], methods=["OAUTH"], interfaces=[interface(8002)])]
    )
    invoker_id = world.onboard()
    world.negotiate(
        invoker_id,
        [
            {"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["OAUTH"]},
        ],
    )
    world.ccf.tokens.request_token(
        invoker_caller(invoker_id),
        invoker_id,
        [
            ("grant_type", "client_credentials"),
            ("client_id", invoker_id),
            ("scope", f"3gpp#{provider.aefs[1]}:api-oauth"),
        ],
        now=NOW,
    )
    with world.database.transaction() as tx:
        assert tokens_of(tx, invoker_id)
        assert tx.row("SELECT count(*) AS n FROM aef_psks")["n"] == 1  # type: ignore[index]

    notifications = world.ccf.invokers.offboard(invoker_caller(invoker_id), invoker_id, now=NOW)

    assert {(n.recipient, n.body.api_ids) for n in notifications} == {
        (provider.aef_caller(0), (psk_api,)),
        (provider.aef_caller(1), (oauth_api,)),
    }
    assert all(n.body.api_invoker_id == invoker_id and n.destination is None for n in notifications)
    with world.database.transaction() as tx:
        assert tokens_of(tx, invoker_id) == []
        assert tx.row("SELECT count(*) AS n FROM aef_psks")["n"] == 0  # type: ignore[index]
        assert tx.row("SELECT count(*) AS n FROM security_entries")["n"] == 0  # type: ignore[index]
        revoked = tx.row("SELECT revoked_at FROM certificates WHERE subject_id = ?", (invoker_id,))
        assert revoked is not None and revoked["revoked_at"] is not None
    with pytest.raises(NotFoundError):
        world.ccf.security.get_context(provider.aef_caller(0), invoker_id, [])
    with pytest.raises(NotFoundError):
        world.ccf.invokers.offboard(invoker_caller(invoker_id), invoker_id, now=NOW)


def test_offboarding_also_notifies_aefs_of_stale_entries(world: World) -> None:
    """An AEF that caches security information must learn of the offboarding even when the invoker's
    entry went stale after a security method update (contribution 004)."""
    provider = world.register()
    aef = provider.aefs[0]
    api_id = world.publish(provider, "api-a", [profile(aef, methods=["PSK", "PKI"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": aef, "prefSecurityMethods": ["PSK"]}])
    updated = {"apiName": "api-a", "aefProfiles": [profile(aef, methods=["PKI"])]}
    world.ccf.publishing.update(provider.apf_caller, provider.apf, api_id, updated, now=NOW)
    notifications = world.ccf.invokers.offboard(invoker_caller(invoker_id), invoker_id, now=NOW)
    assert [(n.recipient, n.body.api_ids) for n in notifications] == [(provider.aef_caller(0), (api_id,))]
