"""TS 29.222 CAPIF_Access_Control_Policy_API query and result (clause 8.6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from impl.apitypes.query import QueryParams, hex_digits, non_empty
from impl.apitypes.reader import JsonObject, JsonValue

_KNOWN = frozenset({"aef-id", "api-invoker-id", "supported-features"})


@dataclass(frozen=True)
class AccessControlPolicyQuery:
    """The query of ``GET /accessControlPolicyList/{serviceApiId}`` (TS 29.222 clause 8.6.2.2.3.1)."""

    aef_id: str
    api_invoker_id: str | None = None
    supported_features: str | None = None

    @classmethod
    def read(cls, pairs: Iterable[tuple[str, str]]) -> AccessControlPolicyQuery:
        query = QueryParams(pairs, known=_KNOWN)
        return cls(
            aef_id=query.required("aef-id", non_empty),
            api_invoker_id=query.optional("api-invoker-id", non_empty),
            supported_features=query.optional("supported-features", hex_digits),
        )


@dataclass(frozen=True)
class AccessControlPolicyList:
    """TS 29.222 ``AccessControlPolicyList``: one ``ApiInvokerPolicy`` per authorized invoker.

    This CCF's policy has no invocation limits or time ranges, so each policy carries only
    ``apiInvokerId`` (the optional limits are absent, meaning unlimited).
    """

    api_invoker_ids: tuple[str, ...]

    def to_json(self) -> JsonObject:
        policies: list[JsonValue] = [{"apiInvokerId": invoker_id} for invoker_id in self.api_invoker_ids]
        return {"apiInvokerPolicies": policies}
