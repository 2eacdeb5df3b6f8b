"""The CAPIF core function's domain logic (TS 23.222, TS 29.222, TS 33.122), transport-agnostic.

Build a :class:`CapifCoreFunction` over a :class:`impl.store.Database` and the ports of
:mod:`impl.ccf.ports`; the HTTP layer binds its services to the TS 29.222 routes.
"""

from impl.ccf.core import CcfConfig, Created
from impl.ccf.function import CapifCoreFunction
from impl.ccf.identity import Caller, Role
from impl.ccf.notifications import PendingNotification
from impl.ccf.ports import (
    AccessTokenSigner,
    AefpskDeriver,
    Capif1eKeying,
    CertificateAuthority,
    CsrRejectedError,
    KeyingUnavailableError,
)

__all__ = [
    "AccessTokenSigner",
    "AefpskDeriver",
    "Caller",
    "Capif1eKeying",
    "CapifCoreFunction",
    "CcfConfig",
    "CertificateAuthority",
    "Created",
    "CsrRejectedError",
    "KeyingUnavailableError",
    "PendingNotification",
    "Role",
]
