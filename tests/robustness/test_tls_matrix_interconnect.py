"""Issue 13, suite item 3 on CAPIF-6/6e: the CCF-to-CCF endpoint of provider ``a`` (mutual TLS, its
own CA and the CAs of the providers it has an agreement with; contribution 000 clause 7.2.1) refuses
versions below TLS 1.2, clients without a certificate or with an expired, not yet valid or foreign
one, and every certificate that is not a peer CCF's, including the peer provider's own invokers and
functions; the peer CCF is accepted."""

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from impl.credential_files import load_credential
from impl.deployment.interconnected import InterconnectedDeployment
from impl.interconnect.client import ALL_SERVICE_APIS
from impl.pki import CertifiedKey
from impl.settings import Settings
from impl.tls import CertificateClientTls
from tests.impl.conftest import TestPki
from tests.robustness.tls_matrix import (
    LEGACY_VERSIONS,
    Probe,
    expired,
    not_yet_valid,
    server_answers_legacy_hello,
)


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InterconnectedDeployment]:
    directory: Path = tmp_path_factory.mktemp("providers")
    with InterconnectedDeployment(directory, Settings()) as started:
        yield started


def test_capif6_refuses_everyone_but_the_peer_ccf(providers: InterconnectedDeployment, pki: TestPki) -> None:
    home, peer = providers["a"], providers["b"]
    port = home.interconnected_ccf.capif6_port
    for name, version in LEGACY_VERSIONS.items():
        assert not server_answers_legacy_hello(home.host, port, version), name
    query = urllib.parse.urlencode({"api-invoker-id": peer.ccf_id})
    probe = Probe(home.host, port, "GET", f"{ALL_SERVICE_APIS}?{query}")
    invoker = peer.invoker()
    invoker.onboard(peer.onboarding_secret())
    credentials: dict[str, CertifiedKey | None] = {
        "peer CCF": peer.ccf.config.credential,
        "no certificate": None,
        "peer's invoker": invoker.identity.credential,
        "peer's AEF": peer.aef.config.capif3_credential,
        "peer's APF": load_credential(peer.data_dir / "provider", "apf"),
        "peer's AMF": load_credential(peer.data_dir / "provider", "amf"),
        "own AEF": home.aef.config.capif3_credential,
        "expired peer certificate": expired(peer.ca),
        "not yet valid peer certificate": not_yet_valid(peer.ca),
        "foreign CA certificate": pki.foreign_client,
    }
    outcomes = {
        name: probe.send(CertificateClientTls(home.ca.certificate, credential=credential))
        for name, credential in credentials.items()
    }
    invoker.close()
    assert outcomes.pop("peer CCF").accepted
    assert all(outcome.refused for outcome in outcomes.values()), outcomes
