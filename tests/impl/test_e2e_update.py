"""Security method update and mismatch end to end (contribution 004, TS 33.122 clause 6.7 proposal):
the AEF changes an interface's method, the APF informs the CCF, an invoker using the old method is told
its method no longer matches (403 ``SECURITY_METHOD_MISMATCH``), re-negotiates and succeeds. Each test
runs on its own deployment: method updates change it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API
from impl.http import HttpsServer, ProblemDetails, Request, Response, Router
from impl.invoker import ConnectionFailedError, RefusedError
from impl.invoker.client import CHECK_AUTHENTICATION
from impl.settings import (
    AefMethodCheck,
    MethodSelectionRule,
    MethodUpdatePropagation,
    MismatchAuthentication,
    MismatchIndication,
    Settings,
)
from impl.tls import CertificateServerTls
from tests.impl.conftest import LOOPBACK
from tests.impl.test_e2e_world import RESOURCE, ready_invoker, running


def test_psk_after_an_update_fails_at_tls_and_check_authentication_says_why(tmp_path: Path) -> None:
    with running(tmp_path) as deployment:
        ready = ready_invoker(deployment)
        old = ready.negotiated["/psk"]
        assert ready.invoke("/psk") is not None
        deployment.update_methods("psk", [SecurityMethod.PKI])
        with pytest.raises(ConnectionFailedError) as failure:
            ready.invoker.invoke(old, RESOURCE)
        assert failure.value.handshake_refused
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.check_authentication(old.target)
        assert (refusal.value.status, refusal.value.cause) == (403, "SECURITY_METHOD_MISMATCH")
        assert "PSK" in (refusal.value.detail or "")
        target = next(t for t in ready.invoker.discover(api_name=HELLO_API) if t.api_prefix == "/psk")
        assert target.methods == (SecurityMethod.PKI,)
        renegotiated = ready.invoker.negotiate([target])[0]
        assert renegotiated.method is SecurityMethod.PKI
        ready.invoker.check_authentication(target)
        answer = ready.invoker.invoke(renegotiated, RESOURCE)
        assert isinstance(answer, dict) and (answer["securityMethod"], answer["interface"]) == ("PKI", "psk")
        ready.invoker.close()


def test_pki_after_an_update_gets_the_mismatch_on_the_request_itself(tmp_path: Path) -> None:
    with running(tmp_path) as deployment:
        ready = ready_invoker(deployment)
        old = ready.negotiated["/pki"]
        assert ready.invoke("/pki") is not None
        deployment.update_methods("pki", [SecurityMethod.OAUTH])
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.invoke(old, RESOURCE)
        assert (refusal.value.status, refusal.value.cause) == (403, "SECURITY_METHOD_MISMATCH")
        target = next(t for t in ready.invoker.discover(api_name=HELLO_API) if t.api_prefix == "/pki")
        renegotiated = ready.invoker.negotiate([target])[0]
        assert renegotiated.method is SecurityMethod.OAUTH
        token = ready.invoker.obtain_token(target.aef_id, [HELLO_API])
        ready.invoker.check_authentication(target)
        answer = ready.invoker.invoke(renegotiated, RESOURCE, token=token)
        assert isinstance(answer, dict) and answer["securityMethod"] == "OAUTH"
        ready.invoker.close()


def test_without_mismatch_indication_the_refusal_says_nothing_of_why(tmp_path: Path) -> None:
    with running(tmp_path, Settings(mismatch_indication=MismatchIndication.OFF)) as deployment:
        ready = ready_invoker(deployment)
        assert ready.invoke("/pki") is not None and ready.invoke("/psk") is not None
        deployment.update_methods("pki", [SecurityMethod.OAUTH])
        deployment.update_methods("psk", [SecurityMethod.PKI])
        with pytest.raises(RefusedError) as on_request:
            ready.invoker.invoke(ready.negotiated["/pki"], RESOURCE)
        assert (on_request.value.status, on_request.value.cause) == (401, "CREDENTIAL_INVALID")
        with pytest.raises(RefusedError) as on_check:
            ready.invoker.check_authentication(ready.negotiated["/psk"].target)
        assert (on_check.value.status, on_check.value.cause) == (403, "API_INVOKER_NOT_AUTHORIZED")
        ready.invoker.close()


def test_cached_security_info_lets_the_old_method_through(tmp_path: Path) -> None:
    """The weak ``aef-method-check`` value: what the AEF still caches wins over its configuration."""
    with running(
        tmp_path, Settings(aef_method_check=AefMethodCheck.UNSAFE_CACHED_SECURITY_INFO, allow_unsafe=True)
    ) as deployment:
        ready = ready_invoker(deployment)
        assert ready.invoke("/psk") is not None
        deployment.update_methods("psk", [SecurityMethod.PKI])
        answer = ready.invoker.invoke(ready.negotiated["/psk"], RESOURCE)
        assert isinstance(answer, dict) and answer["securityMethod"] == "PSK"
        ready.invoker.close()


def test_the_ccf_marks_the_old_selection_stale(tmp_path: Path) -> None:
    """After the APF withdrew OAUTH, the CCF's OAUTH selection is stale: no more tokens for it."""
    with running(tmp_path) as deployment:
        ready = ready_invoker(deployment)
        deployment.update_methods("oauth", [SecurityMethod.PKI])
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.obtain_token(deployment.aef.config.aef_id, [HELLO_API])
        assert (refusal.value.status, refusal.value.cause) == (400, "unauthorized_client")
        ready.invoker.close()


@pytest.mark.parametrize(("interface", "old", "new"), [("psk", "PSK", "PKI"), ("oauth", "OAUTH", "PKI")])
def test_a_selection_withdrawn_before_the_aef_ever_fetched_it_still_gets_the_mismatch(
    tmp_path: Path, interface: str, old: str, new: str
) -> None:
    """Contribution 004: the AEF never saw the invoker's security information (no check-authentication
    before the update) and the invoker holds no token; the CCF still shows the AEF the withdrawn
    selection, so check-authentication at the old interface says the method no longer matches."""
    with running(tmp_path) as deployment:
        ready = ready_invoker(deployment)
        target = ready.negotiated[f"/{interface}"].target
        deployment.update_methods(interface, [SecurityMethod(new)])
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.check_authentication(target)
        assert (refusal.value.status, refusal.value.cause) == (403, "SECURITY_METHOD_MISMATCH")
        assert old in (refusal.value.detail or "")
        found = ready.invoker.discover(api_name=HELLO_API)
        current = next(t for t in found if t.api_prefix == f"/{interface}")
        assert ready.invoker.negotiate([current])[0].method is SecurityMethod(new)
        ready.invoker.check_authentication(current)
        ready.invoker.close()


def test_without_mismatch_indication_a_selection_withdrawn_unseen_is_refused_without_saying_why(
    tmp_path: Path,
) -> None:
    with running(tmp_path, Settings(mismatch_indication=MismatchIndication.OFF)) as deployment:
        ready = ready_invoker(deployment)
        deployment.update_methods("psk", [SecurityMethod.PKI])
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.check_authentication(ready.negotiated["/psk"].target)
        assert (refusal.value.status, refusal.value.cause) == (403, "API_INVOKER_NOT_AUTHORIZED")
        ready.invoker.close()


def test_a_withdrawn_selection_is_not_shown_once_its_method_is_back(tmp_path: Path) -> None:
    """Withdrawn, then offered again: the selection stays withdrawn (no AEFPSK any more), and since the
    method matches again there is nothing to indicate: the invoker is told to negotiate."""
    with running(tmp_path) as deployment:
        ready = ready_invoker(deployment)
        deployment.update_methods("psk", [SecurityMethod.PKI])
        deployment.update_methods("psk", [SecurityMethod.PSK])
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.check_authentication(ready.negotiated["/psk"].target)
        assert (refusal.value.status, refusal.value.cause) == (403, "API_INVOKER_NOT_AUTHORIZED")
        ready.invoker.close()


def test_cached_security_info_does_not_accept_a_withdrawn_selection_it_never_held(tmp_path: Path) -> None:
    """The weak ``aef-method-check`` value accepts what the AEF still holds; a selection withdrawn
    before the AEF fetched it holds nothing (no AEFPSK, no authorization), so check-authentication
    refuses it."""
    with running(
        tmp_path, Settings(aef_method_check=AefMethodCheck.UNSAFE_CACHED_SECURITY_INFO, allow_unsafe=True)
    ) as deployment:
        ready = ready_invoker(deployment)
        deployment.update_methods("psk", [SecurityMethod.PKI])
        with pytest.raises(RefusedError) as refusal:
            ready.invoker.check_authentication(ready.negotiated["/psk"].target)
        assert refusal.value.status == 403
        ready.invoker.close()


@pytest.mark.parametrize(
    ("propagation", "selected_before_propagation"),
    [
        (MethodUpdatePropagation.IMMEDIATE, SecurityMethod.OAUTH),
        (MethodUpdatePropagation.DELAYED, SecurityMethod.PKI),
    ],
)
def test_a_delayed_update_leaves_the_ccf_selecting_the_old_method_until_it_arrives(
    tmp_path: Path, propagation: MethodUpdatePropagation, selected_before_propagation: SecurityMethod
) -> None:
    """``method-update-propagation``: the AEF turns /pki to OAUTH. Under ``immediate`` the CCF selects
    OAUTH at once; under ``delayed`` it still selects PKI, which the AEF refuses as a mismatch, until
    the APF's update reaches it."""
    with running(tmp_path, Settings(method_update_propagation=propagation)) as deployment:
        invoker = deployment.invoker()
        invoker.onboard(deployment.onboarding_secret())
        deployment.update_methods("pki", [SecurityMethod.OAUTH])
        target = next(t for t in invoker.discover(api_name=HELLO_API) if t.api_prefix == "/pki")
        negotiated = invoker.negotiate([target], preferred=[SecurityMethod.PKI, SecurityMethod.OAUTH])[0]
        assert negotiated.method is selected_before_propagation
        if propagation is MethodUpdatePropagation.DELAYED:
            with pytest.raises(RefusedError) as refusal:
                invoker.invoke(negotiated, RESOURCE)
            assert (refusal.value.status, refusal.value.cause) == (403, "SECURITY_METHOD_MISMATCH")
            deployment.propagate_method_updates()
            target = next(t for t in invoker.discover(api_name=HELLO_API) if t.api_prefix == "/pki")
            renegotiated = invoker.negotiate([target], preferred=[SecurityMethod.PKI, SecurityMethod.OAUTH])
            assert renegotiated[0].method is SecurityMethod.OAUTH
        invoker.close()


@pytest.mark.parametrize(
    ("rule", "selected"),
    [
        (MethodSelectionRule.INVOKER_ORDER, SecurityMethod.OAUTH),
        (MethodSelectionRule.ANY_COMMON, SecurityMethod.PKI),
    ],
)
def test_the_method_selection_rule_decides_among_common_methods(
    tmp_path: Path, rule: MethodSelectionRule, selected: SecurityMethod
) -> None:
    """``method-selection-rule``: /pki offers PKI and OAUTH, the invoker prefers OAUTH then PKI: the
    CCF selects OAUTH by the invoker's order, PKI under ``any-common``; either then works."""
    with running(tmp_path, Settings(method_selection_rule=rule)) as deployment:
        deployment.update_methods("pki", [SecurityMethod.PKI, SecurityMethod.OAUTH])
        invoker = deployment.invoker()
        invoker.onboard(deployment.onboarding_secret())
        target = next(t for t in invoker.discover(api_name=HELLO_API) if t.api_prefix == "/pki")
        negotiated = invoker.negotiate([target], preferred=[SecurityMethod.OAUTH, SecurityMethod.PKI])[0]
        assert negotiated.method is selected
        token = invoker.obtain_token(target.aef_id, [HELLO_API]) if selected is SecurityMethod.OAUTH else None
        invoker.check_authentication(target)
        answer = invoker.invoke(negotiated, RESOURCE, token=token)
        assert isinstance(answer, dict) and answer["securityMethod"] == selected.value
        invoker.close()


@pytest.mark.parametrize(
    ("authentication", "taken"),
    [(MismatchAuthentication.AUTHENTICATED, False), (MismatchAuthentication.UNSAFE_UNAUTHENTICATED, True)],
)
def test_a_mismatch_indication_is_taken_only_from_the_authenticated_aef(
    tmp_path: Path, authentication: MismatchAuthentication, taken: bool
) -> None:
    """``mismatch-authentication``: the network attacker answers the invoker's check-authentication in
    place of the AEF, with a certificate of its own CA, saying the method no longer matches. The
    invoker refuses the server (no authenticated AEF); under ``unauthenticated`` it takes the
    indication (and would re-negotiate)."""
    router = Router()

    def mismatch(request: Request) -> Response:
        raise ProblemDetails(403, detail="re-negotiate", cause="SECURITY_METHOD_MISMATCH")

    router.add("POST", "/pki" + CHECK_AUTHENTICATION, mismatch)
    attacker_ca = pki.CertificateAuthority.create("attacker", now=datetime.now(UTC) - timedelta(hours=1))
    credential = attacker_ca.issue_certified_key(
        pki.CertificateProfile("aef", ip_addresses=(LOOPBACK,), server_auth=True),
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    settings = Settings(mismatch_authentication=authentication, allow_unsafe=True)
    with (
        running(tmp_path, settings) as deployment,
        HttpsServer(router, CertificateServerTls(credential)) as fake,
    ):
        invoker = deployment.invoker()
        invoker.onboard(deployment.onboarding_secret())
        target = next(t for t in invoker.discover(api_name=HELLO_API) if t.api_prefix == "/pki")
        spoofed = dataclasses.replace(target, interface=dataclasses.replace(target.interface, port=fake.port))
        if taken:
            with pytest.raises(RefusedError) as refusal:
                invoker.check_authentication(spoofed)
            assert refusal.value.is_method_mismatch
        else:
            with pytest.raises(ConnectionFailedError) as failure:
                invoker.check_authentication(spoofed)
            assert failure.value.handshake_refused
        invoker.close()
