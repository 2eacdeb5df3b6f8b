"""Publish and Discover across providers: the TS 29.222 APIs on CAPIF-6/6e (TS 23.222 clause 8.25.3).

**Sharing** (the AEF's CCF): after its APF publishes or updates an API with ``shareableInfo`` (TS 29.222:
``isShareable``; ``capifProvDoms`` lists the provider domains, absent: every interconnected one) that
the agreement with a peer shares, the CCF publishes it there with the standard Publish API, on the
path of its own ``ccfId`` (``POST /published-apis/v1/{ccfId}/service-apis``; TS 23.222 8.25.3.1),
with ``ccfId`` and ``pubApiPath.ccfIds`` naming itself; an update follows with ``PUT``, an API no
longer shared or unpublished is withdrawn with ``DELETE``. The ``apiId`` stays the one this CCF
assigned: on CAPIF-6/6e the publishing CCF is the one that assigned it. A peer that cannot be reached
is logged; :meth:`Publications.sync` publishes again.

**Receiving** (the home CCF): it keeps what a peer publishes under that peer, refusing an ``apiId`` or
an AEF that is its own or another peer's (a peer publishes only its own AEFs' APIs).

**Discover** (TS 23.222 8.25.3.3): ``GET /service-apis/v1/allServiceAPIs?api-invoker-id={ccfId}``
answers a peer with the APIs shared with it (on CAPIF-6/6e ``api-invoker-id`` carries the CCF
identifier, TS 29.222); :meth:`Publications.sync` uses it to learn a peer's shared APIs afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from impl.apitypes.discover import DiscoveredAPIs, DiscoverQuery
from impl.apitypes.problems import Cause, ForbiddenError, NotFoundError, ProblemError, invalid_body
from impl.apitypes.publish import ServiceAPIDescription
from impl.ccf.core import CoreParts, Created
from impl.ccf.discovery import matching
from impl.interconnect import store
from impl.interconnect.client import PeerClient, PeerError
from impl.interconnect.peers import PeerCaller, Peers
from impl.interconnect.policy import shared_apis, shared_with
from impl.store import Transaction, apis, providers
from impl.store.database import epoch

_LOG = logging.getLogger(__name__)
PUBLISHED_APIS = "published-apis"


class Publications:
    """One CCF's shared and received publications."""

    def __init__(self, parts: CoreParts, peers: Peers) -> None:
        self._parts = parts
        self._peers = peers

    @property
    def _ccf_id(self) -> str:
        return self._parts.config.ccf_id

    # -- sharing this CCF's APIs

    def outgoing(self, description: ServiceAPIDescription) -> ServiceAPIDescription:
        """The description as this CCF publishes it on CAPIF-6/6e."""
        return replace(description, ccf_id=self._ccf_id, pub_api_path_ccf_ids=(self._ccf_id,))

    def share(self, description: ServiceAPIDescription, *, now: datetime) -> None:
        """Publish, update or withdraw ``description`` at every peer, as sharing says (see the module)."""
        for agreement in self._peers.agreements.all():
            client = self._peers.client(agreement.ccf_id)
            if client is not None:
                self._share_with(client, description, now=now)

    def withdraw(self, api_id: str) -> None:
        """The API was unpublished here: withdraw it wherever it was published."""
        for agreement in self._peers.agreements.all():
            client = self._peers.client(agreement.ccf_id)
            if client is not None:
                self._withdraw_from(client, api_id)

    def _share_with(self, client: PeerClient, description: ServiceAPIDescription, *, now: datetime) -> None:
        assert description.api_id is not None
        with self._parts.database.transaction() as tx:
            known = description.api_id in store.published_to(tx, client.peer)
        try:
            if not shared_with(description, client.agreement):
                if known:
                    self._withdraw_from(client, description.api_id)
                return
            if known:
                client.update(self.outgoing(description))
            else:
                client.publish(self.outgoing(description))
        except PeerError as error:
            _LOG.warning("sharing %s with %s failed: %s", description.api_id, client.peer, error)
            return
        with self._parts.database.transaction() as tx:
            store.record_published(tx, client.peer, description.api_id, now=epoch(now))

    def _withdraw_from(self, client: PeerClient, api_id: str) -> None:
        try:
            client.unpublish(api_id)
        except PeerError as error:
            _LOG.warning("withdrawing %s from %s failed: %s", api_id, client.peer, error)
            return
        with self._parts.database.transaction() as tx:
            store.forget_published(tx, client.peer, api_id)

    def sync(self, *, now: datetime) -> list[str]:
        """Publish every local API to every peer as sharing says, and learn each peer's shared APIs by
        Discover; the peers that could not be reached."""
        with self._parts.database.transaction() as tx:
            local = [record.description for record in apis.apis_of_ccf(tx, self._ccf_id)]
        unreachable = []
        for agreement in self._peers.agreements.all():
            client = self._peers.client(agreement.ccf_id)
            if client is None:
                continue
            for description in local:
                self._share_with(client, description, now=now)
            try:
                discovered = client.discover()
            except PeerError as error:
                _LOG.warning("discovery at %s failed: %s", agreement.ccf_id, error)
                unreachable.append(agreement.ccf_id)
                continue
            self._replace_remote(PeerCaller(agreement.ccf_id, agreement), discovered, now=now)
        return unreachable

    def _replace_remote(
        self, peer: PeerCaller, discovered: Iterable[ServiceAPIDescription], *, now: datetime
    ) -> None:
        with self._parts.database.transaction() as tx:
            previous = {api.api_id for api in store.remote_apis(tx, peer.ccf_id)}
            for description in discovered:
                try:
                    self._check_incoming(tx, peer, description)
                except ProblemError as error:
                    _LOG.warning(
                        "ignored an API %s discovered at %s: %s", description.api_id, peer.ccf_id, error
                    )
                    continue
                store.put_remote_api(tx, peer.ccf_id, description, now=epoch(now))
                previous.discard(description.api_id or "")
            for api_id in previous:
                store.delete_remote_api(tx, api_id)

    # -- receiving a peer's APIs (CAPIF-6/6e Publish)

    def receive(
        self, peer: PeerCaller, apf_id: str, body: object, *, now: datetime, api_id: str | None = None
    ) -> Created[ServiceAPIDescription]:
        """``POST`` (``api_id`` None) or ``PUT .../service-apis/{api_id}`` by a peer."""
        _require_own_path(peer, apf_id)
        description = ServiceAPIDescription.read(body, creating=False)
        if description.api_id is None:
            raise invalid_body(Cause.MANDATORY_IE_MISSING, "/apiId", "the publishing CCF's apiId is required")
        if api_id is not None and description.api_id != api_id:
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/apiId", "must be the serviceApiId of the URI")
        with self._parts.database.transaction() as tx:
            current = store.remote_api(tx, description.api_id)
            if api_id is not None and (current is None or current.peer_ccf_id != peer.ccf_id):
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"CCF {peer.ccf_id} published no API {api_id} here"
                )
            self._check_incoming(tx, peer, description)
            store.put_remote_api(tx, peer.ccf_id, description, now=epoch(now))
        location = self._parts.config.location(
            PUBLISHED_APIS, peer.ccf_id, "service-apis", description.api_id
        )
        return Created(description, location)

    def remove(self, peer: PeerCaller, apf_id: str, api_id: str) -> None:
        """``DELETE .../service-apis/{api_id}`` by the peer that published it."""
        _require_own_path(peer, apf_id)
        with self._parts.database.transaction() as tx:
            current = store.remote_api(tx, api_id)
            if current is None or current.peer_ccf_id != peer.ccf_id:
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"CCF {peer.ccf_id} published no API {api_id} here"
                )
            store.delete_remote_api(tx, api_id)

    def published_by(self, peer: PeerCaller) -> tuple[ServiceAPIDescription, ...]:
        """``GET /published-apis/v1/{ccfId}/service-apis`` by a peer: what it published here (TS 23.222
        8.25.3.5); the gate has checked that ``{ccfId}`` is the peer's own."""
        with self._parts.database.transaction() as tx:
            return tuple(api.description for api in store.remote_apis(tx, peer.ccf_id))

    def published_one(self, peer: PeerCaller, api_id: str) -> ServiceAPIDescription:
        """``GET .../service-apis/{api_id}`` by the peer that published it; 404 for any other API."""
        with self._parts.database.transaction() as tx:
            current = store.remote_api(tx, api_id)
        if current is None or current.peer_ccf_id != peer.ccf_id:
            raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"CCF {peer.ccf_id} published no API {api_id} here")
        return current.description

    def _check_incoming(self, tx: Transaction, peer: PeerCaller, description: ServiceAPIDescription) -> None:
        assert description.api_id is not None
        if description.ccf_id is not None and description.ccf_id != peer.ccf_id:
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "ccfId names another CCF than the publisher")
        current = store.remote_api(tx, description.api_id)
        if apis.api(tx, description.api_id) is not None or (
            current is not None and current.peer_ccf_id != peer.ccf_id
        ):
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, f"apiId {description.api_id} is not the publisher's"
            )
        for index, profile in enumerate(description.aef_profiles):
            holder = store.peer_of_aef(tx, profile.aef_id)
            if providers.function(tx, profile.aef_id) is not None or holder not in (None, peer.ccf_id):
                reason = "is not an AEF of the publishing CCF's provider"
                raise invalid_body(Cause.MANDATORY_IE_INCORRECT, f"/aefProfiles/{index}/aefId", reason)

    # -- Discover by a peer (CAPIF-6/6e)

    def discover_for(self, peer: PeerCaller, query: Iterable[tuple[str, str]]) -> DiscoveredAPIs:
        request = DiscoverQuery.read(query)
        if request.api_invoker_id != peer.ccf_id:
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, "on CAPIF-6/6e api-invoker-id is the requesting CCF"
            )
        with self._parts.database.transaction() as tx:
            shared = shared_apis(tx, self._ccf_id, peer.agreement)
        matches = (matching(api, request) for api in shared)
        return DiscoveredAPIs(tuple(self.outgoing(api) for api in matches if api is not None))


def _require_own_path(peer: PeerCaller, apf_id: str) -> None:
    if apf_id != peer.ccf_id:
        raise ForbiddenError(
            Cause.REQUEST_NOT_AUTHORIZED, "a CCF publishes on CAPIF-6/6e under its own ccfId"
        )
