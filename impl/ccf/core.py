"""What every CCF service shares: configuration, settings, the database and the ports."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from impl.ccf.ports import AccessTokenSigner, AefpskDeriver, CertificateAuthority, ResourceOwnerAuthorizations
from impl.settings import Settings
from impl.store import Database

T = TypeVar("T")


@dataclass(frozen=True)
class CcfConfig:
    """A CCF's identity and where its APIs are reached (TS 29.222 clause 7.5 ``{apiRoot}``)."""

    ccf_id: str
    api_root: str
    token_lifetime: timedelta = timedelta(minutes=10)

    def location(self, api: str, *segments: str) -> str:
        """``{apiRoot}/{apiName}/v1/...``: the Location of a created resource (TS 29.122 clause 5.2.4)."""
        return "/".join((self.api_root.rstrip("/"), api, "v1", *segments))


@dataclass(frozen=True)
class CoreParts:
    """The dependencies of the CCF services."""

    config: CcfConfig
    settings: Settings
    database: Database
    authority: CertificateAuthority
    token_signer: AccessTokenSigner
    aefpsk: AefpskDeriver
    resource_owners: ResourceOwnerAuthorizations | None = None


@dataclass(frozen=True)
class Created(Generic[T]):
    """A created resource: the body to answer with 201 and its ``Location``."""

    body: T
    location: str


def new_id(prefix: str) -> str:
    """A fresh identifier: the prefix and 120 random bits in hex (e.g. ``INV3f…``, ``AEF9a…``)."""
    return prefix + secrets.token_hex(15)
