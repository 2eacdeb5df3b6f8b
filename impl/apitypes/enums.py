"""Enumerations of the TS 29.222 OpenAPI that the CAPIF core function reads.

The OpenAPI declares each as ``anyOf`` the listed values or a free string "for forward
compatibility". This implementation is Rel-18 and refuses values it does not know: a security method
or provider function role it cannot act on must not be accepted silently.
"""

from enum import StrEnum


class SecurityMethod(StrEnum):
    """TS 29.222 ``SecurityMethod``: TS 33.122 security methods 1 (PSK), 2 (PKI) and 3 (OAUTH)."""

    PSK = "PSK"
    PKI = "PKI"
    OAUTH = "OAUTH"


class ApiProviderFuncRole(StrEnum):
    """TS 29.222 ``ApiProviderFuncRole``."""

    AEF = "AEF"
    APF = "APF"
    AMF = "AMF"


class Protocol(StrEnum):
    """TS 29.222 ``Protocol``."""

    HTTP_1_1 = "HTTP_1_1"
    HTTP_2 = "HTTP_2"
    MQTT = "MQTT"
    WEBSOCKET = "WEBSOCKET"


class DataFormat(StrEnum):
    """TS 29.222 ``DataFormat``."""

    JSON = "JSON"
    XML = "XML"
    PROTOBUF3 = "PROTOBUF3"


class CommunicationType(StrEnum):
    """TS 29.222 ``CommunicationType``."""

    REQUEST_RESPONSE = "REQUEST_RESPONSE"
    SUBSCRIBE_NOTIFY = "SUBSCRIBE_NOTIFY"


class Operation(StrEnum):
    """TS 29.222 ``Operation`` (HTTP methods)."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class RevocationCause(StrEnum):
    """TS 29.222 ``Cause`` of a ``SecurityNotification`` (revoked authorization).

    ``CREDENTIAL_UPDATED`` is this implementation's extension of the (extensible) enumeration, sent by
    the CCF to an AEF only: the invoker's credential changed (a new certificate at
    ``PUT onboardedInvokers/{id}``), so the AEF must forget the security information it cached, and
    revokes no authorization. A CCF refuses it in a revocation request.
    """

    OVERLIMIT_USAGE = "OVERLIMIT_USAGE"
    UNEXPECTED_REASON = "UNEXPECTED_REASON"
    CREDENTIAL_UPDATED = "CREDENTIAL_UPDATED"


class AuthorizationFlow(StrEnum):
    """TS 29.222 ``AuthorizationFlow``."""

    CLIENT_CREDENTIALS_FLOW = "CLIENT_CREDENTIALS_FLOW"
    AUTHORIZATION_CODE_FLOW = "AUTHORIZATION_CODE_FLOW"
    AUTHORIZATION_CODE_FLOW_WITH_PKCE = "AUTHORIZATION_CODE_FLOW_WITH_PKCE"
