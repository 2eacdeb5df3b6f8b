"""What an API invoker knows about the AEF interfaces it may use, from Discover (TS 29.222 clause 8.1),
and what it negotiated for each (TS 29.222 clause 8.5; TS 33.122 clause 6.3.1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from impl.aefpsk import ServiceApiInterface
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import InterfaceDescription, ServiceAPIDescription


@dataclass(frozen=True)
class AefTarget:
    """One interface of one AEF exposing one API, as discovered."""

    aef_id: str
    api_name: str
    api_id: str
    api_version: str
    interface: InterfaceDescription
    profile_methods: tuple[SecurityMethod, ...]
    ccf_id: str | None = None
    """The CCF of another provider the API was discovered from (``ccfId``), None for the home CCF's."""

    @property
    def host(self) -> str:
        return self.interface.host

    @property
    def port(self) -> int:
        return self.interface.port or 443

    @property
    def api_prefix(self) -> str:
        return self.interface.api_prefix or ""

    @property
    def methods(self) -> tuple[SecurityMethod, ...]:
        """The methods the interface offers: its own list, else the profile's (TS 29.222)."""
        return self.interface.security_methods or self.profile_methods

    def resource_path(self, resource: str) -> str:
        """``{apiPrefix}/{apiName}/{apiVersion}{resource}`` (TS 29.122 clause 5.2.4)."""
        return f"{self.api_prefix}/{self.api_name}/{self.api_version}{resource}"

    def kdf_interface(self) -> ServiceApiInterface:
        """The interface as the AEFPSK KDF encodes it (``P0``, TS 33.122 Annex A.1)."""
        return ServiceApiInterface.from_interface_description(self.interface.without_methods().to_json())


@dataclass(frozen=True)
class Negotiated:
    """The method the CCF selected for a target, and AEFPSK when it is PSK."""

    target: AefTarget
    method: SecurityMethod
    aefpsk: bytes | None = None


def targets_of(api: ServiceAPIDescription) -> list[AefTarget]:
    """Every (AEF, interface) of a discovered API; profiles with only a ``domainName`` are skipped."""
    found: list[AefTarget] = []
    for profile in api.aef_profiles:
        if api.api_id is None or not profile.versions:
            continue
        for interface in profile.interface_descriptions or ():
            found.append(
                AefTarget(
                    aef_id=profile.aef_id,
                    api_name=api.api_name,
                    api_id=api.api_id,
                    api_version=profile.versions[0].api_version,
                    interface=interface,
                    profile_methods=profile.security_methods or (),
                    ccf_id=api.ccf_id,
                )
            )
    return found
