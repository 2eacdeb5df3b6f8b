"""What one end of a TLS connection knows about the other after the handshake."""

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509

from impl.tls.profile import TlsVersion

Exporter = Callable[[bytes, int, bytes | None], bytes]


@dataclass(frozen=True)
class Capif1eKeying:
    """Keying material of a CAPIF-1e session, the input of AEFPSK (TS 33.122 Annex A.1).

    TLS 1.2: ``master_secret`` (48 octets, RFC 5246 clause 8.1) and ``session_id`` (1 to 32 octets,
    from a full handshake: the CAPIF-1e endpoint issues session IDs and never resumes). TLS 1.3 has
    neither (both ``None``); its mapping uses :meth:`export_keying_material` (RFC 8446 clause 7.5), a
    documented deviation implemented in :mod:`impl.aefpsk`. Both ends of one session hold equal values.
    """

    tls_version: TlsVersion
    master_secret: bytes | None = field(repr=False)
    session_id: bytes | None
    exporter: Exporter = field(repr=False, compare=False)

    def export_keying_material(self, label: bytes, length: int, context: bytes | None = None) -> bytes:
        """The TLS exporter of this session: RFC 5705 under TLS 1.2, RFC 8446 clause 7.5 under 1.3."""
        return self.exporter(label, length, context)


@dataclass(frozen=True)
class TlsPeer:
    """The authenticated peer of a connection.

    ``certificate``: the peer's certificate, verified against the configured CA (``None`` when it sent
    none, or on a PSK connection). ``psk_identity``: on a TLS-PSK connection the identity whose key the
    peer proved it holds (on CAPIF-2e the API invoker ID). ``capif1e_keying``: set on CAPIF-1e only.
    """

    tls_version: TlsVersion
    cipher: str
    certificate: x509.Certificate | None = None
    psk_identity: str | None = None
    capif1e_keying: Capif1eKeying | None = None
