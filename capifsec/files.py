"""What the command line reads and writes, checked before any work starts: counts, output files and
folders, JSON documents (``-`` is standard output), and the one error type the command line reports as
a single line with exit status 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

STDOUT = "-"


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


def count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    return parse


def output_file(text: str) -> str:
    """An argparse type: a file to write (``-`` for standard output) whose folder exists."""
    if text == STDOUT:
        return text
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist (create it first)")
    return text


def output_folder(text: str) -> str:
    """An argparse type: a folder to write into (made if missing); refused if it is a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{parent} is a file, not a folder")
    return text


def write_json(target: str, document: dict[str, Any]) -> None:
    """Write ``document`` to the file ``target`` (whole or not at all), or to standard output for ``-``."""
    text = json.dumps(document, indent=2) + "\n"
    if target == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(target)
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as problem:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {problem.strerror}") from None


def read_json(path: Path) -> Any:
    """The JSON document in ``path``; :class:`UsageError` if it is unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror}") from None
    except (ValueError, UnicodeDecodeError) as problem:
        raise UsageError(f"{path} is not JSON: {problem}") from None
