"""The invoker library's failure modes: each becomes a typed error with a clear message (never a raw
TLS or socket exception), and the re-negotiation path goes through ``POST .../update``."""

from __future__ import annotations

import socket

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.invoker import ApiInvoker, CcfEndpoint, ConnectionFailedError, InvokerError, RefusedError
from tests.impl.conftest import TestPki
from tests.impl.test_e2e_world import ready_invoker

NOTIFY = "https://127.0.0.1:9/notify"


def test_a_ccf_with_a_certificate_from_another_ca_is_refused(deployment: Deployment, pki: TestPki) -> None:
    invoker = ApiInvoker(
        CcfEndpoint(deployment.host, deployment.ccf.capif1e_port, deployment.host),
        pki.foreign_ca.certificate,
        notification_destination=NOTIFY,
    )
    with pytest.raises(ConnectionFailedError) as failure:
        invoker.onboard(deployment.onboarding_secret())
    assert failure.value.handshake_refused


def test_an_unreachable_ccf_is_a_connection_failure(deployment: Deployment) -> None:
    with socket.socket() as placeholder:  # bound, not listening: refused, and no other process takes it
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        invoker = ApiInvoker(
            CcfEndpoint("127.0.0.1", port, "127.0.0.1"),
            deployment.ca.certificate,
            notification_destination=NOTIFY,
        )
        with pytest.raises(ConnectionFailedError) as failure:
            invoker.onboard("secret")
    assert not failure.value.handshake_refused


def test_nothing_but_onboarding_works_before_onboarding(deployment: Deployment) -> None:
    invoker = deployment.invoker()
    for operation in (invoker.discover, invoker.offboard, lambda: invoker.obtain_token("AEF", [HELLO_API])):
        with pytest.raises(InvokerError, match="not onboarded"):
            operation()


def test_negotiation_needs_targets_and_a_common_method(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    with pytest.raises(InvokerError):
        ready.invoker.negotiate([])
    target = ready.negotiated["/psk"].target
    with pytest.raises(RefusedError) as refusal:
        ready.invoker.negotiate([target], preferred=[SecurityMethod.OAUTH])
    assert (refusal.value.status, refusal.value.cause) == (403, "NO_COMMON_SECURITY_METHOD")
    ready.invoker.close()


def test_renegotiation_updates_the_context_and_keeps_the_others(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    again = ready.invoker.negotiate([ready.negotiated["/psk"].target])[0]
    assert again.method is SecurityMethod.PSK and again.aefpsk is not None
    ready.invoker.check_authentication(again.target)
    assert ready.invoker.invoke(again, "/greeting") is not None
    assert ready.invoke("/pki") is not None and ready.invoke("/oauth") is not None
    ready.invoker.close()


def test_invoking_without_what_the_method_needs_is_an_error(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    with pytest.raises(InvokerError, match="access token"):
        ready.invoker.invoke(ready.negotiated["/oauth"], "/greeting")
    ready.invoker.close()


def test_offboarding_twice_is_refused(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    ready.invoker.offboard()
    with pytest.raises(RefusedError) as refusal:
        ready.invoker.offboard()
    assert refusal.value.status == 401
