"""What the replayer sees of a request: an :class:`Observation`, and the CAPIF-2e connections it keeps
open between the steps of a trace (:class:`Session`).

A refusal is named the way the implementation documents it: ``"<status> <cause>"`` with the
ProblemDetails ``cause`` (TS 29.122) or the ``AccessTokenErr`` ``error`` (RFC 6749 clause 5.2), or
``"TLS handshake refused"`` when the AEF refuses at TLS (an unknown PSK identity, TS 33.122 clause
6.5.2.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.invoker import AefTarget, ConnectionFailedError, InvokerError, RefusedError
from impl.tls import ClientTls, TlsError, TlsHandshakeError

HANDSHAKE_REFUSED = "TLS handshake refused"
CHECK_AUTHENTICATION = "/aef-security/v1/check-authentication"
_Result = TypeVar("_Result")


@dataclass(frozen=True)
class Observation:
    """The outcome of one step as the target gave it: ``accepted``, and a one-line ``summary``;
    ``refusal`` names a refusal as documented (``"401 invalid_client"``), None otherwise."""

    accepted: bool
    summary: str
    refusal: str | None = None
    body: object = None


def accepted(summary: str, body: object = None) -> Observation:
    return Observation(True, summary, None, body)


def failed(summary: str) -> Observation:
    """Not accepted, without a documented refusal (the target answered something else)."""
    return Observation(False, summary)


def refused(refusal: str, detail: str | None = None) -> Observation:
    return Observation(False, refusal + (f" ({detail})" if detail else ""), refusal)


def refusal_name(status: int, cause: str | None) -> str:
    return f"{status} {cause}" if cause else str(status)


def attempt(call: Callable[[], _Result]) -> tuple[_Result | None, Observation | None]:
    """Run an API invoker call; a refusal or failure becomes the observation (the result is None)."""
    try:
        return call(), None
    except RefusedError as error:
        return None, refused(refusal_name(error.status, error.cause), error.detail)
    except ConnectionFailedError as error:
        if error.handshake_refused:
            return None, refused(HANDSHAKE_REFUSED, str(error))
        return None, failed(f"no answer: {error}")
    except InvokerError as error:
        return None, failed(str(error))


def _answer(response: ClientResponse) -> Observation:
    """200 with its JSON body, or the refusal the response carries."""
    if response.status == 200:
        try:
            return accepted("200 OK", response.json())
        except HttpClientError:
            return failed("200 without a JSON body")
    problem = response.problem()
    if problem is not None and problem.cause is not None:
        return refused(refusal_name(response.status, problem.cause), problem.detail)
    return refused(str(response.status))


class Session:
    """One CAPIF-2e TLS connection to an AEF interface, kept open across steps (a model session)."""

    def __init__(self, target: AefTarget, tls: ClientTls, *, timeout: float = 10.0) -> None:
        self.target = target
        self._client = HttpsClient(tls, target.host, target.port, timeout=timeout)

    def _exchange(self, exchange: Callable[[], ClientResponse]) -> Observation:
        try:
            return _answer(exchange())
        except TlsHandshakeError as error:
            return refused(HANDSHAKE_REFUSED, error.reason)
        except (TlsError, HttpClientError, OSError) as error:
            return failed(f"no answer: {error}")

    def open(self) -> Observation:
        """The TLS handshake."""
        try:
            self._client.connect()
        except TlsHandshakeError as error:
            return refused(HANDSHAKE_REFUSED, error.reason)
        except (TlsError, HttpClientError, OSError) as error:
            return failed(f"no connection: {error}")
        return accepted("TLS handshake completed")

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Observation:
        """``GET`` a resource (its TS 29.122 clause 5.2.4 path) on this connection."""
        return self._exchange(lambda: self._client.get(path, headers=headers))

    def check_authentication(self, api_invoker_id: str) -> Observation:
        """The Authentication Initiation Request on this connection (TS 33.122 clauses 6.5.2.1 and
        6.5.2.2; TS 29.222 AEF_Security_API ``check-authentication``)."""
        path = self.target.api_prefix + CHECK_AUTHENTICATION
        body = {"apiInvokerId": api_invoker_id, "supportedFeatures": "0"}
        return self._exchange(lambda: self._client.post_json(path, body))

    def close(self) -> None:
        self._client.close()


def then(first: Observation | None, second: Observation) -> Observation:
    """``second``, its summary preceded by ``first``'s when there was one."""
    if first is None:
        return second
    return Observation(second.accepted, f"{first.summary}; {second.summary}", second.refusal, second.body)
