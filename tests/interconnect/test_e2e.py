"""Cross-provider end to end under ``recommended``: an invoker onboarded at one provider's CCF invokes
the AEF of the other with each CAPIF-2e method, over real mutual TLS on CAPIF-1e, CAPIF-3 and CAPIF-6/6e
(contributions 000 7.2, 001 6.X, 002 steps 1-11)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.deployment.interconnected import InterconnectedDeployment
from impl.interconnect import store
from impl.invoker import ConnectionFailedError
from tests.interconnect.conftest import visitor


@pytest.mark.parametrize(("home", "host"), [("b", "a"), ("a", "b")])
@pytest.mark.parametrize(("prefix", "method"), [("/psk", "PSK"), ("/pki", "PKI"), ("/oauth", "OAUTH")])
def test_each_method_across_providers(
    providers: InterconnectedDeployment, home: str, host: str, prefix: str, method: str
) -> None:
    guest = visitor(providers[home], providers[host])
    negotiated = guest.negotiate(prefix)
    assert negotiated.method is SecurityMethod(method)
    answer = guest.invoke(negotiated)
    assert answer == {
        "greeting": f"hello, {guest.api_invoker_id}",
        "apiInvokerId": guest.api_invoker_id,
        "securityMethod": method,
        "aefId": providers[host].aef.config.aef_id,
        "interface": prefix.removeprefix("/"),
    }


def test_discovery_shows_the_peer_api_with_its_ccf(providers: InterconnectedDeployment) -> None:
    guest = visitor(providers["b"], providers["a"])
    assert {target.ccf_id for target in guest.targets.values()} == {"ccf-a"}
    assert set(guest.targets) == {"/psk", "/pki", "/oauth"}


def test_the_invoker_id_names_its_home_ccf(providers: InterconnectedDeployment) -> None:
    guest = visitor(providers["b"], providers["a"])
    assert guest.api_invoker_id.endswith("@ccf-b")


def test_the_home_ccf_records_what_it_released_and_to_whom(providers: InterconnectedDeployment) -> None:
    guest = visitor(providers["b"], providers["a"])
    guest.invoke(guest.negotiate("/psk"))
    with providers["b"].ccf.core.parts.database.transaction() as tx:
        assert store.peers_holding(tx, guest.api_invoker_id) == ["ccf-a"]


def test_psk_keys_agree_without_aefpsk_ever_reaching_the_invoker(providers: InterconnectedDeployment) -> None:
    """AEFPSK is derived by the invoker and its home CCF from the CAPIF-1e session (002 step 3) and
    travels home CCF -> AEF's CCF -> AEF (steps 6-9): a wrong key fails the PSK handshake."""
    guest = visitor(providers["b"], providers["a"])
    negotiated = guest.negotiate("/psk")
    assert negotiated.aefpsk is not None and len(negotiated.aefpsk) == 32
    guest.invoke(negotiated)
    wrong = replace(negotiated, aefpsk=bytes(byte ^ 1 for byte in negotiated.aefpsk))
    with pytest.raises(ConnectionFailedError):
        guest.invoker.invoke(wrong, "/greeting")
