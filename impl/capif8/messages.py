"""The CAPIF-8 bodies (non-standard; contribution 003 specifies the protection, not the messages).

``POST /capifsec-capif8/v1/resource-owner-authorizations`` carries a
:class:`ResourceOwnerAuthorization`: the ROF records that the resource owner ``resOwnerId`` (TS 29.222
``AccessTokenReq.resOwnerId``) authorizes the API invoker for the named APIs at one AEF (TS 23.222
clause 8.31); the AzF answers it with its ``authorizationId``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from impl.apitypes.reader import Fields, JsonObject, JsonValue, array, identifier, without_none


@dataclass(frozen=True)
class ResourceOwnerAuthorization:
    """A resource owner's authorization of one invoker for APIs at one AEF, as a ROF records it."""

    res_owner_id: str
    api_invoker_id: str
    aef_id: str
    api_names: tuple[str, ...]
    rof_id: str | None = None
    authorization_id: str | None = None

    @classmethod
    def read(cls, value: object) -> ResourceOwnerAuthorization:
        fields = Fields(value, "")
        return cls(
            res_owner_id=fields.required("resOwnerId", identifier),
            api_invoker_id=fields.required("apiInvokerId", identifier),
            aef_id=fields.required("aefId", identifier),
            api_names=fields.required("apiNames", array(identifier, unique=True)),
            rof_id=fields.optional("rofId", identifier),
            authorization_id=fields.optional("authorizationId", identifier),
        )

    def recorded(self, authorization_id: str, rof_id: str) -> ResourceOwnerAuthorization:
        return replace(self, authorization_id=authorization_id, rof_id=rof_id)

    def to_json(self) -> JsonObject:
        names: list[JsonValue] = list(self.api_names)
        return without_none(
            {
                "authorizationId": self.authorization_id,
                "rofId": self.rof_id,
                "resOwnerId": self.res_owner_id,
                "apiInvokerId": self.api_invoker_id,
                "aefId": self.aef_id,
                "apiNames": names,
            }
        )
