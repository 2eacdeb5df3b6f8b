"""TS 29.222 CAPIF_Publish_Service_API data types (clause 8.2.4), as read and written by the CCF."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace

from impl.apitypes.enums import CommunicationType, DataFormat, Operation, Protocol, SecurityMethod
from impl.apitypes.problems import Cause, invalid_body
from impl.apitypes.reader import (
    MAX_TEXT_LENGTH,
    Fields,
    JsonObject,
    JsonValue,
    array,
    boolean,
    date_time,
    enumeration,
    identifier,
    integer,
    negotiated_features,
    nested,
    opaque_object,
    refuse,
    string,
    supported_features,
    without_none,
)

_FQDN = re.compile(r"^([0-9A-Za-z]([-0-9A-Za-z]{0,61}[0-9A-Za-z])?\.)+[A-Za-z]{2,63}\.?$")
_API_NAME = re.compile(r"^[A-Za-z0-9._~-]+$")

security_methods = array(enumeration(SecurityMethod), unique=True)
operations = array(enumeration(Operation), unique=True)


def api_name(value: object, pointer: str) -> str:
    """``apiName``: the {apiName} URI segment of TS 29.122 clause 5.2.4, unreserved characters only.

    The restriction also keeps ``:``, ``,`` and ``;`` out of names, so token scopes
    (``aefId:api1,api2;...``, TS 33.122 Annex C) stay unambiguous.
    """
    text = string()(value, pointer)
    if not _API_NAME.match(text):
        raise refuse(pointer, "must contain only letters, digits and - . _ ~")
    return text


def fqdn(value: object, pointer: str) -> str:
    """TS 29.571 ``Fqdn``."""
    text = string(253, min_length=4)(value, pointer)
    if not _FQDN.match(text):
        raise refuse(pointer, "must be a fully qualified domain name")
    return text


def ipv4_address(value: object, pointer: str) -> str:
    """TS 29.122 ``Ipv4Addr`` (dotted decimal)."""
    text = string(15)(value, pointer)
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        raise refuse(pointer, "must be an IPv4 address in dotted decimal") from None
    return text


def ipv6_address(value: object, pointer: str) -> str:
    """TS 29.122 ``Ipv6Addr`` (RFC 5952, without the mixed IPv4 notation)."""
    text = string(45)(value, pointer)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        raise refuse(pointer, "must be an IPv6 address") from None
    if "." in text:
        raise refuse(pointer, "must not use the mixed IPv4/IPv6 notation")
    return text


def api_prefix(value: object, pointer: str) -> str:
    text = string(MAX_TEXT_LENGTH)(value, pointer)
    if not text.startswith("/") or any(char.isspace() for char in text):
        raise refuse(pointer, "must be path segments starting with /")
    return text


@dataclass(frozen=True)
class InterfaceDescription:
    """TS 29.222 ``InterfaceDescription``: exactly one of ipv4Addr, ipv6Addr and fqdn."""

    ipv4_addr: str | None = None
    ipv6_addr: str | None = None
    fqdn: str | None = None
    port: int | None = None
    api_prefix: str | None = None
    security_methods: tuple[SecurityMethod, ...] | None = None

    @classmethod
    def read(cls, fields: Fields) -> InterfaceDescription:
        interface = cls(
            ipv4_addr=fields.optional("ipv4Addr", ipv4_address),
            ipv6_addr=fields.optional("ipv6Addr", ipv6_address),
            fqdn=fields.optional("fqdn", fqdn),
            port=fields.optional("port", integer(0, 65535)),
            api_prefix=fields.optional("apiPrefix", api_prefix),
            security_methods=fields.optional("securityMethods", security_methods),
        )
        present = [a for a in (interface.ipv4_addr, interface.ipv6_addr, interface.fqdn) if a is not None]
        if len(present) != 1:
            cause = Cause.MANDATORY_IE_MISSING if not present else Cause.MANDATORY_IE_INCORRECT
            reason = "exactly one of ipv4Addr, ipv6Addr and fqdn is required"
            raise invalid_body(cause, fields.pointer, reason)
        return interface

    @property
    def host(self) -> str:
        """The address or name the interface is reached at, normalised for comparison."""
        if self.ipv4_addr is not None:
            return str(ipaddress.IPv4Address(self.ipv4_addr))
        if self.ipv6_addr is not None:
            return str(ipaddress.IPv6Address(self.ipv6_addr))
        assert self.fqdn is not None
        return self.fqdn.rstrip(".").lower()

    def address_key(self) -> tuple[str, int | None, str]:
        """What identifies the interface (host, port, apiPrefix); ``securityMethods`` is not part of it."""
        return (self.host, self.port, self.api_prefix or "")

    def without_methods(self) -> InterfaceDescription:
        return replace(self, security_methods=None)

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "ipv4Addr": self.ipv4_addr,
                "ipv6Addr": self.ipv6_addr,
                "fqdn": self.fqdn,
                "port": self.port,
                "apiPrefix": self.api_prefix,
                "securityMethods": _strings(self.security_methods),
            }
        )


@dataclass(frozen=True)
class CustomOperation:
    """TS 29.222 ``CustomOperation``."""

    comm_type: CommunicationType
    cust_op_name: str
    operations: tuple[Operation, ...] | None = None
    description: str | None = None

    @classmethod
    def read(cls, fields: Fields) -> CustomOperation:
        return cls(
            comm_type=fields.required("commType", enumeration(CommunicationType)),
            cust_op_name=fields.required("custOpName", string()),
            operations=fields.optional("operations", operations),
            description=fields.optional("description", string(MAX_TEXT_LENGTH)),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "commType": str(self.comm_type),
                "custOpName": self.cust_op_name,
                "operations": _strings(self.operations),
                "description": self.description,
            }
        )


@dataclass(frozen=True)
class Resource:
    """TS 29.222 ``Resource``."""

    resource_name: str
    comm_type: CommunicationType
    uri: str
    cust_op_name: str | None = None
    cust_operations: tuple[CustomOperation, ...] | None = None
    operations: tuple[Operation, ...] | None = None
    description: str | None = None

    @classmethod
    def read(cls, fields: Fields) -> Resource:
        return cls(
            resource_name=fields.required("resourceName", string()),
            comm_type=fields.required("commType", enumeration(CommunicationType)),
            uri=fields.required("uri", string(MAX_TEXT_LENGTH)),
            cust_op_name=fields.optional("custOpName", string()),
            cust_operations=fields.optional("custOperations", array(nested(CustomOperation.read))),
            operations=fields.optional("operations", operations),
            description=fields.optional("description", string(MAX_TEXT_LENGTH)),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "resourceName": self.resource_name,
                "commType": str(self.comm_type),
                "uri": self.uri,
                "custOpName": self.cust_op_name,
                "custOperations": _objects(self.cust_operations),
                "operations": _strings(self.operations),
                "description": self.description,
            }
        )


@dataclass(frozen=True)
class Version:
    """TS 29.222 ``Version``."""

    api_version: str
    expiry: str | None = None
    resources: tuple[Resource, ...] | None = None
    cust_operations: tuple[CustomOperation, ...] | None = None

    @classmethod
    def read(cls, fields: Fields) -> Version:
        return cls(
            api_version=fields.required("apiVersion", identifier),
            expiry=fields.optional("expiry", date_time),
            resources=fields.optional("resources", array(nested(Resource.read))),
            cust_operations=fields.optional("custOperations", array(nested(CustomOperation.read))),
        )

    def comm_types(self) -> frozenset[CommunicationType]:
        """The communication types of the version's resources and custom operations."""
        found = {resource.comm_type for resource in self.resources or ()}
        for resource in self.resources or ():
            found.update(operation.comm_type for operation in resource.cust_operations or ())
        found.update(operation.comm_type for operation in self.cust_operations or ())
        return frozenset(found)

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiVersion": self.api_version,
                "expiry": self.expiry,
                "resources": _objects(self.resources),
                "custOperations": _objects(self.cust_operations),
            }
        )


@dataclass(frozen=True)
class AefProfile:
    """TS 29.222 ``AefProfile``: exactly one of domainName and interfaceDescriptions.

    ``aefLocation``, ``serviceKpis`` and ``ueIpRange`` are stored and returned, not interpreted.
    """

    aef_id: str
    versions: tuple[Version, ...]
    protocol: Protocol | None = None
    data_format: DataFormat | None = None
    security_methods: tuple[SecurityMethod, ...] | None = None
    domain_name: str | None = None
    interface_descriptions: tuple[InterfaceDescription, ...] | None = None
    aef_location: JsonObject | None = None
    service_kpis: JsonObject | None = None
    ue_ip_range: JsonObject | None = None

    @classmethod
    def read(cls, fields: Fields) -> AefProfile:
        profile = cls(
            aef_id=fields.required("aefId", identifier),
            versions=fields.required("versions", array(nested(Version.read))),
            protocol=fields.optional("protocol", enumeration(Protocol)),
            data_format=fields.optional("dataFormat", enumeration(DataFormat)),
            security_methods=fields.optional("securityMethods", security_methods),
            domain_name=fields.optional("domainName", string()),
            interface_descriptions=fields.optional(
                "interfaceDescriptions", array(nested(InterfaceDescription.read))
            ),
            aef_location=fields.optional("aefLocation", opaque_object),
            service_kpis=fields.optional("serviceKpis", opaque_object),
            ue_ip_range=fields.optional("ueIpRange", opaque_object),
        )
        if (profile.domain_name is None) == (profile.interface_descriptions is None):
            missing = profile.domain_name is None
            cause = Cause.MANDATORY_IE_MISSING if missing else Cause.MANDATORY_IE_INCORRECT
            raise invalid_body(cause, fields.pointer, "exactly one of domainName and interfaceDescriptions")
        return profile

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "aefId": self.aef_id,
                "versions": _objects(self.versions),
                "protocol": _string(self.protocol),
                "dataFormat": _string(self.data_format),
                "securityMethods": _strings(self.security_methods),
                "domainName": self.domain_name,
                "interfaceDescriptions": _objects(self.interface_descriptions),
                "aefLocation": self.aef_location,
                "serviceKpis": self.service_kpis,
                "ueIpRange": self.ue_ip_range,
            }
        )


@dataclass(frozen=True)
class ShareableInformation:
    """TS 29.222 ``ShareableInformation``."""

    is_shareable: bool
    capif_prov_doms: tuple[str, ...] | None = None

    @classmethod
    def read(cls, fields: Fields) -> ShareableInformation:
        return cls(
            is_shareable=fields.required("isShareable", boolean),
            capif_prov_doms=fields.optional("capifProvDoms", array(string())),
        )

    def to_json(self) -> JsonObject:
        domains = _strings(self.capif_prov_doms)
        return without_none({"isShareable": self.is_shareable, "capifProvDoms": domains})


@dataclass(frozen=True)
class ServiceAPIDescription:
    """TS 29.222 ``ServiceAPIDescription`` as published by an APF.

    The OpenAPI makes ``aefProfiles`` optional; a publication without AEF profiles exposes nothing,
    so the CCF requires it (at least one profile, each AEF at most once).
    """

    api_name: str
    aef_profiles: tuple[AefProfile, ...]
    api_id: str | None = None
    api_status_aef_ids: tuple[str, ...] | None = None
    description: str | None = None
    supported_features: str | None = None
    shareable_info: ShareableInformation | None = None
    service_api_category: str | None = None
    api_supp_feats: str | None = None
    pub_api_path_ccf_ids: tuple[str, ...] | None = None
    ccf_id: str | None = None

    @classmethod
    def read(cls, value: object, pointer: str = "", *, creating: bool) -> ServiceAPIDescription:
        """Read a request body; ``creating`` refuses the CCF-assigned ``apiId`` (TS 29.222 8.2.4.2.2)."""
        fields = Fields(value, pointer)
        if creating:
            fields.absent("apiId", "is assigned by the CAPIF core function")
        description = cls(
            api_name=fields.required("apiName", api_name),
            aef_profiles=fields.required("aefProfiles", array(nested(AefProfile.read))),
            api_id=fields.optional("apiId", identifier),
            api_status_aef_ids=fields.optional("apiStatus", nested(_read_api_status)),
            description=fields.optional("description", string(MAX_TEXT_LENGTH)),
            supported_features=fields.optional("supportedFeatures", supported_features),
            shareable_info=fields.optional("shareableInfo", nested(ShareableInformation.read)),
            service_api_category=fields.optional("serviceAPICategory", string()),
            api_supp_feats=fields.optional("apiSuppFeats", supported_features),
            pub_api_path_ccf_ids=fields.optional("pubApiPath", nested(_read_published_api_path)),
            ccf_id=fields.optional("ccfId", identifier),
        )
        aef_ids = [profile.aef_id for profile in description.aef_profiles]
        if len(set(aef_ids)) != len(aef_ids):
            reason = "an aefId appears twice"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, fields.at("aefProfiles"), reason)
        unknown = set(description.api_status_aef_ids or ()) - set(aef_ids)
        if unknown:
            reason = f"names AEFs without a profile: {', '.join(sorted(unknown))}"
            raise invalid_body(Cause.OPTIONAL_IE_INCORRECT, fields.at("apiStatus") + "/aefIds", reason)
        return description

    def with_api_id(self, api_id: str) -> ServiceAPIDescription:
        """The description as the CCF keeps and answers it: its id, the negotiated features."""
        return replace(self, api_id=api_id, supported_features=negotiated_features(self.supported_features))

    def restricted_to(self, aef_ids: frozenset[str]) -> ServiceAPIDescription:
        """The description with only the profiles (and ``apiStatus`` entries) of ``aef_ids``."""
        status = self.api_status_aef_ids
        return replace(
            self,
            aef_profiles=tuple(profile for profile in self.aef_profiles if profile.aef_id in aef_ids),
            api_status_aef_ids=None if status is None else tuple(aef for aef in status if aef in aef_ids),
        )

    def active_profiles(self) -> tuple[AefProfile, ...]:
        """The profiles of the AEFs where the API is active (TS 29.222 ``ApiStatus``; absent = all)."""
        if self.api_status_aef_ids is None:
            return self.aef_profiles
        active = set(self.api_status_aef_ids)
        return tuple(profile for profile in self.aef_profiles if profile.aef_id in active)

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiName": self.api_name,
                "apiId": self.api_id,
                "apiStatus": _wrapped("aefIds", self.api_status_aef_ids),
                "aefProfiles": _objects(self.aef_profiles),
                "description": self.description,
                "supportedFeatures": self.supported_features,
                "shareableInfo": None if self.shareable_info is None else self.shareable_info.to_json(),
                "serviceAPICategory": self.service_api_category,
                "apiSuppFeats": self.api_supp_feats,
                "pubApiPath": _wrapped("ccfIds", self.pub_api_path_ccf_ids),
                "ccfId": self.ccf_id,
            }
        )


def _read_api_status(fields: Fields) -> tuple[str, ...]:
    return fields.required("aefIds", array(identifier, min_items=0, unique=True))


def _read_published_api_path(fields: Fields) -> tuple[str, ...] | None:
    return fields.optional("ccfIds", array(identifier))


_Part = InterfaceDescription | CustomOperation | Resource | Version | AefProfile


def _wrapped(name: str, items: tuple[str, ...] | None) -> JsonObject | None:
    return None if items is None else {name: _strings(items)}


def _objects(items: tuple[_Part, ...] | None) -> list[JsonValue] | None:
    return None if items is None else [item.to_json() for item in items]


def _strings(items: tuple[str, ...] | None) -> list[JsonValue] | None:
    return None if items is None else [str(item) for item in items]


def _string(item: str | None) -> str | None:
    return None if item is None else str(item)
