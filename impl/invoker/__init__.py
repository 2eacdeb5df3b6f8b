"""The API invoker (TS 23.222 clause 6): a library (:class:`ApiInvoker`) and a command line
(:mod:`impl.invoker.cli`) that onboard, discover, negotiate, obtain tokens and invoke over each
CAPIF-2e method."""

from impl.invoker.client import ApiInvoker, CcfEndpoint, InvokerIdentity
from impl.invoker.errors import ConnectionFailedError, InvokerError, RefusedError
from impl.invoker.targets import AefTarget, Negotiated

__all__ = [
    "AefTarget",
    "ApiInvoker",
    "CcfEndpoint",
    "ConnectionFailedError",
    "InvokerError",
    "InvokerIdentity",
    "Negotiated",
    "RefusedError",
]
