"""HTTPS/1.1 server and client for the CAPIF services, over the TLS modes of :mod:`impl.tls`.

Server side: register handlers on a :class:`Router` with TS 29.222 path templates, serve them with
:class:`HttpsServer`; a handler takes a :class:`Request` and returns a :class:`Response`, or raises
:class:`ProblemDetails` / :class:`AccessTokenErr`. Client side: :class:`HttpsClient`, whose
:class:`ClientResponse` carries the TLS peer of the connection that carried it.
"""

from impl.http.client import (
    ClientResponse,
    HttpClientError,
    HttpConnectionError,
    HttpResponseError,
    HttpsClient,
)
from impl.http.headers import Headers
from impl.http.message import HttpLimits
from impl.http.problem import AccessTokenErr, InvalidParam, ProblemDetails
from impl.http.request import Request
from impl.http.response import Response
from impl.http.router import Handler, Router
from impl.http.server import ErrorTranslator, HttpsServer

__all__ = [
    "AccessTokenErr",
    "ClientResponse",
    "ErrorTranslator",
    "Handler",
    "Headers",
    "HttpClientError",
    "HttpConnectionError",
    "HttpLimits",
    "HttpResponseError",
    "HttpsClient",
    "HttpsServer",
    "InvalidParam",
    "ProblemDetails",
    "Request",
    "Response",
    "Router",
]
