"""Helpers of the end-to-end tests: a running deployment (CCF, provider, AEF) in a temporary data
directory, invokers taken through onboarding, negotiation and a token, and raw HTTPS clients for the
requests a well-behaved invoker would not send. The tests at the bottom check the helpers themselves."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from impl.apitypes.enums import SecurityMethod
from impl.clock import Clock, system_clock
from impl.deployment import HELLO_API, Deployment
from impl.http import ClientResponse, HttpsClient
from impl.invoker import ApiInvoker, Negotiated
from impl.pki import CertifiedKey
from impl.settings import Settings
from impl.tls import Capif1eClientTls, CertificateClientTls, ClientTls

RESOURCE = "/greeting"
PREFIXES = ("/psk", "/pki", "/oauth")


@contextmanager
def running(
    directory: Path, settings: Settings | None = None, clock: Clock = system_clock
) -> Iterator[Deployment]:
    """A deployment on loopback, stopped when the block ends."""
    with Deployment(directory, settings or Settings(), clock=clock) as deployment:
        yield deployment


@dataclass
class Ready:
    """An onboarded invoker with a negotiated method per interface (keyed by ``apiPrefix``) and a token."""

    invoker: ApiInvoker
    negotiated: dict[str, Negotiated]
    token: str

    @property
    def api_invoker_id(self) -> str:
        return self.invoker.identity.api_invoker_id

    def invoke(self, prefix: str) -> object:
        negotiated = self.negotiated[prefix]
        self.invoker.check_authentication(negotiated.target)
        token = self.token if negotiated.method is SecurityMethod.OAUTH else None
        return self.invoker.invoke(negotiated, RESOURCE, token=token)


def ready_invoker(deployment: Deployment, notification_destination: str | None = None) -> Ready:
    """Onboard, discover ``hello``, negotiate every interface, obtain a token."""
    invoker = (
        deployment.invoker(notification_destination) if notification_destination else deployment.invoker()
    )
    invoker.onboard(deployment.onboarding_secret())
    targets = invoker.discover(api_name=HELLO_API)
    negotiated = {item.target.api_prefix: item for item in invoker.negotiate(targets)}
    token = invoker.obtain_token(targets[0].aef_id, [HELLO_API])
    return Ready(invoker, negotiated, token)


def aef_client(deployment: Deployment, interface: str, tls: ClientTls) -> HttpsClient:
    """A raw HTTPS client to one AEF interface (``psk``, ``pki``, ``oauth``)."""
    port = deployment.aef.interfaces[interface].port
    assert port is not None
    return HttpsClient(tls, deployment.host, port, timeout=10.0)


def greeting(
    deployment: Deployment, interface: str, tls: ClientTls, headers: Mapping[str, str] | None = None
) -> ClientResponse:
    """``GET {apiPrefix}/hello/v1/greeting`` on a fresh connection."""
    prefix = deployment.aef.interfaces[interface].api_prefix
    with aef_client(deployment, interface, tls) as client:
        return client.get(f"{prefix}/{HELLO_API}/v1{RESOURCE}", headers=headers)


def capif1e_client(deployment: Deployment, credential: CertifiedKey) -> HttpsClient:
    """A raw mutual-TLS CAPIF-1e client with an invoker's credential."""
    tls = Capif1eClientTls(deployment.ca.certificate, credential=credential)
    return HttpsClient(tls, deployment.host, deployment.ccf.capif1e_port, timeout=10.0)


def server_only_tls(deployment: Deployment) -> CertificateClientTls:
    """TLS that checks the AEF's certificate and presents none (the OAuth method's transport)."""
    return CertificateClientTls(deployment.ca.certificate)


def test_a_ready_invoker_reaches_every_interface(deployment: Deployment) -> None:
    ready = ready_invoker(deployment)
    methods = {prefix: ready.negotiated[prefix].method for prefix in PREFIXES}
    assert methods == {"/psk": SecurityMethod.PSK, "/pki": SecurityMethod.PKI, "/oauth": SecurityMethod.OAUTH}
    for prefix in PREFIXES:
        answer = ready.invoke(prefix)
        assert isinstance(answer, dict)
        assert answer["apiInvokerId"] == ready.api_invoker_id


def test_a_request_without_credential_is_refused(deployment: Deployment) -> None:
    response = greeting(deployment, "pki", server_only_tls(deployment))
    assert response.status == 401
    problem = response.problem()
    assert problem is not None and problem.cause == "CREDENTIAL_MISSING"
