"""OpenCAPIF's 7 cases for the API Invoker Management API (``capif_api_invoker_management-1`` to
``-7``), each its request sequence against capifsec as translated in :mod:`tests.conformance.opencapif`;
what capifsec answers, and the clause it follows where that differs from OpenCAPIF's expectation, is
stated in :mod:`tests.conformance.cases`."""

from __future__ import annotations

from impl import pki
from tests.conformance.cases import CASES
from tests.conformance.opencapif import (
    INVOKER_USERNAME,
    NOT_VALID,
    ONBOARDED,
    Environment,
    Invoker,
    member,
    onboarding_body,
    translated_destination,
)
from tests.conformance.run import Run

NEW_CALLBACK = "http://capif-callback/netapp_new_callback"


def _run(number: int) -> Run:
    return Run(CASES[f"capif_api_invoker_management-{number}"])


def _with_id(invoker: Invoker, body: dict[str, object]) -> dict[str, object]:
    """The body with the ``apiInvokerId`` TS 29.222 requires in every request but onboarding."""
    return {**body, "apiInvokerId": invoker.api_invoker_id}


def test_1_onboard(environment: Environment) -> None:
    run = _run(1)
    body = onboarding_body(pki.make_csr(pki.generate_private_key(), INVOKER_USERNAME), INVOKER_USERNAME)
    secret = environment.onboarding_secret()
    response = environment.anonymous().post_json(
        ONBOARDED, body, headers={"Authorization": f"Bearer {secret}"}
    )
    run.check(response, "APIInvokerEnrolmentDetails")
    answer = response.json()
    assert isinstance(answer, dict)
    assert response.headers["location"].endswith(f"{ONBOARDED}/{answer['apiInvokerId']}")
    certificate = member(answer, "onboardingInformation")["apiInvokerCertificate"]
    assert isinstance(certificate, str)
    assert pki.load_certificate_pem(certificate).issuer == environment.ca.certificate.subject
    run.done()


def test_2_onboard_again(environment: Environment) -> None:
    run = _run(2)
    invoker = environment.onboard_invoker()
    again = environment.anonymous().post_json(
        ONBOARDED, invoker.body, headers={"Authorization": f"Bearer {invoker.secret}"}
    )
    run.check(again)
    run.done()


def test_3_update(environment: Environment) -> None:
    run = _run(3)
    invoker = environment.onboard_invoker()
    client = environment.as_invoker(invoker.credential)
    body = {**invoker.body, "notificationDestination": translated_destination(NEW_CALLBACK)}
    run.check(client.put_json(invoker.path, body))
    updated = run.check(client.put_json(invoker.path, _with_id(invoker, body)), "APIInvokerEnrolmentDetails")
    answer = updated.json()
    assert isinstance(answer, dict) and answer["notificationDestination"] == body["notificationDestination"]
    run.done()


def test_4_update_someone_not_onboarded(environment: Environment) -> None:
    run = _run(4)
    invoker = environment.onboard_invoker()
    client = environment.as_invoker(invoker.credential)
    run.check(client.put_json(f"{ONBOARDED}/{NOT_VALID}", invoker.body))
    run.done()


def test_5_offboard(environment: Environment) -> None:
    run = _run(5)
    invoker = environment.onboard_invoker()
    run.check(environment.as_invoker(invoker.credential).delete(invoker.path))
    run.done()


def test_6_offboard_someone_not_onboarded(environment: Environment) -> None:
    run = _run(6)
    invoker = environment.onboard_invoker()
    run.check(environment.as_invoker(invoker.credential).delete(f"{ONBOARDED}/{NOT_VALID}"))
    run.done()


def test_7_update_the_certificate(environment: Environment) -> None:
    run = _run(7)
    invoker = environment.onboard_invoker()
    client = environment.as_invoker(invoker.credential)
    new_key = pki.generate_private_key()
    renewed = onboarding_body(pki.make_csr(new_key, f"{INVOKER_USERNAME}_NEW"), INVOKER_USERNAME)
    body = {**invoker.body, "onboardingInformation": renewed["onboardingInformation"]}
    run.check(client.put_json(invoker.path, body))
    answer = run.check(
        client.put_json(invoker.path, _with_id(invoker, body)), "APIInvokerEnrolmentDetails"
    ).json()
    assert isinstance(answer, dict)
    pem = member(answer, "onboardingInformation")["apiInvokerCertificate"]
    assert isinstance(pem, str)
    new_client = environment.as_invoker(pki.CertifiedKey(pki.load_certificate_pem(pem), new_key))
    body = {**body, "notificationDestination": translated_destination(NEW_CALLBACK)}
    updated = run.check(
        new_client.put_json(invoker.path, _with_id(invoker, body)), "APIInvokerEnrolmentDetails"
    )
    document = updated.json()
    assert (
        isinstance(document, dict) and document["notificationDestination"] == body["notificationDestination"]
    )
    superseded = client.put_json(invoker.path, _with_id(invoker, body))
    assert superseded.status == 401  # the old certificate is no longer live
    run.done()
