"""A CCF interconnected with peer CCFs: the running CCF plus its CAPIF-6/6e endpoint and agreements.

:class:`InterconnectedCcfService` is a :class:`~impl.ccf.service.CcfService` whose CAPIF-1e and
CAPIF-3/4/5 routes go through :mod:`impl.interconnect.binding`, with a third endpoint for CAPIF-6/6e
(:mod:`impl.interconnect.server`). Its :class:`Interconnect` is what the operator acts on: add an
agreement (:meth:`Interconnect.agree`), share and learn publications (:meth:`Interconnect.sync`),
restrict peers' APIs for its invokers (:meth:`Interconnect.set_remote_audience`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from impl.ccf.service import CcfService, CcfServiceConfig
from impl.clock import Clock
from impl.http import HttpsServer, Router
from impl.interconnect import store
from impl.interconnect.aef_ccf import AefCcf
from impl.interconnect.agreement import Agreement
from impl.interconnect.binding import InterconnectedCapif1eApi, InterconnectedCapif345Api
from impl.interconnect.client import DEFAULT_TIMEOUT
from impl.interconnect.home import HomeCcf
from impl.interconnect.peers import Peers
from impl.interconnect.publications import Publications
from impl.interconnect.server import Capif6Api, Capif6ServerTls
from impl.problem_responses import domain_error_response
from impl.settings import Interconnection


@dataclass(frozen=True)
class InterconnectConfig:
    """The CCF's provider domain (what peers list in ``capifProvDoms``), where CAPIF-6/6e listens
    (0: an ephemeral port) and how long a peer may take per exchange."""

    provider_domain: str
    capif6_port: int = 0
    peer_timeout: float = DEFAULT_TIMEOUT


class Interconnect:
    """One CCF's interconnection: its peers, its two roles, its publications."""

    def __init__(self, service: CcfService, config: InterconnectConfig, clock: Clock) -> None:
        settings = service.config.settings
        self.config = config
        self.settings = settings
        self.peers = Peers(
            service.config.ccf_id, service.config.credential, settings, timeout=config.peer_timeout
        )
        parts = service.core.parts
        self.home = HomeCcf(parts, self.peers, service.config.ca.certificate)
        self.aef_ccf = AefCcf(parts, self.peers)
        self.publications = Publications(parts, self.peers)
        self.tls = Capif6ServerTls(settings, service.config.credential, service.config.ca.certificate)
        self._clock = clock
        self._database = parts.database

    def agree(self, agreement: Agreement) -> None:
        """Add (or replace) the agreement with a peer: its client, and its CAs on CAPIF-6/6e."""
        self.peers.add(agreement)
        self.tls.trust(self.peers.agreements.ca_certificates())

    def sync(self) -> list[str]:
        """Share this CCF's APIs with every peer and learn theirs; the peers not reached."""
        return self.publications.sync(now=self._clock())

    def set_remote_audience(self, api_id: str, invoker_ids: Sequence[str] | None) -> None:
        """The home operator restricts a peer's API to ``invoker_ids`` (None: open to every invoker)."""
        with self._database.transaction() as tx:
            store.set_remote_audience(tx, api_id, invoker_ids)

    @property
    def peer_ca_certificates(self) -> tuple[x509.Certificate, ...]:
        return self.peers.agreements.ca_certificates()


class InterconnectedCcfService(CcfService):
    """``with InterconnectedCcfService(config, interconnect) as ccf:`` serves CAPIF-1e, CAPIF-3/4/5
    and CAPIF-6/6e; ``ccf.interconnect.agree(...)`` adds peers, also while running."""

    def __init__(self, config: CcfServiceConfig, interconnect: InterconnectConfig) -> None:
        if config.settings.interconnection is not Interconnection.SUPPORTED:
            raise ValueError("interconnection=not-supported: this profile has no CAPIF-6/6e")
        self._interconnect_config = interconnect
        self._interconnect: Interconnect | None = None
        super().__init__(config)
        store.create_tables(self.core.parts.database)
        self._capif6 = HttpsServer(
            Capif6Api(
                config.settings,
                peers=self.interconnect.peers,
                home=self.interconnect.home,
                aef_ccf=self.interconnect.aef_ccf,
                publications=self.interconnect.publications,
                notifier=self.notifier,
                clock=config.clock,
            ).router(),
            self.interconnect.tls,
            host=config.host,
            port=interconnect.capif6_port,
            error_response=domain_error_response,
        )

    @property
    def interconnect(self) -> Interconnect:
        if self._interconnect is None:
            self._interconnect = Interconnect(self, self._interconnect_config, self.config.clock)
        return self._interconnect

    @property
    def capif6_port(self) -> int:
        return self._capif6.port

    def _capif1e_router(self) -> Router:
        return InterconnectedCapif1eApi(
            self.core, self.notifier, self.config.clock, self._locate, self.interconnect.home
        ).router()

    def _capif345_router(self) -> Router:
        return InterconnectedCapif345Api(
            self.core,
            self.notifier,
            self.config.clock,
            self._locate,
            aef_ccf=self.interconnect.aef_ccf,
            publications=self.interconnect.publications,
        ).router()

    def start(self) -> None:
        super().start()
        try:
            self._capif6.start()
        except BaseException:
            super().stop()
            raise

    def stop(self) -> None:
        self._capif6.stop()
        self.interconnect.peers.close()
        super().stop()
