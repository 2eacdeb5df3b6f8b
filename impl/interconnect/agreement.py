"""The interconnection agreement: what one CCF knows and allows about one peer CCF of another provider.

TS 23.222 clause 8.25 and contribution 001 6.X.1 have the designated CCFs of two providers interconnect
over CAPIF-6/6e; what they agree on is left to the operators. Here an agreement names, per peer:

* who the peer is: its CCF identifier (``ccfId`` of TS 29.222 Publish) and its CAPIF provider domain
  (what ``shareableInfo.capifProvDoms`` lists);
* where it listens on CAPIF-6/6e and the CA certificates that certify it: its CAPIF-6/6e certificate,
  its invokers' certificates and its AEFs' server certificates chain to them, and they are trusted for
  that peer only (a certificate from peer P's CA never authenticates peer Q);
* which of this CCF's service APIs are shared with it (names, or every shareable API);
* who may issue or relay tokens for whom: whether the peer may relay its invokers' token requests to
  this CCF (which then signs for its own AEFs, contribution 001 6.X.3.2), and whether this CCF's AEFs
  accept tokens the peer signs itself (delegated issuing, contribution 000 7.2.3 FFS: option
  ``aef-trusted-token-keys=own-ccf-and-delegated``), with the peer's token-signing key.

An agreement file (``capifsec serve --peer FILE``) is this as JSON (:meth:`Agreement.read`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from impl import pki
from impl.tokens import TrustedKey


class AgreementError(ValueError):
    """An agreement that cannot be used (malformed file, unknown peer, unusable certificate or key)."""


@dataclass(frozen=True)
class PeerAddress:
    """Where a peer CCF serves CAPIF-6/6e: ``https://host:port``, its certificate naming ``server_name``."""

    host: str
    port: int
    server_name: str


@dataclass(frozen=True)
class Agreement:
    """This CCF's interconnection agreement with one peer CCF."""

    ccf_id: str
    provider_domain: str
    address: PeerAddress
    ca_certificates: tuple[x509.Certificate, ...]
    shared_apis: frozenset[str] | None = None
    relays_tokens: bool = True
    issues_tokens: bool = False
    token_key: TrustedKey | None = None

    def __post_init__(self) -> None:
        if not self.ccf_id or not self.provider_domain:
            raise AgreementError("an agreement names the peer's ccfId and provider domain")
        if not self.ca_certificates:
            raise AgreementError(f"the agreement with {self.ccf_id} names no CA certificate")
        if self.token_key is not None and self.token_key.issuer != self.ccf_id:
            raise AgreementError(f"the token key of {self.ccf_id} names issuer {self.token_key.issuer}")

    def shares(self, api_name: str) -> bool:
        """Whether this CCF shares its API ``api_name`` with the peer (TS 23.222 8.25.2.1)."""
        return self.shared_apis is None or api_name in self.shared_apis

    def certifies(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` was issued by one of the peer's CAs (one-level PKI, TS 33.310)."""
        return any(_issued_by(certificate, ca) for ca in self.ca_certificates)

    @classmethod
    def read(cls, document: object, base: Path) -> Agreement:
        """An agreement from its JSON form; certificate paths are relative to ``base``::

        {"ccfId": "ccf-b", "providerDomain": "provider-b",
         "capif6": {"host": "192.0.2.7", "port": 8445, "serverName": "192.0.2.7"},
         "caCertificates": ["peer-ca.pem"], "sharedApis": ["hello"],
         "relaysTokens": true, "issuesTokens": false, "tokenKey": {JWK} | null}
        """
        if not isinstance(document, dict):
            raise AgreementError("an agreement is a JSON object")
        try:
            address = document["capif6"]
            peer = str(document["ccfId"])
            shared = document.get("sharedApis")
            token_jwk = document.get("tokenKey")
            return cls(
                ccf_id=peer,
                provider_domain=str(document["providerDomain"]),
                address=PeerAddress(str(address["host"]), int(address["port"]), str(address["serverName"])),
                ca_certificates=tuple(_certificate(base / str(name)) for name in document["caCertificates"]),
                shared_apis=None if shared is None else frozenset(str(name) for name in shared),
                relays_tokens=bool(document.get("relaysTokens", True)),
                issues_tokens=bool(document.get("issuesTokens", False)),
                token_key=None if token_jwk is None else TrustedKey.from_jwk(token_jwk, peer),
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, AgreementError):
                raise
            raise AgreementError(f"malformed agreement: {error!r}") from None

    @classmethod
    def load(cls, path: Path) -> Agreement:
        """An agreement file."""
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise AgreementError(f"cannot read the agreement {path}: {error}") from None
        return cls.read(document, path.parent)

    def to_json(self, certificate_files: Iterable[str]) -> dict[str, object]:
        """The JSON form, naming the CA certificates by the files the caller wrote them to."""
        return {
            "ccfId": self.ccf_id,
            "providerDomain": self.provider_domain,
            "capif6": {
                "host": self.address.host,
                "port": self.address.port,
                "serverName": self.address.server_name,
            },
            "caCertificates": list(certificate_files),
            "sharedApis": None if self.shared_apis is None else sorted(self.shared_apis),
            "relaysTokens": self.relays_tokens,
            "issuesTokens": self.issues_tokens,
            "tokenKey": None if self.token_key is None else self.token_key.to_jwk(),
        }


class Agreements:
    """The agreements of one CCF, by peer ``ccfId``; changed only by the operator (``add``)."""

    def __init__(self, agreements: Iterable[Agreement] = ()) -> None:
        self._by_id: dict[str, Agreement] = {}
        for agreement in agreements:
            self.add(agreement)

    def add(self, agreement: Agreement) -> None:
        """Add or replace the agreement with ``agreement.ccf_id``."""
        self._by_id[agreement.ccf_id] = agreement

    def get(self, ccf_id: str | None) -> Agreement | None:
        return None if ccf_id is None else self._by_id.get(ccf_id)

    def all(self) -> tuple[Agreement, ...]:
        return tuple(self._by_id[key] for key in sorted(self._by_id))

    def ca_certificates(self) -> tuple[x509.Certificate, ...]:
        """Every peer's CA certificates (what CAPIF-6/6e and CAPIF-2e trust at the TLS layer)."""
        return tuple(ca for agreement in self.all() for ca in agreement.ca_certificates)

    def for_domain(self, provider_domain: str) -> Agreement | None:
        return next((item for item in self.all() if item.provider_domain == provider_domain), None)

    def by_id(self) -> Mapping[str, Agreement]:
        return dict(self._by_id)


def _certificate(path: Path) -> x509.Certificate:
    try:
        return pki.load_certificate_pem(path.read_text("ascii"))
    except (OSError, UnicodeDecodeError, pki.PkiError) as error:
        raise AgreementError(f"cannot use the CA certificate {path}: {error}") from None


def _issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
