"""What ``capifsec serve`` adds for interconnection and for the operator's own PKI.

* ``--providers N``: N interconnected providers on loopback (:class:`InterconnectedDeployment`),
  every port ephemeral, their data in ``DATA/a``, ``DATA/b``, ...; ``DATA/providers.json`` lists each
  provider's endpoints.
* ``--peer FILE`` (repeatable): this one provider's CCF interconnects with the peer CCF the agreement
  file describes (its address and CA certificate, :class:`~impl.interconnect.Agreement`); CAPIF-6/6e
  listens on ``--capif6-port``. The provider writes its own side, for the peer's operator, to
  ``DATA/agreement.json`` (with its CA certificate beside it).
* ``--ca-certificate``/``--ca-key`` and ``--ccf-certificate``/``--ccf-key``: the operator's own CA and
  CCF certificate, taken into the data directory on first use instead of generated ones (the CCF
  certificate must chain to that CA and name ``urn:capifsec:ccf:<ccfId>``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from impl import pki
from impl.aef.identity import certified_as
from impl.atomic_file import write_file
from impl.credential_files import CredentialFileError, load_private_key, save_credential
from impl.deployment import Deployment, DeploymentError
from impl.deployment.interconnected import InterconnectedDeployment
from impl.interconnect import Agreement, AgreementError, PeerAddress
from impl.settings import AefTrustedTokenKeys

AGREEMENT_FILE = "agreement.json"
PROVIDERS_FILE = "providers.json"
AGREEMENT_CA_FILE = "agreement-ca-certificate.pem"


@dataclass(frozen=True)
class OperatorPki:
    """Files of the operator's own CA and CCF certificate (each pair all or nothing)."""

    ca_certificate: Path | None = None
    ca_key: Path | None = None
    ccf_certificate: Path | None = None
    ccf_key: Path | None = None

    def check(self) -> None:
        if (self.ca_certificate is None) != (self.ca_key is None):
            raise ValueError("--ca-certificate and --ca-key go together")
        if (self.ccf_certificate is None) != (self.ccf_key is None):
            raise ValueError("--ccf-certificate and --ccf-key go together")
        if self.ccf_certificate is not None and self.ca_certificate is None:
            raise ValueError("an operator's CCF certificate needs the operator's CA (--ca-certificate)")


def take_operator_pki(data_dir: Path, ccf_id: str, files: OperatorPki) -> None:
    """Put the operator's CA and CCF certificate into a data directory that has none yet; a data
    directory holding another CA is refused (its invokers' certificates would no longer verify)."""
    if files.ca_certificate is None or files.ca_key is None:
        return
    try:
        certificate = pki.load_certificate_pem(files.ca_certificate.read_bytes())
        key = load_private_key(files.ca_key)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise DeploymentError("the operator's CA key must be an ECDSA key")
        authority = pki.CertificateAuthority(certificate, key)
    except (OSError, pki.PkiError, CredentialFileError, TypeError) as error:
        raise DeploymentError(f"cannot use the operator's CA: {error}") from error
    existing = data_dir / "ca" / pki.CA_CERTIFICATE_FILE
    if existing.exists():
        if pki.load_certificate_pem(existing.read_bytes()) != certificate:
            raise DeploymentError(f"{data_dir} already holds another CA")
    else:
        authority.save(data_dir / "ca")
    if files.ccf_certificate is None or files.ccf_key is None:
        return
    try:
        ccf_certificate = pki.load_certificate_pem(files.ccf_certificate.read_bytes())
        credential = pki.CertifiedKey(ccf_certificate, load_private_key(files.ccf_key))
        ccf_certificate.verify_directly_issued_by(certificate)
    except (OSError, pki.PkiError, CredentialFileError, ValueError, TypeError) as error:
        raise DeploymentError(f"cannot use the operator's CCF certificate: {error}") from error
    if certified_as(ccf_certificate, "ccf") != ccf_id:
        raise DeploymentError(f"the operator's CCF certificate does not name urn:capifsec:ccf:{ccf_id}")
    save_credential(data_dir / "ccf", "server", credential)


def load_agreements(paths: Sequence[Path]) -> list[Agreement]:
    try:
        return [Agreement.load(path) for path in paths]
    except AgreementError as error:
        raise ValueError(str(error)) from None


def prepare_peers(deployment: Deployment, agreements: Sequence[Agreement]) -> None:
    """Before it starts: the AEF trusts the peers' CAs (their invokers) and, where the settings and
    the agreement delegate token issuing, their token keys."""
    trusted = deployment.settings.aef_trusted_token_keys
    deployment.peer_ca_certificates = tuple(ca for item in agreements for ca in item.ca_certificates)
    deployment.peer_token_keys = tuple(
        item.token_key
        for item in agreements
        if item.token_key is not None
        and (
            trusted is AefTrustedTokenKeys.UNSAFE_ANY_INTERCONNECTED_CCF
            or (trusted is AefTrustedTokenKeys.OWN_CCF_AND_DELEGATED and item.issues_tokens)
        )
    )


def interconnect(deployment: Deployment, agreements: Sequence[Agreement]) -> list[str]:
    """Once started: agree with every peer, share and learn publications (the unreachable peers)."""
    for agreement in agreements:
        deployment.agree(agreement)
    return deployment.interconnected_ccf.interconnect.sync()


def write_own_agreement(deployment: Deployment, provider_domain: str) -> Path:
    """This provider's side of an agreement, for the peer's operator: ``DATA/agreement.json``."""
    ccf = deployment.interconnected_ccf
    write_file(
        deployment.data_dir / AGREEMENT_CA_FILE,
        deployment.ca.certificate.public_bytes(Encoding.PEM),
        private=False,
    )
    agreement = Agreement(
        ccf_id=deployment.ccf_id,
        provider_domain=provider_domain,
        address=PeerAddress(deployment.host, ccf.capif6_port, deployment.host),
        ca_certificates=(deployment.ca.certificate,),
        token_key=ccf.token_key,
    )
    path = deployment.data_dir / AGREEMENT_FILE
    document = agreement.to_json([AGREEMENT_CA_FILE])
    write_file(path, json.dumps(document, indent=2).encode(), private=False)
    return path


def write_providers(providers: InterconnectedDeployment, data_dir: Path) -> Path:
    """``DATA/providers.json``: per provider, its CCF and where its endpoints listen."""
    document = {
        name: {
            "ccfId": deployment.ccf_id,
            "dataDir": str(deployment.data_dir.resolve()),
            "caCertificate": str(deployment.ca_certificate_path.resolve()),
            "capif1ePort": deployment.ccf.capif1e_port,
            "capif345Port": deployment.ccf.capif345_port,
            "capif6Port": deployment.interconnected_ccf.capif6_port,
            "aefId": deployment.aef.config.aef_id,
            "aefInterfaces": {name: interface.port for name, interface in deployment.aef.interfaces.items()},
        }
        for name, deployment in providers.providers.items()
    }
    path = data_dir / PROVIDERS_FILE
    write_file(path, json.dumps(document, indent=2).encode(), private=False)
    return path
