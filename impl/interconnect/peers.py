"""A CCF's peers on CAPIF-6/6e: their agreements and clients, who is calling, how a peer's fault
reaches the CCF's own client, and how the AEF's CCF finds an invoker's home CCF.

Peer faults fail closed with **503 Service Unavailable**, cause ``PEER_CCF_UNAVAILABLE``, naming the
peer and what went wrong: TS 29.222 lists 503 (and 500) for every CAPIF operation, the client's
request was sound (a 4xx would blame it), and nothing was decided or stored. A peer's explicit refusal
is passed on with its own status and cause (``PEER_CCF_REFUSED`` when it gave none).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from impl import pki
from impl.apitypes.problems import (
    Cause,
    ForbiddenError,
    NotFoundError,
    ProblemError,
    ServiceUnavailableError,
)
from impl.ccf.identity import issuing_ccf
from impl.interconnect.agreement import Agreement, Agreements
from impl.interconnect.client import PeerClient, PeerError, PeerRefusedError, capif6_client_tls
from impl.lifecycle import Closable
from impl.settings import Capif6Protection, HomeCcfResolution, Settings


@dataclass(frozen=True)
class PeerCaller:
    """A CCF authenticated on CAPIF-6/6e (or, without protection, the one it claims to be), and the
    agreement with it (None only under ``interconnect-agreement-check=not-enforced``)."""

    ccf_id: str
    agreement: Agreement | None


class Peers(Closable):
    """The agreements of CCF ``own_ccf_id`` and one :class:`PeerClient` per agreement."""

    def __init__(
        self, own_ccf_id: str, credential: pki.CertifiedKey, settings: Settings, *, timeout: float
    ) -> None:
        self.own_ccf_id = own_ccf_id
        self.agreements = Agreements()
        self._credential = credential
        self._settings = settings
        self._timeout = timeout
        self._clients: dict[str, PeerClient] = {}
        self._lock = threading.Lock()

    def add(self, agreement: Agreement) -> None:
        """Agree with a peer (or replace the agreement); its client is (re)built."""
        if agreement.ccf_id == self.own_ccf_id:
            raise ValueError("a CCF has no agreement with itself")
        client = PeerClient(
            self.own_ccf_id,
            agreement,
            capif6_client_tls(self._settings.capif6_protection, agreement, self._credential),
            authenticated=self._settings.capif6_protection is not Capif6Protection.UNSAFE_NONE,
            timeout=self._timeout,
        )
        with self._lock:
            previous = self._clients.get(agreement.ccf_id)
            self.agreements.add(agreement)
            self._clients[agreement.ccf_id] = client
        if previous is not None:
            previous.close()

    def client(self, ccf_id: str) -> PeerClient | None:
        with self._lock:
            return self._clients.get(ccf_id)

    def require_client(self, ccf_id: str) -> PeerClient:
        """The client of an interconnected peer, or 404: no agreement, hence no address to ask."""
        found = self.client(ccf_id)
        if found is None:
            raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"no interconnected CCF {ccf_id}")
        return found

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def peer_failure(error: PeerError) -> ProblemError:
    """The answer to the CCF's own client when a peer failed (see the module docstring)."""
    if isinstance(error, PeerRefusedError):
        detail = f"the peer CCF {error.peer} refused: {error.detail or error.code or error.status}"
        if error.status == 404:
            return NotFoundError(Cause.RESOURCE_NOT_FOUND, detail)
        try:
            cause = Cause(error.code) if error.code else Cause.PEER_CCF_REFUSED
        except ValueError:
            cause = Cause.PEER_CCF_REFUSED
        return ForbiddenError(cause, detail)
    return ServiceUnavailableError(Cause.PEER_CCF_UNAVAILABLE, f"peer CCF {error.peer}: {error.reason}")


def resolve_home(resolution: HomeCcfResolution, api_invoker_id: str, supplied: str | None) -> str:
    """The CCF the AEF's CCF asks for an invoker's security information (``home-ccf-resolution``):
    the CCF the invoker ID names (``resolved-from-invoker-id``); the CCF the invoker supplied in its
    Authentication Initiation Request, if the invoker ID names the same (``invoker-supplied-validated``);
    the supplied CCF as is (``invoker-supplied``, contribution 002 NOTE X; the issuer when none was
    supplied). 403 when validation fails, 404 when nothing names a CCF."""
    named = issuing_ccf(api_invoker_id)
    if resolution is HomeCcfResolution.RESOLVED_FROM_INVOKER_ID:
        home = named
    elif resolution is HomeCcfResolution.INVOKER_SUPPLIED_VALIDATED:
        if supplied is not None and supplied != named:
            detail = f"the invoker names CCF {supplied}, but its ID was issued by {named or 'no CCF'}"
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
        home = named
    else:
        home = supplied or named
    if home is None:
        raise NotFoundError(
            Cause.RESOURCE_NOT_FOUND, f"no home CCF is known for API invoker {api_invoker_id}"
        )
    return home


def speaks_for(resolution: HomeCcfResolution, peer: PeerCaller, api_invoker_id: str) -> bool:
    """Whether a peer may speak for an invoker (relay its negotiation or token request): its home as
    the invoker ID names it; any peer under ``invoker-supplied``, which checks nothing."""
    return (
        resolution is HomeCcfResolution.UNSAFE_INVOKER_SUPPLIED or issuing_ccf(api_invoker_id) == peer.ccf_id
    )
