"""A deployment's data directory: the token signing key and the ids the CCF assigned (``deployment.json``).

Credentials are files of :mod:`impl.credential_files`; anything unreadable here is a
:class:`DeploymentError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from impl import pki
from impl.atomic_file import write_file
from impl.credential_files import CredentialFileError, load_private_key
from impl.tokens import KeyConfigurationError, SigningKey

STATE_FILE = "deployment.json"


class DeploymentError(Exception):
    """A deployment cannot be started or used (unreadable data directory, refused provisioning...)."""


def save_signing_key(path: Path, key: SigningKey) -> None:
    """The token signing key's private key (0600); its ``kid`` lives in the state file."""
    write_file(path, pki.private_key_pem(key.private_key), private=True)


def load_signing_key(path: Path, kid: str) -> SigningKey:
    """The token signing key :func:`save_signing_key` wrote, with its ``kid``."""
    try:
        return SigningKey(load_private_key(path), kid)
    except (KeyConfigurationError, CredentialFileError) as error:
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
