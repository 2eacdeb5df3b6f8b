"""TS 29.222 CAPIF_API_Invoker_Management_API data types (clause 8.4.4), as read and written by the CCF."""

from __future__ import annotations

from dataclasses import dataclass, replace

from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.reader import (
    MAX_PEM_LENGTH,
    MAX_TEXT_LENGTH,
    Fields,
    JsonObject,
    boolean,
    identifier,
    negotiated_features,
    nested,
    opaque_object,
    string,
    supported_features,
    uri,
    without_none,
)


@dataclass(frozen=True)
class OnboardingInformation:
    """TS 29.222 ``OnboardingInformation``.

    ``apiInvokerPublicKey`` carries a PEM certificate signing request (what deployed invokers send);
    ``apiInvokerCertificate`` is written by the CCF and ignored when a request carries it back.
    """

    api_invoker_public_key: str
    api_invoker_certificate: str | None = None

    @classmethod
    def read(cls, fields: Fields) -> OnboardingInformation:
        return cls(api_invoker_public_key=fields.required("apiInvokerPublicKey", string(MAX_PEM_LENGTH)))

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiInvokerPublicKey": self.api_invoker_public_key,
                "apiInvokerCertificate": self.api_invoker_certificate,
            }
        )


@dataclass(frozen=True)
class APIInvokerEnrolmentDetails:
    """TS 29.222 ``APIInvokerEnrolmentDetails``.

    ``apiList`` is written by the CCF (the APIs the invoker may invoke) and ignored in requests;
    ``websockNotifConfig`` is stored and returned, not interpreted.
    """

    onboarding_information: OnboardingInformation
    notification_destination: str
    api_invoker_id: str | None = None
    request_test_notification: bool | None = None
    websock_notif_config: JsonObject | None = None
    api_list: tuple[ServiceAPIDescription, ...] | None = None
    api_invoker_information: str | None = None
    supported_features: str | None = None

    @classmethod
    def read(cls, value: object, pointer: str = "", *, creating: bool) -> APIInvokerEnrolmentDetails:
        """Read a request body; ``creating`` refuses the CCF-assigned ``apiInvokerId`` (TS 29.222 8.4.4)."""
        fields = Fields(value, pointer)
        if creating:
            fields.absent("apiInvokerId", "is assigned by the CAPIF core function")
        information = fields.required("onboardingInformation", nested(OnboardingInformation.read))
        return cls(
            onboarding_information=information,
            notification_destination=fields.required("notificationDestination", uri),
            api_invoker_id=None if creating else fields.required("apiInvokerId", identifier),
            request_test_notification=fields.optional("requestTestNotification", boolean),
            websock_notif_config=fields.optional("websockNotifConfig", opaque_object),
            api_invoker_information=fields.optional("apiInvokerInformation", string(MAX_TEXT_LENGTH)),
            supported_features=fields.optional("supportedFeatures", supported_features),
        )

    def assigned(
        self, api_invoker_id: str, certificate_pem: str, api_list: tuple[ServiceAPIDescription, ...]
    ) -> APIInvokerEnrolmentDetails:
        """The details as the CCF answers them: id, issued certificate and the invoker's API list."""
        information = replace(self.onboarding_information, api_invoker_certificate=certificate_pem)
        return replace(
            self,
            api_invoker_id=api_invoker_id,
            onboarding_information=information,
            api_list=api_list or None,
            request_test_notification=None,
            supported_features=negotiated_features(self.supported_features),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiInvokerId": self.api_invoker_id,
                "onboardingInformation": self.onboarding_information.to_json(),
                "notificationDestination": self.notification_destination,
                "requestTestNotification": self.request_test_notification,
                "websockNotifConfig": self.websock_notif_config,
                "apiList": None
                if self.api_list is None
                else {"serviceAPIDescriptions": [api.to_json() for api in self.api_list]},
                "apiInvokerInformation": self.api_invoker_information,
                "supportedFeatures": self.supported_features,
            }
        )
