"""Notifications the CCF produces for the HTTP layer to deliver (TS 29.222 clause 8.5.2.2.3.1 callback)."""

from __future__ import annotations

from dataclasses import dataclass

from impl.apitypes.security import SecurityNotification
from impl.ccf.identity import Caller


@dataclass(frozen=True)
class PendingNotification:
    """A ``SecurityNotification`` to deliver.

    To an invoker: ``destination`` is the ``notificationDestination`` of its security context.
    To an AEF: ``destination`` is None; TS 29.222 gives the CCF no AEF callback address, so the HTTP
    layer delivers it where it knows the AEF listens (or the AEF learns it at its next query).
    """

    recipient: Caller
    destination: str | None
    body: SecurityNotification
