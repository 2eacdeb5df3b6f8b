"""``security-info-caching`` at the AEF's CCF and at the AEF (contribution 001 6.X.3.1): how long each
keeps an invoker's security information obtained from its home CCF. The AEF's CCF is shown keeping
the home CCF's answer by making the home CCF unreachable after the first check-authentication."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from impl.aef.security_info import DEFAULT_LIFETIME, InvokerSecurity, SecurityInfoCache, kept_for
from impl.apitypes.enums import SecurityMethod
from impl.deployment.interconnected import InterconnectedDeployment
from impl.interconnect import PeerAddress
from impl.interconnect.held import HeldAnswers, HeldKey
from impl.interconnect.messages import SecurityInformationResponse
from impl.invoker import RefusedError
from impl.settings import CacheUpdateInvalidation, InterconnectMethodSelection, SecurityInfoCaching, Settings
from tests.interconnect.conftest import visitor

HOST = "127.0.0.1"


def test_how_long_each_value_keeps_an_answer() -> None:
    assert kept_for(SecurityInfoCaching.UNTIL_REVOKED) == math.inf
    assert kept_for(SecurityInfoCaching.PER_AUTHENTICATION) == 0
    assert kept_for(SecurityInfoCaching.LIFETIME) == DEFAULT_LIFETIME
    assert kept_for(SecurityInfoCaching.LIFETIME, 5.0) == 5.0


def test_held_answers_last_their_lifetime_and_a_drop_outruns_an_answer_in_flight() -> None:
    now = [0.0]
    held = HeldAnswers(10.0, clock=lambda: now[0])
    key = HeldKey("INV1@ccf-b", "AEF1", "ccf-b", ("PKI",))
    answer = SecurityInformationResponse("INV1@ccf-b", (), "https://127.0.0.1:9/n")
    held.keep(key, answer, held.generation("INV1@ccf-b"))
    now[0] = 9.9
    assert held.get(key) == answer
    now[0] = 10.0
    assert held.get(key) is None
    in_flight = held.generation("INV1@ccf-b")
    held.drop("INV1@ccf-b", home_ccf_id="ccf-b")
    held.keep(key, answer, in_flight)
    assert held.get(key) is None
    never = HeldAnswers(0.0)
    never.keep(key, answer, never.generation("INV1@ccf-b"))
    assert never.get(key) is None


class _Counting:
    """A CCF that has something for every invoker and counts the questions."""

    def __init__(self) -> None:
        self.asked = 0

    def security_information(self, api_invoker_id: str, home_ccf_id: str | None = None) -> InvokerSecurity:
        self.asked += 1
        return InvokerSecurity(())


@pytest.mark.parametrize(
    ("caching", "asked"),
    [(SecurityInfoCaching.PER_AUTHENTICATION, 3), (SecurityInfoCaching.UNTIL_REVOKED, 1)],
)
def test_the_aef_asks_its_ccf_as_the_setting_says(caching: SecurityInfoCaching, asked: int) -> None:
    source = _Counting()
    cache = SecurityInfoCache(source, lifetime=kept_for(caching))
    for _ in range(3):
        assert cache.get("INV1@ccf-b") is not None
    assert source.asked == asked
    cache.drop("INV1@ccf-b")
    cache.get("INV1@ccf-b")
    assert source.asked == asked + 1


@contextmanager
def _home_unreachable(providers: InterconnectedDeployment) -> Iterator[None]:
    """a's agreement with b names a port nobody listens on (bound, not listening, for the block: no
    other process can take it meanwhile); the agreement is restored after the block."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        providers["a"].agree(replace(providers.agreement_with("b"), address=PeerAddress(HOST, port, HOST)))
        try:
            yield
        finally:
            providers["a"].agree(providers.agreement_with("b"))


@pytest.mark.parametrize(
    ("caching", "held"),
    [
        (SecurityInfoCaching.UNTIL_REVOKED, True),
        (SecurityInfoCaching.LIFETIME, True),
        (SecurityInfoCaching.PER_AUTHENTICATION, False),
    ],
)
def test_the_aefs_ccf_keeps_the_home_ccfs_answer_as_the_setting_says(
    tmp_path: Path, caching: SecurityInfoCaching, held: bool
) -> None:
    """Every check-authentication makes the AEF ask its CCF; with the home CCF gone, the AEF's CCF
    still answers from what it keeps (``until-revoked``, ``lifetime``), or cannot answer (503)."""
    with InterconnectedDeployment(tmp_path, Settings(security_info_caching=caching)) as providers:
        guest = visitor(providers["b"], providers["a"])
        negotiated = guest.negotiate("/pki")
        guest.invoker.check_authentication(negotiated.target)
        with _home_unreachable(providers):
            if held:
                guest.invoker.check_authentication(negotiated.target)
                assert isinstance(guest.invoker.invoke(negotiated, "/greeting"), dict)
            else:
                with pytest.raises(RefusedError) as refusal:
                    guest.invoker.check_authentication(negotiated.target)
                assert refusal.value.status == 503
        guest.invoker.close()


def test_a_revocation_notice_drops_what_the_aefs_ccf_keeps(tmp_path: Path) -> None:
    """``until-revoked``: offboarding at b reaches a (``revocation-propagation=capif6-notify``); with b
    then unreachable, a's CCF has nothing left to answer from (503)."""
    with InterconnectedDeployment(tmp_path, Settings()) as providers:
        guest = visitor(providers["b"], providers["a"])
        negotiated = guest.negotiate("/pki", (SecurityMethod.PKI,))
        guest.invoker.check_authentication(negotiated.target)
        guest.invoker.offboard()
        with _home_unreachable(providers), pytest.raises(RefusedError) as refusal:
            guest.invoker.check_authentication(negotiated.target)
        assert refusal.value.status == 503


@pytest.mark.parametrize(
    ("invalidation", "old_kept"),
    [(CacheUpdateInvalidation.NOTIFY, False), (CacheUpdateInvalidation.NONE, True)],
)
def test_a_new_selection_by_the_home_ccf_drops_what_the_aefs_ccf_keeps_only_when_notified(
    tmp_path: Path, invalidation: CacheUpdateInvalidation, old_kept: bool
) -> None:
    """``interconnect-method-selection=home-ccf-selects``: a's CCF never sees the invoker re-negotiate
    at b (a new AEFPSK). Under ``cache-update-invalidation=notify`` b tells it, and it drops the old
    answer (with b unreachable: 503); under ``none`` it keeps answering with the old AEFPSK."""
    settings = Settings(
        interconnect_method_selection=InterconnectMethodSelection.HOME_CCF_SELECTS,
        cache_update_invalidation=invalidation,
    )
    with InterconnectedDeployment(tmp_path, settings) as providers:
        guest = visitor(providers["b"], providers["a"])
        old = guest.negotiate("/psk", (SecurityMethod.PSK,))
        assert isinstance(guest.invoke(old), dict)
        guest.negotiate("/psk", (SecurityMethod.PSK,))  # a new AEFPSK at b, not yet asked for at a
        with _home_unreachable(providers):
            if old_kept:
                guest.invoker.check_authentication(old.target)
            else:
                with pytest.raises(RefusedError) as refusal:
                    guest.invoker.check_authentication(old.target)
                assert refusal.value.status == 503
        guest.invoker.close()
