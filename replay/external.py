"""Another CAPIF implementation as a replay :class:`~replay.target.Target`, described in a JSON file.

The replayer reaches it through its TS 29.222 REST APIs and CAPIF-2e interfaces only. Its operator
describes, out of band, what those APIs do not carry::

    {
      "ccf": {"host": "ccf.example.net", "port": 443, "serverName": "ccf.example.net"},
      "caCertificate": "ca.pem",
      "aefpskDerivation": "annex-a1-tls12",
      "notificationDestination": "https://invoker.example.net/notifications",
      "aefs": [{"aefId": "AEF01",
                "apis": [{"name": "hello", "resource": "/greeting"}],
                "interfaces": [{"name": "psk", "securityMethods": ["PSK"]}]}],
      "onboardingSecrets": ["...", "..."]
    }

``caCertificate`` is a PEM file (relative to the description's folder); ``aefpskDerivation`` and
``notificationDestination`` are optional; each onboarding secret is spent once, in order. Such a target
offers no :class:`~replay.target.Capability`: the traces that change methods, restrict the policy or
let a token expire are not replayable on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.invoker import CcfEndpoint
from impl.settings import AefpskDerivation
from replay.documents import read_json
from replay.errors import TraceError
from replay.target import Capability, TargetAef, TargetApi, TargetError, TargetInterface


def _text(document: dict[str, Any], name: str, where: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise TraceError(f"{where}: {name} must be a non-empty string")
    return value


def _objects(document: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    value = document.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        raise TraceError(f"{where}: {name} must be a non-empty list of objects")
    return value


def _aef(entry: dict[str, Any], where: str) -> TargetAef:
    interfaces = []
    for item in _objects(entry, "interfaces", where):
        methods = item.get("securityMethods")
        try:
            chosen = frozenset(SecurityMethod(method) for method in methods or ())
        except (TypeError, ValueError):
            chosen = frozenset()
        if not chosen:
            raise TraceError(f"{where}: securityMethods must list PSK, PKI or OAUTH")
        interfaces.append(TargetInterface(_text(item, "name", where), chosen))
    apis = tuple(
        TargetApi(_text(item, "name", where), _text(item, "resource", where))
        for item in _objects(entry, "apis", where)
    )
    return TargetAef(_text(entry, "aefId", where), apis, tuple(interfaces))


class ExternalTarget:
    """A CAPIF deployment the replayer did not start (see the module docstring)."""

    capabilities: frozenset[Capability] = frozenset()

    def __init__(
        self,
        ccf: CcfEndpoint,
        ca_certificate: x509.Certificate,
        aefs: Sequence[TargetAef],
        onboarding_secrets: Sequence[str],
        *,
        aefpsk_derivation: AefpskDerivation = AefpskDerivation.ANNEX_A1_TLS12,
        notification_destination: str = "https://127.0.0.1:9/notifications",
    ) -> None:
        self.ccf = ccf
        self.ca_certificate = ca_certificate
        self.aefpsk_derivation = aefpsk_derivation
        self.notification_destination = notification_destination
        self._aefs = tuple(aefs)
        self._secrets = list(onboarding_secrets)

    @classmethod
    def from_file(cls, path: Path) -> ExternalTarget:
        """Read a target description; :class:`TraceError` (bad input) when it is not one."""
        where = str(path)
        document = read_json(path)
        if not isinstance(document, dict) or not isinstance(document.get("ccf"), dict):
            raise TraceError(f"{where}: a target description needs a ccf object")
        ccf, port = document["ccf"], document["ccf"].get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise TraceError(f"{where}: ccf.port must be a port number")
        host = _text(ccf, "host", where)
        endpoint = CcfEndpoint(host, port, ccf.get("serverName") or host)
        try:
            ca = pki.load_certificate_pem(
                (path.parent / _text(document, "caCertificate", where)).read_bytes()
            )
            derivation = AefpskDerivation(document.get("aefpskDerivation", AefpskDerivation.ANNEX_A1_TLS12))
        except (OSError, pki.PkiError, ValueError) as error:
            raise TraceError(f"{where}: {error}") from None
        secrets = document.get("onboardingSecrets")
        if not isinstance(secrets, list) or not all(isinstance(item, str) for item in secrets):
            raise TraceError(f"{where}: onboardingSecrets must be a list of strings")
        return cls(
            endpoint,
            ca,
            [_aef(entry, where) for entry in _objects(document, "aefs", where)],
            secrets,
            aefpsk_derivation=derivation,
            notification_destination=document.get("notificationDestination")
            or "https://127.0.0.1:9/notifications",
        )

    def aefs(self, wanted: int) -> Sequence[TargetAef]:
        return self._aefs

    def onboarding_secret(self) -> str:
        if not self._secrets:
            raise TargetError("the target description has no onboarding secret left")
        return self._secrets.pop(0)

    def reset(self) -> None:
        """Nothing to reset: the target keeps its configuration; each trace uses fresh invokers."""

    def set_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        raise TargetError("this target cannot change an AEF's methods")

    def set_audience(self, aef_id: str, api_name: str, invoker_ids: Sequence[str]) -> None:
        raise TargetError("this target cannot restrict an API's audience")

    def advance_clock(self, moment: datetime) -> None:
        raise TargetError("this target's clock cannot be moved")
