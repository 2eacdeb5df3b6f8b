"""Offboarding and revocation reach the AEF (TS 33.122 clauses 6.2 and 6.6; TS 29.222 AEF_Security_API
``revoke-authorization``): afterwards the AEF accepts no new session or request from that invoker,
including requests on a TLS session that was open before."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.http import HttpsServer, Request, Response, Router
from impl.invoker import ConnectionFailedError, RefusedError
from impl.settings import Settings, TokenClaims
from impl.tls import CertificateClientTls, CertificateServerTls, PskClientTls, TlsHandshakeError
from tests.impl.conftest import LOOPBACK
from tests.impl.test_e2e_world import (
    RESOURCE,
    Ready,
    aef_client,
    ready_invoker,
    running,
)

GREETING = f"/pki/{HELLO_API}/v1{RESOURCE}"


def _refused_everywhere(ready: Ready) -> None:
    for prefix, negotiated in ready.negotiated.items():
        token = ready.token if negotiated.method is SecurityMethod.OAUTH else None
        with pytest.raises((RefusedError, ConnectionFailedError)) as refusal:
            ready.invoker.invoke(negotiated, RESOURCE, token=token)
        if prefix == "/psk":
            assert isinstance(refusal.value, ConnectionFailedError) and refusal.value.handshake_refused
        else:
            assert isinstance(refusal.value, RefusedError) and refusal.value.status == 401


def test_after_offboarding_no_new_session_or_request_is_accepted(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    for prefix in ready.negotiated:
        assert ready.invoke(prefix) is not None
    credential = ready.invoker.identity.credential
    psk = ready.negotiated["/psk"].aefpsk
    assert psk is not None
    pki_tls = CertificateClientTls(deployment.ca.certificate, credential=credential)
    psk_tls = PskClientTls(ready.api_invoker_id, psk)
    with (
        aef_client(deployment, "pki", pki_tls) as pki_session,
        aef_client(deployment, "psk", psk_tls) as psk_session,
    ):
        assert pki_session.get(GREETING).status == 200
        assert psk_session.get(GREETING.replace("/pki/", "/psk/")).status == 200
        ready.invoker.offboard()
        assert pki_session.get(GREETING).status == 401  # the same TLS sessions, after offboarding
        assert psk_session.get(GREETING.replace("/pki/", "/psk/")).status == 401
    _refused_everywhere(ready)
    with pytest.raises(TlsHandshakeError):
        aef_client(deployment, "psk", PskClientTls(ready.api_invoker_id, psk)).connect()


def test_an_aef_revocation_reaches_the_ccf_and_the_invoker(deployment: Deployment, tmp_path: Path) -> None:
    received: list[object] = []
    arrived = threading.Event()

    def notification(request: Request) -> Response:
        received.append(request.json())
        arrived.set()
        return Response.no_content()

    router = Router()
    router.add("POST", "/notifications", notification)
    receiver_credential = deployment.ca.issue_certified_key(
        pki.CertificateProfile("invoker-callback", ip_addresses=(LOOPBACK,), server_auth=True),
        now=deployment.clock(),
    )
    with HttpsServer(router, CertificateServerTls(receiver_credential)) as receiver:
        ready = ready_invoker(deployment, f"{receiver.base_url}/notifications")
        assert ready.invoke("/pki") is not None
        deployment.aef.revoke(ready.api_invoker_id, (deployment.hello_api_id,))
        assert arrived.wait(10)
    assert received == [
        {
            "apiInvokerId": ready.api_invoker_id,
            "aefId": deployment.aef.config.aef_id,
            "apiIds": [deployment.hello_api_id],
            "cause": "UNEXPECTED_REASON",
        }
    ]
    _refused_everywhere(ready)
    with pytest.raises(RefusedError) as refusal:
        ready.invoker.obtain_token(deployment.aef.config.aef_id, [HELLO_API])
    assert refusal.value.cause == "invalid_scope"
    ready.invoker.close()


def test_a_token_naming_no_invoker_outlives_offboarding_until_exp(tmp_path: Path) -> None:
    """TS 29.222 ``AccessTokenClaims`` name the CCF, not the invoker: the AEF cannot tie the bearer token
    to the revocation, so it stays usable until ``exp`` (documented limit of that claim set)."""
    with running(
        tmp_path, Settings(token_claims=TokenClaims.UNSAFE_TS29222, allow_unsafe=True)
    ) as deployment:
        ready = ready_invoker(deployment)
        oauth = ready.negotiated["/oauth"]
        ready.invoker.offboard()
        answer = ready.invoker.invoke(oauth, RESOURCE, token=ready.token)
        assert isinstance(answer, dict) and answer["apiInvokerId"] is None
        with pytest.raises(RefusedError):
            ready.invoker.invoke(ready.negotiated["/pki"], RESOURCE)
