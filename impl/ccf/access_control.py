"""The access control policy list for an AEF (TS 29.222 clause 8.6, CAPIF_Access_Control_Policy_API).

Derived, not stored: the invokers listed for (service API, AEF) are those holding a live security
context entry that covers the API at that AEF and that the policy (:mod:`impl.ccf.policy`) allows.
"""

from __future__ import annotations

from collections.abc import Iterable

from impl.apitypes.acl import AccessControlPolicyList, AccessControlPolicyQuery
from impl.apitypes.problems import Cause, ForbiddenError, NotFoundError
from impl.ccf.core import CoreParts
from impl.ccf.identity import Caller, Role
from impl.ccf.policy import may_use
from impl.ccf.security_targets import live_entries
from impl.store import apis, contexts


class AccessControlService:
    """CAPIF_Access_Control_Policy_API ``accessControlPolicyList/{serviceApiId}``."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def policy_list(
        self, caller: Caller, service_api_id: str, query: Iterable[tuple[str, str]]
    ) -> AccessControlPolicyList:
        """For the AEF named by ``aef-id``, which must be the caller."""
        request = AccessControlPolicyQuery.read(query)
        if not caller.is_(Role.AEF, request.aef_id):
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, "an AEF reads only its own access control list"
            )
        ccf_id = self._parts.config.ccf_id
        with self._parts.database.transaction() as tx:
            record = apis.api(tx, service_api_id)
            if record is None or all(p.aef_id != request.aef_id for p in record.description.aef_profiles):
                detail = f"no service API {service_api_id} published at AEF {request.aef_id}"
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)
            candidates = sorted(
                {entry.api_invoker_id for entry in contexts.entries_at_aef(tx, request.aef_id)}
            )
            if request.api_invoker_id is not None:
                candidates = [c for c in candidates if c == request.api_invoker_id]
            allowed = tuple(
                invoker_id
                for invoker_id in candidates
                if may_use(tx, invoker_id, record, request.aef_id)
                and any(
                    service_api_id in live.target.api_ids
                    for live in live_entries(tx, invoker_id, ccf_id, aef_id=request.aef_id)
                )
            )
        return AccessControlPolicyList(allowed)
