"""The replayer's connections: an API invoker call turned into an :class:`Observation`
(:func:`attempt`), and a CAPIF-2e connection kept open between the steps of a trace (:class:`Session`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from impl.http import ClientResponse, HttpClientError, HttpsClient
from impl.invoker import AefTarget, ConnectionFailedError, InvokerError, RefusedError
from impl.tls import ClientTls, TlsError, TlsHandshakeError
from replay.observation import HANDSHAKE_REFUSED, Observation, accepted, failed, refusal_name, refused

CHECK_AUTHENTICATION = "/aef-security/v1/check-authentication"
_Result = TypeVar("_Result")


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


def refusal_of(response: ClientResponse) -> Observation:
    """The refusal a response carries: its status and ProblemDetails ``cause``, or its
    ``AccessTokenErr`` ``error`` (RFC 6749 clause 5.2)."""
    problem = response.problem()
    if problem is not None and problem.cause is not None:
        return refused(refusal_name(response.status, problem.cause), problem.detail)
    return _access_token_error(response) or refused(str(response.status))


def token_refusal_of(response: ClientResponse) -> Observation:
    """The refusal a response carries: the ``AccessTokenErr`` ``error`` (RFC 6749 clause 5.2) if it
    has one, else its ProblemDetails ``cause``."""
    return _access_token_error(response) or refusal_of(response)


def _access_token_error(response: ClientResponse) -> Observation | None:
    """The ``AccessTokenErr`` ``error`` and ``error_description`` (RFC 6749 clause 5.2) of a response
    whose body is one, else None."""
    try:
        document = response.json()
    except HttpClientError:
        return None
    if not (isinstance(document, dict) and isinstance(document.get("error"), str)):
        return None
    description = document.get("error_description")
    return refused(
        refusal_name(response.status, document["error"]),
        description if isinstance(description, str) else None,
    )


def _answer(response: ClientResponse) -> Observation:
    """200 with its JSON body, or the refusal the response carries."""
    if response.status == 200:
        try:
            return accepted("200 OK", response.json())
        except HttpClientError:
            return failed("200 without a JSON body")
    return refusal_of(response)


def exchanged(exchange: Callable[[], ClientResponse]) -> tuple[ClientResponse | None, Observation | None]:
    """Run one exchange; a refused handshake or a transport failure becomes the observation."""
    try:
        return exchange(), None
    except TlsHandshakeError as error:
        return None, refused(HANDSHAKE_REFUSED, error.reason)
    except (TlsError, HttpClientError, OSError) as error:
        return None, failed(f"no answer: {error}")


class Session:
    """One CAPIF-2e TLS connection to an AEF interface, kept open across steps (a model session)."""

    def __init__(self, target: AefTarget, tls: ClientTls, *, timeout: float = 10.0) -> None:
        self.target = target
        self._client = HttpsClient(tls, target.host, target.port, timeout=timeout)

    def _exchange(self, exchange: Callable[[], ClientResponse]) -> Observation:
        response, problem = exchanged(exchange)
        return _answer(response) if response is not None else problem or failed("no answer")

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

    def check_authentication(self, api_invoker_id: str, home_ccf_id: str | None = None) -> Observation:
        """The Authentication Initiation Request on this connection (TS 33.122 clauses 6.5.2.1 and
        6.5.2.2; TS 29.222 AEF_Security_API ``check-authentication``), naming the invoker's home CCF
        at an AEF of another provider (``ccfId``, non-standard; contribution 001 6.X.3.1)."""
        path = self.target.api_prefix + CHECK_AUTHENTICATION
        body = {"apiInvokerId": api_invoker_id, "supportedFeatures": "0"}
        if home_ccf_id is not None:
            body["ccfId"] = home_ccf_id
        return self._exchange(lambda: self._client.post_json(path, body))

    def close(self) -> None:
        self._client.close()


def one_request(target: AefTarget, tls: ClientTls, path: str, headers: Mapping[str, str]) -> Observation:
    """``GET`` on a connection of its own, closed after the answer."""
    session = Session(target, tls)
    try:
        return session.get(path, headers)
    finally:
        session.close()
