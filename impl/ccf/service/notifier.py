"""Delivery of the CCF's ``SecurityNotification``s (TS 29.222 clause 8.5; TS 33.122 clauses 6.2, 6.6).

* To an AEF: ``POST {apiRoot}/aef-security/v1/revoke-authorization`` with a ``RevokeAuthorizationReq``
  (TS 29.222 AEF_Security_API) over CAPIF-3, mutual TLS with the CCF's certificate. TS 29.222 gives
  the CCF no AEF address, so the CCF is configured with one per AEF (:meth:`Notifier.set_aef_endpoint`,
  done by the deployment after registration).
* To an invoker: ``POST {notificationDestination}`` with the ``SecurityNotification`` (the callback of
  ``PUT trustedInvokers``), over HTTPS whose server certificate chains to the CAPIF CA.

Delivery is synchronous and made once, after the refusing or revoking transaction has committed, so a
handler that answers has already told every reachable AEF. A failed delivery is logged: the AEF then
still holds the invoker's security information until it asks the CCF again (the next check-authentication,
or a request after a cache miss), where the CCF answers from its committed state.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from impl.apitypes.aef_security import RevokeAuthorizationReq
from impl.ccf import PendingNotification, Role
from impl.ccf.notifications import undeliverable
from impl.http import HttpClientError, HttpsClient
from impl.tls import ClientTls, TlsError

REVOKE_AUTHORIZATION_PATH = "/aef-security/v1/revoke-authorization"
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class AefEndpoint:
    """Where an AEF serves its CAPIF-3 side of the AEF_Security_API: ``https://host:port{api_prefix}``."""

    host: str
    port: int
    server_name: str
    api_prefix: str = ""


class Notifier:
    """Sends pending notifications over ``tls`` (the CCF's client certificate, CAPIF CA trusted)."""

    def __init__(self, tls: ClientTls, *, timeout: float = 5.0) -> None:
        self._tls = tls
        self._timeout = timeout
        self._aefs: dict[str, AefEndpoint] = {}
        self._lock = threading.Lock()

    def set_aef_endpoint(self, aef_id: str, endpoint: AefEndpoint) -> None:
        """Where AEF ``aef_id`` receives ``revoke-authorization``."""
        with self._lock:
            self._aefs[aef_id] = endpoint

    def deliver(self, notifications: Iterable[PendingNotification]) -> None:
        """Deliver each notification once; failures are logged, never raised to the caller."""
        for notification in notifications:
            try:
                if notification.recipient.role is Role.AEF:
                    self._to_aef(notification)
                else:
                    self._to_invoker(notification)
            except (HttpClientError, TlsError, OSError, ValueError) as error:
                recipient = notification.recipient
                _LOG.warning("notification to %s %s not delivered: %s", recipient.role, recipient.id, error)

    def _to_aef(self, notification: PendingNotification) -> None:
        with self._lock:
            endpoint = self._aefs.get(notification.recipient.id)
        if endpoint is None:
            raise ValueError("no AEF_Security_API endpoint is configured for this AEF")
        request = RevokeAuthorizationReq(revoke_info=notification.body, supported_features="0")
        path = endpoint.api_prefix + REVOKE_AUTHORIZATION_PATH
        self._post(endpoint.host, endpoint.port, endpoint.server_name, path, request.to_json())

    def _to_invoker(self, notification: PendingNotification) -> None:
        if notification.destination is None:
            raise ValueError("the invoker gave no notification destination")
        reason = undeliverable(notification.destination)
        if reason is not None:
            raise ValueError(f"the notification destination {reason}")
        parts = urllib.parse.urlsplit(notification.destination)
        assert parts.hostname is not None
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        self._post(parts.hostname, parts.port or 443, parts.hostname, path, notification.body.to_json())

    def _post(self, host: str, port: int, server_name: str, path: str, document: object) -> None:
        """POST ``document``; a status other than 2xx (200 for AEFs, 204 for invokers) is a failure."""
        with HttpsClient(
            self._tls, host, port, server_name=server_name, timeout=self._timeout, persistent=False
        ) as client:
            response = client.post_json(path, document)
        if not 200 <= response.status < 300:
            raise ValueError(f"the recipient answered {response.status}")
