"""The layout shows the architecture (CONTRIBUTING.md): ``impl/`` never imports ``model/``, ``model/``
never imports ``impl/``, ``replay/`` or ``publish/``, and ``publish/`` (output for people) builds on
``model/`` only. Checked on every import statement, including those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "model": {"impl", "replay", "publish", "capifsec"},
    "impl": {"model", "replay", "publish", "capifsec"},
    "publish": {"impl", "replay", "capifsec"},
    "replay": {"model", "publish", "capifsec"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_layout_allows(package: str) -> None:
    breaches = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in breaches.items() if names} == {}
