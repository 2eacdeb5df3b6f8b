"""Who is calling: the role and id the HTTP layer authenticated from the TLS client certificate.

TS 33.122 clause 5 protects CAPIF-1e and CAPIF-3/4/5 with mutual TLS; the CCF issues the client
certificates itself (onboarding, registration), so a certificate's serial names exactly one caller
(see :meth:`impl.ccf.credentials.Credentials.caller_for_certificate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from impl.apitypes.enums import ApiProviderFuncRole


class Role(StrEnum):
    """The CAPIF entity a caller is (TS 23.222 clause 6)."""

    INVOKER = "INVOKER"
    AEF = "AEF"
    APF = "APF"
    AMF = "AMF"

    @classmethod
    def of_function(cls, role: ApiProviderFuncRole) -> Role:
        return cls(str(role))


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: its role and its CCF-assigned id (apiInvokerId or apiProvFuncId)."""

    role: Role
    id: str

    def is_(self, role: Role, entity_id: str) -> bool:
        return self.role is role and self.id == entity_id
