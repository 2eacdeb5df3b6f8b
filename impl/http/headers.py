"""HTTP header fields of a received message: case-insensitive names, order kept (RFC 9110 clause 5)."""

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar, overload

FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""A field name, or a method: an RFC 9110 clause 5.6.2 token."""
FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
"""A field value (RFC 9110 clause 5.5) as Latin-1 text: no CR, LF, NUL or other controls."""
_Default = TypeVar("_Default")


class Headers(Mapping[str, str]):
    """Read-only header fields. ``headers[name]`` joins repeated fields with ``", "``
    (RFC 9110 clause 5.3); :meth:`get_all` returns them one by one.

    Each name is lowered once, when the fields are read: a request's head is looked up several
    times (``Host``, framing, ``Connection``, ``Expect``) on every request a server answers."""

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields = list(fields)
        values: dict[str, list[str]] = {}
        for name, value in self._fields:
            key = name.lower()
            if key in values:
                values[key].append(value)
            else:
                values[key] = [value]
        self._values = values

    def __getitem__(self, name: str) -> str:
        return ", ".join(self._values[name.lower()])

    @overload
    def get(self, name: str, /) -> str | None: ...

    @overload
    def get(self, name: str, /, default: str | _Default) -> str | _Default: ...

    def get(self, name: str, /, default: object = None) -> object:
        """The value of ``name`` (repeated fields joined), or ``default``: a lookup, where
        ``Mapping.get`` raises and catches a ``KeyError`` for every absent field."""
        values = self._values.get(name.lower())
        return default if values is None else ", ".join(values)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in the order received."""
        return list(self._values.get(name.lower(), ()))

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"
