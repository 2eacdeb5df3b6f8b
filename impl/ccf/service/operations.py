"""Who may call what on the CCF: the role table the CCF's routes are built from.

Each :class:`Operation` is one TS 29.222 service operation bound to its HTTP method and resource
(the Rel-18 OpenAPI files), with the consumers TS 29.222 Table 5.1-1 names for it, each on the
reference point TS 23.222 clause 6.2 puts that consumer on: the API invoker on CAPIF-1e, the AEF on
CAPIF-3, the APF on CAPIF-4, the AMF on CAPIF-5. An :class:`Endpoint` is one port of the CCF and the
(role, reference point) pairs whose client certificates it authenticates. Every endpoint routes
every operation (:mod:`impl.ccf.service.gate`), so a path answers the same 405 with ``Allow`` on
either port, and a caller that is not a consumer on that endpoint gets 403 before any resource is
looked up.

Extending: a new reference point (CAPIF-6/6e for a peer CCF, CAPIF-8 for a resource owner function)
is a member of :class:`ReferencePoint`, its endpoint an :class:`Endpoint` naming the roles it
authenticates, and its operations rows of :data:`OPERATIONS` (or of a table of its own passed to
the gate); the documentation table is rendered from the same data (:func:`markdown_table`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from impl.ccf.identity import Role


class ReferencePoint(StrEnum):
    """Reference points between the CCF and its consumers (TS 23.222 clause 6.2)."""

    CAPIF_1E = "CAPIF-1e"
    CAPIF_3 = "CAPIF-3"
    CAPIF_4 = "CAPIF-4"
    CAPIF_5 = "CAPIF-5"


_ROLE_NAMES = {Role.INVOKER: "API invoker", Role.AEF: "AEF", Role.APF: "APF", Role.AMF: "AMF"}


class Credential(StrEnum):
    """How a request authenticates its caller.

    ``certificate``: the client certificate the CCF issued, checked per request (401 ProblemDetails
    when absent or not live). ``oauth-client``: the same, refused as an ``AccessTokenErr``
    ``invalid_client`` (RFC 6749 clause 5.2). ``onboarding-secret`` and ``reg-sec``: the one-time
    secret of onboarding (``Authorization: Bearer``) or of provider registration (``regSec``), for a
    caller that has no certificate yet; the handler checks it.
    """

    CERTIFICATE = "certificate"
    OAUTH_CLIENT = "oauth-client"
    ONBOARDING_SECRET = "onboarding-secret"
    REG_SEC = "reg-sec"

    @property
    def is_secret(self) -> bool:
        return self in (Credential.ONBOARDING_SECRET, Credential.REG_SEC)


@dataclass(frozen=True)
class Consumer:
    """A consumer of an operation: a role on the reference point it uses."""

    role: Role
    reference_point: ReferencePoint

    def __str__(self) -> str:
        return f"{_ROLE_NAMES.get(self.role, str(self.role))} on {self.reference_point}"


@dataclass(frozen=True)
class Subject:
    """A request parameter that must name the caller itself (its apiInvokerId or apiProvFuncId),
    checked before any resource is looked up."""

    parameter: str
    in_query: bool = False

    def __str__(self) -> str:
        return f"`{self.parameter}` {'(query)' if self.in_query else ''}".rstrip()


@dataclass(frozen=True)
class Operation:
    """One row of the role table."""

    key: str
    service: str
    operation: str
    method: str
    path: str
    consumers: tuple[Consumer, ...]
    clause: str
    success: str
    credential: Credential = Credential.CERTIFICATE
    subject: Subject | None = None


@dataclass(frozen=True)
class Endpoint:
    """A CCF port: the (role, reference point) pairs it authenticates by client certificate, and
    the reference points whose secret-authenticated operations (no certificate yet) it serves."""

    name: str
    certificates: tuple[Consumer, ...]
    secrets: tuple[ReferencePoint, ...] = ()

    def admits(self, operation: Operation, role: Role) -> bool:
        """Whether a caller of ``role`` authenticated here is a consumer of ``operation`` here."""
        return any(pair.role is role and pair in operation.consumers for pair in self.certificates)

    def serves(self, operation: Operation) -> bool:
        """Whether some consumer of ``operation`` reaches it on this endpoint."""
        if operation.credential.is_secret:
            return any(consumer.reference_point in self.secrets for consumer in operation.consumers)
        return any(pair in operation.consumers for pair in self.certificates)


INVOKER = Consumer(Role.INVOKER, ReferencePoint.CAPIF_1E)
AEF = Consumer(Role.AEF, ReferencePoint.CAPIF_3)
APF = Consumer(Role.APF, ReferencePoint.CAPIF_4)
AMF = Consumer(Role.AMF, ReferencePoint.CAPIF_5)

CAPIF1E = Endpoint(
    "CAPIF-1e endpoint", certificates=(INVOKER,), secrets=(ReferencePoint.CAPIF_1E, ReferencePoint.CAPIF_5)
)
"""Invokers (certificate optional at the handshake); registration too, its AMF having no certificate
yet, so it cannot complete the mutual-TLS handshake of the CAPIF-3/4/5 endpoint."""

CAPIF345 = Endpoint("CAPIF-3/4/5 endpoint", certificates=(AEF, APF, AMF))
"""AEF, APF and AMF (client certificate required at the handshake)."""

_INVOKERS = "/api-invoker-management/v1/onboardedInvokers"
_TRUSTED = "/capif-security/v1/trustedInvokers/{apiInvokerId}"
_REGISTRATIONS = "/api-provider-management/v1/registrations"
_PUBLISHED = "/published-apis/v1/{apfId}/service-apis"
_TOKEN = "/capif-security/v1/securities/{securityId}/token"
_INVOKER_MANAGEMENT = "CAPIF_API_Invoker_Management_API"
_SECURITY = "CAPIF_Security_API"
_PUBLISH = "CAPIF_Publish_Service_API"
_PROVIDER_MANAGEMENT = "CAPIF_API_Provider_Management_API"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "onboard", _INVOKER_MANAGEMENT, "Onboard_API_Invoker", "POST", _INVOKERS, (INVOKER,),
        "TS 29.222 clause 8.4.2.2.3.1", "201, `Location`", Credential.ONBOARDING_SECRET,
    ),
    Operation(
        "update-invoker", _INVOKER_MANAGEMENT, "Update_API_Invoker_Details", "PUT",
        _INVOKERS + "/{onboardingId}", (INVOKER,), "TS 29.222 clause 8.4.2.3.3.2", "200",
        subject=Subject("onboardingId"),
    ),
    Operation(
        "offboard", _INVOKER_MANAGEMENT, "Offboard_API_Invoker", "DELETE", _INVOKERS + "/{onboardingId}",
        (INVOKER,), "TS 29.222 clause 8.4.2.3.3.1", "204", subject=Subject("onboardingId"),
    ),
    Operation(
        "discover", "CAPIF_Discover_Service_API", "Discover_Service_API", "GET",
        "/service-apis/v1/allServiceAPIs", (INVOKER,), "TS 29.222 clause 8.1.2.2.3.1", "200",
        subject=Subject("api-invoker-id", in_query=True),
    ),
    Operation(
        "create-context", _SECURITY, "Obtain_Security_Method", "PUT", _TRUSTED, (INVOKER,),
        "TS 29.222 clause 8.5.2.2.3.1", "201, `Location`", subject=Subject("apiInvokerId"),
    ),
    Operation(
        "update-context", _SECURITY, "Obtain_Security_Method (update)", "POST", _TRUSTED + "/update",
        (INVOKER,), "TS 29.222 clause 8.5.2.4.3.1", "200", subject=Subject("apiInvokerId"),
    ),
    Operation(
        "token", _SECURITY, "Obtain_Authorization", "POST", _TOKEN,
        (INVOKER,), "TS 29.222 clause 8.5.2.6.3.1", "200 `AccessTokenRsp`", Credential.OAUTH_CLIENT,
    ),
    Operation(
        "security-information", _SECURITY, "Obtain_API_Invoker_Info", "GET", _TRUSTED, (AEF,),
        "TS 29.222 clause 8.5.2.2.3.2", "200",
    ),
    Operation(
        "revoke-all", _SECURITY, "Revoke_Authorization", "DELETE", _TRUSTED, (AEF,),
        "TS 29.222 clause 8.5.2.2.3.3", "204",
    ),
    Operation(
        "revoke", _SECURITY, "Revoke_Authorization", "POST", _TRUSTED + "/delete", (AEF,),
        "TS 29.222 clause 8.5.2.5.3.1", "204",
    ),
    Operation(
        "policy-list", "CAPIF_Access_Control_Policy_API", "Obtain_Access_Control_Policy", "GET",
        "/access-control-policy/v1/accessControlPolicyList/{serviceApiId}", (AEF,),
        "TS 29.222 clause 8.6.2.2.3.1", "200", subject=Subject("aef-id", in_query=True),
    ),
    Operation(
        "publish", _PUBLISH, "Publish_Service_API", "POST", _PUBLISHED, (APF,),
        "TS 29.222 clause 8.2.2.2.3.1", "201, `Location`", subject=Subject("apfId"),
    ),
    Operation(
        "list-published", _PUBLISH, "Get_Service_API", "GET", _PUBLISHED, (APF,),
        "TS 29.222 clause 8.2.2.2.3.2", "200", subject=Subject("apfId"),
    ),
    Operation(
        "get-published", _PUBLISH, "Get_Service_API", "GET", _PUBLISHED + "/{serviceApiId}", (APF,),
        "TS 29.222 clause 8.2.2.3.3.1", "200", subject=Subject("apfId"),
    ),
    Operation(
        "update-published", _PUBLISH, "Update_Service_API", "PUT", _PUBLISHED + "/{serviceApiId}", (APF,),
        "TS 29.222 clause 8.2.2.3.3.2", "200", subject=Subject("apfId"),
    ),
    Operation(
        "unpublish", _PUBLISH, "Unpublish_Service_API", "DELETE", _PUBLISHED + "/{serviceApiId}", (APF,),
        "TS 29.222 clause 8.2.2.3.3.3", "204", subject=Subject("apfId"),
    ),
    Operation(
        "register", _PROVIDER_MANAGEMENT, "Register_API_Provider", "POST", _REGISTRATIONS, (AMF,),
        "TS 29.222 clause 8.9.2.2.3.1", "201, `Location`", Credential.REG_SEC,
    ),
    Operation(
        "update-registration", _PROVIDER_MANAGEMENT, "Update_API_Provider", "PUT",
        _REGISTRATIONS + "/{registrationId}", (AMF,), "TS 29.222 clause 8.9.2.3.3.2", "200",
    ),
    Operation(
        "deregister", _PROVIDER_MANAGEMENT, "Deregister_API_Provider", "DELETE",
        _REGISTRATIONS + "/{registrationId}", (AMF,), "TS 29.222 clause 8.9.2.3.3.1", "204",
    ),
)  # fmt: skip
"""The CCF's operations; the order is the documentation's."""

ENDPOINTS: tuple[Endpoint, ...] = (CAPIF1E, CAPIF345)

_CREDENTIAL_TEXT = {
    Credential.CERTIFICATE: "client certificate",
    Credential.OAUTH_CLIENT: "client certificate (refusals as `AccessTokenErr`)",
    Credential.ONBOARDING_SECRET: "onboarding secret (`Authorization: Bearer`)",
    Credential.REG_SEC: "`regSec`",
}


def markdown_table(operations: Iterable[Operation], endpoints: Iterable[Endpoint]) -> str:
    """The role table as the documentation shows it: one row per operation, its consumers, the
    endpoint serving it, its credential, the parameter that must name the caller, the clause."""
    served_by = tuple(endpoints)
    lines = [
        "| Operation | Request | Consumer | Endpoint | Credential | Names the caller | Success | Clause |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for operation in operations:
        where = ", ".join(endpoint.name for endpoint in served_by if endpoint.serves(operation))
        lines.append(
            f"| {operation.operation} | `{operation.method} {operation.path}` "
            f"| {', '.join(str(consumer) for consumer in operation.consumers)} | {where} "
            f"| {_CREDENTIAL_TEXT[operation.credential]} | {operation.subject or ''} | {operation.success} "
            f"| {operation.clause} |"
        )
    return "\n".join(lines) + "\n"
