"""The access control policy across providers (TS 23.222 clauses 8.16 and 8.25; contribution 000 7.2.3).

At the AEF's CCF, an invoker of peer P may use API X at AEF A when X is shared with P (published
with ``shareableInfo.isShareable``, P's provider domain among ``capifProvDoms`` when listed, and the
agreement with P sharing X), active at A, in X's audience (every invoker unless the operator
restricted X, :mod:`impl.store.policy`), and not revoked at A (:func:`store.foreign_denied`).

At the home CCF, its own invoker may use a peer's API unless the home operator restricted it
(:func:`store.in_remote_audience`) or the AEF revoked it and its CCF told the home CCF
(:func:`store.denied_at_peer`, TS 23.222 8.25.2.11): what contribution 000's fallback asks the home
CCF for.
"""

from __future__ import annotations

from impl.apitypes.publish import ServiceAPIDescription
from impl.interconnect import store
from impl.interconnect.agreement import Agreement
from impl.store import Transaction
from impl.store import policy as local_policy
from impl.store.apis import ApiRecord, apis_of_ccf
from impl.store.invokers import invoker


def shared_with(description: ServiceAPIDescription, agreement: Agreement | None) -> bool:
    """Whether this CCF shares ``description`` with the peer (``None``: a CCF without agreement,
    served only under ``interconnect-agreement-check=not-enforced``: APIs shareable with everyone)."""
    shareable = description.shareable_info
    if shareable is None or not shareable.is_shareable:
        return False
    domains = shareable.capif_prov_doms
    if agreement is None:
        return domains is None
    return (domains is None or agreement.provider_domain in domains) and agreement.shares(
        description.api_name
    )


def foreign_may_use(
    tx: Transaction, agreement: Agreement | None, invoker_id: str, api: ApiRecord, aef_id: str
) -> bool:
    """Whether the invoker of another provider may use ``api`` at ``aef_id`` here."""
    active = any(profile.aef_id == aef_id for profile in api.description.active_profiles())
    return (
        active
        and shared_with(api.description, agreement)
        and local_policy.in_audience(tx, api.api_id, invoker_id)
        and not store.foreign_denied(tx, invoker_id, aef_id, api.api_id)
    )


def foreign_usable_apis(
    tx: Transaction, ccf_id: str, agreement: Agreement | None, invoker_id: str
) -> tuple[ServiceAPIDescription, ...]:
    """Every API of this CCF the foreign invoker may use, each restricted to its usable AEF profiles."""
    views = []
    for api in apis_of_ccf(tx, ccf_id):
        aef_ids = frozenset(
            profile.aef_id
            for profile in api.description.active_profiles()
            if foreign_may_use(tx, agreement, invoker_id, api, profile.aef_id)
        )
        if aef_ids:
            views.append(api.description.restricted_to(aef_ids))
    return tuple(views)


def shared_apis(
    tx: Transaction, ccf_id: str, agreement: Agreement | None
) -> tuple[ServiceAPIDescription, ...]:
    """Every API of this CCF shared with the peer (what it discovers here on CAPIF-6/6e)."""
    return tuple(
        api.description for api in apis_of_ccf(tx, ccf_id) if shared_with(api.description, agreement)
    )


def home_may_use(tx: Transaction, invoker_id: str, api: store.RemoteApi, aef_id: str) -> bool:
    """Whether the home CCF's policy lets its onboarded invoker use a peer's API at ``aef_id``."""
    found = invoker(tx, invoker_id)
    active = any(profile.aef_id == aef_id for profile in api.description.active_profiles())
    return (
        found is not None
        and found.onboarded
        and active
        and store.in_remote_audience(tx, api.api_id, invoker_id)
        and not store.denied_at_peer(tx, invoker_id, aef_id, api.api_id)
    )


def home_usable_apis(tx: Transaction, invoker_id: str) -> tuple[tuple[str, ServiceAPIDescription], ...]:
    """Every peer's API the home CCF lets its invoker use, as (peer, restricted view)."""
    views = []
    for api in store.remote_apis(tx):
        aef_ids = frozenset(
            profile.aef_id
            for profile in api.description.active_profiles()
            if home_may_use(tx, invoker_id, api, profile.aef_id)
        )
        if aef_ids:
            views.append((api.peer_ccf_id, api.description.restricted_to(aef_ids)))
    return tuple(views)
