"""The bodies of the CCF-to-CCF security API on CAPIF-6/6e (non-standard: no 3GPP API exists yet).

Each is JSON, named after the TS 23.222 clause 8.25.2 information flow it carries, and read strictly
like the TS 29.222 bodies (:mod:`impl.apitypes.reader`: a refusal is a 400 naming the JSON Pointer;
unknown members are ignored). Their JSON Schemas are in ``docs/interconnect-schemas/``; both the
honest CCF and any other program (a replayer playing a dishonest CCF) use these types to speak it.

Flows (request -> answer):

* security method negotiation relayed by the home CCF (001 6.X.2):
  :class:`SecurityMethodRequest` -> :class:`SecurityMethodResponse`;
* security information from the home CCF (8.25.2.17; 001 6.X.3.1; 002 steps 6-8):
  :class:`SecurityInformationRequest` -> :class:`SecurityInformationResponse`;
* access token relayed by the home CCF (8.25.2.16; 001 6.X.3.2):
  :class:`AccessTokenRelayRequest` -> ``AccessTokenRsp`` or ``AccessTokenErr`` (TS 29.222);
* access control policy from the home CCF (8.25.2.14/15; 000 7.2.3):
  :class:`AccessControlPolicyRequest` -> :class:`AccessControlPolicyResponse`;
* revocation of an invoker by its home CCF (8.25.2.13): :class:`RevocationNotification` -> 204;
* a new selection for an invoker at a peer's AEF (``cache-update-invalidation=notify``):
  :class:`SecurityInformationUpdate` -> 204;
* revocation of an invoker's authorization by an AEF of the peer, reported to the home CCF
  (8.25.2.11/12): :class:`RevocationRequest` -> 204.
"""

from __future__ import annotations

from dataclasses import dataclass

from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.apitypes.problems import Cause, invalid_body
from impl.apitypes.publish import security_methods
from impl.apitypes.reader import (
    MAX_TEXT_LENGTH,
    Fields,
    JsonObject,
    JsonValue,
    array,
    enumeration,
    identifier,
    nested,
    string,
    uri,
    without_none,
)
from impl.apitypes.security import SecurityInformation


def _entries(items: tuple[SecurityInformation, ...]) -> list[JsonValue]:
    return [item.to_json() for item in items]


@dataclass(frozen=True)
class SecurityMethodRequest:
    """The home CCF forwards an invoker's security method request for AEFs of the peer
    (contribution 001 6.X.2: "CCF-B identifies the CCF-A where the AEF is registered and forwards
    the request"). Entries as in ``ServiceSecurity.securityInfo``: preferences and target only."""

    api_invoker_id: str
    security_info: tuple[SecurityInformation, ...]

    @classmethod
    def read(cls, value: object) -> SecurityMethodRequest:
        fields = Fields(value, "")
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            security_info=fields.required("securityInfo", array(nested(SecurityInformation.read))),
        )

    def to_json(self) -> JsonObject:
        return {"apiInvokerId": self.api_invoker_id, "securityInfo": _entries(self.security_info)}


@dataclass(frozen=True)
class SecurityMethodResponse:
    """The AEF's CCF's selection for each entry (``selSecurityMethod``), in the request's order."""

    security_info: tuple[SecurityInformation, ...]

    @classmethod
    def read(cls, value: object) -> SecurityMethodResponse:
        fields = Fields(value, "")
        return cls(fields.required("securityInfo", array(nested(SecurityInformation.read_answer))))

    def to_json(self) -> JsonObject:
        return {"securityInfo": _entries(self.security_info)}


@dataclass(frozen=True)
class SecurityInformationRequest:
    """The AEF's CCF asks the invoker's home CCF for the invoker's security information for one of
    its AEFs (contribution 001 6.X.3.1 "request the security information (AEFPSK/root CA) from CCF-B";
    002 step 6). ``security_methods``: the methods the AEF offers now (only those are asked for)."""

    api_invoker_id: str
    aef_id: str
    security_methods: tuple[SecurityMethod, ...]

    @classmethod
    def read(cls, value: object) -> SecurityInformationRequest:
        fields = Fields(value, "")
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            aef_id=fields.required("aefId", identifier),
            security_methods=fields.required("securityMethods", security_methods),
        )

    def to_json(self) -> JsonObject:
        methods: list[JsonValue] = [str(method) for method in self.security_methods]
        return {"apiInvokerId": self.api_invoker_id, "aefId": self.aef_id, "securityMethods": methods}


@dataclass(frozen=True)
class SecurityInformationResponse:
    """The home CCF's answer (002 step 8): per entry, the selected method and its
    ``authenticationInfo``: AEFPSK in lower-case hex per interface (PSK), the PEM of the CA that
    certified the invoker, its root CA (PKI), nothing (OAUTH). No ``authorizationInfo``: the AEF's CCF
    decides the authorization (contribution 000 7.2.3). ``notificationDestination``: the invoker's,
    from its security context (the AEF's answer carries it)."""

    api_invoker_id: str
    security_info: tuple[SecurityInformation, ...]
    notification_destination: str

    @classmethod
    def read(cls, value: object) -> SecurityInformationResponse:
        fields = Fields(value, "")
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            security_info=fields.required(
                "securityInfo", array(nested(SecurityInformation.read_answer), min_items=0)
            ),
            notification_destination=fields.required("notificationDestination", uri),
        )

    def to_json(self) -> JsonObject:
        return {
            "apiInvokerId": self.api_invoker_id,
            "securityInfo": _entries(self.security_info),
            "notificationDestination": self.notification_destination,
        }


@dataclass(frozen=True)
class AccessTokenRelayRequest:
    """The home CCF relays an invoker's access token request for AEFs of the peer (contribution 001
    6.X.3.2; 000 7.2.3 "CCF-A can send the access token request to CCF-B"). ``client_id`` and
    ``scope`` as in ``AccessTokenReq``; ``requested_by`` is the invoker the home CCF authenticated."""

    client_id: str
    scope: str
    requested_by: str

    @classmethod
    def read(cls, value: object) -> AccessTokenRelayRequest:
        fields = Fields(value, "")
        return cls(
            client_id=fields.required("clientId", identifier),
            scope=fields.required("scope", string(MAX_TEXT_LENGTH)),
            requested_by=fields.required("requestedBy", identifier),
        )

    def to_json(self) -> JsonObject:
        return {"clientId": self.client_id, "scope": self.scope, "requestedBy": self.requested_by}


@dataclass(frozen=True)
class AccessControlPolicyRequest:
    """The AEF's CCF, whose own policy does not let the invoker use ``api_names`` at ``aef_id``, asks
    the invoker's home CCF for its policy (contribution 000 7.2.3: "CCF-B learns access control
    policy from CCF-A"; TS 23.222 8.25.2.14)."""

    api_invoker_id: str
    aef_id: str
    api_names: tuple[str, ...]

    @classmethod
    def read(cls, value: object) -> AccessControlPolicyRequest:
        fields = Fields(value, "")
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            aef_id=fields.required("aefId", identifier),
            api_names=fields.required("apiNames", array(identifier, unique=True)),
        )

    def to_json(self) -> JsonObject:
        names: list[JsonValue] = list(self.api_names)
        return {"apiInvokerId": self.api_invoker_id, "aefId": self.aef_id, "apiNames": names}


@dataclass(frozen=True)
class AccessControlPolicyResponse:
    """The API names the home CCF's policy lets the invoker use at the AEF (TS 23.222 8.25.2.15)."""

    api_names: tuple[str, ...]

    @classmethod
    def read(cls, value: object) -> AccessControlPolicyResponse:
        fields = Fields(value, "")
        return cls(fields.required("apiNames", array(identifier, unique=True, min_items=0)))

    def to_json(self) -> JsonObject:
        names: list[JsonValue] = list(self.api_names)
        return {"apiNames": names}


@dataclass(frozen=True)
class RevocationNotification:
    """The home CCF tells a peer that an invoker's security information is void (offboarded, its
    security context deleted or an authorization revoked; TS 23.222 8.25.2.13, TS 33.122 clause 6.2):
    the peer drops what it learnt and tells its AEFs (``revoke-authorization``)."""

    api_invoker_id: str
    cause: RevocationCause
    detail: str | None = None

    @classmethod
    def read(cls, value: object) -> RevocationNotification:
        fields = Fields(value, "")
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            cause=fields.required("cause", enumeration(RevocationCause)),
            detail=fields.optional("detail", string(MAX_TEXT_LENGTH)),
        )

    def to_json(self) -> JsonObject:
        return without_none(
            {"apiInvokerId": self.api_invoker_id, "cause": str(self.cause), "detail": self.detail}
        )


@dataclass(frozen=True)
class RevocationRequest:
    """The AEF's CCF tells the invoker's home CCF that one of its AEFs revoked the invoker's
    authorization for some of its service APIs (TS 23.222 8.25.2.11, answered 204 as 8.25.2.12;
    TS 23.222 8.23.3 and TS 33.122 clause 6.6 within one provider): the home CCF stops granting
    them, drops what it selected for them and notifies the invoker (TS 23.222 8.23.3 step 6)."""

    api_invoker_id: str
    aef_id: str
    api_ids: tuple[str, ...]
    cause: RevocationCause

    @classmethod
    def read(cls, value: object) -> RevocationRequest:
        fields = Fields(value, "")
        request = cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            aef_id=fields.required("aefId", identifier),
            api_ids=fields.required("apiIds", array(identifier, unique=True)),
            cause=fields.required("cause", enumeration(RevocationCause)),
        )
        if request.cause is RevocationCause.CREDENTIAL_UPDATED:
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/cause", "is not a revocation cause")
        return request

    def to_json(self) -> JsonObject:
        api_ids: list[JsonValue] = list(self.api_ids)
        return {
            "apiInvokerId": self.api_invoker_id,
            "aefId": self.aef_id,
            "apiIds": api_ids,
            "cause": str(self.cause),
        }


@dataclass(frozen=True)
class SecurityInformationUpdate:
    """The home CCF tells the AEF's CCF that it selected anew for the invoker at that AEF (a new method
    or a new AEFPSK, contribution 004's re-negotiation): what the AEF's CCF keeps of the invoker's
    security information for that AEF is out of date (``cache-update-invalidation=notify``)."""

    api_invoker_id: str
    aef_id: str

    @classmethod
    def read(cls, value: object) -> SecurityInformationUpdate:
        fields = Fields(value, "")
        return cls(
            api_invoker_id=fields.required("apiInvokerId", identifier),
            aef_id=fields.required("aefId", identifier),
        )

    def to_json(self) -> JsonObject:
        return {"apiInvokerId": self.api_invoker_id, "aefId": self.aef_id}
