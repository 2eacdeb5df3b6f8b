"""Checks shared by the services: who may act on an invoker, and that the invoker is onboarded."""

from __future__ import annotations

from impl.apitypes.problems import Cause, ForbiddenError, NotFoundError
from impl.ccf.identity import Caller, Role
from impl.store.database import Transaction
from impl.store.invokers import InvokerRecord, invoker


def require_invoker_itself(caller: Caller, api_invoker_id: str) -> None:
    """403 unless the caller is the API invoker ``api_invoker_id`` (authenticated on CAPIF-1e)."""
    if not caller.is_(Role.INVOKER, api_invoker_id):
        raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "only the API invoker itself may do this")


def onboarded_invoker(tx: Transaction, api_invoker_id: str) -> InvokerRecord:
    """The onboarded invoker, or 404 (unknown and offboarded invokers alike)."""
    found = invoker(tx, api_invoker_id)
    if found is None or not found.onboarded:
        raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"no onboarded API invoker {api_invoker_id}")
    return found
