"""A deployment's data directory: the CAPIF CA, credentials, the token signing key and its state.

Private keys are written with mode 0600, everything by write-to-temporary, fsync and rename, so a crash
leaves the old file or the new one. Anything unreadable is a :class:`DeploymentError` naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from impl import pki
from impl.tokens import KeyConfigurationError, SigningKey

STATE_FILE = "deployment.json"


class DeploymentError(Exception):
    """A deployment cannot be started or used (unreadable data directory, refused provisioning...)."""


def write_file(path: Path, data: bytes, *, private: bool) -> None:
    """Atomically replace ``path`` with ``data`` (mode 0600 when ``private``, else 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, 0o600 if private else 0o644)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _private_key(path: Path) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise DeploymentError(f"cannot read the private key {path}: {error}") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise DeploymentError(f"{path} is not an ECDSA or RSA private key")
    return key


def save_credential(directory: Path, name: str, credential: pki.CertifiedKey) -> None:
    """``<name>.pem`` (certificate) and ``<name>-key.pem`` (private key, 0600)."""
    write_file(directory / f"{name}-key.pem", pki.private_key_pem(credential.private_key), private=True)
    write_file(directory / f"{name}.pem", pki.certificate_pem(credential.certificate).encode(), private=False)


def load_credential(directory: Path, name: str) -> pki.CertifiedKey:
    """The credential :func:`save_credential` wrote."""
    certificate_path = directory / f"{name}.pem"
    try:
        certificate = pki.load_certificate_pem(certificate_path.read_bytes())
        return pki.CertifiedKey(certificate, _private_key(directory / f"{name}-key.pem"))
    except (OSError, pki.PkiError) as error:
        raise DeploymentError(f"cannot read the credential {certificate_path}: {error}") from error


def save_signing_key(path: Path, key: SigningKey) -> None:
    """The token signing key's private key (0600); its ``kid`` lives in the state file."""
    write_file(path, pki.private_key_pem(key.private_key), private=True)


def load_signing_key(path: Path, kid: str) -> SigningKey:
    """The token signing key :func:`save_signing_key` wrote, with its ``kid``."""
    try:
        return SigningKey(_private_key(path), kid)
    except KeyConfigurationError as error:
        raise DeploymentError(f"the token signing key {path} is unusable: {error}") from error


def load_state(directory: Path) -> dict[str, object]:
    """The deployment's state (ids assigned by the CCF), empty for a new data directory."""
    path = directory / STATE_FILE
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise DeploymentError(f"cannot read {path}: {error}") from error
    if not isinstance(state, dict):
        raise DeploymentError(f"{path} does not hold a JSON object")
    return state


def save_state(directory: Path, state: dict[str, object]) -> None:
    write_file(directory / STATE_FILE, json.dumps(state, indent=2, sort_keys=True).encode(), private=False)


def state_text(state: dict[str, object], name: str) -> str | None:
    """A string member of the state; :class:`DeploymentError` when present with another type."""
    value = state.get(name)
    if value is not None and not isinstance(value, str):
        raise DeploymentError(f"{STATE_FILE}: {name} must be a string")
    return value
