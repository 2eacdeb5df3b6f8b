"""The authorization function (AzF) of the CCF on CAPIF-8 (contribution 003 6.2: "The AzF is part of
the CCF"): who the ROFs are, what they recorded, and whether a token for a resource owner may be issued.

* The operator registers a ROF with the resource owners it acts for and gets the credential the
  ``rof-authentication`` option names: a client certificate from the CCF's CA
  (``urn:capifsec:rof:<rofId>``), a 32-octet pre-shared key (TLS-PSK identity ``rofId``), or a
  password (kept as a salted scrypt hash); ``none`` gives none.
* A ROF the CAPIF-8 endpoint authenticated (:class:`RofCaller`) records that one of its resource owners
  authorizes an onboarded invoker for APIs published at one AEF of this CCF, and may withdraw it.
* The token endpoint issues a token carrying ``resOwnerId`` only for the (AEF, API) pairs such an
  authorization covers (:class:`RecordedAuthorizations`, the core's port).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from impl import pki
from impl.aef.identity import certified_as
from impl.apitypes.problems import Cause, ForbiddenError, NotFoundError, invalid_body
from impl.capif8 import store
from impl.capif8.messages import ResourceOwnerAuthorization
from impl.ccf.core import CoreParts, Created, new_id
from impl.ccf.guards import onboarded_invoker
from impl.settings import RofAuthentication
from impl.store import Transaction, apis
from impl.store.database import epoch

API_NAME = "capifsec-capif8"
ROF_URN_ROLE = "rof"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_CERTIFICATE_VALIDITY = timedelta(days=365)


@dataclass(frozen=True)
class RofCredential:
    """What the operator hands a ROF out of band: its id and one credential (or none)."""

    rof_id: str
    certificate: pki.CertifiedKey | None = None
    psk: bytes | None = None
    password: str | None = None


@dataclass(frozen=True)
class RofCaller:
    """A ROF as the CAPIF-8 endpoint authenticated it (or, without authentication, as it named itself)."""

    rof_id: str


def _password_hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)


class RecordedAuthorizations:
    """The core's port: whether a resource owner's authorization covers (invoker, AEF, API)."""

    def authorized(
        self, tx: Transaction, res_owner_id: str, api_invoker_id: str, aef_id: str, api_name: str
    ) -> bool:
        return store.authorized(tx, res_owner_id, api_invoker_id, aef_id, api_name)


class Azf:
    """One CCF's AzF over its database and CA."""

    def __init__(self, parts: CoreParts, authority: pki.CertificateAuthority) -> None:
        self._parts = parts
        self._authority = authority

    @property
    def method(self) -> RofAuthentication:
        return self._parts.settings.rof_authentication

    def register_rof(self, rof_id: str, res_owner_ids: frozenset[str], *, now: datetime) -> RofCredential:
        """Register a ROF (the operator, out of band); its credential, once."""
        if not rof_id or not res_owner_ids:
            raise ValueError("a ROF needs an id and at least one resource owner")
        certificate = psk = salt = digest = None
        password = None
        if self.method is RofAuthentication.CERTIFICATE:
            profile = pki.CertificateProfile(
                rof_id,
                uris=(f"urn:capifsec:{ROF_URN_ROLE}:{rof_id}",),
                client_auth=True,
                validity=_CERTIFICATE_VALIDITY,
            )
            certificate = self._authority.issue_certified_key(profile, now=now - timedelta(minutes=5))
        elif self.method is RofAuthentication.PSK:
            psk = secrets.token_bytes(32)
        elif self.method is RofAuthentication.PASSWORD:
            password = secrets.token_urlsafe(24)
            salt = secrets.token_bytes(16)
            digest = _password_hash(password, salt)
        with self._parts.database.transaction() as tx:
            if store.rof(tx, rof_id) is not None:
                raise ValueError(f"the ROF {rof_id} is registered already")
            store.insert_rof(
                tx,
                rof_id,
                res_owner_ids,
                certificate_serial=None
                if certificate is None
                else format(certificate.certificate.serial_number, "x"),
                psk=psk,
                password_salt=salt,
                password_hash=digest,
                now=epoch(now),
            )
        return RofCredential(rof_id, certificate=certificate, psk=psk, password=password)

    # -- authentication (the endpoint asks, per rof-authentication)

    def by_certificate(self, certificate: x509.Certificate | None) -> RofCaller | None:
        """The ROF a client certificate (chain verified by TLS to the CCF's CA) authenticates."""
        rof_id = None if certificate is None else certified_as(certificate, ROF_URN_ROLE)
        if certificate is None or rof_id is None:
            return None
        with self._parts.database.transaction() as tx:
            record = store.rof(tx, rof_id)
        serial = format(certificate.serial_number, "x")
        return RofCaller(rof_id) if record is not None and record.certificate_serial == serial else None

    def psk_of(self, identity: str) -> bytes | None:
        """The TLS-PSK callback: the ROF's key for its identity, or None (unknown identity)."""
        with self._parts.database.transaction() as tx:
            record = store.rof(tx, identity)
        return None if record is None else record.psk

    def by_password(self, rof_id: str, password: str) -> RofCaller | None:
        with self._parts.database.transaction() as tx:
            record = store.rof(tx, rof_id)
        if record is None or record.password_salt is None or record.password_hash is None:
            return None
        matches = hmac.compare_digest(_password_hash(password, record.password_salt), record.password_hash)
        return RofCaller(rof_id) if matches else None

    def by_name(self, rof_id: str) -> RofCaller | None:
        """``rof-authentication=none``: a registered ROF as it names itself."""
        with self._parts.database.transaction() as tx:
            return RofCaller(rof_id) if store.rof(tx, rof_id) is not None else None

    # -- what a ROF records

    def authorize(
        self, caller: RofCaller, request: ResourceOwnerAuthorization, *, now: datetime
    ) -> Created[ResourceOwnerAuthorization]:
        """Record a resource owner's authorization (contribution 003 6.2.1; TS 23.222 8.31)."""
        if request.rof_id is not None and request.rof_id != caller.rof_id:
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, "rofId names another ROF than the authenticated one"
            )
        authorization_id = new_id("ROA")
        with self._parts.database.transaction() as tx:
            record = store.rof(tx, caller.rof_id)
            if record is None or request.res_owner_id not in record.res_owner_ids:
                detail = f"the ROF {caller.rof_id} does not act for resource owner {request.res_owner_id}"
                raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, detail)
            onboarded_invoker(tx, request.api_invoker_id)
            for index, api_name in enumerate(request.api_names):
                if apis.api_id_named_at_aef(tx, request.aef_id, api_name) is None:
                    reason = f"is not a service API published at AEF {request.aef_id}"
                    raise invalid_body(Cause.MANDATORY_IE_INCORRECT, f"/apiNames/{index}", reason)
            store.insert_authorization(
                tx,
                authorization_id,
                caller.rof_id,
                res_owner_id=request.res_owner_id,
                api_invoker_id=request.api_invoker_id,
                aef_id=request.aef_id,
                api_names=request.api_names,
                now=epoch(now),
            )
        location = self._parts.config.location(API_NAME, "resource-owner-authorizations", authorization_id)
        return Created(request.recorded(authorization_id, caller.rof_id), location)

    def withdraw(self, caller: RofCaller, authorization_id: str) -> None:
        """The ROF withdraws an authorization it recorded (later token requests are refused)."""
        with self._parts.database.transaction() as tx:
            if store.authorization_owner(tx, authorization_id) != caller.rof_id:
                raise NotFoundError(
                    Cause.RESOURCE_NOT_FOUND, f"the ROF recorded no authorization {authorization_id}"
                )
            store.delete_authorization(tx, authorization_id)
