"""Exceptions of the TLS layer: one type per failure a caller must tell apart."""


class TlsError(Exception):
    """A TLS failure on an established connection (alert, bad record); ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TlsHandshakeError(TlsError):
    """The TLS handshake failed or the peer refused it (no shared version or cipher, certificate not
    trusted or expired, client certificate missing, unknown PSK identity, wrong PSK, timeout).

    With TLS 1.3 a server refuses a client certificate after the client's side of the handshake has
    completed; such a refusal arriving before the first response byte is reported as this error too.
    """


class TlsConfigurationError(ValueError):
    """A TLS endpoint was configured inconsistently (for example client authentication without a CA)."""
