"""What can go wrong for an API invoker, as exception types its callers tell apart."""

from __future__ import annotations

SECURITY_METHOD_MISMATCH = "SECURITY_METHOD_MISMATCH"


class InvokerError(Exception):
    """An API invoker operation failed; the message says which and why."""


class RefusedError(InvokerError):
    """A CAPIF function refused a request: HTTP ``status``, the ProblemDetails ``cause`` (or the
    ``AccessTokenErr`` ``error`` code) and its ``detail``."""

    def __init__(self, what: str, status: int, cause: str | None, detail: str | None) -> None:
        super().__init__(
            f"{what}: refused with {status}"
            + (f" {cause}" if cause else "")
            + (f" ({detail})" if detail else "")
        )
        self.status = status
        self.cause = cause
        self.detail = detail

    @property
    def is_method_mismatch(self) -> bool:
        """The AEF says the security method no longer matches (contribution 004): re-negotiate."""
        return self.cause == SECURITY_METHOD_MISMATCH


class ConnectionFailedError(InvokerError):
    """No answer: the TCP connection, the TLS handshake (``handshake_refused``) or the exchange failed."""

    def __init__(self, what: str, reason: str, *, handshake_refused: bool) -> None:
        super().__init__(f"{what}: {reason}")
        self.handshake_refused = handshake_refused
