"""The package list in pyproject.toml names every Python package of the project, so that a
non-editable install (a wheel) carries all of it, and the catalogue ships as package data; building
the wheel prints no packaging warning."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
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
    data = {"capifsec.spec"} | {f"capifsec.spec.{d.name}" for d in (ROOT / "spec").iterdir() if d.is_dir()}
    assert found | {d for d in data if "__" not in d} == configured


SOURCES = ("pyproject.toml", "README.md", "capifsec", "model", "publish", "impl", "replay", "spec")


def test_wheel_builds_without_warnings_and_carries_the_catalogue(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building in place would leave build/ in the checkout
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stderr.splitlines() if "Warning" in line or line.strip() == "!!"]
    assert warnings == []
    (wheel,) = tmp_path.glob("capifsec-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    spec_files = {
        "capifsec/spec/" + str(path.relative_to(ROOT / "spec"))
        for path in (ROOT / "spec").rglob("*")
        if path.suffix in (".yaml", ".json")
    }
    assert spec_files <= names
    assert {"publish/__init__.py", "model/fixes.py", "capifsec/cli.py"} <= names
