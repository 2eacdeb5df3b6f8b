"""A CCF over a real SQLite file, a real CA and a real token signer, with helpers to populate it.

Other ``test_ccf_*`` modules build their scenarios with :class:`World`: the CA is :mod:`impl.pki`
behind :class:`impl.ccf.authority.PkiCertificateAuthority`, tokens are signed by
:class:`impl.tokens.TokenIssuer`. The tests at the bottom check the adapter and the world itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from impl import pki
from impl.apitypes.security import ServiceSecurity
from impl.ccf import Caller, Capif1eKeying, CapifCoreFunction, CcfConfig, CsrRejectedError, Role
from impl.ccf.authority import PkiCertificateAuthority
from impl.settings import Settings
from impl.store import Database
from impl.store.secrets import SecretPurpose
from impl.tokens import ClaimSet, SigningKey, TokenIssuer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CCF_ID = "ccf-home"
API_ROOT = "https://127.0.0.1:8443"
NOTIFY = "https://127.0.0.1:9000/notify"
Body = dict[str, object]
Entries = Sequence[Mapping[str, object]]


def make_csr(common_name: str = "requester") -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = pki.generate_private_key()
    return key, pki.make_csr(key, common_name)


class ExampleTlsVersion(Enum):
    TLS1_2 = "TLSv1.2"
    TLS1_3 = "TLSv1.3"


@dataclass(frozen=True)
class ExampleKeying:
    """CAPIF-1e session keying as the TLS layer hands it over (satisfies the ``Capif1eKeying`` port)."""

    tls_version: ExampleTlsVersion
    master_secret: bytes | None = None
    session_id: bytes | None = None
    exporter_secret: bytes = b""

    def export_keying_material(self, label: bytes, length: int, context: bytes | None = None) -> bytes:
        """Stands in for the session's RFC 8446 exporter: a PRF of label and context under a secret."""
        return hmac.new(self.exporter_secret, label + b"|" + (context or b""), hashlib.sha256).digest()[
            :length
        ]


def tls12_keying() -> ExampleKeying:
    """Keying of a TLS 1.2 CAPIF-1e session (random master secret and session ID, as a server makes)."""
    return ExampleKeying(ExampleTlsVersion.TLS1_2, master_secret=os.urandom(48), session_id=os.urandom(32))


def tls13_keying() -> ExampleKeying:
    """Keying of a TLS 1.3 CAPIF-1e session: no master secret or session ID, an exporter."""
    return ExampleKeying(ExampleTlsVersion.TLS1_3, exporter_secret=os.urandom(32))


def interface(port: int, *, methods: list[str] | None = None, prefix: str = "/exposure") -> Body:
    description: Body = {"ipv4Addr": "127.0.0.1", "port": port, "apiPrefix": prefix}
    if methods is not None:
        description["securityMethods"] = list(methods)
    return description


def profile(
    aef_id: str,
    *,
    methods: list[str] | None,
    interfaces: Entries | None = None,
    protocol: str = "HTTP_1_1",
    versions: Entries | None = None,
) -> Body:
    body: Body = {
        "aefId": aef_id,
        "versions": list(versions or [{"apiVersion": "v1", "resources": [_resource()]}]),
        "protocol": protocol,
        "dataFormat": "JSON",
        "interfaceDescriptions": list(interfaces or [interface(8001)]),
    }
    if methods is not None:
        body["securityMethods"] = list(methods)
    return body


def _resource() -> Body:
    return {"resourceName": "events", "commType": "REQUEST_RESPONSE", "uri": "/events", "operations": ["GET"]}


@dataclass
class Provider:
    """A registered provider domain with one AMF, one APF and its AEFs."""

    dom_id: str
    amf: str
    apf: str
    aefs: list[str]

    @property
    def apf_caller(self) -> Caller:
        return Caller(Role.APF, self.apf)

    @property
    def amf_caller(self) -> Caller:
        return Caller(Role.AMF, self.amf)

    def aef_caller(self, index: int = 0) -> Caller:
        return Caller(Role.AEF, self.aefs[index])


@dataclass
class World:
    """A CCF on a database file in ``directory``; ``reopen`` simulates a restart."""

    directory: Path
    settings: Settings = field(default_factory=Settings)
    ca: pki.CertificateAuthority = field(
        default_factory=lambda: pki.CertificateAuthority.create("CCF CA", now=NOW)
    )
    signing_key: SigningKey = field(default_factory=lambda: SigningKey.generate("ccf-home-key-1"))

    def __post_init__(self) -> None:
        self.database = Database(self.path)
        self.ccf = self._build()

    @property
    def path(self) -> Path:
        return self.directory / "ccf.sqlite3"

    @property
    def token_issuer(self) -> TokenIssuer:
        return TokenIssuer(
            self.signing_key, ccf_id=CCF_ID, claim_set=ClaimSet(str(self.settings.token_claims))
        )

    def _build(self) -> CapifCoreFunction:
        return CapifCoreFunction(
            config=CcfConfig(ccf_id=CCF_ID, api_root=API_ROOT),
            database=self.database,
            authority=PkiCertificateAuthority(self.ca),
            token_signer=self.token_issuer,
            settings=self.settings,
        )

    def reopen(self) -> None:
        self.database.close()
        self.database = Database(self.path)
        self.ccf = self._build()

    def close(self) -> None:
        self.database.close()

    def secret(self, purpose: SecretPurpose) -> str:
        return self.ccf.operator.create_secret(purpose, now=NOW)

    def onboard(self) -> str:
        """Onboard a fresh invoker; its apiInvokerId."""
        _, csr = make_csr("invoker")
        body = {"onboardingInformation": {"apiInvokerPublicKey": csr}, "notificationDestination": NOTIFY}
        created = self.ccf.invokers.onboard(
            body, onboarding_secret=self.secret(SecretPurpose.INVOKER_ONBOARDING), now=NOW
        )
        assert created.body.api_invoker_id is not None
        return created.body.api_invoker_id

    def register(self, aef_count: int = 1) -> Provider:
        functions: list[Body] = [
            {"regInfo": {"apiProvPubKey": make_csr(role)[1]}, "apiProvFuncRole": role}
            for role in ["AMF", "APF", *["AEF"] * aef_count]
        ]
        body: Body = {
            "regSec": self.secret(SecretPurpose.PROVIDER_REGISTRATION),
            "apiProvFuncs": list(functions),
            "apiProvDomInfo": "test provider",
        }
        created = self.ccf.providers.register(body, now=NOW)
        ids = [(str(f.api_prov_func_role), f.api_prov_func_id) for f in created.body.api_prov_funcs]
        by_role = {
            role: [func_id for r, func_id in ids if r == role and func_id] for role in ("AMF", "APF", "AEF")
        }
        assert created.body.api_prov_dom_id is not None
        return Provider(
            dom_id=created.body.api_prov_dom_id,
            amf=by_role["AMF"][0],
            apf=by_role["APF"][0],
            aefs=by_role["AEF"],
        )

    def publish(self, provider: Provider, name: str, profiles: Entries) -> str:
        body: Body = {"apiName": name, "aefProfiles": list(profiles), "serviceAPICategory": "test"}
        created = self.ccf.publishing.publish(provider.apf_caller, provider.apf, body, now=NOW)
        assert created.body.api_id is not None
        return created.body.api_id

    def negotiate(
        self, invoker_id: str, entries: Entries, keying: Capif1eKeying | None = None
    ) -> ServiceSecurity:
        body: Body = {"securityInfo": list(entries), "notificationDestination": NOTIFY}
        created = self.ccf.security.create_context(
            Caller(Role.INVOKER, invoker_id), invoker_id, body, keying=keying or tls12_keying(), now=NOW
        )
        return created.body


def invoker_caller(invoker_id: str) -> Caller:
    return Caller(Role.INVOKER, invoker_id)


def test_the_ccf_ca_certifies_a_csr_for_the_assigned_id_and_role(world: World) -> None:
    key, csr = make_csr()
    authority = PkiCertificateAuthority(world.ca)
    pem = authority.issue_for_csr(csr, subject_id="INVabc", role=Role.INVOKER, now=NOW)
    certificate = x509.load_pem_x509_certificate(pem.encode())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "INVabc"
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:capifsec:invoker:INVabc"]
    assert certificate.public_key() == key.public_key()
    certificate.verify_directly_issued_by(world.ca.certificate)  # raises if not


@pytest.mark.parametrize("csr", ["", "not a csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"])
def test_the_ccf_ca_refuses_what_is_not_a_csr(world: World, csr: str) -> None:
    with pytest.raises(CsrRejectedError):
        PkiCertificateAuthority(world.ca).issue_for_csr(csr, subject_id="x", role=Role.INVOKER, now=NOW)


def test_world_builds_a_provider_and_invoker(world: World) -> None:
    provider = world.register(aef_count=2)
    invoker_id = world.onboard()
    assert len(provider.aefs) == 2
    assert invoker_id.startswith("INV")
    assert provider.apf != provider.amf != provider.aefs[0]
