"""Discovering service APIs (TS 29.222 clause 8.1, CAPIF_Discover_Service_API).

An invoker discovers the APIs it may use under the access control policy (:mod:`impl.ccf.policy`),
each restricted to the AEF profiles that match the filters and that it may use.
"""

from __future__ import annotations

from collections.abc import Iterable

from impl.apitypes.discover import DiscoveredAPIs, DiscoverQuery
from impl.apitypes.problems import Cause, ForbiddenError, NotFoundError
from impl.apitypes.publish import AefProfile, ServiceAPIDescription
from impl.ccf.core import CoreParts
from impl.ccf.identity import Caller, Role
from impl.ccf.policy import usable_apis
from impl.store.invokers import invoker


class DiscoverService:
    """CAPIF_Discover_Service_API (TS 29.222 clause 8.1)."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def discover(self, caller: Caller, query: Iterable[tuple[str, str]]) -> DiscoveredAPIs:
        """``GET /allServiceAPIs?api-invoker-id=...&...``: only for the invoker itself."""
        request = DiscoverQuery.read(query)
        if not caller.is_(Role.INVOKER, request.api_invoker_id):
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "an API invoker discovers only for itself")
        with self._parts.database.transaction() as tx:
            found = invoker(tx, request.api_invoker_id)
            if found is None or not found.onboarded:
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"no onboarded API invoker {request.api_invoker_id}"
                )
            candidates = usable_apis(tx, self._parts.config.ccf_id, request.api_invoker_id)
        matches = (matching(api, request) for api in candidates)
        return DiscoveredAPIs(tuple(api for api in matches if api is not None))


def matching(api: ServiceAPIDescription, query: DiscoverQuery) -> ServiceAPIDescription | None:
    """The API restricted to the AEF profiles matching the query's filters, or None (TS 29.222 8.1)."""
    if query.api_name is not None and api.api_name != query.api_name:
        return None
    if query.api_cat is not None and api.service_api_category != query.api_cat:
        return None
    if query.api_supported_features is not None and not _has_features(
        api.api_supp_feats or "", query.api_supported_features
    ):
        return None
    aef_ids = frozenset(profile.aef_id for profile in api.aef_profiles if _profile_matches(profile, query))
    return api.restricted_to(aef_ids) if aef_ids else None


def _profile_matches(profile: AefProfile, query: DiscoverQuery) -> bool:
    versions = profile.versions
    return (
        (query.aef_id is None or profile.aef_id == query.aef_id)
        and (query.protocol is None or profile.protocol == query.protocol)
        and (query.data_format is None or profile.data_format == query.data_format)
        and (query.api_version is None or any(v.api_version == query.api_version for v in versions))
        and (query.comm_type is None or any(query.comm_type in v.comm_types() for v in versions))
    )


def _has_features(offered: str, wanted: str) -> bool:
    """Whether the ``SupportedFeatures`` bitmask ``offered`` has every bit of ``wanted`` (TS 29.571)."""
    offered_bits = int(offered or "0", 16)
    wanted_bits = int(wanted or "0", 16)
    return offered_bits & wanted_bits == wanted_bits
