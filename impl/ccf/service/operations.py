"""Who may call what on the CCF: the role table the routes of every CCF endpoint are built from.

Each :class:`Operation` is one service operation bound to its HTTP method and resource, with the
consumers that may call it, each on the reference point TS 23.222 clause 6.2 puts that consumer on:

* the TS 29.222 operations (the Rel-18 OpenAPI files), with the consumers TS 29.222 Table 5.1-1 names:
  the API invoker on CAPIF-1e, the AEF on CAPIF-3, the APF on CAPIF-4, the AMF on CAPIF-5, and the
  CAPIF core function of another provider on CAPIF-6/6e (Publish and Discover, TS 23.222 clause 8.25);
* the **non-standard** operations that carry flows no 3GPP API defines yet (``standard=False``): the
  CCF-to-CCF security flows on CAPIF-6/6e (named after TS 23.222 clause 8.25.2 and contributions 000
  to 002) and the resource owner function's on CAPIF-8 (contribution 003).

An :class:`Endpoint` is one port of the CCF and the consumers it authenticates. Every endpoint routes
every operation (:mod:`impl.ccf.service.gate`), so a path answers the same 405 with ``Allow`` on every
port, and a caller that is not a consumer on that endpoint gets 403 before anything is looked up. The
documentation table is rendered from the same data (:func:`markdown_table`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from impl.ccf.identity import Role


class ReferencePoint(StrEnum):
    """Reference points between the CCF and its consumers (TS 23.222 clauses 6.2 and 8.25;
    contribution 003 for CAPIF-8). CAPIF-6 and CAPIF-6e differ only in their protection
    (``capif6-protection``) and share one endpoint."""

    CAPIF_1E = "CAPIF-1e"
    CAPIF_3 = "CAPIF-3"
    CAPIF_4 = "CAPIF-4"
    CAPIF_5 = "CAPIF-5"
    CAPIF_6 = "CAPIF-6/6e"
    CAPIF_8 = "CAPIF-8"


_ROLE_NAMES = {
    Role.INVOKER: "API invoker",
    Role.AEF: "AEF",
    Role.APF: "APF",
    Role.AMF: "AMF",
    Role.CCF: "CCF",
    Role.ROF: "ROF",
}


class Credential(StrEnum):
    """How a request authenticates its caller.

    ``certificate``: the client certificate, its ``urn:capifsec:<role>:<id>`` naming the caller,
    checked per request: a certificate the CCF issued must be live (401 ProblemDetails when absent or
    not live); a peer CCF's must come from its agreement's CA (without CAPIF-6/6e protection the CCF
    names itself in a header). ``oauth-client``: the same, refused as an ``AccessTokenErr``
    ``invalid_client`` (RFC 6749 clause 5.2). ``onboarding-secret`` and ``reg-sec``: the one-time
    secret of onboarding (``Authorization: Bearer``) or of provider registration (``regSec``), for a
    caller that has no certificate yet; the handler checks it. ``rof``: what ``rof-authentication``
    names (certificate, TLS-PSK identity, password, or the ROF's own word).
    """

    CERTIFICATE = "certificate"
    OAUTH_CLIENT = "oauth-client"
    ONBOARDING_SECRET = "onboarding-secret"
    REG_SEC = "reg-sec"
    ROF = "rof"

    @property
    def is_secret(self) -> bool:
        return self in (Credential.ONBOARDING_SECRET, Credential.REG_SEC)


@dataclass(frozen=True)
class Consumer:
    """A consumer of an operation: a role on the reference point it uses."""

    role: Role
    reference_point: ReferencePoint

    def __str__(self) -> str:
        return f"{_ROLE_NAMES[self.role]} on {self.reference_point}"


@dataclass(frozen=True)
class Subject:
    """A request parameter that must name the caller itself (its apiInvokerId, apiProvFuncId or
    ccfId), checked before any resource is looked up."""

    parameter: str
    in_query: bool = False

    def __str__(self) -> str:
        return f"`{self.parameter}` {'(query)' if self.in_query else ''}".rstrip()


@dataclass(frozen=True)
class Operation:
    """One row of the role table; ``standard`` is False for an operation of this implementation's own
    API (no 3GPP API carries its flow yet)."""

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
    standard: bool = True


@dataclass(frozen=True)
class Endpoint:
    """A CCF port: the consumers (role, reference point) it authenticates, and the reference points
    whose secret-authenticated operations (no certificate yet) it serves."""

    name: str
    consumers: tuple[Consumer, ...]
    secrets: tuple[ReferencePoint, ...] = ()

    def admits(self, operation: Operation, role: Role) -> bool:
        """Whether a caller of ``role`` authenticated here is a consumer of ``operation`` here."""
        return any(pair.role is role and pair in operation.consumers for pair in self.consumers)

    def serves(self, operation: Operation) -> bool:
        """Whether some consumer of ``operation`` reaches it on this endpoint."""
        if operation.credential.is_secret:
            return any(consumer.reference_point in self.secrets for consumer in operation.consumers)
        return any(pair in operation.consumers for pair in self.consumers)


INVOKER = Consumer(Role.INVOKER, ReferencePoint.CAPIF_1E)
AEF = Consumer(Role.AEF, ReferencePoint.CAPIF_3)
APF = Consumer(Role.APF, ReferencePoint.CAPIF_4)
AMF = Consumer(Role.AMF, ReferencePoint.CAPIF_5)
PEER_CCF = Consumer(Role.CCF, ReferencePoint.CAPIF_6)
ROF = Consumer(Role.ROF, ReferencePoint.CAPIF_8)

CAPIF1E = Endpoint(
    "CAPIF-1e endpoint", consumers=(INVOKER,), secrets=(ReferencePoint.CAPIF_1E, ReferencePoint.CAPIF_5)
)
"""Invokers (certificate optional at the handshake); registration too, its AMF having no certificate
yet, so it cannot complete the mutual-TLS handshake of the CAPIF-3/4/5 endpoint."""

CAPIF345 = Endpoint("CAPIF-3/4/5 endpoint", consumers=(AEF, APF, AMF))
"""AEF, APF and AMF (client certificate required at the handshake)."""

CAPIF6 = Endpoint("CAPIF-6/6e endpoint", consumers=(PEER_CCF,))
"""The CCFs of other providers (:mod:`impl.interconnect.server`; client certificate required at the
handshake, from this CCF's CA or a peer's)."""

CAPIF8 = Endpoint("CAPIF-8 endpoint", consumers=(ROF,))
"""Resource owner functions (:mod:`impl.capif8.server`; TLS and ROF authentication as the options say)."""

_INVOKERS = "/api-invoker-management/v1/onboardedInvokers"
_TRUSTED = "/capif-security/v1/trustedInvokers/{apiInvokerId}"
_REGISTRATIONS = "/api-provider-management/v1/registrations"
_PUBLISHED = "/published-apis/v1/{apfId}/service-apis"
ALL_SERVICE_APIS = "/service-apis/v1/allServiceAPIs"
PUBLISHED_APIS = _PUBLISHED
INTERCONNECT = "/capifsec-interconnect/v1"
"""The base path of the non-standard CCF-to-CCF security API on CAPIF-6/6e."""
SECURITY_METHOD_REQUESTS = INTERCONNECT + "/security-method-requests"
SECURITY_INFORMATION_REQUESTS = INTERCONNECT + "/security-information-requests"
ACCESS_TOKEN_REQUESTS = INTERCONNECT + "/access-token-requests"
ACCESS_CONTROL_POLICY_REQUESTS = INTERCONNECT + "/access-control-policy-requests"
REVOCATION_NOTIFICATIONS = INTERCONNECT + "/revocation-notifications"
REVOCATION_REQUESTS = INTERCONNECT + "/revocation-requests"
SECURITY_INFORMATION_UPDATES = INTERCONNECT + "/security-information-updates"
RESOURCE_OWNER_AUTHORIZATIONS = "/capifsec-capif8/v1/resource-owner-authorizations"
"""The non-standard CAPIF-8 API (contribution 003)."""
_TOKEN = "/capif-security/v1/securities/{securityId}/token"
_INVOKER_MANAGEMENT = "CAPIF_API_Invoker_Management_API"
_SECURITY = "CAPIF_Security_API"
_PUBLISH = "CAPIF_Publish_Service_API"
_PROVIDER_MANAGEMENT = "CAPIF_API_Provider_Management_API"
_INTERCONNECT_API = "capifsec interconnection API"
_CAPIF8_API = "capifsec CAPIF-8 API"

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
        ALL_SERVICE_APIS, (INVOKER, PEER_CCF), "TS 29.222 clause 8.1.2.2.3.1; TS 23.222 8.25.3.3", "200",
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
        "publish", _PUBLISH, "Publish_Service_API", "POST", _PUBLISHED, (APF, PEER_CCF),
        "TS 29.222 clause 8.2.2.2.3.1; TS 23.222 8.25.3.1", "201, `Location`", subject=Subject("apfId"),
    ),
    Operation(
        "list-published", _PUBLISH, "Get_Service_API", "GET", _PUBLISHED, (APF, PEER_CCF),
        "TS 29.222 clause 8.2.2.2.3.2; TS 23.222 8.25.3.5", "200", subject=Subject("apfId"),
    ),
    Operation(
        "get-published", _PUBLISH, "Get_Service_API", "GET", _PUBLISHED + "/{serviceApiId}",
        (APF, PEER_CCF), "TS 29.222 clause 8.2.2.3.3.1; TS 23.222 8.25.3.5", "200", subject=Subject("apfId"),
    ),
    Operation(
        "update-published", _PUBLISH, "Update_Service_API", "PUT", _PUBLISHED + "/{serviceApiId}",
        (APF, PEER_CCF), "TS 29.222 clause 8.2.2.3.3.2; TS 23.222 8.25.3.6", "200", subject=Subject("apfId"),
    ),
    Operation(
        "unpublish", _PUBLISH, "Unpublish_Service_API", "DELETE", _PUBLISHED + "/{serviceApiId}",
        (APF, PEER_CCF), "TS 29.222 clause 8.2.2.3.3.3; TS 23.222 8.25.3.4", "204", subject=Subject("apfId"),
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
    Operation(
        "relay-negotiation", _INTERCONNECT_API, "Interconnection_Security_Method", "POST",
        SECURITY_METHOD_REQUESTS, (PEER_CCF,), "contribution 001 6.X.2", "200", standard=False,
    ),
    Operation(
        "release-security-information", _INTERCONNECT_API, "Interconnection_Security_Information", "POST",
        SECURITY_INFORMATION_REQUESTS, (PEER_CCF,), "TS 23.222 8.25.2.17; contribution 001 6.X.3.1",
        "200", standard=False,
    ),
    Operation(
        "relay-token", _INTERCONNECT_API, "Interconnection_Obtain_Authorization", "POST",
        ACCESS_TOKEN_REQUESTS, (PEER_CCF,), "TS 23.222 8.25.2.16; contribution 001 6.X.3.2",
        "200 `AccessTokenRsp`", standard=False,
    ),
    Operation(
        "home-policy", _INTERCONNECT_API, "Interconnection_Obtain_Access_Control_Policy", "POST",
        ACCESS_CONTROL_POLICY_REQUESTS, (PEER_CCF,), "TS 23.222 8.25.2.14/15; contribution 000 7.2.3",
        "200", standard=False,
    ),
    Operation(
        "revocation-notify", _INTERCONNECT_API, "Interconnection_Revoke_Authorization_Notify", "POST",
        REVOCATION_NOTIFICATIONS, (PEER_CCF,), "TS 23.222 8.25.2.13", "204", standard=False,
    ),
    Operation(
        "revocation-request", _INTERCONNECT_API, "Interconnection_Revoke_Authorization", "POST",
        REVOCATION_REQUESTS, (PEER_CCF,), "TS 23.222 8.25.2.11/12", "204", standard=False,
    ),
    Operation(
        "security-information-update", _INTERCONNECT_API, "Interconnection_Security_Information_Update",
        "POST", SECURITY_INFORMATION_UPDATES, (PEER_CCF,), "contribution 004; contribution 001 6.X.3.1",
        "204", standard=False,
    ),
    Operation(
        "record-authorization", _CAPIF8_API, "Record_Resource_Owner_Authorization", "POST",
        RESOURCE_OWNER_AUTHORIZATIONS, (ROF,), "contribution 003 6.2", "201, `Location`", Credential.ROF,
        standard=False,
    ),
    Operation(
        "withdraw-authorization", _CAPIF8_API, "Withdraw_Resource_Owner_Authorization", "DELETE",
        RESOURCE_OWNER_AUTHORIZATIONS + "/{authorizationId}", (ROF,), "contribution 003 6.2", "204",
        Credential.ROF, standard=False,
    ),
)  # fmt: skip
"""The CCF's operations; the order is the documentation's."""

ENDPOINTS: tuple[Endpoint, ...] = (CAPIF1E, CAPIF345, CAPIF6, CAPIF8)

_CREDENTIAL_TEXT = {
    Credential.CERTIFICATE: "client certificate",
    Credential.OAUTH_CLIENT: "client certificate (refusals as `AccessTokenErr`)",
    Credential.ONBOARDING_SECRET: "onboarding secret (`Authorization: Bearer`)",
    Credential.REG_SEC: "`regSec`",
    Credential.ROF: "as `rof-authentication` names: client certificate, TLS-PSK identity, password",
}


def markdown_table(operations: Iterable[Operation], endpoints: Iterable[Endpoint]) -> str:
    """The role table as the documentation shows it: one row per operation (marked when it is not a
    3GPP operation), its consumers, the endpoints serving it, its credential, the parameter that must
    name the caller, the clause."""
    served_by = tuple(endpoints)
    lines = [
        "| Operation | Request | Consumer | Endpoint | Credential | Names the caller | Success | Clause |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for operation in operations:
        where = ", ".join(endpoint.name for endpoint in served_by if endpoint.serves(operation))
        lines.append(
            f"| {operation.operation}{'' if operation.standard else ' (non-standard)'} "
            f"| `{operation.method} {operation.path}` "
            f"| {', '.join(str(consumer) for consumer in operation.consumers)} | {where} "
            f"| {_CREDENTIAL_TEXT[operation.credential]} | {operation.subject or ''} | {operation.success} "
            f"| {operation.clause} |"
        )
    return "\n".join(lines) + "\n"
