"""TS 29.222 AEF_Security_API bodies (clause 8.8): ``check-authentication`` and ``revoke-authorization``."""

from __future__ import annotations

from dataclasses import dataclass

from impl.apitypes.reader import (
    Fields,
    JsonObject,
    identifier,
    negotiated_features,
    supported_features,
    without_none,
)
from impl.apitypes.security import SecurityNotification


@dataclass(frozen=True)
class CheckAuthenticationReq:
    """``CheckAuthenticationReq``: the API invoker asks the AEF to authenticate it (TS 33.122 clause
    6.5.2.1 "Authentication Initiation Request"); both TS 29.222 members are required by the OpenAPI.

    ``ccfId`` (non-standard, optional): the CCF the invoker is onboarded to, which contribution 001
    6.X.3.1 has the invoker include across providers ("the CCF-B information"; 002 NOTE X).
    """

    api_invoker_id: str
    supported_features: str
    ccf_id: str | None = None

    @classmethod
    def read(cls, value: object, pointer: str = "") -> CheckAuthenticationReq:
        fields = Fields(value, pointer)
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            supported_features=fields.required("supportedFeatures", supported_features),
            ccf_id=fields.optional("ccfId", identifier),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiInvokerId": self.api_invoker_id,
                "supportedFeatures": self.supported_features,
                "ccfId": self.ccf_id,
            }
        )


@dataclass(frozen=True)
class RevokeAuthorizationReq:
    """``RevokeAuthorizationReq``: the CCF tells the AEF that an invoker's authorization is revoked
    (TS 33.122 clauses 6.2 and 6.6)."""

    revoke_info: SecurityNotification
    supported_features: str

    @classmethod
    def read(cls, value: object, pointer: str = "") -> RevokeAuthorizationReq:
        fields = Fields(value, pointer)
        return cls(
            revoke_info=fields.required("revokeInfo", _notification),
            supported_features=fields.required("supportedFeatures", supported_features),
        )

    def to_json(self) -> JsonObject:
        return {"revokeInfo": self.revoke_info.to_json(), "supportedFeatures": self.supported_features}


def _notification(value: object, pointer: str) -> SecurityNotification:
    return SecurityNotification.read(value, pointer)


def answered_features(requested: str) -> JsonObject:
    """``CheckAuthenticationRsp`` / ``RevokeAuthorizationRsp``: the negotiated ``supportedFeatures``."""
    return {"supportedFeatures": negotiated_features(requested) or "0"}
