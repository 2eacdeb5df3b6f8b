"""Reading traces: a trace file (``capifsec-trace/1``), or a ``capifsec verify --json`` results file
whose ``results[].trace`` and ``witnesses[].trace`` entries are traces. Every trace is checked against
the trace format, ``spec/schema/trace.schema.json``; anything else is a :class:`TraceError`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from impl.catalogue_profiles import ProfileError, locate_spec_dir
from replay.errors import TraceError

SCHEMA_FILE = Path("schema") / "trace.schema.json"


def read_json(path: Path) -> Any:
    """The JSON document in ``path``; :class:`TraceError` (bad input) when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise TraceError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise TraceError(f"{path} is not JSON: {error}") from None


class TraceChecker:
    """The trace format's JSON Schema, loaded once."""

    def __init__(self, spec_dir: Path | None = None) -> None:
        try:
            path = (spec_dir or locate_spec_dir()) / SCHEMA_FILE
            self._validator = Draft202012Validator(json.loads(path.read_text("utf-8")))
        except (ProfileError, OSError, ValueError) as error:
            raise TraceError(f"cannot read the trace format: {error}") from None

    def check(self, trace: object, where: str) -> dict[str, Any]:
        """``trace`` if it is one, else :class:`TraceError` naming the first problem and its place."""
        errors = sorted(self._validator.iter_errors(trace), key=lambda error: list(error.absolute_path))
        if errors:
            error = errors[0]
            place = "/" + "/".join(str(part) for part in error.absolute_path)
            raise TraceError(f"{where} is not a capifsec trace: {error.message} at {place}")
        assert isinstance(trace, dict)
        return trace

    def traces_in(self, document: object, where: str) -> list[dict[str, Any]]:
        """The traces of a trace or results document."""
        if isinstance(document, dict) and "format" in document:
            return [self.check(document, where)]
        if not isinstance(document, dict) or not isinstance(document.get("results"), list):
            raise TraceError(f"{where} is neither a trace nor a 'capifsec verify --json' results file")
        traces = []
        for key in ("results", "witnesses"):
            entries = document.get(key) or []
            if not isinstance(entries, list):
                raise TraceError(f"{where}: {key} is not a list")
            for index, entry in enumerate(entries):
                trace = entry.get("trace") if isinstance(entry, dict) else None
                if trace is not None:
                    traces.append(self.check(trace, f"{where} {key}[{index}].trace"))
        return traces

    def read(self, paths: Iterable[Path]) -> list[dict[str, Any]]:
        """Every trace in the files, in order."""
        traces = []
        for path in paths:
            traces.extend(self.traces_in(read_json(path), str(path)))
        return traces
