"""The implementation's settings for a named profile of the catalogue (``spec/profiles.yaml``).

The catalogue file holds ``profiles:``, a list of ``{id, extends?, options}``; ``extends`` copies the
parent's option values before ``options`` overrides them. The implementation reads only the file, never
the model; every option of the catalogue is a setting (:class:`~impl.settings.Settings`). The folder
is the installed ``capifsec.spec`` package, or one given explicitly.
"""

from __future__ import annotations

import importlib
import importlib.resources
from pathlib import Path

import yaml

from impl.settings import Settings, SettingsError

PROFILES_FILE = "profiles.yaml"
DEFAULT_PROFILE = "recommended"


class ProfileError(Exception):
    """The catalogue cannot be read, or has no such profile, or a value the implementation refuses."""


def locate_spec_dir() -> Path:
    """The folder of the installed ``capifsec.spec`` package."""
    try:
        return Path(str(importlib.resources.files("capifsec.spec")))
    except (ModuleNotFoundError, NotADirectoryError, TypeError):
        pass
    try:
        package = importlib.import_module("capifsec.spec")
    except ModuleNotFoundError as error:
        raise ProfileError("the capifsec.spec package is not installed; pass --spec-dir") from error
    for entry in getattr(package, "__path__", ()):
        if (Path(entry) / PROFILES_FILE).is_file():
            return Path(entry)
    raise ProfileError("no profiles.yaml in the capifsec.spec package; pass --spec-dir")


def _profiles(spec_dir: Path) -> dict[str, dict[str, object]]:
    path = spec_dir / PROFILES_FILE
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ProfileError(f"cannot read {path}: {error}") from error
    entries = document.get("profiles") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise ProfileError(f"{path} has no list of profiles")
    profiles: dict[str, dict[str, object]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ProfileError(f"{path}: every profile needs an id")
        profiles[entry["id"]] = entry
    return profiles


def profile_options(profile_id: str, spec_dir: Path) -> dict[str, str]:
    """Every option value of ``profile_id``, ``extends`` resolved (parents first)."""
    profiles = _profiles(spec_dir)
    chain: list[dict[str, object]] = []
    current: str | None = profile_id
    while current is not None:
        if current not in profiles:
            known = ", ".join(sorted(profiles))
            raise ProfileError(f"unknown profile {current!r}; known: {known}")
        if any(entry["id"] == current for entry in chain):
            raise ProfileError(f"profile {profile_id!r} extends itself through {current!r}")
        entry = profiles[current]
        chain.append(entry)
        parent = entry.get("extends")
        if parent is not None and not isinstance(parent, str):
            raise ProfileError(f"profile {current!r}: extends must name one profile")
        current = parent
    options: dict[str, str] = {}
    for entry in reversed(chain):
        values = entry.get("options") or {}
        if not isinstance(values, dict):
            raise ProfileError(f"profile {entry['id']!r}: options must be a mapping")
        for option_id, value in values.items():
            if not isinstance(value, str):
                raise ProfileError(
                    f"profile {entry['id']!r}: option {option_id!r} is not a string (quote on/off in YAML)"
                )
            options[str(option_id)] = value
    return options


def settings_for_profile(
    profile_id: str, spec_dir: Path | None = None, *, allow_unsafe: bool = False
) -> Settings:
    """The implementation settings of ``profile_id``. Every option of the catalogue is a setting: an
    option the implementation does not know, or an unsafe value in effect without ``allow_unsafe``,
    is a :class:`ProfileError` naming it."""
    options = profile_options(profile_id, spec_dir or locate_spec_dir())
    try:
        return Settings.from_options(options, allow_unsafe=allow_unsafe)
    except SettingsError as error:
        raise ProfileError(f"profile {profile_id!r}: {error}") from error
