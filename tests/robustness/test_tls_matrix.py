"""Issue 13, suite item 3: the TLS negative matrix on every reference point of a running deployment:
CAPIF-1e and CAPIF-3/4/5 at the CCF, the three CAPIF-2e interfaces and the CAPIF-3 endpoint of the AEF
(``revoke-authorization``); CAPIF-6/6e in ``test_tls_matrix_interconnect.py``.

On each: protocol versions below TLS 1.2 get no handshake (TS 33.210 clause 6.2); a client without a
certificate, with an expired, not yet valid or foreign-CA certificate, with an unknown PSK identity or
a wrong PSK, and every role's certificate other than the one the reference point serves, is refused:
at the handshake, or with 401/403 on the request. The one legitimate caller of each is accepted (the
control that each request could succeed)."""

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from impl.credential_files import load_credential
from impl.deployment import HELLO_API, Deployment
from impl.pki import CertifiedKey
from impl.tls import CertificateClientTls, ClientTls, PskClientTls
from tests.impl.conftest import TestPki
from tests.impl.test_e2e_world import RESOURCE, Ready
from tests.robustness.tls_matrix import (
    LEGACY_VERSIONS,
    Probe,
    expired,
    not_yet_valid,
    server_answers_legacy_hello,
)


@dataclass(frozen=True)
class ReferencePoint:
    """A port, the request that stands for it, and which client is its legitimate caller."""

    probe: Probe
    legitimate: str


@pytest.fixture(scope="module")
def reference_points(deployment: Deployment, ready: Ready) -> dict[str, ReferencePoint]:
    host = deployment.host
    invoker = urllib.parse.quote(ready.api_invoker_id, safe="")
    aef = deployment.aef
    ready.invoke("/pki")  # the AEF holds the invoker's security information

    def interface(name: str) -> Probe:
        port = aef.interfaces[name].port
        assert port is not None
        return Probe(host, port, "GET", f"/{name}/{HELLO_API}/v1{RESOURCE}")

    revoke_unknown = {
        "revokeInfo": {"apiInvokerId": "INVnobody", "apiIds": ["API0"], "cause": "UNEXPECTED_REASON"},
        "supportedFeatures": "0",
    }
    return {
        "CAPIF-1e": ReferencePoint(
            Probe(
                host,
                deployment.ccf.capif1e_port,
                "GET",
                f"/service-apis/v1/allServiceAPIs?api-invoker-id={invoker}",
            ),
            "invoker",
        ),
        "CAPIF-3/4/5": ReferencePoint(
            Probe(host, deployment.ccf.capif345_port, "GET", f"/capif-security/v1/trustedInvokers/{invoker}"),
            "aef",
        ),
        "CAPIF-2e psk": ReferencePoint(interface("psk"), "psk"),
        "CAPIF-2e pki": ReferencePoint(interface("pki"), "invoker"),
        "CAPIF-2e oauth": ReferencePoint(interface("oauth"), "token"),
        "AEF CAPIF-3": ReferencePoint(
            Probe(host, aef.capif3_port, "POST", "/aef-security/v1/revoke-authorization", revoke_unknown),
            "ccf",
        ),
    }


@dataclass(frozen=True)
class Client:
    tls: ClientTls
    headers: dict[str, str]


@pytest.fixture(scope="module")
def clients(deployment: Deployment, ready: Ready, pki: TestPki) -> Iterator[dict[str, Client]]:
    ca = deployment.ca
    provider = deployment.data_dir / "provider"
    aefpsk = ready.negotiated["/psk"].aefpsk
    assert aefpsk is not None

    def certified(credential: CertifiedKey | None) -> Client:
        return Client(CertificateClientTls(ca.certificate, credential=credential), {})

    yield {
        "invoker": certified(ready.invoker.identity.credential),
        "aef": certified(deployment.aef.config.capif3_credential),
        "apf": certified(load_credential(provider, "apf")),
        "amf": certified(load_credential(provider, "amf")),
        "ccf": certified(deployment.ccf.config.credential),
        "psk": Client(PskClientTls(ready.api_invoker_id, aefpsk), {}),
        "token": Client(CertificateClientTls(ca.certificate), {"Authorization": f"Bearer {ready.token}"}),
        "no certificate": certified(None),
        "expired certificate": certified(expired(ca)),
        "not yet valid certificate": certified(not_yet_valid(ca)),
        "foreign CA certificate": certified(pki.foreign_client),
        "unknown PSK identity": Client(PskClientTls("INVunknown", aefpsk), {}),
        "wrong PSK": Client(PskClientTls(ready.api_invoker_id, bytes(len(aefpsk))), {}),
    }


POINTS = ["CAPIF-1e", "CAPIF-3/4/5", "CAPIF-2e psk", "CAPIF-2e pki", "CAPIF-2e oauth", "AEF CAPIF-3"]
CLIENTS = [
    "invoker",
    "aef",
    "apf",
    "amf",
    "ccf",
    "psk",
    "token",
    "no certificate",
    "expired certificate",
    "not yet valid certificate",
    "foreign CA certificate",
    "unknown PSK identity",
    "wrong PSK",
]


@pytest.mark.parametrize("point", POINTS)
def test_versions_below_tls12_get_no_handshake(
    point: str, reference_points: dict[str, ReferencePoint]
) -> None:
    probe = reference_points[point].probe
    for name, version in LEGACY_VERSIONS.items():
        assert not server_answers_legacy_hello(probe.host, probe.port, version), name


@pytest.mark.parametrize("point", POINTS)
def test_only_the_legitimate_caller_is_accepted(
    point: str, reference_points: dict[str, ReferencePoint], clients: dict[str, Client]
) -> None:
    reference = reference_points[point]
    outcomes = {name: reference.probe.send(clients[name].tls, clients[name].headers) for name in CLIENTS}
    assert outcomes[reference.legitimate].accepted, outcomes[reference.legitimate]
    refused = {name: outcome for name, outcome in outcomes.items() if name != reference.legitimate}
    assert all(outcome.refused for outcome in refused.values()), {
        name: outcome for name, outcome in refused.items() if not outcome.refused
    }
