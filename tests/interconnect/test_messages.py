"""The non-standard CAPIF-6/6e bodies: what the code writes conforms to the JSON Schemas documented in
``docs/interconnect-schemas/``, reads back to the same value, and what the schemas refuse the readers
refuse too (a 400 naming the member)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.apitypes.problems import BadRequestError
from impl.apitypes.publish import InterfaceDescription
from impl.apitypes.security import SecurityInformation
from impl.interconnect.messages import (
    AccessControlPolicyRequest,
    AccessControlPolicyResponse,
    AccessTokenRelayRequest,
    RevocationNotification,
    RevocationRequest,
    SecurityInformationRequest,
    SecurityInformationResponse,
    SecurityInformationUpdate,
    SecurityMethodRequest,
    SecurityMethodResponse,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "interconnect-schemas"
INTERFACE = InterfaceDescription(ipv4_addr="192.0.2.7", port=9001, api_prefix="/psk")
ASKED = SecurityInformation(
    pref_security_methods=(SecurityMethod.PSK, SecurityMethod.PKI), interface_details=INTERFACE, api_id="API1"
)
INVOKER = "INV0123@ccf-b"
MESSAGES: dict[str, Any] = {
    "security-method-request": SecurityMethodRequest(INVOKER, (ASKED,)),
    "security-method-response": SecurityMethodResponse((ASKED.selected(SecurityMethod.PSK),)),
    "security-information-request": SecurityInformationRequest(INVOKER, "AEF1", (SecurityMethod.PSK,)),
    "security-information-response": SecurityInformationResponse(
        INVOKER,
        (
            SecurityInformation(
                pref_security_methods=(SecurityMethod.PSK,),
                interface_details=INTERFACE,
                sel_security_method=SecurityMethod.PSK,
                authentication_info="00" * 32,
            ),
        ),
        "https://192.0.2.9/notifications",
    ),
    "access-token-relay-request": AccessTokenRelayRequest(INVOKER, "3gpp#AEF1:hello", INVOKER),
    "access-control-policy-request": AccessControlPolicyRequest(INVOKER, "AEF1", ("hello", "hello-2")),
    "access-control-policy-response": AccessControlPolicyResponse(("hello",)),
    "revocation-notification": RevocationNotification(
        INVOKER, RevocationCause.UNEXPECTED_REASON, "offboarded"
    ),
    "security-information-update": SecurityInformationUpdate(INVOKER, "AEF1"),
    "revocation-request": RevocationRequest(
        INVOKER, "AEF1", ("API1", "API2"), RevocationCause.OVERLIMIT_USAGE
    ),
}


def _schema(name: str) -> dict[str, Any]:
    document = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    assert isinstance(document, dict)
    return document


def test_every_schema_has_a_message_and_is_marked_non_standard() -> None:
    assert {path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json")} == set(MESSAGES)
    for name in MESSAGES:
        assert "NON-STANDARD" in str(_schema(name)["description"])


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_the_message_conforms_and_reads_back(name: str) -> None:
    message = MESSAGES[name]
    document = message.to_json()
    jsonschema.validate(document, _schema(name))
    assert type(message).read(document) == message


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_what_the_schema_refuses_the_reader_refuses(name: str) -> None:
    message = MESSAGES[name]
    document = message.to_json()
    for member in _schema(name)["required"]:
        broken = {key: value for key, value in document.items() if key != member}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, _schema(name))
        with pytest.raises(BadRequestError, match=member):
            type(message).read(broken)
