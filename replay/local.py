"""The reference implementation as a replay :class:`~replay.target.Target`.

A :class:`LocalTarget` runs :class:`impl.deployment.Deployment` (one CCF, one provider with its AEF and
the example API published twice, as ``hello`` and ``hello-2``, so that a trace may use two APIs of one
AEF) on 127.0.0.1 ephemeral ports in a data directory, with a :class:`ReplayClock`, and registers
further providers with one AEF each when a trace names more AEFs than one (each publishes its own two
APIs, so the access control policy is set per AEF and API), and for each AEF the attacker controls
(their CAPIF-3 keys are the attacker's: :meth:`LocalTarget.attacker_aefs`). It offers every
:class:`~replay.target.Capability`: method updates through the APF (contribution 004), the audience of
an API (the operator's out-of-band policy, TS 23.222 clause 8.16) and the clock.

:class:`LocalTargets` keeps one running target per :class:`~impl.settings.Settings`, so that the
traces of one profile share a deployment; each trace uses fresh invokers and starts from
:meth:`LocalTarget.reset`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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
from impl.invoker import CcfEndpoint
from impl.lifecycle import Closable, Service
from impl.settings import AefpskDerivation, Settings
from impl.store import StoreError
from impl.store.secrets import SecretPurpose
from impl.tls import Capif1eClientTls, CertificateClientTls, TlsError
from impl.tokens import TrustedKeySet
from replay.target import (
    AttackerAef,
    Capability,
    TargetAef,
    TargetApi,
    TargetError,
    TargetInterface,
    TargetProvider,
)

HOST = "127.0.0.1"
NOTIFICATION_DESTINATION = "https://127.0.0.1:9/notifications"
_INTERFACES = tuple(TargetInterface(spec.name, frozenset(spec.methods)) for spec in DEFAULT_INTERFACES)
PROVIDER = "provider-1"
API_NAMES = (HELLO_API, "hello-2")
"""The APIs each AEF of a local target exposes (the example API under two names), in rank order."""


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


@dataclass
class _ExtraAef:
    """An AEF of a further provider registered at the deployment's CCF, with its APF."""

    service: AefService
    apf: ApfClient
    api_ids: dict[str, str]
    capif3_credential: pki.CertifiedKey

    def set_methods(self, interface: str, methods: frozenset[SecurityMethod]) -> None:
        self.service.set_methods(interface, methods)
        for api_name, api_id in self.api_ids.items():
            self.apf.update(api_id, self.service.service_api_description(api_name))

    def stop(self) -> None:
        self.apf.close()
        self.service.stop()


def _start_extra_aef(deployment: Deployment, settings: Settings, clock: ReplayClock) -> _ExtraAef:
    """Register a provider (AMF, APF, AEF) at the CCF, start its AEF, publish its APIs (TS 29.222
    clauses 8.9 and 8.2) and tell the CCF where it receives revocations."""
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
            ccf_id=CCF_ID,
            ccf=CcfLocation(HOST, deployment.ccf.capif345_port, HOST),
            ca_certificate=ca.certificate,
            capif3_credential=provider.aef.credential,
            server_credential=ca.issue_certified_key(profile, now=clock() - timedelta(minutes=5)),
            trusted_token_keys=TrustedKeySet([deployment.ccf.token_key]),
            interfaces=DEFAULT_INTERFACES,
            api_names=API_NAMES,
            settings=settings,
            host=HOST,
            clock=clock,
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
    api_ids = {}
    try:
        for api_name in API_NAMES:
            api_ids[api_name] = apf.publish(service.service_api_description(api_name))
    except DeploymentError:
        apf.close()
        service.stop()
        raise
    for api_name, api_id in api_ids.items():
        service.bind_api_id(api_name, api_id)
    return _ExtraAef(service, apf, api_ids, provider.aef.credential)


def _target_aef(service: AefService) -> TargetAef:
    apis = tuple(TargetApi(name, RESOURCE) for name in API_NAMES)
    return TargetAef(service.config.aef_id, apis, _INTERFACES)


class LocalTarget(Service):
    """``with LocalTarget(data_dir, settings) as target:`` the reference implementation on loopback."""

    capabilities = frozenset(Capability)
    notification_destination = NOTIFICATION_DESTINATION

    def __init__(self, data_dir: Path, settings: Settings) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.clock = ReplayClock()
        self._deployment = Deployment(data_dir, settings, host=HOST, clock=self.clock, api_names=API_NAMES)
        self._extra: list[_ExtraAef] = []
        self._attackers: list[_ExtraAef] = []
        """AEFs whose CAPIF-3 keys the replayer hands to the attacker"""

    def start(self) -> None:
        """Start the CCF and the AEF of the deployment."""
        self._deployment.start()

    def stop(self) -> None:
        """Stop every AEF and the CCF. Idempotent."""
        for extra in self._extra + self._attackers:
            extra.stop()
        self._extra.clear()
        self._attackers.clear()
        self._deployment.stop()

    @property
    def provider(self) -> TargetProvider:
        """The deployment's provider (its CCF; the further AEFs register there too)."""
        ccf = CcfEndpoint(HOST, self._deployment.ccf.capif1e_port, HOST)
        return TargetProvider(PROVIDER, ccf, self._deployment.ca.certificate)

    def providers(self, wanted: int) -> Sequence[TargetProvider]:
        return [self.provider]

    @property
    def aefpsk_derivation(self) -> AefpskDerivation:
        return self.settings.aefpsk_derivation

    def _services(self) -> list[tuple[AefService, dict[str, str]]]:
        """Each AEF with the ``apiId`` of each of its APIs, by name."""
        main = (self._deployment.aef, {name: self._deployment.api_id(name) for name in API_NAMES})
        further = self._extra + self._attackers
        return [main, *((extra.service, extra.api_ids) for extra in further)]

    def aefs(self, provider: str, wanted: int) -> Sequence[TargetAef]:
        while len(self._extra) + 1 < wanted:
            with _failing_as_target("starting a further AEF"):
                self._extra.append(_start_extra_aef(self._deployment, self.settings, self.clock))
        services = [self._deployment.aef, *(extra.service for extra in self._extra)]
        return [_target_aef(service) for service in services]

    def attacker_aefs(self, provider: str, wanted: int) -> Sequence[AttackerAef]:
        """Further providers' AEFs, registered and serving like any other, whose CCF-issued CAPIF-3
        certificate and key the attacker holds."""
        while len(self._attackers) < wanted:
            with _failing_as_target("starting an AEF for the attacker"):
                self._attackers.append(_start_extra_aef(self._deployment, self.settings, self.clock))
        ccf = CcfEndpoint(HOST, self._deployment.ccf.capif345_port, HOST)
        return [
            AttackerAef(_target_aef(extra.service), ccf, extra.capif3_credential) for extra in self._attackers
        ]

    def onboarding_secret(self, provider: str) -> str:
        with _failing_as_target("minting an onboarding secret"):
            return self._deployment.onboarding_secret()

    def reset(self) -> None:
        for service, api_ids in self._services():
            for interface in _INTERFACES:
                if service.interfaces[interface.name].methods != interface.methods:
                    self.set_methods(service.config.aef_id, interface.name, interface.methods)
            with _failing_as_target("opening the APIs to every invoker"):
                for api_id in api_ids.values():
                    self._deployment.ccf.core.operator.set_api_audience(api_id, None)

    def set_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        with _failing_as_target(f"changing the methods of {aef_id} {interface}"):
            if aef_id == self._deployment.aef.config.aef_id:
                self._deployment.update_methods(interface, methods)
            else:
                self._extra_aef(aef_id).set_methods(interface, methods)

    def set_audience(self, aef_id: str, api_name: str, invoker_ids: Sequence[str]) -> None:
        api_id = next(
            (
                api_ids.get(api_name)
                for service, api_ids in self._services()
                if service.config.aef_id == aef_id
            ),
            None,
        )
        if api_id is None:
            raise TargetError(f"{aef_id} exposes no API {api_name}")
        with _failing_as_target(f"restricting {api_name} at {aef_id}"):
            self._deployment.ccf.core.operator.set_api_audience(api_id, invoker_ids)

    def advance_clock(self, moment: datetime) -> None:
        self.clock.advance_to(moment)

    def _extra_aef(self, aef_id: str) -> _ExtraAef:
        return next(extra for extra in self._extra + self._attackers if extra.service.config.aef_id == aef_id)


class LocalTargets(Closable):
    """One running :class:`LocalTarget` per settings, in subfolders of ``workdir``; ``close()`` (or
    ``with``) stops them all.

    A target whose clock was moved is replaced by a fresh one before its next use: the CCF certifies
    invokers at the moved time, while TLS checks certificates against the system time, so a later
    certificate would not yet be valid in a handshake.
    """

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._running: dict[Settings, LocalTarget] = {}
        self._started = 0

    def get(self, settings: Settings) -> LocalTarget:
        """The target with these settings, started on first use."""
        target = self._running.get(settings)
        if target is not None and target.clock.moved:
            target.stop()
            target = None
        if target is None:
            self._started += 1
            target = LocalTarget(self._workdir / f"deployment-{self._started}", settings)
            target.start()
            self._running[settings] = target
        return target

    def close(self) -> None:
        """Stop every running target."""
        for target in self._running.values():
            target.stop()
        self._running.clear()
