"""The AEFPSK deriver of the ``aefpsk-derivation`` setting, over :mod:`impl.aefpsk` (TS 33.122 Annex A.1)."""

from __future__ import annotations

from impl.aefpsk import AefpskInputError, ServiceApiInterface, derive_aefpsk_tls12, derive_aefpsk_tls13
from impl.ccf.ports import Capif1eKeying, KeyingUnavailableError
from impl.settings import AefpskDerivation

TLS12 = "TLSv1.2"


class SettingsAefpskDeriver:
    """``annex-a1-tls12``: TLS 1.2 master secret and session ID, as Annex A.1 specifies.
    ``tls13-exporter``: the RFC 8446 exporter mapping of :func:`impl.aefpsk.derive_aefpsk_tls13`,
    a documented deviation (used whatever the session's version, since the exporter exists in both).
    """

    def __init__(self, mapping: AefpskDerivation) -> None:
        self._mapping = mapping

    @property
    def derivation(self) -> str:
        return str(self._mapping)

    def derive(self, keying: Capif1eKeying, interface: ServiceApiInterface) -> bytes:
        try:
            if self._mapping is AefpskDerivation.ANNEX_A1_TLS12:
                if keying.tls_version.value != TLS12 or keying.master_secret is None or not keying.session_id:
                    reason = "Annex A.1 needs a TLS 1.2 CAPIF-1e session with master secret and session ID"
                    raise KeyingUnavailableError(reason)
                return derive_aefpsk_tls12(keying.master_secret, keying.session_id, interface)
            return derive_aefpsk_tls13(keying.export_keying_material, interface)
        except AefpskInputError as error:
            raise KeyingUnavailableError(str(error)) from error
