"""Who is calling: the role and id the HTTP layer authenticated from the TLS client certificate; and
what an API invoker ID says about the CCF that issued it.

TS 33.122 clause 5 protects CAPIF-1e and CAPIF-3/4/5 with mutual TLS; the CCF issues the client
certificates itself (onboarding, registration), so a certificate's serial names exactly one caller
(see :meth:`impl.ccf.credentials.Credentials.caller_for_certificate`).

An API invoker ID is ``INV<120 random bits in hex>@<ccfId>``: TS 29.222 leaves its form to the CCF
that assigns it, and carrying the issuing CCF lets the CCF of another provider resolve the invoker's
home CCF from the ID alone (option ``home-ccf-resolution``, contribution 000 7.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from impl.apitypes.enums import ApiProviderFuncRole

INVOKER_ID_SEPARATOR = "@"


class Role(StrEnum):
    """The CAPIF entity a caller is (TS 23.222 clause 6): the CCF's own consumers, the CCF of another
    provider (CAPIF-6/6e, clause 8.25) and a resource owner function (CAPIF-8, contribution 003)."""

    INVOKER = "INVOKER"
    AEF = "AEF"
    APF = "APF"
    AMF = "AMF"
    CCF = "CCF"
    ROF = "ROF"

    @classmethod
    def of_function(cls, role: ApiProviderFuncRole) -> Role:
        return cls(str(role))

    @classmethod
    def of_certificate(cls, role: str) -> Role | None:
        """The role a certificate's ``urn:capifsec:<role>:<id>`` names (``invoker``, ``aef``, ...)."""
        try:
            return cls(role.upper())
        except ValueError:
            return None


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: its role and its CCF-assigned id (apiInvokerId or apiProvFuncId)."""

    role: Role
    id: str

    def is_(self, role: Role, entity_id: str) -> bool:
        return self.role is role and self.id == entity_id


def invoker_id_of(random_part: str, ccf_id: str) -> str:
    """The API invoker ID a CCF assigns: ``random_part`` and the issuing ``ccf_id``."""
    return f"{random_part}{INVOKER_ID_SEPARATOR}{ccf_id}"


def issuing_ccf(api_invoker_id: str) -> str | None:
    """The CCF an API invoker ID names as its issuer (its home CCF), or None when it names none."""
    _, separator, ccf_id = api_invoker_id.rpartition(INVOKER_ID_SEPARATOR)
    return ccf_id if separator and ccf_id else None
