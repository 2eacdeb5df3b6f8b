"""A CCF the attacker controls, played by a real instance of the implementation whose keys the
attacker holds (:class:`~replay.target.AttackerCcf`).

The CCF of a further provider runs as the implementation has it (its CA, CCF, API provider, AEF and
published APIs; it publishes to its peers and they to it). The attacker holds its CCF certificate and
key, its CA and its token-signing key, and so:

* speaks on CAPIF-6/6e as that CCF with the implementation's own client (:meth:`LocalAttackerCcf.peer`),
  asking honest CCFs for security information or relaying token requests (contributions 001 6.X.3,
  002 steps 6-8);
* issues certificates from its CA and signs tokens with its key, as that CCF would, including a CCF
  certificate naming another CCF the attacker controls (:meth:`LocalAttackerCcf.certify_ccf`), which
  that CCF then presents on CAPIF-6/6e (:meth:`LocalAttackerCcf.peer_presenting`);
* answers its peers' CAPIF-6/6e requests through an endpoint of its own (:class:`AttackerFront`), the
  address its peers' agreements name: the CCF's own handlers behind the same peer authentication,
  except a request for the security information of an invoker the attacker chose, which it answers
  with the method and key it chose (contribution 002 NOTE X: a CCF that is not the invoker's home),
  a request for its policy for that invoker, which it answers with every API asked, and a security
  method request a home CCF relays for an invoker the attacker chose, which it answers with the
  method it chose for every entry (contribution 001 6.X.2: the AEF's CCF selects and answers "to the
  API invoker via CCF-B");
* says what it likes of its AEFs' interfaces to a peer (TS 23.222 clause 8.25.3.1: a CCF publishes
  its APIs to its peers over CAPIF-6/6e; :meth:`LocalAttackerCcf.publish_offering`), so that a home
  CCF takes an interface to offer the method the attacker selects.

Attacker behaviour lives here, in the replayer; the implementation is run unmodified.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from ipaddress import ip_address

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import AefProfile, InterfaceDescription, ServiceAPIDescription
from impl.apitypes.security import SecurityInformation
from impl.ccf.authority import PkiCertificateAuthority
from impl.ccf.identity import Role
from impl.ccf.service import CCF_URN_PREFIX
from impl.ccf.service.requests import ok
from impl.clock import Clock
from impl.deployment import Deployment
from impl.http import HttpsServer, Request, Response, Router
from impl.interconnect import PeerAddress, PeerClient
from impl.interconnect import store as interconnect_store
from impl.interconnect.client import capif6_client_tls
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessControlPolicyResponse,
    SecurityInformationRequest,
    SecurityInformationResponse,
    SecurityMethodRequest,
    SecurityMethodResponse,
)
from impl.interconnect.peers import PeerCaller
from impl.interconnect.server import Capif6Api
from impl.lifecycle import Service
from impl.problem_responses import domain_error_response
from impl.store import apis
from impl.store.database import epoch
from impl.tokens import ClaimSet, ScopeEntry, SigningKey, TokenIssuer
from impl.tokens.claims import build_claims
from impl.tokens.encoding import encode_json
from impl.tokens.issuer import TOKEN_MEDIA_TYPE
from impl.tokens.jws import encode_header, sign_compact
from replay.target import TargetProvider

TOKEN_LIFETIME = timedelta(minutes=10)
PEER_TIMEOUT = 10.0
"""Seconds the CAPIF-6/6e client of :meth:`LocalAttackerCcf.peer_presenting` waits for an answer."""
NOTIFICATION_DESTINATION = "https://127.0.0.1:9/notifications"


@dataclass(frozen=True)
class MadeUpAnswer:
    """What the attacker's CCF says it holds for an invoker: one method, and AEFPSK for PSK."""

    method: SecurityMethod
    key: bytes | None


def _offering(profile: AefProfile, method: SecurityMethod) -> AefProfile:
    """``profile`` with every interface offering ``method`` too; as it is if one already offers it."""
    interfaces = profile.interface_descriptions or ()
    if any(method in (interface.security_methods or ()) for interface in interfaces):
        return profile

    def offering(methods: tuple[SecurityMethod, ...] | None) -> tuple[SecurityMethod, ...] | None:
        return None if methods is None else (*methods, method)

    widened: tuple[InterfaceDescription, ...] = tuple(
        replace(interface, security_methods=offering(interface.security_methods)) for interface in interfaces
    )
    return replace(
        profile,
        interface_descriptions=widened or None,
        security_methods=offering(profile.security_methods),
    )


class AttackerFront(Service):
    """The CAPIF-6/6e endpoint of a CCF the attacker controls, as its peers reach it."""

    def __init__(self, deployment: Deployment, clock: Clock, host: str) -> None:
        ccf = deployment.interconnected_ccf
        interconnect = ccf.interconnect
        self._api = Capif6Api(
            deployment.settings,
            peers=interconnect.peers,
            home=interconnect.home,
            aef_ccf=interconnect.aef_ccf,
            publications=interconnect.publications,
            notifier=ccf.notifier,
            clock=clock,
        )
        self._ca_pem = pki.certificate_pem(deployment.ca.certificate)
        self._answers: dict[str, MadeUpAnswer] = {}
        self._selections: dict[str, SecurityMethod] = {}
        self._relayed: set[str] = set()
        self._lock = threading.Lock()
        self._server = HttpsServer(
            self._router(), interconnect.tls, host=host, error_response=domain_error_response
        )
        self.host = host

    def _router(self) -> Router:
        """The CCF's own gated CAPIF-6/6e routes, three of them answered by the attacker."""
        return self._api.router(
            {
                "release-security-information": self._security_information,
                "home-policy": self._access_control_policy,
                "relay-negotiation": self._negotiation,
            }
        )

    def answer(self, api_invoker_id: str, made_up: MadeUpAnswer) -> None:
        with self._lock:
            self._answers[api_invoker_id] = made_up

    def select(self, api_invoker_id: str, method: SecurityMethod) -> None:
        with self._lock:
            self._selections[api_invoker_id] = method
            self._relayed.discard(api_invoker_id)

    def relayed(self, api_invoker_id: str) -> bool:
        """Whether a home CCF relayed a request for ``api_invoker_id`` here since :meth:`select`."""
        with self._lock:
            return api_invoker_id in self._relayed

    def _negotiation(self, request: Request, peer: PeerCaller) -> Response:
        """For an invoker the attacker chose, every entry of the relayed request with its method
        selected, whatever the invoker prefers and the AEF offers; otherwise the CCF's own selection."""
        asked = SecurityMethodRequest.read(request.json())
        with self._lock:
            method = self._selections.get(asked.api_invoker_id)
            if method is not None:
                self._relayed.add(asked.api_invoker_id)
        if method is None:
            return self._api.negotiate(request, peer)
        selected = tuple(information.selected(method) for information in asked.security_info)
        return ok(SecurityMethodResponse(selected).to_json())

    def _security_information(self, request: Request, peer: PeerCaller) -> Response:
        asked = SecurityInformationRequest.read(request.json())
        with self._lock:
            made_up = self._answers.get(asked.api_invoker_id)
        if made_up is None:
            return self._api.security_information(request, peer)
        information = SecurityInformation(
            pref_security_methods=(made_up.method,),
            aef_id=asked.aef_id,
            sel_security_method=made_up.method,
            authentication_info=(
                made_up.key.hex() if made_up.method is SecurityMethod.PSK and made_up.key else self._ca_pem
            ),
        )
        answer = SecurityInformationResponse(asked.api_invoker_id, (information,), NOTIFICATION_DESTINATION)
        return ok(answer.to_json())

    def _access_control_policy(self, request: Request, peer: PeerCaller) -> Response:
        """For an invoker it answers security information about, its policy allows every API asked
        (contribution 000 7.2.3: the AEF's CCF takes the home CCF's policy)."""
        asked = AccessControlPolicyRequest.read(request.json())
        with self._lock:
            chosen = asked.api_invoker_id in self._answers
        if not chosen:
            return self._api.access_control_policy(request, peer)
        return ok(AccessControlPolicyResponse(asked.api_names).to_json())

    @property
    def address(self) -> PeerAddress:
        return PeerAddress(self.host, self._server.port, self.host)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


class LocalAttackerCcf(Service):
    """A running provider whose CCF the attacker controls, with its :class:`AttackerFront`."""

    def __init__(self, provider: TargetProvider, deployment: Deployment, clock: Clock, host: str) -> None:
        self.provider = provider
        self._deployment = deployment
        self._clock = clock
        self.front = AttackerFront(deployment, clock, host)

    def start(self) -> None:
        self.front.start()

    def stop(self) -> None:
        self.front.stop()

    def peer(self, ccf_id: str) -> PeerClient | None:
        """The CCF's own CAPIF-6/6e client towards ``ccf_id`` (its certificate, its agreement)."""
        return self._deployment.interconnected_ccf.interconnect.peers.client(ccf_id)

    def peer_presenting(self, ccf_id: str, credential: pki.CertifiedKey) -> PeerClient | None:
        """A CAPIF-6/6e client of this CCF towards ``ccf_id`` (as its agreement says where and with
        which CAs) that presents ``credential`` instead of the CCF's own certificate; None without an
        agreement. The caller closes it."""
        deployment = self._deployment
        agreement = deployment.interconnected_ccf.interconnect.peers.agreements.get(ccf_id)
        if agreement is None:
            return None
        protection = deployment.settings.capif6_protection
        tls = capif6_client_tls(protection, agreement, credential)
        return PeerClient(deployment.ccf_id, agreement, tls, timeout=PEER_TIMEOUT)

    def certify_ccf(self, ccf_id: str) -> pki.CertifiedKey:
        """A CCF certificate from this CCF's CA naming the CCF ``ccf_id`` (as a CA issues its own CCF's,
        TS 33.310), for a key the attacker makes."""
        profile = pki.CertificateProfile(
            ccf_id,
            ip_addresses=(ip_address(self.front.host),),
            uris=(CCF_URN_PREFIX + ccf_id,),
            server_auth=True,
            client_auth=True,
        )
        return self._deployment.ca.issue_certified_key(profile, now=self._clock() - timedelta(minutes=5))

    def certify_invoker(self, api_invoker_id: str) -> pki.CertifiedKey:
        """A certificate from the CCF's CA naming ``api_invoker_id`` as an invoker, as the CCF issues
        them at onboarding (TS 33.122 clause 6.1), for a key the attacker makes."""
        key = pki.generate_private_key()
        authority = PkiCertificateAuthority(self._deployment.ca)
        pem = authority.issue_for_csr(
            pki.make_csr(key, "api-invoker"),
            subject_id=api_invoker_id,
            role=Role.INVOKER,
            now=self._clock() - timedelta(minutes=5),
        )
        return pki.CertifiedKey(pki.load_certificate_pem(pem), key)

    def sign_token(
        self,
        client_id: str,
        aef_id: str,
        api_name: str,
        *,
        posing_as: TargetProvider | None = None,
        issuer: str | None = None,
    ) -> str:
        """A token the CCF signs with its own key for ``client_id``, scope ``aef_id:api_name``;
        ``posing_as`` another provider, its header names that CCF's ``kid`` and its ``iss`` that CCF
        (a forgery: the signature is still this CCF's key's); ``issuer``: under this CCF's own ``kid``
        its ``iss`` names that CCF, whatever the claim set (TS 33.122 Annex C has no ``iss``, and an AEF
        checks one that is present)."""
        config = self._deployment.ccf.config
        key, ccf_id = config.token_signing_key, config.ccf_id
        if posing_as is not None and posing_as.token_key_id is not None:
            key = SigningKey(key.private_key, posing_as.token_key_id, key.algorithm)
            ccf_id = posing_as.ccf_id
        claim_set = ClaimSet(str(self._deployment.settings.token_claims))
        scope = [ScopeEntry(aef_id, (api_name,))]
        lifetime = int(TOKEN_LIFETIME.total_seconds())
        now = epoch(self._clock())
        if issuer is None:
            signer = TokenIssuer(key, ccf_id=ccf_id, claim_set=claim_set)
            return signer.issue(client_id, scope, lifetime=lifetime, now=now).access_token
        claims = build_claims(
            claim_set,
            ccf_id=issuer,
            invoker_id=client_id,
            scope=scope,
            issued_at=now,
            expires_at=now + lifetime,
        )
        claims["iss"] = issuer
        return sign_compact(encode_header(key, TOKEN_MEDIA_TYPE), encode_json(claims), key)

    def answer_security_information(
        self, api_invoker_id: str, method: SecurityMethod, key: bytes | None
    ) -> None:
        """From now on its CAPIF-6/6e endpoint answers a request for ``api_invoker_id``'s security
        information with ``method``: the attacker's ``key`` as AEFPSK (PSK), its own CA as the
        invoker's root CA (PKI)."""
        self.front.answer(api_invoker_id, MadeUpAnswer(method, key))

    def publish_offering(self, ccf_id: str, aef_id: str, method: SecurityMethod) -> Callable[[], None]:
        """Updates at the CCF ``ccf_id`` the APIs it published there of its AEF ``aef_id`` so that every
        interface of that AEF offers ``method`` too, unless one already does (what a peer knows of
        this CCF's AEFs is this CCF's word, TS 23.222 clause 8.25.3.1); gives what publishes them as
        they are again. Raises :class:`~impl.interconnect.PeerError` when ``ccf_id`` refuses."""
        ccf = self._deployment.interconnected_ccf
        client = ccf.interconnect.peers.client(ccf_id)
        if client is None:
            return lambda: None
        with ccf.core.parts.database.transaction() as tx:
            shared = set(interconnect_store.published_to(tx, ccf_id))
            published = [
                record.description
                for record in apis.apis_of_ccf(tx, self._deployment.ccf_id)
                if record.description.api_id in shared
            ]
        changed: list[tuple[ServiceAPIDescription, ServiceAPIDescription]] = []
        for description in published:
            profiles = tuple(
                _offering(profile, method) if profile.aef_id == aef_id else profile
                for profile in description.aef_profiles
            )
            if profiles != description.aef_profiles:
                changed.append((description, replace(description, aef_profiles=profiles)))
        outgoing = ccf.interconnect.publications.outgoing
        for _, widened in changed:
            client.update(outgoing(widened))

        def restore() -> None:
            for original, _ in changed:
                client.update(outgoing(original))

        return restore

    def answer_negotiation(self, api_invoker_id: str, method: SecurityMethod) -> None:
        """From now on its CAPIF-6/6e endpoint answers a security method request a home CCF relays for
        ``api_invoker_id`` with ``method`` selected for every entry."""
        self.front.select(api_invoker_id, method)

    def negotiation_relayed(self, api_invoker_id: str) -> bool:
        """Whether a home CCF relayed a security method request for ``api_invoker_id`` to it since
        :meth:`answer_negotiation`."""
        return self.front.relayed(api_invoker_id)
