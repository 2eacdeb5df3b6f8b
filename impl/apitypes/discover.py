"""TS 29.222 CAPIF_Discover_Service_API query and result (clause 8.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from impl.apitypes.enums import CommunicationType, DataFormat, Protocol
from impl.apitypes.problems import BadRequestError, Cause, InvalidParam
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.query import QueryParams, hex_digits, non_empty
from impl.apitypes.reader import JsonObject

E = TypeVar("E", bound=StrEnum)

_SUPPORTED = frozenset(
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
_NOT_SUPPORTED = frozenset({"preferred-aef-loc", "req-api-prov-name", "ue-ip-addr", "service-kpis"})


def _member_of(enum_type: type[E]) -> Callable[[str], E]:
    def parse(value: str) -> E:
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_type)
            raise ValueError(f"must be one of {allowed}") from None

    return parse


def _not_supported(value: str) -> str:
    raise ValueError("is not supported by this CAPIF core function")


@dataclass(frozen=True)
class DiscoverQuery:
    """The query of ``GET /allServiceAPIs`` (TS 29.222 clause 8.1.2.2.3.1).

    ``preferred-aef-loc``, ``req-api-prov-name``, ``ue-ip-addr`` and ``service-kpis`` are refused as
    not supported rather than ignored, so a caller never mistakes an unfiltered answer for a filtered one.
    """

    api_invoker_id: str
    api_name: str | None = None
    api_version: str | None = None
    comm_type: CommunicationType | None = None
    protocol: Protocol | None = None
    aef_id: str | None = None
    data_format: DataFormat | None = None
    api_cat: str | None = None
    supported_features: str | None = None
    api_supported_features: str | None = None

    @classmethod
    def read(cls, pairs: Iterable[tuple[str, str]]) -> DiscoverQuery:
        query = QueryParams(pairs, known=_SUPPORTED | _NOT_SUPPORTED)
        for name in sorted(_NOT_SUPPORTED):
            query.optional(name, _not_supported)
        discover = cls(
            api_invoker_id=query.required("api-invoker-id", non_empty),
            api_name=query.optional("api-name", non_empty),
            api_version=query.optional("api-version", non_empty),
            comm_type=query.optional("comm-type", _member_of(CommunicationType)),
            protocol=query.optional("protocol", _member_of(Protocol)),
            aef_id=query.optional("aef-id", non_empty),
            data_format=query.optional("data-format", _member_of(DataFormat)),
            api_cat=query.optional("api-cat", non_empty),
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
