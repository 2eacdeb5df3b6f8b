"""Files replaced atomically: write to a temporary file beside the target, fsync, rename, so that a
crash leaves the old file or the new one, never half of one. Private files (keys) get mode 0600."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_file(path: Path, data: bytes, *, private: bool) -> None:
    """Atomically replace ``path`` with ``data`` (mode 0600 when ``private``, else 0644), creating
    its folder if needed."""
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
