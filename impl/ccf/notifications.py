"""Notifications the CCF produces for the HTTP layer to deliver (TS 29.222 clause 8.5.2.2.3.1 callback),
and which notification destinations it delivers to at all."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from impl.apitypes.problems import Cause, invalid_body
from impl.apitypes.security import SecurityNotification
from impl.ccf.identity import Caller


def undeliverable(destination: str) -> str | None:
    """Why the CCF would not deliver to ``destination``, or None when it would.

    Notifications travel over HTTPS only: the communication between the CAPIF and the API invoker is
    confidentiality and integrity protected (TS 23.222 clause 4.3.2, AR-4.3.2-h and -i), and the CCF
    authenticates the receiver's server certificate. So the destination must be an absolute ``https``
    URI with a host and a valid port.
    """
    try:
        parts = urllib.parse.urlsplit(destination)
        port = parts.port
    except ValueError as error:
        return f"is not a usable URI: {error}"
    if parts.scheme != "https":
        return "must be an https URI: notifications are delivered over TLS only"
    if not parts.hostname:
        return "must name a host"
    if port == 0:
        return "must not name port 0"
    return None


def require_deliverable(destination: str) -> None:
    """400 naming ``/notificationDestination`` when the CCF would not deliver to ``destination``:
    refused when submitted, never accepted and silently dropped later."""
    reason = undeliverable(destination)
    if reason is not None:
        raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/notificationDestination", reason)


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
