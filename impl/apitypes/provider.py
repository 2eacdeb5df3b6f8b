"""TS 29.222 CAPIF_API_Provider_Management_API data types (clause 8.9.4), as read and written by the CCF."""

from __future__ import annotations

from dataclasses import dataclass, replace

from impl.apitypes.enums import ApiProviderFuncRole
from impl.apitypes.reader import (
    MAX_PEM_LENGTH,
    MAX_TEXT_LENGTH,
    Fields,
    JsonObject,
    array,
    enumeration,
    identifier,
    nested,
    string,
    supported_features,
    without_none,
)


@dataclass(frozen=True)
class RegistrationInformation:
    """TS 29.222 ``RegistrationInformation``: ``apiProvPubKey`` is a PEM CSR; the CCF adds ``apiProvCert``."""

    api_prov_pub_key: str
    api_prov_cert: str | None = None

    @classmethod
    def read(cls, fields: Fields) -> RegistrationInformation:
        return cls(api_prov_pub_key=fields.required("apiProvPubKey", string(MAX_PEM_LENGTH)))

    def to_json(self) -> JsonObject:
        return without_none({"apiProvPubKey": self.api_prov_pub_key, "apiProvCert": self.api_prov_cert})


@dataclass(frozen=True)
class APIProviderFunctionDetails:
    """TS 29.222 ``APIProviderFunctionDetails``."""

    reg_info: RegistrationInformation
    api_prov_func_role: ApiProviderFuncRole
    api_prov_func_id: str | None = None
    api_prov_func_info: str | None = None

    @classmethod
    def read_new(cls, fields: Fields) -> APIProviderFunctionDetails:
        """A function in a registration request: the CCF assigns ``apiProvFuncId``."""
        fields.absent("apiProvFuncId", "is assigned by the CAPIF core function")
        return cls.read(fields)

    @classmethod
    def read(cls, fields: Fields) -> APIProviderFunctionDetails:
        return cls(
            reg_info=fields.required("regInfo", nested(RegistrationInformation.read)),
            api_prov_func_role=fields.required("apiProvFuncRole", enumeration(ApiProviderFuncRole)),
            api_prov_func_id=fields.optional("apiProvFuncId", identifier),
            api_prov_func_info=fields.optional("apiProvFuncInfo", string(MAX_TEXT_LENGTH)),
        )

    def assigned(self, func_id: str, certificate_pem: str) -> APIProviderFunctionDetails:
        info = replace(self.reg_info, api_prov_cert=certificate_pem)
        return replace(self, api_prov_func_id=func_id, reg_info=info)

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiProvFuncId": self.api_prov_func_id,
                "regInfo": self.reg_info.to_json(),
                "apiProvFuncRole": str(self.api_prov_func_role),
                "apiProvFuncInfo": self.api_prov_func_info,
            }
        )


@dataclass(frozen=True)
class APIProviderEnrolmentDetails:
    """TS 29.222 ``APIProviderEnrolmentDetails``.

    The OpenAPI makes ``apiProvFuncs`` optional; a domain without functions cannot be managed or
    used, so the CCF requires at least one function.
    """

    reg_sec: str
    api_prov_funcs: tuple[APIProviderFunctionDetails, ...]
    api_prov_dom_id: str | None = None
    api_prov_dom_info: str | None = None
    supp_feat: str | None = None
    fail_reason: str | None = None

    @classmethod
    def read(cls, value: object, pointer: str = "", *, creating: bool) -> APIProviderEnrolmentDetails:
        """Read a request body; ``creating`` refuses CCF-assigned ids (TS 29.222 8.9.4.2.2)."""
        fields = Fields(value, pointer)
        if creating:
            fields.absent("apiProvDomId", "is assigned by the CAPIF core function")
        read_function = APIProviderFunctionDetails.read_new if creating else APIProviderFunctionDetails.read
        return cls(
            reg_sec=fields.required("regSec", string(MAX_TEXT_LENGTH)),
            api_prov_funcs=fields.required("apiProvFuncs", array(nested(read_function))),
            api_prov_dom_id=None if creating else fields.required("apiProvDomId", identifier),
            api_prov_dom_info=fields.optional("apiProvDomInfo", string(MAX_TEXT_LENGTH)),
            supp_feat=fields.optional("suppFeat", supported_features),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {
                "apiProvDomId": self.api_prov_dom_id,
                "regSec": self.reg_sec,
                "apiProvFuncs": [function.to_json() for function in self.api_prov_funcs],
                "apiProvDomInfo": self.api_prov_dom_info,
                "suppFeat": self.supp_feat,
                "failReason": self.fail_reason,
            }
        )
