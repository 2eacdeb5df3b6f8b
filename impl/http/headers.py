"""HTTP header fields of a received message: case-insensitive names, order kept (RFC 9110 clause 5)."""

import re
from collections.abc import Iterable, Iterator, Mapping

FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""A field name, or a method: an RFC 9110 clause 5.6.2 token."""
FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
"""A field value (RFC 9110 clause 5.5) as Latin-1 text: no CR, LF, NUL or other controls."""


class Headers(Mapping[str, str]):
    """Read-only header fields. ``headers[name]`` joins repeated fields with ``", "``
    (RFC 9110 clause 5.3); :meth:`get_all` returns them one by one."""

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields = [(name, value) for name, value in fields]
        self._lowered = [(name.lower(), value) for name, value in self._fields]
        self._joined: dict[str, str] = {}
        for key, value in self._lowered:
            self._joined[key] = f"{self._joined[key]}, {value}" if key in self._joined else value

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in the order received."""
        key = name.lower()
        if key not in self._joined:
            return []
        return [value for field, value in self._lowered if field == key]

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"
