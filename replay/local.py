"""The reference implementation as a replay :class:`~replay.target.Target`.

A :class:`LocalTarget` runs the providers a trace needs (:class:`~replay.plan.Layout`) on 127.0.0.1
ephemeral ports in a data directory, with one :class:`ReplayClock`:

* one provider: :class:`impl.deployment.Deployment` (a CCF, one provider with its AEF and the example
  API published twice, as ``hello`` and ``hello-2``, so that a trace may use two APIs of one AEF);
* several: one such deployment per provider (``a``, ``b``, ...; CCF ``ccf-a`` in provider domain
  ``provider-a``), each CCF serving CAPIF-6/6e too, with an interconnection agreement for each pair
  the layout links (its CA, address and token key; token issuing delegated as the layout and the
  settings say, TS 23.222 clause 8.25), every AEF trusting the CAs of its CCF's peers, and the
  publications shared. The last ``layout.attackers`` providers are those whose CCF the attacker
  controls (:mod:`replay.attacker_ccf`): their peers' agreements name the attacker's CAPIF-6/6e
  endpoint. Under ``capif6-protection = none`` every CCF's peers reach it through the network
  attacker's wiretap (:mod:`replay.network_attacker`).

Each provider registers further API providers with one AEF each when a trace names more AEFs than one
there (each publishes its own two APIs, so the access control policy is set per AEF and API), and
for each AEF the attacker controls (their CAPIF-3 keys are the attacker's:
:meth:`LocalTarget.attacker_aefs`). It offers every :class:`~replay.target.Capability`: method updates
through the APF (contribution 004), the audience of an API (the operator's out-of-band policy, TS
23.222 clause 8.16; for another provider's API the home operator's) and the clock.

:class:`LocalTargets` keeps one running target per settings and layout, so that the traces of one
profile share deployments; each trace uses fresh invokers and starts from :meth:`LocalTarget.reset`.
"""

from __future__ import annotations

import contextlib
import secrets
import string
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from impl import pki
from impl.aef import AefConfig, AefService, CcfLocation
from impl.aef.hello_api import RESOURCE
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.problems import ProblemError
from impl.ccf.service import AefEndpoint
from impl.clock import system_clock
from impl.deployment import CCF_ID, DEFAULT_INTERFACES, HELLO_API, Deployment, DeploymentError
from impl.deployment.provider import ApfClient, register_provider
from impl.http import HttpClientError, HttpsClient
from impl.interconnect import Agreement, InterconnectConfig, PeerAddress, PeerError
from impl.invoker import CcfEndpoint
from impl.lifecycle import Closable, Service, start_all
from impl.settings import (
    AefpskDerivation,
    AefTrustedTokenKeys,
    Capif6Protection,
    Interconnection,
    MethodUpdatePropagation,
    Settings,
)
from impl.store import StoreError
from impl.store.secrets import SecretPurpose
from impl.tls import Capif1eClientTls, CertificateClientTls, TlsError
from impl.tokens import TrustedKeySet
from replay.attacker_ccf import LocalAttackerCcf
from replay.network_attacker import NetworkAttacker
from replay.plan import Layout
from replay.target import (
    AttackerAef,
    AttackerCcf,
    Capability,
    TargetAef,
    TargetApi,
    TargetError,
    TargetInterface,
    TargetProvider,
    TargetRof,
)

HOST = "127.0.0.1"
NOTIFICATION_DESTINATION = "https://127.0.0.1:9/notifications"
_INTERFACES = tuple(TargetInterface(spec.name, frozenset(spec.methods)) for spec in DEFAULT_INTERFACES)
API_NAMES = (HELLO_API, "hello-2")
"""The APIs each AEF of a local target exposes (the example API under two names), in rank order."""
ONE_PROVIDER = Layout(1, frozenset(), frozenset())


@contextmanager
def _failing_as_target(what: str) -> Iterator[None]:
    """A failure of the deployment while it does ``what`` becomes a :class:`TargetError`."""
    try:
        yield
    except (
        DeploymentError,
        ProblemError,
        StoreError,
        pki.PkiError,
        TlsError,
        HttpClientError,
        PeerError,
        OSError,
    ) as error:
        raise TargetError(f"{what}: {error}") from error


class ReplayClock:
    """The system time plus an offset that only grows, so that a replayed token can expire without
    waiting (TS 33.122 Annex C: ``exp`` with at most 30 s of skew)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return system_clock() + self._offset

    def advance_to(self, moment: datetime) -> None:
        """From now on the time is at least ``moment``."""
        with self._lock:
            self._offset = max(self._offset, moment - system_clock())

    @property
    def moved(self) -> bool:
        with self._lock:
            return self._offset > timedelta(0)


def _description(service: AefService, api_name: str, *, shareable: bool) -> dict[str, object]:
    """The example API as the APF publishes it; shareable with the interconnected providers when the
    CCF interconnects (TS 29.222 ``shareableInfo``)."""
    description: dict[str, object] = dict(service.service_api_description(api_name))
    if shareable:
        description["shareableInfo"] = {"isShareable": True}
    return description


@dataclass
class _FurtherAef:
    """An AEF of a further API provider registered at a deployment's CCF, with its APF."""

    service: AefService
    apf: ApfClient
    api_ids: dict[str, str]
    capif3_credential: pki.CertifiedKey
    shareable: bool

    def set_methods(self, interface: str, methods: frozenset[SecurityMethod], *, inform_ccf: bool) -> None:
        self.service.set_methods(interface, methods)
        if inform_ccf:
            self.inform_ccf()

    def inform_ccf(self) -> None:
        """The APF updates each published API with the AEF's current methods."""
        for api_name, api_id in self.api_ids.items():
            self.apf.update(api_id, _description(self.service, api_name, shareable=self.shareable))

    def stop(self) -> None:
        self.apf.close()
        self.service.stop()


def _start_further_aef(deployment: Deployment, clock: ReplayClock) -> _FurtherAef:
    """Register an API provider (AMF, APF, AEF) at the deployment's CCF, start its AEF, publish its
    APIs (TS 29.222 clauses 8.9 and 8.2) and tell the CCF where it receives revocations."""
    secret = deployment.ccf.core.operator.create_secret(SecretPurpose.PROVIDER_REGISTRATION, now=clock())
    ca = deployment.ca
    with HttpsClient(Capif1eClientTls(ca.certificate), HOST, deployment.ccf.capif1e_port) as client:
        provider = register_provider(client, secret)
    aef_id = provider.aef.func_id
    profile = pki.CertificateProfile(
        aef_id, ip_addresses=(ip_address(HOST),), server_auth=True, client_auth=True
    )
    service = AefService(
        AefConfig(
            aef_id=aef_id,
            ccf_id=deployment.ccf_id,
            ccf=CcfLocation(HOST, deployment.ccf.capif345_port, HOST),
            ca_certificate=ca.certificate,
            capif3_credential=provider.aef.credential,
            server_credential=ca.issue_certified_key(profile, now=clock() - timedelta(minutes=5)),
            trusted_token_keys=TrustedKeySet([deployment.ccf.token_key, *deployment.peer_token_keys]),
            interfaces=DEFAULT_INTERFACES,
            api_names=API_NAMES,
            settings=deployment.settings,
            host=HOST,
            clock=clock,
            peer_ca_certificates=deployment.peer_ca_certificates,
        )
    )
    service.start()
    deployment.ccf.set_aef_endpoint(aef_id, AefEndpoint(HOST, service.capif3_port, HOST))
    apf = ApfClient(
        CertificateClientTls(ca.certificate, credential=provider.apf.credential),
        HOST,
        deployment.ccf.capif345_port,
        server_name=HOST,
        apf_id=provider.apf.func_id,
    )
    shareable = deployment.interconnect is not None
    api_ids = {}
    try:
        for api_name in API_NAMES:
            api_ids[api_name] = apf.publish(_description(service, api_name, shareable=shareable))
    except DeploymentError:
        apf.close()
        service.stop()
        raise
    for api_name, api_id in api_ids.items():
        service.bind_api_id(api_name, api_id)
    return _FurtherAef(service, apf, api_ids, provider.aef.credential, shareable)


def _target_aef(service: AefService) -> TargetAef:
    apis = tuple(TargetApi(name, RESOURCE) for name in API_NAMES)
    return TargetAef(service.config.aef_id, apis, _INTERFACES)


@dataclass
class _Provider:
    """One provider of a local target: its deployment, the further AEFs registered at its CCF and those
    whose keys the attacker holds."""

    name: str
    deployment: Deployment
    further: list[_FurtherAef] = field(default_factory=list)
    attackers: list[_FurtherAef] = field(default_factory=list)

    @property
    def target(self) -> TargetProvider:
        deployment = self.deployment
        ccf = CcfEndpoint(HOST, deployment.ccf.capif1e_port, HOST)
        return TargetProvider(
            self.name,
            ccf,
            deployment.ca.certificate,
            deployment.ccf_id,
            deployment.ccf.config.token_signing_key.kid,
        )

    def services(self) -> list[tuple[AefService, dict[str, str]]]:
        """Each AEF with the ``apiId`` of each of its APIs, by name."""
        main = (self.deployment.aef, {name: self.deployment.api_id(name) for name in API_NAMES})
        return [main, *((extra.service, extra.api_ids) for extra in self.further + self.attackers)]

    def api_id(self, aef_id: str, api_name: str) -> str | None:
        return next(
            (ids.get(api_name) for service, ids in self.services() if service.config.aef_id == aef_id), None
        )

    def set_methods(
        self, aef_id: str, interface: str, methods: frozenset[SecurityMethod], *, inform_ccf: bool | None
    ) -> None:
        """The AEF changes an interface; the APF informs the CCF at once (``inform_ccf``), or as the
        ``method-update-propagation`` setting says (None)."""
        if inform_ccf is None:
            inform_ccf = (
                self.deployment.settings.method_update_propagation is MethodUpdatePropagation.IMMEDIATE
            )
        if aef_id == self.deployment.aef.config.aef_id:
            self.deployment.update_methods(interface, methods, propagate=inform_ccf)
            return
        self._further(aef_id).set_methods(interface, methods, inform_ccf=inform_ccf)

    def inform_ccf(self, aef_id: str) -> None:
        if aef_id == self.deployment.aef.config.aef_id:
            self.deployment.propagate_method_updates()
            return
        self._further(aef_id).inform_ccf()

    def _further(self, aef_id: str) -> _FurtherAef:
        return next(item for item in self.further + self.attackers if item.service.config.aef_id == aef_id)

    def stop(self) -> None:
        for extra in self.further + self.attackers:
            extra.stop()
        self.further.clear()
        self.attackers.clear()
        self.deployment.stop()


def _names(count: int) -> list[str]:
    return list(string.ascii_lowercase[:count])


def _attackers_settings(settings: Settings) -> Settings:
    """A CCF the attacker controls speaks CAPIF-6/6e whatever the honest providers' profile says: it
    runs what the attacker likes, and its endpoint is how it answers and asks."""
    return replace(settings, interconnection=Interconnection.SUPPORTED)


class LocalTarget(Service):
    """``with LocalTarget(data_dir, settings, layout) as target:`` the reference implementation on
    loopback, with the providers ``layout`` asks for."""

    capabilities = frozenset(Capability)
    notification_destination = NOTIFICATION_DESTINATION

    def __init__(self, data_dir: Path, settings: Settings, layout: Layout = ONE_PROVIDER) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.layout = layout
        self.clock = ReplayClock()
        several = layout.size > 1
        interconnecting = several and settings.interconnection is Interconnection.SUPPORTED
        attackers = frozenset(_names(layout.size)[layout.providers :])
        self._providers = {
            name: _Provider(
                name,
                Deployment(
                    data_dir / name if several else data_dir,
                    _attackers_settings(settings) if name in attackers else settings,
                    host=HOST,
                    clock=self.clock,
                    api_names=API_NAMES,
                    ccf_id=f"ccf-{name}" if several else CCF_ID,
                    interconnect=(
                        InterconnectConfig(f"provider-{name}")
                        if interconnecting or name in attackers
                        else None
                    ),
                ),
            )
            for name in _names(layout.size)
        }
        self._attackers: dict[str, LocalAttackerCcf] = {}
        """the providers whose CCF the attacker controls (the last ``layout.attackers``)"""
        self._network = (
            NetworkAttacker(HOST, readable=settings.capif6_protection is Capif6Protection.UNSAFE_NONE)
            if interconnecting
            else None
        )
        self._capif6: dict[str, PeerAddress] = {}
        """each provider's CAPIF-6/6e endpoint as its peers reach it (through the network attacker's
        wiretap on an unprotected link; a CCF the attacker controls: the attacker's endpoint)"""

    def start(self) -> None:
        """Start every provider; interconnect those the layout links and share their publications."""
        deployments = {name: provider.deployment for name, provider in self._providers.items()}
        if self.layout.size > 1:
            authorities = {name: deployment.ensure_authority() for name, deployment in deployments.items()}
            keys = {name: deployment.token_key() for name, deployment in deployments.items()}
            for name, deployment in deployments.items():
                peers = self._peers(name)
                deployment.peer_ca_certificates = tuple(authorities[peer].certificate for peer in peers)
                deployment.peer_token_keys = tuple(keys[peer] for peer in peers if self._trusts(name, peer))
        start_all(deployments.values())
        try:
            for name in _names(self.layout.size)[self.layout.providers :]:
                attacker = LocalAttackerCcf(self._providers[name].target, deployments[name], self.clock, HOST)
                attacker.start()
                self._attackers[name] = attacker
            if self._network is not None:
                for name, deployment in deployments.items():
                    held = self._attackers.get(name)
                    endpoint = (
                        held.front.address
                        if held is not None
                        else PeerAddress(HOST, deployment.interconnected_ccf.capif6_port, HOST)
                    )
                    self._capif6[name] = self._network.place(
                        deployment.ccf_id, endpoint, deployment.ca.certificate
                    )
            for name, deployment in deployments.items():
                for peer in self._peers(name):
                    deployment.agree(self._agreement(name, peer))
            for name, deployment in deployments.items():
                if self._peers(name):
                    deployment.interconnected_ccf.interconnect.sync()
            for name in self._attackers:  # the attacker knows where every honest CAPIF-6/6e endpoint is
                for peer, deployment in deployments.items():
                    unlinked = peer not in self._attackers and peer not in self._peers(name)
                    if unlinked and deployment.interconnect is not None:
                        deployments[name].agree(self._agreement(name, peer))
        except BaseException:
            self.stop()
            raise

    def _peers(self, name: str) -> list[str]:
        names = _names(self.layout.size)
        return [other for other in names if other != name and self.interconnected(name, other)]

    def _trusts(self, name: str, peer: str) -> bool:
        """Whether the AEFs of ``name`` accept tokens ``peer``'s CCF signs (``aef-trusted-token-keys``;
        own-ccf-and-delegated: only where the layout says ``name`` delegated token issuing to it)."""
        names = _names(self.layout.size)
        trusted = self.settings.aef_trusted_token_keys
        if trusted is AefTrustedTokenKeys.OWN_CCF:
            return False
        if trusted is AefTrustedTokenKeys.OWN_CCF_AND_DELEGATED:
            return (names.index(name), names.index(peer)) in self.layout.delegations
        return True

    def _agreement(self, name: str, peer: str) -> Agreement:
        """What ``name``'s CCF agrees with ``peer``'s CCF, reached where :attr:`_capif6` says."""
        deployment = self._providers[peer].deployment
        return Agreement(
            ccf_id=deployment.ccf_id,
            provider_domain=f"provider-{peer}",
            address=self._capif6[peer],
            ca_certificates=(deployment.ca.certificate,),
            relays_tokens=True,
            issues_tokens=self._trusts(name, peer),
            token_key=deployment.token_key(),
        )

    def stop(self) -> None:
        """Stop every AEF and CCF. Idempotent."""
        if self._network is not None:
            self._network.stop()
        for attacker in self._attackers.values():
            attacker.stop()
        self._attackers.clear()
        for provider in reversed(list(self._providers.values())):
            provider.stop()

    @property
    def provider(self) -> TargetProvider:
        """The first provider."""
        return next(iter(self._providers.values())).target

    def providers(self, wanted: int) -> Sequence[TargetProvider]:
        honest = _names(self.layout.size)[: self.layout.providers]
        return [self._providers[name].target for name in honest]

    def attacker_ccfs(self, wanted: int) -> Sequence[AttackerCcf]:
        return list(self._attackers.values())

    @property
    def network(self) -> NetworkAttacker | None:
        """The network attacker on CAPIF-6/6e (:mod:`replay.network_attacker`), when the CCFs
        interconnect."""
        return self._network

    def interconnected(self, first: str, second: str) -> bool:
        names = _names(self.layout.size)
        pair = sorted((names.index(first), names.index(second)))
        return (pair[0], pair[1]) in self.layout.links

    @property
    def aefpsk_derivation(self) -> AefpskDerivation:
        return self.settings.aefpsk_derivation

    def aefs(self, provider: str, wanted: int) -> Sequence[TargetAef]:
        held = self._providers[provider]
        while len(held.further) + 1 < wanted:
            with _failing_as_target("starting a further AEF"):
                held.further.append(_start_further_aef(held.deployment, self.clock))
        services = [held.deployment.aef, *(extra.service for extra in held.further)]
        return [_target_aef(service) for service in services]

    def attacker_aefs(self, provider: str, wanted: int) -> Sequence[AttackerAef]:
        """Further API providers' AEFs, registered and serving like any other, whose CCF-issued CAPIF-3
        certificate and key the attacker holds."""
        held = self._providers[provider]
        while len(held.attackers) < wanted:
            with _failing_as_target("starting an AEF for the attacker"):
                held.attackers.append(_start_further_aef(held.deployment, self.clock))
        ccf = CcfEndpoint(HOST, held.deployment.ccf.capif345_port, HOST)
        return [
            AttackerAef(_target_aef(extra.service), ccf, extra.capif3_credential) for extra in held.attackers
        ]

    def rofs(self, provider: str, wanted: int) -> Sequence[TargetRof]:
        """ROFs the operator registers at the provider's AzF (each for a resource owner of its own)."""
        deployment = self._providers[provider].deployment
        registered = []
        with _failing_as_target("registering a resource owner function"):
            for _ in range(wanted):
                res_owner_id = f"resource-owner-{secrets.token_hex(6)}"
                credential = deployment.register_rof(f"rof-{secrets.token_hex(6)}", [res_owner_id])
                registered.append(
                    TargetRof(
                        credential,
                        res_owner_id,
                        CcfEndpoint(HOST, deployment.azf.port, HOST),
                        deployment.ca.certificate,
                        self.settings.capif8_protection,
                        self.settings.rof_authentication,
                    )
                )
        return registered

    def onboarding_secret(self, provider: str) -> str:
        with _failing_as_target("minting an onboarding secret"):
            return self._providers[provider].deployment.onboarding_secret()

    def reset(self) -> None:
        if self._network is not None:
            self._network.forget()
        for provider in self._providers.values():
            for service, api_ids in provider.services():
                for interface in _INTERFACES:
                    if service.interfaces[interface.name].methods != interface.methods:
                        self.set_methods(service.config.aef_id, interface.name, interface.methods)
                with _failing_as_target("opening the APIs to every invoker"):
                    for api_id in api_ids.values():
                        provider.deployment.ccf.core.operator.set_api_audience(api_id, None)
                        for other in self._providers.values():
                            if other is not provider and self._peers(other.name):
                                remote = other.deployment.interconnected_ccf.interconnect
                                remote.set_remote_audience(api_id, None)

    def set_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        host = self._host(aef_id)
        with _failing_as_target(f"changing the methods of {aef_id} {interface}"):
            host.set_methods(aef_id, interface, methods, inform_ccf=True)  # the trace's one step

    def change_aef_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        host = self._host(aef_id)
        with _failing_as_target(f"changing the methods of {aef_id} {interface}"):
            host.set_methods(aef_id, interface, methods, inform_ccf=None)

    def inform_ccf(self, aef_id: str) -> None:
        host = self._host(aef_id)
        with _failing_as_target(f"informing the CCF of the methods of {aef_id}"):
            host.inform_ccf(aef_id)

    def set_audience(self, provider: str, aef_id: str, api_name: str, invoker_ids: Sequence[str]) -> None:
        host = self._host(aef_id)
        api_id = host.api_id(aef_id, api_name)
        if api_id is None:
            raise TargetError(f"{aef_id} exposes no API {api_name}")
        with _failing_as_target(f"restricting {api_name} at {aef_id} for {provider}"):
            if provider == host.name:
                host.deployment.ccf.core.operator.set_api_audience(api_id, invoker_ids)
            else:
                ccf = self._providers[provider].deployment.interconnected_ccf
                ccf.interconnect.set_remote_audience(api_id, invoker_ids)

    def advance_clock(self, moment: datetime) -> None:
        self.clock.advance_to(moment)

    def _host(self, aef_id: str) -> _Provider:
        for provider in self._providers.values():
            if provider.api_id(aef_id, API_NAMES[0]) is not None:
                return provider
        raise TargetError(f"no provider of this target has the AEF {aef_id}")

    @property
    def deployments(self) -> Mapping[str, Deployment]:
        """Each provider's deployment, by provider name."""
        return {name: provider.deployment for name, provider in self._providers.items()}


def _stop_quietly(target: LocalTarget) -> None:
    """Stop a target given up on; what its stuck threads make fail on the way is no news."""
    with contextlib.suppress(Exception):
        target.stop()


class LocalTargets(Closable):
    """One running :class:`LocalTarget` per settings and layout, in subfolders of ``workdir``;
    ``close()`` (or ``with``) stops them all.

    A target whose clock was moved is replaced by a fresh one before its next use: the CCF certifies
    invokers at the moved time, while TLS checks certificates against the system time, so a later
    certificate would not yet be valid in a handshake.
    """

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._running: dict[tuple[Settings, Layout], LocalTarget] = {}
        self._started = 0

    def get(self, settings: Settings, layout: Layout = ONE_PROVIDER) -> LocalTarget:
        """The target with these settings and providers, started on first use."""
        key = (settings, layout)
        target = self._running.get(key)
        if target is not None and target.clock.moved:
            target.stop()
            target = None
        if target is None:
            self._started += 1
            target = LocalTarget(self._workdir / f"deployment-{self._started}", settings, layout)
            self._running[key] = target  # before it starts, so that a start that hangs can be dropped
            try:
                target.start()
            except BaseException:
                self._running.pop(key, None)
                raise
        return target

    def discard(self, settings: Settings, layout: Layout = ONE_PROVIDER) -> None:
        """Drop the target with these settings and providers, which did not answer in time: it is
        stopped in the background (a thread of it may still be stuck) and a fresh one started on
        next use."""
        target = self._running.pop((settings, layout), None)
        if target is not None:
            threading.Thread(target=_stop_quietly, args=(target,), name="replay-discard", daemon=True).start()

    def close(self) -> None:
        """Stop every running target."""
        for target in self._running.values():
            target.stop()
        self._running.clear()
