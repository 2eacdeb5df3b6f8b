"""AEFPSK: the pre-shared key for CAPIF-2e TLS-PSK between API invoker and AEF (TS 33.122 Annex A.1).

``AEFPSK = HMAC-SHA-256(K, S)`` with the generic KDF of TS 33.220 Annex B.2:
``S = FC || P0 || L0 || P1 || L1``, ``FC = 0x7A``, ``P0`` = service API interface information,
``P1`` = CAPIF-1e TLS session ID, ``Li`` = length of ``Pi`` as two octets, big-endian; ``K`` = the
master secret of the CAPIF-1e TLS session.

Encoding of ``P0`` (TS 33.122 leaves it open; chosen here, see :meth:`ServiceApiInterface.kdf_p0`):
the UTF-8 octets of ``host:port`` followed by the ``apiPrefix``, built from the AEF's
``InterfaceDescription`` (TS 29.222 CAPIF_Publish_Service_API). ``host`` is the FQDN in lower case
without a trailing dot, the IPv4 address in dotted-quad form, or the IPv6 address in RFC 5952 text form
within brackets; the port is always written (443 when the description omits it); the prefix is empty or
starts with ``/``. Both ends hold exactly these fields (the invoker from Discover, the AEF from its own
profile), the canonical form makes them produce the same octets, and port and prefix keep two
interfaces on one host apart.

TLS 1.3 has neither master secret nor session ID, so :func:`derive_aefpsk_tls13` is a DEVIATION from
TS 33.122 Annex A.1, documented there.
"""

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

AEFPSK_FC = 0x7A
TLS12_MASTER_SECRET_LENGTH = 48
TLS12_MAX_SESSION_ID_LENGTH = 32
MAX_PARAMETER_LENGTH = 0xFFFF
HTTPS_DEFAULT_PORT = 443
TLS13_EXPORTER_LABEL = b"EXPORTER-3GPP-CAPIF-AEFPSK"
TLS13_EXPORTER_LENGTH = 32
_FQDN_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_API_PREFIX = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*")
_MAX_FQDN_LENGTH = 253


class AefpskInputError(ValueError):
    """An input to the AEFPSK derivation is missing, malformed or too long (TS 33.122 Annex A.1)."""


class KeyingMaterialExporter(Protocol):
    """A TLS exporter (RFC 8446 clause 7.5): ``export(label, length, context) -> bytes``.

    The parameter order is that of pyOpenSSL's ``Connection.export_keying_material``.
    """

    def __call__(self, label: bytes, olen: int, context: bytes, /) -> bytes: ...


def _canonical_fqdn(fqdn: str) -> str:
    name = fqdn.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > _MAX_FQDN_LENGTH or not all(_FQDN_LABEL.fullmatch(label) for label in labels):
        raise AefpskInputError(f"{fqdn!r} is not a valid FQDN")
    return name


def _optional_text(description: Mapping[str, object], name: str) -> str | None:
    value = description.get(name)
    if value is not None and not isinstance(value, str):
        raise AefpskInputError(f"{name} must be a string")
    return value


@dataclass(frozen=True)
class ServiceApiInterface:
    """The AEF interface an AEFPSK is for: the ``InterfaceDescription`` fields that locate it
    (TS 29.222 CAPIF_Publish_Service_API); exactly one of ``fqdn``, ``ipv4_addr``, ``ipv6_addr``."""

    fqdn: str | None = None
    ipv4_addr: str | None = None
    ipv6_addr: str | None = None
    port: int = HTTPS_DEFAULT_PORT
    api_prefix: str = ""

    def __post_init__(self) -> None:
        given = [value for value in (self.fqdn, self.ipv4_addr, self.ipv6_addr) if value is not None]
        if len(given) != 1:
            raise AefpskInputError("exactly one of fqdn, ipv4Addr, ipv6Addr is required")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 0xFFFF:
            raise AefpskInputError(f"port {self.port!r} is not in 1..65535")
        if not isinstance(self.api_prefix, str) or not _API_PREFIX.fullmatch(self.api_prefix):
            raise AefpskInputError(f"apiPrefix {self.api_prefix!r} is not a path starting with '/'")
        self.kdf_p0()  # validates the host and the total length now, not at first use

    @classmethod
    def from_interface_description(cls, description: Mapping[str, object]) -> "ServiceApiInterface":
        """Build from an ``InterfaceDescription`` JSON object (TS 29.222 CAPIF_Publish_Service_API)."""
        port = description.get("port", HTTPS_DEFAULT_PORT)
        api_prefix = description.get("apiPrefix", "")
        if not isinstance(port, int) or not isinstance(api_prefix, str):
            raise AefpskInputError("port is an integer and apiPrefix a string")
        return cls(
            fqdn=_optional_text(description, "fqdn"),
            ipv4_addr=_optional_text(description, "ipv4Addr"),
            ipv6_addr=_optional_text(description, "ipv6Addr"),
            port=port,
            api_prefix=api_prefix,
        )

    def _host(self) -> str:
        try:
            if self.ipv4_addr is not None:
                return str(ipaddress.IPv4Address(self.ipv4_addr))
            if self.ipv6_addr is not None:
                return f"[{ipaddress.IPv6Address(self.ipv6_addr).compressed}]"
        except ValueError as error:
            raise AefpskInputError(str(error)) from error
        return _canonical_fqdn(str(self.fqdn))

    def kdf_p0(self) -> bytes:
        """``P0``: UTF-8 of ``host:port`` + ``apiPrefix``, e.g. ``b"aef.example.org:8443/exposure"``."""
        encoded = f"{self._host()}:{self.port}{self.api_prefix}".encode()
        if len(encoded) > MAX_PARAMETER_LENGTH:
            raise AefpskInputError("service API interface information exceeds 65535 octets")
        return encoded


def kdf_input(fc: int, *parameters: bytes) -> bytes:
    """``S = FC || P0 || L0 || ... || Pn || Ln`` (TS 33.220 Annex B.2.2); each ``Li`` two octets."""
    if not 0 <= fc <= 0xFF:
        raise AefpskInputError("FC is one octet")
    parts = [bytes([fc])]
    for parameter in parameters:
        if len(parameter) > MAX_PARAMETER_LENGTH:
            raise AefpskInputError("a KDF parameter must fit a two-octet length (65535 octets)")
        parts += [parameter, len(parameter).to_bytes(2, "big")]
    return b"".join(parts)


def derive_aefpsk(key: bytes, interface: ServiceApiInterface, session_id: bytes) -> bytes:
    """``HMAC-SHA-256(key, FC=0x7A || P0 || L0 || P1 || L1)`` (TS 33.122 Annex A.1)."""
    if not key:
        raise AefpskInputError("the KDF key is empty")
    return hmac.new(key, kdf_input(AEFPSK_FC, interface.kdf_p0(), session_id), hashlib.sha256).digest()


def derive_aefpsk_tls12(master_secret: bytes, session_id: bytes, interface: ServiceApiInterface) -> bytes:
    """AEFPSK from a TLS 1.2 CAPIF-1e session, exactly as TS 33.122 Annex A.1 specifies.

    ``master_secret`` is the 48-octet TLS 1.2 master secret (RFC 5246 clause 8.1), ``session_id`` the
    session ID of the full handshake, 1 to 32 octets (RFC 5246 clause 7.4.1.3); an empty session ID
    (session tickets, or none assigned) is an error: Annex A.1 has no key without it.
    """
    if len(master_secret) != TLS12_MASTER_SECRET_LENGTH:
        raise AefpskInputError("a TLS 1.2 master secret is 48 octets")
    if not 1 <= len(session_id) <= TLS12_MAX_SESSION_ID_LENGTH:
        raise AefpskInputError("a TLS 1.2 session ID is 1 to 32 octets (empty: no AEFPSK)")
    return derive_aefpsk(master_secret, interface, session_id)


def derive_aefpsk_tls13(exporter: KeyingMaterialExporter, interface: ServiceApiInterface) -> bytes:
    """AEFPSK from a TLS 1.3 CAPIF-1e session. DEVIATION from TS 33.122 Annex A.1.

    TLS 1.3 exposes no master secret and no session ID, so: ``K`` = the RFC 8446 clause 7.5 exporter
    value with label ``EXPORTER-3GPP-CAPIF-AEFPSK``, context ``P0``, 32 octets; ``P1`` = the empty
    string (``L1`` = 0x0000). The exporter secret is unique to the session and bound to its whole
    handshake transcript, which is what ``P1`` contributes under TLS 1.2; ``FC``, ``P0`` and the
    HMAC-SHA-256 KDF stay as in Annex A.1.
    """
    p0 = interface.kdf_p0()
    key = exporter(TLS13_EXPORTER_LABEL, TLS13_EXPORTER_LENGTH, p0)
    if len(key) != TLS13_EXPORTER_LENGTH:
        raise AefpskInputError("the TLS exporter returned the wrong number of octets")
    return derive_aefpsk(key, interface, b"")
