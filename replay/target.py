"""What the replayer needs of a CAPIF deployment: a :class:`Target`.

The replayer drives a target through the TS 29.222 REST APIs and CAPIF-2e only (BRIEF section 5), so
that the same traces can test another CAPIF implementation given its endpoints. A target supplies
what those APIs leave to the operator, out of band:

* per CAPIF provider (:class:`TargetProvider`): where its CCF's CAPIF-1e endpoint is and the CA that
  certifies the CCF and the AEFs;
* the AEFs and the service APIs they expose (an invoker then finds their interfaces by Discover);
* a one-time onboarding credential per invoker (TS 33.122 clause 6.1 leaves it to the operator);
* optionally (:class:`Capability`): changing an AEF interface's security methods, as the APF does
  in contribution 004 (at once, or reaching the CCF later); restricting who may use an API (the
  access control policy of TS 23.222 clause 8.16); and moving time forward, so that a token can pass
  its ``exp`` (TS 33.122 Annex C).

A trace that needs more than the target has (a capability, AEFs, APIs, onboarding secrets) ends
"target lacks ...", with what is missing (:class:`~replay.errors.TargetLacksError`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cryptography import x509

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.reader import JsonObject
from impl.capif8.azf import RofCredential
from impl.http import ClientResponse
from impl.interconnect import PeerClient
from impl.invoker import CcfEndpoint
from impl.settings import AefpskDerivation, Capif8Protection, RofAuthentication
from replay.network_attacker import Interception, Message


class Capability(StrEnum):
    """An out-of-band operation a target may offer."""

    METHOD_UPDATE = "method-update"
    DELAYED_METHOD_UPDATE = "delayed-method-update"
    POLICY = "policy"
    CLOCK = "clock"


@dataclass(frozen=True)
class TargetApi:
    """A service API an AEF exposes and one resource of it the replayer reads with ``GET``."""

    name: str
    resource: str


@dataclass(frozen=True)
class TargetInterface:
    """One CAPIF-2e interface of an AEF, by the name the operator knows it, and its initial methods."""

    name: str
    methods: frozenset[SecurityMethod]


@dataclass(frozen=True)
class TargetAef:
    """An AEF of the target: its ``aefId``, its APIs and its interfaces."""

    aef_id: str
    apis: tuple[TargetApi, ...]
    interfaces: tuple[TargetInterface, ...]


@dataclass(frozen=True)
class TargetProvider:
    """A CAPIF provider of the target: its name, its CCF's CAPIF-1e endpoint, the CA its CCF's and
    AEFs' server certificates chain to, and its CCF's identifier (``ccfId``, TS 29.222)."""

    name: str
    ccf: CcfEndpoint
    ca_certificate: x509.Certificate
    ccf_id: str
    token_key_id: str | None = None
    """the ``kid`` of its CCF's token-signing key (public: every token the CCF issues names it in its
    header), None when the target does not say"""


@dataclass(frozen=True)
class AttackerAef:
    """An AEF whose keys the attacker holds: registered at a provider's CCF like any AEF (a real
    instance serving its interfaces), its CCF-issued CAPIF-3 certificate and key in the attacker's
    hands, so that the attacker can ask the CCF for what the CCF gives that AEF (TS 29.222 clause
    8.5.2.2.3.2)."""

    aef: TargetAef
    ccf_capif3: CcfEndpoint
    credential: pki.CertifiedKey


@dataclass(frozen=True)
class TargetRof:
    """A resource owner function the operator registered at a provider's AzF for one resource owner
    (CAPIF-8, contribution 003): its credential, and where and how the AzF listens (the protection
    and the ROF authentication its options name)."""

    credential: RofCredential
    res_owner_id: str
    azf: CcfEndpoint
    ca_certificate: x509.Certificate
    protection: Capif8Protection
    authentication: RofAuthentication


class AttackerCcf(Protocol):
    """A CCF of another provider the attacker controls: a real instance of the implementation whose
    keys (CCF certificate, CA, token-signing key) the attacker holds (:mod:`replay.attacker_ccf`)."""

    @property
    def provider(self) -> TargetProvider:
        """Its provider, as invokers and AEFs registered there see it."""
        ...

    def peer(self, ccf_id: str) -> PeerClient | None:
        """Its CAPIF-6/6e client towards the CCF ``ccf_id``, None without an agreement."""
        ...

    def peer_presenting(self, ccf_id: str, credential: pki.CertifiedKey) -> PeerClient | None:
        """Its CAPIF-6/6e client towards the CCF ``ccf_id``, presenting ``credential`` instead of its
        own certificate; None without an agreement. The caller closes it."""
        ...

    def certify_ccf(self, ccf_id: str) -> pki.CertifiedKey:
        """A CCF certificate from its CA naming the CCF ``ccf_id``."""
        ...

    def certify_invoker(self, api_invoker_id: str) -> pki.CertifiedKey:
        """A certificate from its CA naming ``api_invoker_id`` as an invoker."""
        ...

    def sign_token(
        self,
        client_id: str,
        aef_id: str,
        api_name: str,
        *,
        posing_as: TargetProvider | None = None,
        issuer: str | None = None,
    ) -> str:
        """A token signed with its key for ``client_id``, scope ``aef_id:api_name``; ``posing_as``:
        whose ``iss`` and ``kid`` it claims (a forgery: the signature is still its own key's);
        ``issuer``: the CCF its ``iss`` names under its own ``kid``."""
        ...

    def answer_security_information(
        self, api_invoker_id: str, method: SecurityMethod, key: bytes | None
    ) -> None:
        """Its CAPIF-6/6e endpoint answers a request for the invoker's security information with
        ``method`` and the attacker's ``key`` (PSK) or its own CA (PKI)."""
        ...

    def answer_negotiation(self, api_invoker_id: str, method: SecurityMethod) -> None:
        """Its CAPIF-6/6e endpoint answers a security method request relayed for the invoker with
        ``method`` selected for every entry."""
        ...

    def negotiation_relayed(self, api_invoker_id: str) -> bool:
        """Whether a security method request for the invoker was relayed to it since
        :meth:`answer_negotiation`."""
        ...

    def publish_offering(self, ccf_id: str, aef_id: str, method: SecurityMethod) -> Callable[[], None]:
        """It tells the CCF ``ccf_id`` that the interfaces of its AEF ``aef_id`` offer ``method`` too
        (unless one does); gives what tells it the truth again."""
        ...


class NetworkPosition(Protocol):
    """The network attacker's place on the CAPIF-6/6e links between the target's CCFs
    (:mod:`replay.network_attacker`)."""

    @property
    def readable(self) -> bool:
        """Whether the links are unprotected, so that the attacker reads and changes what they carry."""
        ...

    def intercept(self, ccf_id: str, interception: Interception) -> bool:
        """Act on the requests to the CCF ``ccf_id`` as ``interception`` says; False when it cannot."""
        ...

    def inject(self, ccf_id: str, claimed_ccf_id: str, path: str, document: JsonObject) -> ClientResponse:
        """Send a request of the attacker's to the CCF ``ccf_id``, naming ``claimed_ccf_id`` as the caller."""
        ...

    def read(self) -> list[Message]:
        """Every message the attacker read (or dropped) on the links, in order per link."""
        ...


class Target(Protocol):
    """A CAPIF deployment of one or more providers, as the replayer drives it."""

    def providers(self, wanted: int) -> Sequence[TargetProvider]:
        """The target's providers: at least ``wanted`` if it can provide them, otherwise all it has."""
        ...

    @property
    def aefpsk_derivation(self) -> AefpskDerivation:
        """How the target derives AEFPSK (TS 33.122 Annex A.1, or the TLS 1.3 deviation)."""
        ...

    @property
    def notification_destination(self) -> str:
        """The ``notificationDestination`` the replayer's invokers give the CCF."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The optional operations this target offers."""
        ...

    def attacker_ccfs(self, wanted: int) -> Sequence[AttackerCcf]:
        """CCFs of further providers the attacker controls, interconnected as the target says
        (:meth:`interconnected`, by their providers' names): at least ``wanted`` if the target can
        provide them, otherwise all it has."""
        ...

    def interconnected(self, first: str, second: str) -> bool:
        """Whether the CCFs of the two providers are interconnected over CAPIF-6/6e (TS 23.222
        clause 8.25): each has an interconnection agreement with the other."""
        ...

    @property
    def network(self) -> NetworkPosition | None:
        """The network attacker's place on the CAPIF-6/6e links between the providers' CCFs, None when
        the replayer has none there."""
        ...

    def aefs(self, provider: str, wanted: int) -> Sequence[TargetAef]:
        """The AEFs of ``provider``: at least ``wanted`` if it can provide them, otherwise all it has."""
        ...

    def attacker_aefs(self, provider: str, wanted: int) -> Sequence[AttackerAef]:
        """AEFs registered at ``provider``'s CCF whose keys the attacker holds: at least ``wanted`` if
        the target can provide them, otherwise all it has."""
        ...

    def rofs(self, provider: str, wanted: int) -> Sequence[TargetRof]:
        """``wanted`` resource owner functions newly registered at ``provider``'s AzF, one resource owner
        each (fewer if the target cannot register them)."""
        ...

    def onboarding_secret(self, provider: str) -> str:
        """A fresh one-time onboarding credential for one invoker at ``provider``'s CCF (TS 33.122
        clause 6.1); :class:`~replay.errors.TargetLacksError` when there is none left."""
        ...

    def reset(self) -> None:
        """Prepare for a new trace: every interface back to its initial methods, every API open."""
        ...

    def set_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        """The AEF changes an interface's methods and the APF informs the CCF (contribution 004);
        :attr:`Capability.METHOD_UPDATE`."""
        ...

    def change_aef_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        """The AEF changes an interface's methods and the APF informs the CCF when the target's
        ``method-update-propagation`` says: at once, or only at :meth:`inform_ccf` (contribution 004);
        :attr:`Capability.DELAYED_METHOD_UPDATE`."""
        ...

    def inform_ccf(self, aef_id: str) -> None:
        """The APF tells the CCF the AEF's current methods (TS 29.222 Update_Service_API);
        :attr:`Capability.DELAYED_METHOD_UPDATE`."""
        ...

    def set_audience(self, provider: str, aef_id: str, api_name: str, invoker_ids: Sequence[str]) -> None:
        """The policy of ``provider``'s CCF lets only ``invoker_ids`` use the API at that AEF (TS 23.222
        clause 8.16; for an AEF of another provider, what the home CCF lets its invokers use);
        :attr:`Capability.POLICY`."""
        ...

    def advance_clock(self, moment: datetime) -> None:
        """Every function of the target takes the time to be at least ``moment`` from now on;
        :attr:`Capability.CLOCK`."""
        ...


class TargetError(Exception):
    """The target could not perform an out-of-band operation (a deployment failure, not a refusal)."""
