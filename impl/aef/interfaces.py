"""The AEF's CAPIF-2e interfaces: one TLS endpoint each, described as published (TS 29.222
``InterfaceDescription``), with the security methods it is currently configured for.

Every interface runs the same TLS mode (:func:`interface_tls`): server certificate, optional client
certificate from the CAPIF CA, and TLS 1.2 PSK; which of PSK, PKI and OAUTH it accepts is its current
configuration, so the provider can change an interface's methods (contribution 004) without a new
endpoint, and an invoker using the old method meets the AEF, which can tell it so.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509

from impl.aef.security_info import InterfaceKey, KnownEntry
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import InterfaceDescription
from impl.pki import CertifiedKey
from impl.tls import CertificateServerTls, ClientAuth, PskLookup


@dataclass(frozen=True)
class InterfaceSpec:
    """An interface to serve: a name (for operators and logs), its initial methods, its ``apiPrefix``
    and the port to listen on (0: ephemeral)."""

    name: str
    methods: tuple[SecurityMethod, ...]
    api_prefix: str
    port: int = 0


class AefInterface:
    """One CAPIF-2e interface of a running AEF; its port is known once it listens."""

    def __init__(self, spec: InterfaceSpec, host: str) -> None:
        self.name = spec.name
        self.api_prefix = spec.api_prefix
        self.host = host
        self.port: int | None = None
        self._address_key: InterfaceKey | None = None
        self._methods = frozenset(spec.methods)
        self._lock = threading.Lock()

    def listening_on(self, port: int) -> None:
        """Record the bound port (the published description names it)."""
        self.port = port
        self._address_key = self.description().address_key()

    @property
    def methods(self) -> frozenset[SecurityMethod]:
        """The methods the interface is configured for now."""
        with self._lock:
            return self._methods

    def set_methods(self, methods: Iterable[SecurityMethod]) -> None:
        """Reconfigure the interface (the AEF updates its security method, contribution 004)."""
        chosen = frozenset(methods)
        if not chosen:
            raise ValueError("an interface needs at least one security method")
        with self._lock:
            self._methods = chosen

    def description(self) -> InterfaceDescription:
        """The ``InterfaceDescription`` to publish, with the current ``securityMethods``."""
        if self.port is None:
            raise RuntimeError(f"interface {self.name} is not listening yet")
        methods = tuple(method for method in SecurityMethod if method in self.methods)
        try:
            address = ipaddress.ip_address(self.host)
        except ValueError:
            return InterfaceDescription(
                fqdn=self.host, port=self.port, api_prefix=self.api_prefix, security_methods=methods
            )
        if address.version == 4:
            return InterfaceDescription(
                ipv4_addr=self.host, port=self.port, api_prefix=self.api_prefix, security_methods=methods
            )
        return InterfaceDescription(
            ipv6_addr=self.host, port=self.port, api_prefix=self.api_prefix, security_methods=methods
        )

    def covers(self, entry: KnownEntry, aef_id: str) -> bool:
        """Whether a negotiated entry applies here: it names this interface, or this AEF as a whole
        (TS 29.222 ``SecurityInformation``: ``interfaceDetails`` or ``aefId``)."""
        if entry.interface_key is not None:
            return entry.interface_key == self._address_key
        return entry.information.aef_id == aef_id


def interface_tls(
    credential: CertifiedKey, ca_certificates: Sequence[x509.Certificate], psk_lookup: PskLookup
) -> CertificateServerTls:
    """Server certificate (TLS 1.2/1.3), optional client certificate verified against the CAPIF CA
    and the CAs of interconnected providers (PKI, TS 33.122 clause 6.5.2.2), and TLS 1.2 PSK with
    AEFPSK (clause 6.5.2.1) on one port."""
    return CertificateServerTls(
        credential, client_cas=list(ca_certificates), client_auth=ClientAuth.OPTIONAL, psk_lookup=psk_lookup
    )
