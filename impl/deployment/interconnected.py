"""Two (or more) CAPIF providers on one host, their CCFs interconnected over CAPIF-6/6e.

Each provider is a :class:`~impl.deployment.Deployment` of its own (its own data directory, CAPIF CA,
CCF, APF/AMF/AEF and published APIs), whose CCF also serves CAPIF-6/6e. Starting them:

1. each provider's CA is created (or loaded), so that every AEF can trust the other providers' CAs
   for their invokers' certificates, and every invoker the other providers' AEFs;
2. each provider starts (its CCF listens on CAPIF-6/6e too) and publishes its APIs as shareable;
3. every CCF agrees with every other (:class:`~impl.interconnect.Agreement`: its ``ccfId``, provider
   domain, CAPIF-6/6e address, CA, token key; every shareable API shared; token relay allowed; token
   issuing delegated only when the settings let AEFs trust delegated keys);
4. every CCF shares its APIs with its peers and learns theirs (:meth:`Interconnect.sync`).

Provider names are short words (``a``, ``b``); provider ``a`` has CCF ``ccf-a`` in provider domain
``provider-a``, under ``data_dir/a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from impl.clock import Clock, system_clock
from impl.deployment.deployment import HELLO_API, Deployment, DeploymentPorts
from impl.deployment.files import DeploymentError
from impl.interconnect import Agreement, InterconnectConfig, PeerAddress
from impl.interconnect.client import DEFAULT_TIMEOUT
from impl.lifecycle import Service, start_all
from impl.settings import AefTrustedTokenKeys, Interconnection, Settings

DEFAULT_PROVIDERS = ("a", "b")


def ccf_id_of(provider: str) -> str:
    return f"ccf-{provider}"


def domain_of(provider: str) -> str:
    return f"provider-{provider}"


class InterconnectedDeployment(Service):
    """``with InterconnectedDeployment(data_dir, settings) as providers:`` runs every provider."""

    def __init__(
        self,
        data_dir: Path,
        settings: Settings,
        *,
        providers: Sequence[str] = DEFAULT_PROVIDERS,
        host: str = "127.0.0.1",
        api_names: tuple[str, ...] = (HELLO_API,),
        clock: Clock = system_clock,
        peer_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if settings.interconnection is not Interconnection.SUPPORTED:
            raise DeploymentError("the profile has no interconnection (interconnection=not-supported)")
        if len(set(providers)) != len(providers) or len(providers) < 2:
            raise DeploymentError("interconnection needs at least two providers with distinct names")
        self.settings = settings
        self.names = tuple(providers)
        self.providers = {
            name: Deployment(
                data_dir / name,
                settings,
                host=host,
                ports=DeploymentPorts(),
                api_names=api_names,
                ccf_id=ccf_id_of(name),
                interconnect=InterconnectConfig(domain_of(name), peer_timeout=peer_timeout),
                clock=clock,
            )
            for name in self.names
        }

    def __getitem__(self, name: str) -> Deployment:
        return self.providers[name]

    def start(self) -> None:
        authorities = {name: deployment.ensure_authority() for name, deployment in self.providers.items()}
        keys = {name: deployment.token_key() for name, deployment in self.providers.items()}
        trusted = self.settings.aef_trusted_token_keys is not AefTrustedTokenKeys.OWN_CCF
        for name, deployment in self.providers.items():
            deployment.peer_ca_certificates = tuple(
                authority.certificate for other, authority in authorities.items() if other != name
            )
            deployment.peer_token_keys = tuple(
                key for other, key in keys.items() if other != name and trusted
            )
        start_all(self.providers.values())
        try:
            for name, deployment in self.providers.items():
                for other in self.names:
                    if other != name:
                        deployment.agree(self.agreement_with(other))
            for deployment in self.providers.values():
                deployment.interconnected_ccf.interconnect.sync()
        except BaseException:
            self.stop()
            raise

    def agreement_with(self, name: str) -> Agreement:
        """What every other provider's CCF agrees with provider ``name``'s CCF."""
        deployment = self.providers[name]
        ccf = deployment.interconnected_ccf
        delegated = self.settings.aef_trusted_token_keys is not AefTrustedTokenKeys.OWN_CCF
        return Agreement(
            ccf_id=deployment.ccf_id,
            provider_domain=domain_of(name),
            address=PeerAddress(deployment.host, ccf.capif6_port, deployment.host),
            ca_certificates=(deployment.ca.certificate,),
            relays_tokens=True,
            issues_tokens=delegated,
            token_key=deployment.token_key(),
        )

    def sync(self) -> None:
        """Share and learn publications again (after a method update, a restart)."""
        for deployment in self.providers.values():
            deployment.interconnected_ccf.interconnect.sync()

    def stop(self) -> None:
        for deployment in reversed(list(self.providers.values())):
            deployment.stop()
