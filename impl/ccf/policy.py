"""Evaluating the access control policy (TS 23.222 clause 8.16; data model in :mod:`impl.store.policy`).

An invoker may use API X at AEF A when X is published by this CCF with an active profile for A
(TS 29.222 ``ApiStatus``), the invoker is in X's audience (every onboarded invoker unless the operator
restricted X), and no revocation denies (invoker, A, X).
"""

from __future__ import annotations

from impl.apitypes.publish import ServiceAPIDescription
from impl.store import policy
from impl.store.apis import ApiRecord, apis_of_ccf
from impl.store.database import Transaction


def may_use(tx: Transaction, invoker_id: str, api: ApiRecord, aef_id: str) -> bool:
    active = any(profile.aef_id == aef_id for profile in api.description.active_profiles())
    return (
        active
        and policy.in_audience(tx, api.api_id, invoker_id)
        and not policy.is_denied(tx, invoker_id, aef_id, api.api_id)
    )


def usable_view(tx: Transaction, invoker_id: str, api: ApiRecord) -> ServiceAPIDescription | None:
    """The API as the invoker may use it (only its usable AEF profiles), or None when it may not."""
    aef_ids = frozenset(
        profile.aef_id
        for profile in api.description.active_profiles()
        if may_use(tx, invoker_id, api, profile.aef_id)
    )
    return api.description.restricted_to(aef_ids) if aef_ids else None


def usable_apis(tx: Transaction, ccf_id: str, invoker_id: str) -> tuple[ServiceAPIDescription, ...]:
    """Every API of the CCF the invoker may use, each restricted to its usable AEF profiles."""
    views = (usable_view(tx, invoker_id, api) for api in apis_of_ccf(tx, ccf_id))
    return tuple(view for view in views if view is not None)
