"""TS 29.222 CAPIF_Security_API data types (clause 8.5.4) other than the token endpoint's."""

from __future__ import annotations

from dataclasses import dataclass, replace

from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.apitypes.problems import Cause, invalid_body
from impl.apitypes.publish import InterfaceDescription, security_methods
from impl.apitypes.reader import (
    MAX_PEM_LENGTH,
    MAX_TEXT_LENGTH,
    Fields,
    JsonObject,
    JsonValue,
    array,
    boolean,
    enumeration,
    identifier,
    negotiated_features,
    nested,
    opaque_object,
    string,
    supported_features,
    uri,
    without_none,
)

TargetKey = tuple[str, str | None]


@dataclass(frozen=True)
class SecurityInformation:
    """TS 29.222 ``SecurityInformation``: exactly one of ``interfaceDetails`` and ``aefId``.

    In a request only the invoker's part is read (``prefSecurityMethods``, the target, ``apiId``);
    ``selSecurityMethod``, ``authenticationInfo`` and ``authorizationInfo`` are written by the CCF.
    """

    pref_security_methods: tuple[SecurityMethod, ...]
    aef_id: str | None = None
    interface_details: InterfaceDescription | None = None
    api_id: str | None = None
    sel_security_method: SecurityMethod | None = None
    authentication_info: str | None = None
    authorization_info: str | None = None

    @classmethod
    def read(cls, fields: Fields) -> SecurityInformation:
        information = cls(
            pref_security_methods=fields.required("prefSecurityMethods", security_methods),
            aef_id=fields.optional("aefId", identifier),
            interface_details=fields.optional("interfaceDetails", nested(InterfaceDescription.read)),
            api_id=fields.optional("apiId", identifier),
        )
        if (information.aef_id is None) == (information.interface_details is None):
            cause = Cause.MANDATORY_IE_MISSING if information.aef_id is None else Cause.MANDATORY_IE_INCORRECT
            raise invalid_body(cause, fields.pointer, "exactly one of interfaceDetails and aefId is required")
        return information

    @classmethod
    def read_answer(cls, fields: Fields) -> SecurityInformation:
        """An entry as the CCF answers it: the request part plus ``selSecurityMethod``,
        ``authenticationInfo`` and ``authorizationInfo`` (what an invoker or an AEF reads)."""
        return replace(
            cls.read(fields),
            sel_security_method=fields.optional("selSecurityMethod", enumeration(SecurityMethod)),
            authentication_info=fields.optional("authenticationInfo", string(MAX_PEM_LENGTH)),
            authorization_info=fields.optional("authorizationInfo", string(MAX_TEXT_LENGTH)),
        )

    def target_key(self) -> TargetKey:
        """What the entry is about: its AEF or interface, and its API; re-negotiation replaces by this key."""
        if self.interface_details is not None:
            host, port, prefix = self.interface_details.address_key()
            return (f"interface:{host}|{port}|{prefix}", self.api_id)
        return (f"aef:{self.aef_id}", self.api_id)

    def selected(self, method: SecurityMethod) -> SecurityInformation:
        return replace(self, sel_security_method=method)

    def to_json(self) -> JsonObject:
        interface, selected = self.interface_details, self.sel_security_method
        return without_none(
            {
                "interfaceDetails": None if interface is None else interface.to_json(),
                "aefId": self.aef_id,
                "apiId": self.api_id,
                "prefSecurityMethods": [str(method) for method in self.pref_security_methods],
                "selSecurityMethod": None if selected is None else str(selected),
                "authenticationInfo": self.authentication_info,
                "authorizationInfo": self.authorization_info,
            }
        )


@dataclass(frozen=True)
class ServiceSecurity:
    """TS 29.222 ``ServiceSecurity``: the invoker's preferences, or the CCF's selection."""

    security_info: tuple[SecurityInformation, ...]
    notification_destination: str
    request_test_notification: bool | None = None
    websock_notif_config: JsonObject | None = None
    supported_features: str | None = None

    @classmethod
    def read_answer(cls, value: object, pointer: str = "") -> ServiceSecurity:
        """The CCF's answer (``PUT``/``GET trustedInvokers``, ``POST .../update``), entries with the
        CCF-written members. No duplicate-target check: the answer to an AEF lists one entry per
        AEFPSK, and two entries may cover one interface."""
        fields = Fields(value, pointer)
        return cls(
            security_info=fields.required("securityInfo", array(nested(SecurityInformation.read_answer))),
            notification_destination=fields.required("notificationDestination", uri),
            supported_features=fields.optional("supportedFeatures", supported_features),
        )

    @classmethod
    def read(cls, value: object, pointer: str = "") -> ServiceSecurity:
        fields = Fields(value, pointer)
        security = cls(
            security_info=fields.required("securityInfo", array(nested(SecurityInformation.read))),
            notification_destination=fields.required("notificationDestination", uri),
            request_test_notification=fields.optional("requestTestNotification", boolean),
            websock_notif_config=fields.optional("websockNotifConfig", opaque_object),
            supported_features=fields.optional("supportedFeatures", supported_features),
        )
        keys = [information.target_key() for information in security.security_info]
        if len(set(keys)) != len(keys):
            reason = "two entries name the same AEF or interface and API"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, fields.at("securityInfo"), reason)
        return security

    def answered(self, entries: tuple[SecurityInformation, ...]) -> ServiceSecurity:
        """The CCF's answer to this request: its selections, the negotiated features."""
        return replace(
            self,
            security_info=entries,
            request_test_notification=None,
            supported_features=negotiated_features(self.supported_features),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "securityInfo": [information.to_json() for information in self.security_info],
                "notificationDestination": self.notification_destination,
                "requestTestNotification": self.request_test_notification,
                "websockNotifConfig": self.websock_notif_config,
                "supportedFeatures": self.supported_features,
            }
        )


@dataclass(frozen=True)
class SecurityNotification:
    """TS 29.222 ``SecurityNotification``: a revoked authorization (request body and notification)."""

    api_invoker_id: str
    api_ids: tuple[str, ...]
    cause: RevocationCause
    aef_id: str | None = None

    @classmethod
    def read(cls, value: object, pointer: str = "") -> SecurityNotification:
        fields = Fields(value, pointer)
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            api_ids=fields.required("apiIds", array(identifier, unique=True)),
            cause=fields.required("cause", enumeration(RevocationCause)),
            aef_id=fields.optional("aefId", identifier),
        )

    def to_json(self) -> JsonObject:
        api_ids: list[JsonValue] = list(self.api_ids)
        return without_none(
            {
                "apiInvokerId": self.api_invoker_id,
                "aefId": self.aef_id,
                "apiIds": api_ids,
                "cause": str(self.cause),
            }
        )
