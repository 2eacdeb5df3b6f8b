"""An AEF that serves the example API under two names, each published as its own service API: the
token scope (TS 33.122 Annex C) and the access control policy (TS 23.222 clause 8.16) are per API,
and a method update reaches every published API (contribution 004)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.invoker import ApiInvoker, RefusedError
from impl.settings import Settings
from tests.impl.test_e2e_world import RESOURCE

OTHER_API = "hello-2"


@pytest.fixture(scope="module")
def two_apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("two-apis")
    with Deployment(directory, Settings(), api_names=(HELLO_API, OTHER_API)) as deployment:
        yield deployment


def _onboarded(deployment: Deployment) -> ApiInvoker:
    invoker = deployment.invoker()
    invoker.onboard(deployment.onboarding_secret())
    return invoker


def _refusal(call: object) -> tuple[int, str | None]:
    assert callable(call)
    with pytest.raises(RefusedError) as refusal:
        call()
    return refusal.value.status, refusal.value.cause


def test_both_apis_are_published_with_their_own_ids(two_apis: Deployment) -> None:
    invoker = _onboarded(two_apis)
    found = {(target.api_name, target.api_id) for target in invoker.discover()}
    assert {name for name, _ in found} == {HELLO_API, OTHER_API}
    assert two_apis.api_id(HELLO_API) != two_apis.api_id(OTHER_API)
    invoker.close()


def test_a_token_for_one_api_is_refused_at_the_other(two_apis: Deployment) -> None:
    invoker = _onboarded(two_apis)
    target = next(t for t in invoker.discover(api_name=HELLO_API) if t.api_prefix == "/oauth")
    negotiated = invoker.negotiate([target])[0]
    token = invoker.obtain_token(target.aef_id, [HELLO_API])
    answer = invoker.invoke(negotiated, RESOURCE, token=token)
    assert isinstance(answer, dict) and answer["apiInvokerId"] == invoker.identity.api_invoker_id
    other = replace(negotiated, target=replace(target, api_name=OTHER_API))
    assert _refusal(lambda: invoker.invoke(other, RESOURCE, token=token)) == (401, "CREDENTIAL_INVALID")
    invoker.close()


def test_an_api_outside_the_invoker_audience_is_refused_on_its_pki_session(two_apis: Deployment) -> None:
    invoker = _onboarded(two_apis)
    operator = two_apis.ccf.core.operator
    operator.set_api_audience(two_apis.api_id(OTHER_API), [])
    try:
        target = next(t for t in invoker.discover(api_name=HELLO_API) if t.api_prefix == "/pki")
        negotiated = invoker.negotiate([target])[0]
        invoker.check_authentication(target)
        assert isinstance(invoker.invoke(negotiated, RESOURCE), dict)
        other = replace(negotiated, target=replace(target, api_name=OTHER_API))
        assert _refusal(lambda: invoker.invoke(other, RESOURCE)) == (403, "API_INVOKER_NOT_AUTHORIZED")
    finally:
        operator.set_api_audience(two_apis.api_id(OTHER_API), None)
        invoker.close()


def test_a_method_update_reaches_every_published_api(tmp_path: Path) -> None:
    with Deployment(tmp_path, Settings(), api_names=(HELLO_API, OTHER_API)) as deployment:
        deployment.update_methods("psk", [SecurityMethod.PKI])
        invoker = _onboarded(deployment)
        offered = {(t.api_name, t.api_prefix): t.methods for t in invoker.discover()}
        assert offered[(HELLO_API, "/psk")] == offered[(OTHER_API, "/psk")] == (SecurityMethod.PKI,)
        invoker.close()


def test_an_aef_refuses_to_describe_an_api_it_does_not_serve(two_apis: Deployment) -> None:
    with pytest.raises(ValueError, match="no API named"):
        two_apis.aef.service_api_description("not-served")
