"""The API exposing function (TS 23.222 clause 6; TS 33.122 clause 6.5): CAPIF-2e interfaces with the
three security methods (TLS-PSK with AEFPSK, TLS with PKI, TLS with an OAuth access token), the
AEF_Security_API (check-authentication, revoke-authorization), an example service API, and the
security-method mismatch of contribution 004."""

from impl.aef.access import AccessCheck, Invocation
from impl.aef.interfaces import AefInterface, InterfaceSpec
from impl.aef.refusals import SECURITY_METHOD_MISMATCH
from impl.aef.service import AefConfig, AefService, CcfLocation

__all__ = [
    "SECURITY_METHOD_MISMATCH",
    "AccessCheck",
    "AefConfig",
    "AefInterface",
    "AefService",
    "CcfLocation",
    "InterfaceSpec",
    "Invocation",
]
