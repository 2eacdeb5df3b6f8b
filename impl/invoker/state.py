"""The command-line invoker's state directory: where its CCF is, the CAPIF CA, its identity.

``state.json`` (CCF address, AEFPSK derivation, notification destination, API invoker ID),
``ca.pem``, ``peer-cas.pem`` (the CAs of other providers whose AEFs the invoker may call, TS 23.222
clause 8.25; absent when there are none), and once onboarded ``credential.pem`` /
``credential-key.pem`` (mode 0600).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509

from impl import pki
from impl.atomic_file import write_file
from impl.credential_files import CredentialFileError, load_credential, save_credential
from impl.invoker.client import ApiInvoker, CcfEndpoint, InvokerIdentity
from impl.invoker.errors import InvokerError
from impl.settings import AefpskDerivation

STATE_FILE = "state.json"
CA_FILE = "ca.pem"
PEER_CAS_FILE = "peer-cas.pem"
CREDENTIAL = "credential"


@dataclass(frozen=True)
class InvokerState:
    """Everything a later command needs to act as the same invoker."""

    ccf: CcfEndpoint
    ca_certificate: x509.Certificate
    aefpsk_derivation: AefpskDerivation
    notification_destination: str
    identity: InvokerIdentity | None = None
    peer_ca_certificates: tuple[x509.Certificate, ...] = ()

    def invoker(self) -> ApiInvoker:
        return ApiInvoker(
            self.ccf,
            self.ca_certificate,
            notification_destination=self.notification_destination,
            aefpsk_derivation=self.aefpsk_derivation,
            identity=self.identity,
            aef_ca_certificates=self.peer_ca_certificates,
        )

    def onboarded(self, identity: InvokerIdentity) -> InvokerState:
        """The same state with the identity onboarding gave."""
        return replace(self, identity=identity)

    def save(self, directory: Path) -> None:
        document: dict[str, object] = {
            "ccf": {"host": self.ccf.host, "port": self.ccf.port, "serverName": self.ccf.server_name},
            "aefpskDerivation": str(self.aefpsk_derivation),
            "notificationDestination": self.notification_destination,
        }
        write_file(directory / CA_FILE, pki.certificate_pem(self.ca_certificate).encode(), private=False)
        if self.peer_ca_certificates:
            bundle = "".join(pki.certificate_pem(certificate) for certificate in self.peer_ca_certificates)
            write_file(directory / PEER_CAS_FILE, bundle.encode(), private=False)
        if self.identity is not None:
            save_credential(directory, CREDENTIAL, self.identity.credential)
            document["apiInvokerId"] = self.identity.api_invoker_id
        write_file(directory / STATE_FILE, json.dumps(document, indent=2).encode(), private=False)

    @classmethod
    def load(cls, directory: Path) -> InvokerState:
        """The saved state; :class:`InvokerError` when missing or malformed."""
        try:
            document = json.loads((directory / STATE_FILE).read_text("utf-8"))
            ccf = document["ccf"]
            state = cls(
                ccf=CcfEndpoint(str(ccf["host"]), int(ccf["port"]), str(ccf["serverName"])),
                ca_certificate=pki.load_certificate_pem((directory / CA_FILE).read_bytes()),
                aefpsk_derivation=AefpskDerivation(document["aefpskDerivation"]),
                notification_destination=str(document["notificationDestination"]),
                peer_ca_certificates=_peer_cas(directory / PEER_CAS_FILE),
            )
            invoker_id = document.get("apiInvokerId")
            if invoker_id is None:
                return state
            identity = InvokerIdentity(str(invoker_id), load_credential(directory, CREDENTIAL))
        except (OSError, ValueError, KeyError, TypeError, pki.PkiError, CredentialFileError) as error:
            raise InvokerError(f"no usable invoker state in {directory}: {error}") from None
        return state.onboarded(identity)


def _peer_cas(path: Path) -> tuple[x509.Certificate, ...]:
    if not path.exists():
        return ()
    return pki.load_certificates_pem(path.read_bytes())
