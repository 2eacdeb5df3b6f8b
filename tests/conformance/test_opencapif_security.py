"""OpenCAPIF's 27 cases for the CAPIF Security API (``capif_security_api-1`` to ``-27``), each its
request sequence against capifsec as translated in :mod:`tests.conformance.opencapif`; what capifsec
answers, and the clause it follows where that differs from OpenCAPIF's expectation, is stated in
:mod:`tests.conformance.cases`."""

from __future__ import annotations

import pytest

from impl.http import HttpsClient
from tests.conformance.cases import CASES
from tests.conformance.opencapif import (
    DISCOVER,
    NOT_VALID,
    OPENCAPIF_CALLBACK,
    TRUSTED,
    Environment,
    Invoker,
    Provider,
    members,
    scope,
    security_body_from_discovery,
    security_notification,
    token_form,
)
from tests.conformance.run import Run

TOKEN = "/capif-security/v1/securities/{}/token"
WITH_INFO = {"authenticationInfo": "true", "authorizationInfo": "true"}


def _run(number: int) -> Run:
    return Run(CASES[f"capif_security_api-{number}"])


def _without_credentials(context: dict[str, object]) -> dict[str, object]:
    """OpenCAPIF's "Remove Keys From Object": the context without authentication/authorization info."""
    entries = context["securityInfo"]
    assert isinstance(entries, list)
    stripped = [
        {key: value for key, value in entry.items() if key not in ("authenticationInfo", "authorizationInfo")}
        for entry in entries
    ]
    return {**context, "securityInfo": stripped}


def _created_context(
    environment: Environment, invoker: Invoker, provider: Provider, run: Run
) -> dict[str, object]:
    """The invoker's ``PUT trustedInvokers/{own id}`` with OpenCAPIF's security body: 201."""
    client = environment.as_invoker(invoker.credential)
    response = run.check(
        client.put_json(f"{TRUSTED}/{invoker.api_invoker_id}", environment.security_body(provider)),
        "ServiceSecurity",
    )
    document = response.json()
    assert isinstance(document, dict)
    return document


def _discovered(client: HttpsClient, invoker: Invoker, run: Run, **filters: str) -> dict[str, object]:
    response = run.check(
        client.get(DISCOVER, query={"api-invoker-id": invoker.api_invoker_id, **filters}), "DiscoveredAPIs"
    )
    document = response.json()
    assert isinstance(document, dict)
    return document


@pytest.fixture
def invoker(environment: Environment) -> Invoker:
    return environment.onboard_invoker()


@pytest.fixture
def provider(environment: Environment) -> Provider:
    return environment.register_provider()


def test_1_create_a_security_context(environment: Environment, invoker: Invoker, provider: Provider) -> None:
    run = _run(1)
    _created_context(environment, invoker, provider, run)
    run.done()


def test_2_create_as_the_aef(environment: Environment, invoker: Invoker, provider: Provider) -> None:
    run = _run(2)
    aef = environment.as_provider(provider.aef)
    run.check(aef.put_json(f"{TRUSTED}/{invoker.api_invoker_id}", environment.security_body(provider)))
    run.done()


def test_3_create_as_the_aef_for_an_unknown_invoker(environment: Environment, provider: Provider) -> None:
    run = _run(3)
    aef = environment.as_provider(provider.aef)
    run.check(aef.put_json(f"{TRUSTED}/{NOT_VALID}", environment.security_body(provider)))
    run.done()


def test_4_create_for_an_unknown_invoker(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(4)
    client = environment.as_invoker(invoker.credential)
    run.check(client.put_json(f"{TRUSTED}/{NOT_VALID}", environment.security_body(provider)))
    run.done()


def test_5_the_aef_retrieves_the_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(5)
    created = _created_context(environment, invoker, provider, run)
    aef = environment.as_provider(provider.aef)
    retrieved = run.check(aef.get(f"{TRUSTED}/{invoker.api_invoker_id}"), "ServiceSecurity").json()
    assert isinstance(retrieved, dict)
    expected = _without_credentials(created)
    assert retrieved != expected
    assert retrieved == {
        key: value
        for key, value in expected.items()
        if key not in ("websockNotifConfig", "supportedFeatures")
    }
    run.done()


def test_6_the_aef_retrieves_an_unknown_invoker(environment: Environment, provider: Provider) -> None:
    run = _run(6)
    run.check(environment.as_provider(provider.aef).get(f"{TRUSTED}/{NOT_VALID}"))
    run.done()


def test_7_the_invoker_retrieves_its_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(7)
    _created_context(environment, invoker, provider, run)
    run.check(environment.as_invoker(invoker.credential).get(f"{TRUSTED}/{invoker.api_invoker_id}"))
    run.done()


def test_8_the_aef_deletes_the_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(8)
    _created_context(environment, invoker, provider, run)
    aef = environment.as_provider(provider.aef)
    run.check(aef.delete(f"{TRUSTED}/{invoker.api_invoker_id}"))
    run.check(aef.get(f"{TRUSTED}/{invoker.api_invoker_id}"))
    run.done()


def test_9_the_invoker_deletes_its_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(9)
    _created_context(environment, invoker, provider, run)
    run.check(environment.as_invoker(invoker.credential).delete(f"{TRUSTED}/{invoker.api_invoker_id}"))
    still = environment.as_provider(provider.aef).get(f"{TRUSTED}/{invoker.api_invoker_id}")
    assert still.status == 200  # nothing was revoked
    run.done()


def test_10_the_invoker_deletes_an_unknown_context(environment: Environment, invoker: Invoker) -> None:
    run = _run(10)
    run.check(environment.as_invoker(invoker.credential).delete(f"{TRUSTED}/{NOT_VALID}"))
    run.done()


def test_11_the_aef_deletes_an_unknown_context(environment: Environment, provider: Provider) -> None:
    run = _run(11)
    run.check(environment.as_provider(provider.aef).delete(f"{TRUSTED}/{NOT_VALID}"))
    run.done()


def test_12_the_invoker_updates_its_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(12)
    _created_context(environment, invoker, provider, run)
    client = environment.as_invoker(invoker.credential)
    updated = run.check(
        client.post_json(
            f"{TRUSTED}/{invoker.api_invoker_id}/update",
            environment.security_body(provider, "http://robot.testing2"),
        ),
        "ServiceSecurity",
    ).json()
    aef = environment.as_provider(provider.aef)
    retrieved = run.check(
        aef.get(f"{TRUSTED}/{invoker.api_invoker_id}", query=WITH_INFO), "ServiceSecurity"
    ).json()
    assert isinstance(updated, dict) and isinstance(retrieved, dict)
    assert retrieved["notificationDestination"] == updated["notificationDestination"]
    given, seen = updated["securityInfo"], retrieved["securityInfo"]
    assert isinstance(given, list) and isinstance(seen, list)
    assert [entry["selSecurityMethod"] for entry in seen] == [entry["selSecurityMethod"] for entry in given]
    assert not any("authenticationInfo" in entry for entry in given)  # the invoker derives AEFPSK itself
    assert all(entry["authenticationInfo"] and entry["authorizationInfo"] for entry in seen)
    run.done()


def test_13_the_aef_updates_the_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(13)
    _created_context(environment, invoker, provider, run)
    aef = environment.as_provider(provider.aef)
    run.check(
        aef.post_json(f"{TRUSTED}/{invoker.api_invoker_id}/update", environment.security_body(provider))
    )
    run.done()


def test_14_the_aef_updates_an_unknown_context(environment: Environment, provider: Provider) -> None:
    run = _run(14)
    aef = environment.as_provider(provider.aef)
    run.check(aef.post_json(f"{TRUSTED}/{NOT_VALID}/update", environment.security_body(provider)))
    run.done()


def test_15_the_invoker_updates_an_unknown_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(15)
    client = environment.as_invoker(invoker.credential)
    run.check(client.post_json(f"{TRUSTED}/{NOT_VALID}/update", environment.security_body(provider)))
    run.done()


def test_16_the_aef_revokes_the_invoker(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(16)
    published = environment.publish_service(provider)
    client = environment.as_invoker(invoker.credential)
    discovered = _discovered(client, invoker, run, **{"aef-id": provider.aef_id})
    api_ids = [str(api["apiId"]) for api in members(discovered, "serviceAPIDescriptions")]
    assert api_ids == [published["apiId"]]
    body = security_body_from_discovery(discovered, "http://capif:8080/test")
    run.check(client.put_json(f"{TRUSTED}/{invoker.api_invoker_id}", body), "ServiceSecurity")
    aef = environment.as_provider(provider.aef)
    notification = security_notification(invoker.api_invoker_id, api_ids)
    run.check(aef.post_json(f"{TRUSTED}/{invoker.api_invoker_id}/delete", notification))
    run.check(aef.get(f"{TRUSTED}/{invoker.api_invoker_id}"))
    run.done()


def test_17_the_invoker_revokes(environment: Environment, invoker: Invoker, provider: Provider) -> None:
    run = _run(17)
    created = _created_context(environment, invoker, provider, run)
    client = environment.as_invoker(invoker.credential)
    notification = security_notification(invoker.api_invoker_id, ["1234"])
    run.check(client.post_json(f"{TRUSTED}/{invoker.api_invoker_id}/delete", notification))
    retrieved = run.check(
        environment.as_provider(provider.aef).get(f"{TRUSTED}/{invoker.api_invoker_id}"), "ServiceSecurity"
    ).json()
    assert isinstance(retrieved, dict)
    assert retrieved["securityInfo"] == _without_credentials(created)["securityInfo"]
    run.done()


def test_18_the_aef_revokes_an_unknown_invoker(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(18)
    created = _created_context(environment, invoker, provider, run)
    aef = environment.as_provider(provider.aef)
    run.check(aef.post_json(f"{TRUSTED}/{NOT_VALID}/delete", security_notification(NOT_VALID, ["1234"])))
    retrieved = run.check(
        aef.get(f"{TRUSTED}/{invoker.api_invoker_id}", query=WITH_INFO), "ServiceSecurity"
    ).json()
    assert isinstance(retrieved, dict)
    given, seen = created["securityInfo"], retrieved["securityInfo"]
    assert isinstance(given, list) and isinstance(seen, list)
    assert [entry["selSecurityMethod"] for entry in seen] == [entry["selSecurityMethod"] for entry in given]
    assert all(entry["authenticationInfo"] and entry["authorizationInfo"] for entry in seen)
    run.done()


def _negotiated_for_service(
    environment: Environment, invoker: Invoker, provider: Provider, run: Run
) -> HttpsClient:
    """Publish service_1, discover, negotiate from the discovery answer (checks: 200, 201)."""
    environment.publish_service(provider)
    client = environment.as_invoker(invoker.credential)
    discovered = _discovered(client, invoker, run)
    body = security_body_from_discovery(discovered, OPENCAPIF_CALLBACK)
    run.check(client.put_json(f"{TRUSTED}/{invoker.api_invoker_id}", body), "ServiceSecurity")
    return client


def test_19_retrieve_an_access_token(environment: Environment, invoker: Invoker, provider: Provider) -> None:
    run = _run(19)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, scope(provider.aef_id, "service_1"))
    run.check(client.post_form(TOKEN.format(invoker.api_invoker_id), form), "AccessTokenRsp")
    run.done()


def test_20_the_aef_retrieves_an_access_token(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(20)
    _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, scope(provider.aef_id, "service_1"))
    aef = environment.as_provider(provider.aef)
    run.check(aef.post_form(TOKEN.format(invoker.api_invoker_id), form))
    run.done()


def test_21_the_aef_retrieves_an_access_token_for_an_unknown_invoker(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(21)
    _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, scope(provider.aef_id, "service_1"))
    aef = environment.as_provider(provider.aef)
    run.check(aef.post_form(TOKEN.format(NOT_VALID), form))
    run.done()


def test_22_access_token_for_an_unknown_security_context(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(22)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, scope(provider.aef_id, "service_1"))
    run.check(client.post_form(TOKEN.format(NOT_VALID), form))
    run.done()


def test_23_access_token_with_an_unknown_client_id(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(23)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(NOT_VALID, scope(provider.aef_id, "service_1"))
    run.check(client.post_form(TOKEN.format(invoker.api_invoker_id), form))
    run.done()


def test_24_access_token_with_an_unsupported_grant_type(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(24)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, scope(provider.aef_id, "service_1"), grant_type="not_valid")
    run.check(client.post_form(TOKEN.format(invoker.api_invoker_id), form))
    run.done()


def test_25_access_token_with_a_malformed_scope(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(25)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, '"not-valid-scope"')
    run.check(client.post_form(TOKEN.format(invoker.api_invoker_id), form))
    run.done()


def test_26_access_token_for_an_unknown_aef(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(26)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, "3gpp#1234:service_1")
    run.check(client.post_form(TOKEN.format(invoker.api_invoker_id), form))
    run.done()


def test_27_access_token_for_an_unknown_api(
    environment: Environment, invoker: Invoker, provider: Provider
) -> None:
    run = _run(27)
    client = _negotiated_for_service(environment, invoker, provider, run)
    form = token_form(invoker.api_invoker_id, scope(provider.aef_id, "not-valid"))
    run.check(client.post_form(TOKEN.format(invoker.api_invoker_id), form))
    run.done()
