"""The package list in pyproject.toml names every Python package of the project, so that a
non-editable install (a wheel) carries all of it, and the catalogue ships as package data."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed() -> None:
    configured = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("capifsec", "model", "publish", "impl", "replay")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found | {"capifsec.spec"} == configured
