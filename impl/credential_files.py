"""Keys and certificates on disk: PEM files written atomically (:mod:`impl.atomic_file`), private keys
with mode 0600. Anything unreadable is a :class:`CredentialFileError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from impl import pki
from impl.atomic_file import write_file


class CredentialFileError(Exception):
    """A key or certificate file is missing, unreadable or inconsistent."""


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """An unencrypted PEM private key (ECDSA or RSA)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise CredentialFileError(f"cannot read the private key {path}: {error}") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CredentialFileError(f"{path} is not an ECDSA or RSA private key")
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
        return pki.CertifiedKey(certificate, load_private_key(directory / f"{name}-key.pem"))
    except (OSError, pki.PkiError) as error:
        raise CredentialFileError(f"cannot read the credential {certificate_path}: {error}") from error
