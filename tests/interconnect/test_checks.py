"""Each check of the interconnection options, shown to refuse under its safe value and to let the
attack through under its unsafe one. The attacker is a third provider's CCF (``c``), interconnected and
dishonest: these tests speak for it with the CAPIF-6/6e client library and its own credential, as a
replayer playing a dishonest CCF would."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest

from impl import pki
from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.ccf.service import CCF_URN_PREFIX
from impl.deployment import HELLO_API
from impl.deployment.interconnected import InterconnectedDeployment
from impl.http import HttpsClient, HttpsServer, Request, Response, Router
from impl.interconnect import PeerClient, PeerRefusedError
from impl.interconnect.client import capif6_client_tls
from impl.interconnect.messages import (
    AccessTokenRelayRequest,
    RevocationNotification,
    RevocationRequest,
    SecurityInformationRequest,
)
from impl.invoker import ConnectionFailedError, RefusedError
from impl.settings import (
    AccessPolicySource,
    AefTrustedTokenKeys,
    Capif6Protection,
    CrossDomainTokenIssuer,
    InfoReleaseCheck,
    InterconnectAgreementCheck,
    InterconnectMethodSelection,
    NegotiationRouting,
    OauthSecurityInformation,
    PkiRootBinding,
    RevocationPropagation,
    Settings,
    TokenRelayCheck,
    TokenRequestRouting,
)
from impl.tls import CertificateClientTls, CertificateServerTls
from impl.tls.plaintext import PlaintextClient
from impl.tokens import ScopeEntry, ScopeSyntax, format_scope
from tests.interconnect.conftest import Visitor, visitor


@pytest.fixture
def trio(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[InterconnectedDeployment]:
    """Providers a, b, c, all agreeing with each other, with the settings the test names."""
    settings: Settings = getattr(request, "param", Settings())
    with InterconnectedDeployment(tmp_path, settings, providers=("a", "b", "c")) as providers:
        yield providers


def speaking_for(providers: InterconnectedDeployment, speaker: str, toward: str) -> PeerClient:
    """A CAPIF-6/6e client speaking with ``speaker``'s CCF credential to ``toward``'s CCF."""
    agreement = providers.agreement_with(toward)
    credential = providers[speaker].ccf.config.credential
    protection = providers.settings.capif6_protection
    return PeerClient(
        providers[speaker].ccf_id, agreement, capif6_client_tls(protection, agreement, credential)
    )


def unsafe(**options: object) -> Settings:
    return dataclasses.replace(Settings(allow_unsafe=True), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("trio", "released"),
    [(Settings(), False), (unsafe(info_release_check=InfoReleaseCheck.UNSAFE_INTERCONNECTED_ONLY), True)],
    indirect=["trio"],
)
def test_the_home_ccf_releases_aefpsk_only_to_the_ccf_of_the_aef(
    trio: InterconnectedDeployment, released: bool
) -> None:
    """``info-release-check``: c asks b for the AEFPSK of b's invoker for a's AEF (release-to-attacker)."""
    guest = visitor(trio["b"], trio["a"])
    negotiated = guest.negotiate("/psk")
    assert negotiated.aefpsk is not None
    request = SecurityInformationRequest(
        guest.api_invoker_id, trio["a"].aef.config.aef_id, (SecurityMethod.PSK,)
    )
    with speaking_for(trio, "c", toward="b") as attacker:
        if not released:
            with pytest.raises(PeerRefusedError) as refusal:
                attacker.security_information(request)
            assert refusal.value.status == 403 and refusal.value.code == "REQUEST_NOT_AUTHORIZED"
            return
        answer = attacker.security_information(request)
    assert negotiated.aefpsk.hex() in {entry.authentication_info for entry in answer.security_info}


@pytest.mark.parametrize(
    ("trio", "signed"),
    [(Settings(), False), (unsafe(token_relay_check=TokenRelayCheck.UNSAFE_NONE), True)],
    indirect=["trio"],
)
def test_the_aef_ccf_signs_only_for_invokers_of_the_relaying_ccf(
    trio: InterconnectedDeployment, signed: bool
) -> None:
    """``token-relay-check``: c relays a token request naming b's invoker to a (token-relayed-by-attacker)."""
    victim = visitor(trio["b"], trio["a"])
    scope = format_scope([ScopeEntry(trio["a"].aef.config.aef_id, (HELLO_API,))], ScopeSyntax.TS29222)
    forged = AccessTokenRelayRequest(victim.api_invoker_id, scope, victim.api_invoker_id)
    with speaking_for(trio, "c", toward="a") as attacker:
        if not signed:
            with pytest.raises(PeerRefusedError) as refusal:
                attacker.access_token(forged)
            assert refusal.value.status == 401 and refusal.value.code == "invalid_client"
            return
        answer = attacker.access_token(forged)
    assert isinstance(answer["access_token"], str)


def _certificate_for(issuer: pki.CertificateAuthority, ccf_id: str) -> pki.CertifiedKey:
    profile = pki.CertificateProfile(
        ccf_id,
        ip_addresses=(ip_address("127.0.0.1"),),
        uris=(CCF_URN_PREFIX + ccf_id,),
        server_auth=True,
        client_auth=True,
    )
    return issuer.issue_certified_key(profile, now=datetime.now(UTC) - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("trio", "served"),
    [
        (Settings(), False),
        (unsafe(interconnect_agreement_check=InterconnectAgreementCheck.UNSAFE_NOT_ENFORCED), True),
    ],
    indirect=["trio"],
)
def test_a_ccf_without_agreement_is_served_only_when_the_check_is_off(
    trio: InterconnectedDeployment, served: bool
) -> None:
    """A CCF ``ccf-x`` certified by b's CA (which a trusts for b) but with no agreement at a."""
    outsider = _certificate_for(trio["b"].ca, "ccf-x")
    agreement = trio.agreement_with("a")
    client = PeerClient(
        "ccf-x", agreement, capif6_client_tls(trio.settings.capif6_protection, agreement, outsider)
    )
    with client:
        if not served:
            with pytest.raises(PeerRefusedError) as refusal:
                client.discover()
            assert refusal.value.status == 403
            return
        assert [api.api_name for api in client.discover()] == [HELLO_API]


def test_a_peer_ca_never_authenticates_another_peer(trio: InterconnectedDeployment) -> None:
    """A certificate c's CA issued naming ``ccf-b`` does not speak for b at a."""
    impostor = _certificate_for(trio["c"].ca, "ccf-b")
    agreement = trio.agreement_with("a")
    with (
        PeerClient(
            "ccf-b", agreement, capif6_client_tls(trio.settings.capif6_protection, agreement, impostor)
        ) as client,
        pytest.raises(PeerRefusedError) as refusal,
    ):
        client.discover()
    assert refusal.value.status == 403 and refusal.value.code == "REQUEST_NOT_AUTHORIZED"


def test_only_the_home_ccf_revokes_what_it_released(trio: InterconnectedDeployment) -> None:
    """c tells a that b's invoker is revoked: a's AEF keeps serving it (a forgets only what c gave)."""
    guest = visitor(trio["b"], trio["a"])
    negotiated = guest.negotiate("/pki")
    guest.invoke(negotiated)
    with speaking_for(trio, "c", toward="a") as attacker:
        attacker.notify_revocation(
            RevocationNotification(guest.api_invoker_id, RevocationCause.UNEXPECTED_REASON)
        )
    assert isinstance(guest.invoker.invoke(negotiated, "/greeting"), dict)


@pytest.mark.parametrize(
    ("propagation", "refused"),
    [(RevocationPropagation.CAPIF6_NOTIFY, True), (RevocationPropagation.UNSAFE_NONE, False)],
)
def test_offboarding_reaches_the_aef_of_the_other_provider(
    tmp_path: Path, propagation: RevocationPropagation, refused: bool
) -> None:
    """``revocation-propagation``: after offboarding at b, a's AEF refuses the invoker's PKI requests
    (its CCF told it, TS 23.222 8.25.2.13); without propagation it still serves from what it holds."""
    settings = unsafe(revocation_propagation=propagation)
    with InterconnectedDeployment(tmp_path, settings) as providers:
        guest = visitor(providers["b"], providers["a"])
        negotiated = guest.negotiate("/pki")
        guest.invoke(negotiated)
        guest.invoker.offboard()  # it keeps its key and certificate, and tries again
        if refused:
            with pytest.raises((RefusedError, ConnectionFailedError)):
                guest.invoker.invoke(negotiated, "/greeting")
        else:
            assert isinstance(guest.invoker.invoke(negotiated, "/greeting"), dict)


@pytest.mark.parametrize(
    ("propagation", "reported"),
    [(RevocationPropagation.CAPIF6_NOTIFY, True), (RevocationPropagation.UNSAFE_NONE, False)],
)
def test_an_aef_revocation_of_another_providers_invoker_reaches_its_home_ccf(
    tmp_path: Path, propagation: RevocationPropagation, reported: bool
) -> None:
    """a's AEF revokes b's invoker (TS 33.122 clause 6.6): a's CCF denies it there and, under
    ``capif6-notify``, tells b (TS 23.222 8.25.2.11/12), which notifies the invoker and no longer offers
    it a's API at that AEF; without propagation b learns nothing and keeps offering it."""
    received: list[object] = []
    arrived = threading.Event()

    def notification(request: Request) -> Response:
        received.append(request.json())
        arrived.set()
        return Response.no_content()

    router = Router()
    router.add("POST", "/notifications", notification)
    with InterconnectedDeployment(tmp_path, unsafe(revocation_propagation=propagation)) as providers:
        a, b = providers["a"], providers["b"]
        receiver_credential = b.ca.issue_certified_key(
            pki.CertificateProfile("callback", ip_addresses=(ip_address("127.0.0.1"),), server_auth=True),
            now=b.clock() - timedelta(minutes=5),
        )
        with HttpsServer(router, CertificateServerTls(receiver_credential)) as receiver:
            invoker = b.invoker(f"{receiver.base_url}/notifications")
            invoker.onboard(b.onboarding_secret())
            found = invoker.discover(api_name=HELLO_API, aef_id=a.aef.config.aef_id)
            guest = Visitor(invoker, b, a, {target.api_prefix: target for target in found})
            negotiated = guest.negotiate("/pki")
            guest.invoke(negotiated)
            a.aef.revoke(guest.api_invoker_id, (a.hello_api_id,))
            assert arrived.wait(10) is reported
        with pytest.raises(RefusedError):
            guest.invoker.invoke(negotiated, "/greeting")  # denied at a either way
        still_offered = guest.invoker.discover(api_name=HELLO_API, aef_id=a.aef.config.aef_id)
        if reported:
            assert received == [
                {
                    "apiInvokerId": guest.api_invoker_id,
                    "aefId": a.aef.config.aef_id,
                    "apiIds": [a.hello_api_id],
                    "cause": "UNEXPECTED_REASON",
                }
            ]
            assert still_offered == []
            with pytest.raises(RefusedError) as refusal:
                guest.invoker.negotiate(list(found))
            assert refusal.value.status == 403
        else:
            assert received == [] and len(still_offered) == len(found)
        guest.invoker.close()


def test_only_the_ccf_of_the_aef_reports_its_revocation(trio: InterconnectedDeployment) -> None:
    """c claims that a's AEF revoked b's invoker: b refuses (403) and keeps offering a's API."""
    a = trio["a"]
    guest = visitor(trio["b"], a)
    request = RevocationRequest(
        guest.api_invoker_id, a.aef.config.aef_id, (a.hello_api_id,), RevocationCause.UNEXPECTED_REASON
    )
    with speaking_for(trio, "c", toward="b") as attacker, pytest.raises(PeerRefusedError) as refusal:
        attacker.request_revocation(request)
    assert refusal.value.status == 403 and refusal.value.code == "REQUEST_NOT_AUTHORIZED"
    assert guest.invoker.discover(api_name=HELLO_API, aef_id=a.aef.config.aef_id) != []
    guest.invoker.close()


def test_without_protection_capif6_is_plaintext_and_a_caller_names_itself(tmp_path: Path) -> None:
    """``capif6-protection=none``: the honest flows run over plaintext HTTP, and whoever reaches the
    port speaks as any CCF it names (here as b, with no credential at all)."""
    settings = unsafe(capif6_protection=Capif6Protection.UNSAFE_NONE)
    with InterconnectedDeployment(tmp_path, settings) as providers:
        guest = visitor(providers["b"], providers["a"])
        assert isinstance(guest.invoke(guest.negotiate("/psk")), dict)
        agreement = providers.agreement_with("a")
        with PeerClient("ccf-b", agreement, PlaintextClient(), authenticated=False) as anyone:
            assert [api.api_name for api in anyone.discover()] == [HELLO_API]


@pytest.mark.parametrize(
    ("trust", "accepted"),
    [(AefTrustedTokenKeys.OWN_CCF_AND_DELEGATED, True), (AefTrustedTokenKeys.OWN_CCF, False)],
)
def test_a_token_the_home_ccf_signs_is_accepted_only_where_issuing_is_delegated(
    tmp_path: Path, trust: AefTrustedTokenKeys, accepted: bool
) -> None:
    """``cross-domain-token-issuer=home-ccf`` (contribution 000 7.2.3, FFS): b signs for a's AEF; a's AEF
    accepts b's signature only if a's agreement delegates token issuing to b (``issuesTokens``)."""
    settings = Settings(
        cross_domain_token_issuer=CrossDomainTokenIssuer.HOME_CCF, aef_trusted_token_keys=trust
    )
    with InterconnectedDeployment(tmp_path, settings) as providers:
        guest = visitor(providers["b"], providers["a"])
        negotiated = guest.negotiate("/oauth")
        token = guest.invoker.obtain_token(negotiated.target.aef_id, [HELLO_API])
        if accepted:
            assert isinstance(guest.invoker.invoke(negotiated, "/greeting", token=token), dict)
        else:
            with pytest.raises(RefusedError) as refusal:
                guest.invoker.invoke(negotiated, "/greeting", token=token)
            assert refusal.value.status == 401


@pytest.mark.parametrize(
    ("source", "served"),
    [(AccessPolicySource.AEF_CCF, False), (AccessPolicySource.UNSAFE_AEF_CCF_FALLBACK_HOME, True)],
)
def test_the_policy_of_the_aef_ccf_decides_unless_it_falls_back_to_the_home_ccf(
    tmp_path: Path, source: AccessPolicySource, served: bool
) -> None:
    """a's operator closes ``hello`` to everyone; b's policy leaves it open. Under ``aef-ccf`` a's AEF
    refuses b's invoker; under ``aef-ccf-fallback-home`` a's CCF asks b and serves it (000 7.2.3)."""
    settings = unsafe(
        access_policy_source=source,
        interconnect_method_selection=InterconnectMethodSelection.HOME_CCF_SELECTS,
    )
    with InterconnectedDeployment(tmp_path, settings) as providers:
        a = providers["a"]
        a.ccf.core.operator.set_api_audience(a.hello_api_id, [])
        guest = visitor(providers["b"], a)
        negotiated = guest.negotiate("/pki")
        if served:
            assert isinstance(guest.invoke(negotiated), dict)
        else:
            with pytest.raises(RefusedError) as refusal:
                guest.invoke(negotiated)
            assert refusal.value.status == 403


@pytest.mark.parametrize(
    ("binding", "accepted"),
    [(PkiRootBinding.BOUND_TO_INVOKER, False), (PkiRootBinding.UNSAFE_GLOBAL_TRUST_ANCHOR, True)],
)
def test_a_root_ca_is_trusted_only_for_its_invoker_unless_it_becomes_a_global_anchor(
    tmp_path: Path, binding: PkiRootBinding, accepted: bool
) -> None:
    """``pki-root-binding``: c's invoker uses a's AEF with PKI, so a's AEF receives c's CA as that
    invoker's root. c, dishonest, certifies a key of its own as b's invoker: bound to the invoker, c's
    root authenticates only c's invoker; as a global trust anchor it authenticates b's invoker too."""
    with InterconnectedDeployment(
        tmp_path, unsafe(pki_root_binding=binding), providers=("a", "b", "c")
    ) as trio:
        victim = visitor(trio["b"], trio["a"])
        victim_pki = victim.negotiate("/pki")
        victim.invoke(victim_pki)
        accomplice = visitor(trio["c"], trio["a"])
        accomplice.invoke(accomplice.negotiate("/pki"))
        profile = pki.CertificateProfile(
            victim.api_invoker_id, uris=(f"urn:capifsec:invoker:{victim.api_invoker_id}",), client_auth=True
        )
        forged = trio["c"].ca.issue_certified_key(profile, now=datetime.now(UTC) - timedelta(minutes=5))
        tls = CertificateClientTls([trio["a"].ca.certificate], credential=forged)
        target = victim_pki.target
        with HttpsClient(tls, target.host, target.port) as client:
            response = client.get(target.resource_path("/greeting"))
        if accepted:
            assert response.status == 200 and response.json()["apiInvokerId"] == victim.api_invoker_id  # type: ignore[index]
        else:
            assert response.status == 401


@pytest.mark.parametrize(
    ("trio", "relayed_to_c"),
    [(Settings(), False), (unsafe(negotiation_routing=NegotiationRouting.UNSAFE_INVOKER_SUPPLIED), True)],
    indirect=["trio"],
)
def test_the_home_ccf_relays_a_negotiation_where_the_aef_is_registered_unless_the_invoker_names_a_ccf(
    trio: InterconnectedDeployment, relayed_to_c: bool
) -> None:
    """b's invoker names a's AEF but says its CCF is c (``ccf-id``). Under ``aef-registration`` b relays
    to a, where the AEF is registered, and the negotiation succeeds; under ``invoker-supplied`` b
    relays to c as named, and c, which knows no such API, refuses it."""
    guest = visitor(trio["b"], trio["a"])
    misnamed = dataclasses.replace(guest.targets["/pki"], ccf_id="ccf-c")
    if relayed_to_c:
        with pytest.raises(RefusedError) as refusal:
            guest.invoker.negotiate([misnamed])
        assert "ccf-c" in (refusal.value.detail or "")
    else:
        assert guest.invoker.negotiate([misnamed])[0].method is SecurityMethod.PKI
    guest.invoker.close()


@pytest.mark.parametrize(
    ("trio", "relayed_to_c"),
    [(Settings(), False), (Settings(token_request_routing=TokenRequestRouting.INVOKER_SUPPLIED), True)],
    indirect=["trio"],
)
def test_the_home_ccf_relays_a_token_request_where_the_aef_is_registered_unless_the_form_names_a_ccf(
    trio: InterconnectedDeployment, relayed_to_c: bool
) -> None:
    """b's invoker asks for a token for a's AEF, its form naming c (``ccfId``). Under
    ``aef-registration`` b relays to a, which signs; under ``invoker-supplied`` b relays to c as named,
    and c, where no such AEF is registered, refuses."""
    a = trio["a"]
    guest = visitor(trio["b"], a)
    negotiated = guest.negotiate("/oauth")
    aef_id = a.aef.config.aef_id
    if relayed_to_c:
        with pytest.raises(RefusedError) as refusal:
            guest.invoker.obtain_token(aef_id, [HELLO_API], ccf_id="ccf-c")
        assert "the CCF of the AEF refused" in (refusal.value.detail or "")
    else:
        token = guest.invoker.obtain_token(aef_id, [HELLO_API], ccf_id="ccf-c")
        assert isinstance(guest.invoker.invoke(negotiated, "/greeting", token=token), dict)
    guest.invoker.close()


@pytest.mark.parametrize(
    ("information", "pki_accepted"),
    [(OauthSecurityInformation.NONE, False), (OauthSecurityInformation.UNSAFE_ROOT_CA, True)],
)
def test_a_root_ca_fetched_for_oauth_opens_a_pki_session_nobody_selected(
    tmp_path: Path, information: OauthSecurityInformation, pki_accepted: bool
) -> None:
    """``oauth-security-information``: a's /pki offers PKI and OAUTH; b's invoker negotiates OAUTH there.
    Under ``none`` a's AEF gets no root CA for it and refuses a TLS-PKI session; under ``root-ca`` it
    gets b's CA and lets the invoker in over TLS-PKI, a method nobody selected."""
    with InterconnectedDeployment(tmp_path, unsafe(oauth_security_information=information)) as providers:
        a = providers["a"]
        a.update_methods("pki", [SecurityMethod.PKI, SecurityMethod.OAUTH])
        providers.sync()
        guest = visitor(providers["b"], a)
        negotiated = guest.negotiate("/pki", (SecurityMethod.OAUTH,))
        assert negotiated.method is SecurityMethod.OAUTH
        guest.invoker.check_authentication(negotiated.target)
        as_pki = dataclasses.replace(negotiated, method=SecurityMethod.PKI)
        if pki_accepted:
            answer = guest.invoker.invoke(as_pki, "/greeting")
            assert isinstance(answer, dict) and answer["securityMethod"] == "PKI"
        else:
            with pytest.raises(RefusedError):
                guest.invoker.invoke(as_pki, "/greeting")
        guest.invoker.close()
