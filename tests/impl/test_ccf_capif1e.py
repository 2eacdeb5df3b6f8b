"""AEFPSK from a real CAPIF-1e TLS session: the invoker derives, from its end of the very session it
negotiated PSK on, the key the CCF hands to the AEF (TS 33.122 Annex A.1, clause 6.5.2.1)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from impl import pki
from impl.aefpsk import ServiceApiInterface, derive_aefpsk_tls12, derive_aefpsk_tls13
from impl.ccf.ports import Capif1eKeying
from impl.settings import AefpskDerivation, Settings
from impl.tls import Capif1eClientTls, Capif1eServerTls, TlsChannel, TlsVersion
from tests.impl.test_ccf_world import World, profile

TIMEOUT = 10.0


def _session(version: TlsVersion) -> tuple[TlsChannel, TlsChannel]:
    """A CAPIF-1e TLS session over loopback: (CCF end, invoker end); certificates valid now."""
    now = datetime.now(UTC)
    ca = pki.CertificateAuthority.create("CAPIF-1e CA", now=now)
    server_profile = pki.CertificateProfile(
        "ccf", ip_addresses=(ipaddress.IPv4Address("127.0.0.1"),), server_auth=True
    )
    server_tls = Capif1eServerTls(
        ca.issue_certified_key(server_profile, now=now), client_cas=ca.certificate, maximum_version=version
    )
    client_tls = Capif1eClientTls(ca.certificate, maximum_version=version)
    accepted: list[TlsChannel] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            connection, _ = listener.accept()
            accepted.append(server_tls.accept(connection, timeout=TIMEOUT))

        server = threading.Thread(target=serve)
        server.start()
        client = client_tls.connect(
            socket.create_connection(listener.getsockname(), timeout=TIMEOUT),
            server_name="127.0.0.1",
            timeout=TIMEOUT,
        )
        server.join(TIMEOUT)
    assert accepted, "the CCF end did not complete the handshake"
    return accepted[0], client


@pytest.fixture
def tls12_session() -> Iterator[tuple[TlsChannel, TlsChannel]]:
    ccf_end, invoker_end = _session(TlsVersion.TLS1_2)
    yield ccf_end, invoker_end
    invoker_end.close()
    ccf_end.close()


def _keying(channel: TlsChannel) -> Capif1eKeying:
    keying = channel.peer.capif1e_keying
    assert keying is not None
    return keying


def _negotiate_psk(world: World, keying: Capif1eKeying) -> str:
    """Publish a PSK API, onboard an invoker, negotiate PSK on ``keying``; the AEF's AEFPSK (hex)."""
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]}], keying)
    answer = world.ccf.security.get_context(
        provider.aef_caller(0), invoker_id, [("authenticationInfo", "true")]
    )
    psk = answer.security_info[0].authentication_info
    assert psk is not None
    return psk


INTERFACE = ServiceApiInterface(ipv4_addr="127.0.0.1", port=8001, api_prefix="/exposure")


def test_invoker_and_aef_hold_the_same_annex_a1_aefpsk(
    tmp_path: Path, tls12_session: tuple[TlsChannel, TlsChannel]
) -> None:
    ccf_end, invoker_end = tls12_session
    world = World(tmp_path)
    try:
        aef_psk = _negotiate_psk(world, _keying(ccf_end))
    finally:
        world.close()
    invoker_keying = _keying(invoker_end)
    assert invoker_keying.master_secret is not None and invoker_keying.session_id is not None
    invoker_psk = derive_aefpsk_tls12(invoker_keying.master_secret, invoker_keying.session_id, INTERFACE)
    assert aef_psk == invoker_psk.hex()


def test_the_tls13_exporter_mapping_over_a_real_session(tmp_path: Path) -> None:
    ccf_end, invoker_end = _session(TlsVersion.TLS1_3)
    world = World(tmp_path, settings=Settings(aefpsk_derivation=AefpskDerivation.TLS13_EXPORTER))
    try:
        assert ccf_end.peer.tls_version is TlsVersion.TLS1_3
        aef_psk = _negotiate_psk(world, _keying(ccf_end))
        invoker_psk = derive_aefpsk_tls13(_keying(invoker_end).export_keying_material, INTERFACE)
        assert aef_psk == invoker_psk.hex()
    finally:
        world.close()
        invoker_end.close()
        ccf_end.close()
