"""TS 29.222 CAPIF_Discover_Service_API query and result (clause 8.1)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from impl.apitypes.problems import BadRequestError, Cause, InvalidParam
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.query import QueryParams, hex_digits, non_empty
from impl.apitypes.reader import JsonObject

_FILTERS = frozenset(
    {
        "api-invoker-id",
        "api-name",
        "api-version",
        "comm-type",
        "protocol",
        "aef-id",
        "data-format",
        "api-cat",
        "supported-features",
        "api-supported-features",
    }
)
_JSON_OBJECT_PARAMETERS = frozenset({"preferred-aef-loc", "ue-ip-addr", "service-kpis"})
_EXPLODED_MEMBERS = frozenset(
    {
        # ue-ip-addr (IpAddrInfo) and service-kpis (ServiceKpis) in the OpenAPI default style for an
        # object in a query (form, exploded): one parameter per member.
        "ipv4Addr",
        "ipv6Addr",
        "maxReqRate",
        "maxRestime",
        "availability",
        "avalComp",
        "avalGraComp",
        "avalMem",
        "avalStor",
        "conBand",
    }
)
IGNORED_PARAMETERS = frozenset({"req-api-prov-name"}) | _JSON_OBJECT_PARAMETERS | _EXPLODED_MEMBERS
"""Rel-18 parameters that are accepted and do not filter: a preference (``preferred-aef-loc``), or
criteria on information this CCF does not hold for a service API (provider name) or does not evaluate
(UE IP ranges, service KPIs). TS 29.222 clause 8.1.2.2.3.1 lets the CCF apply the criteria it supports."""


def _json_object(value: str) -> str:
    """A parameter of ``content: application/json``: a JSON object (then ignored)."""
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):
        raise ValueError("must be a JSON object") from None
    if not isinstance(document, dict):
        raise ValueError("must be a JSON object")
    return value


@dataclass(frozen=True)
class DiscoverQuery:
    """The query of ``GET /allServiceAPIs`` (TS 29.222 clause 8.1.2.2.3.1).

    Every Rel-18 parameter is accepted. The filters compare values as strings: an enumeration value this
    CCF does not know (the enumerations are extensible) matches no API. ``supported-features`` is the
    consumer's features of the Discover API itself, of which this CCF supports none, so it filters
    nothing. The parameters of :data:`IGNORED_PARAMETERS` are read (those carrying JSON must be a JSON
    object) and do not filter.
    """

    api_invoker_id: str
    api_name: str | None = None
    api_version: str | None = None
    comm_type: str | None = None
    protocol: str | None = None
    aef_id: str | None = None
    data_format: str | None = None
    api_cat: str | None = None
    supported_features: str | None = None
    api_supported_features: str | None = None

    @classmethod
    def read(cls, pairs: Iterable[tuple[str, str]]) -> DiscoverQuery:
        query = QueryParams(pairs, known=_FILTERS | IGNORED_PARAMETERS)
        for name in sorted(_JSON_OBJECT_PARAMETERS):
            query.optional(name, _json_object)
        discover = cls(
            api_invoker_id=query.required("api-invoker-id", non_empty),
            api_name=query.optional("api-name", str),
            api_version=query.optional("api-version", str),
            comm_type=query.optional("comm-type", str),
            protocol=query.optional("protocol", str),
            aef_id=query.optional("aef-id", str),
            data_format=query.optional("data-format", str),
            api_cat=query.optional("api-cat", str),
            supported_features=query.optional("supported-features", hex_digits),
            api_supported_features=query.optional("api-supported-features", hex_digits),
        )
        if discover.api_supported_features is not None and discover.api_name is None:
            reason = "may only be present with api-name"
            raise BadRequestError(
                Cause.OPTIONAL_QUERY_PARAM_INCORRECT,
                f"query parameter api-supported-features {reason}",
                [InvalidParam("api-supported-features", reason)],
            )
        return discover


@dataclass(frozen=True)
class DiscoveredAPIs:
    """TS 29.222 ``DiscoveredAPIs``; with no match, ``serviceAPIDescriptions`` is absent (minItems 1)."""

    service_api_descriptions: tuple[ServiceAPIDescription, ...]

    def to_json(self) -> JsonObject:
        if not self.service_api_descriptions:
            return {}
        return {"serviceAPIDescriptions": [api.to_json() for api in self.service_api_descriptions]}
