"""The ``scope`` claim of a CAPIF access token: which APIs of which AEFs it grants.

Two syntaxes are in use for the same content, a list of (aefId, [API names]):

* TS 33.122 Annex C: ``AEF1:Svc1,Svc2;AEF2:Svc3``
* TS 29.222 clause 8.5.2 (token request ``scope``, written into tokens by implementations):
  ``3gpp#aefId1:api1,api2;aefId2:api3``

Parsing is strict: no empty entries, no empty or repeated names, no whitespace, no repeated aefId.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from impl.tokens.errors import ScopeSyntaxError

TS29222_SCOPE_PREFIX = "3gpp#"
_NAME = re.compile(r"[!-\"$-+\--9<-~]+")


class ScopeSyntax(StrEnum):
    """Which of the two scope syntaxes a string uses."""

    TS33122 = "ts33122"
    TS29222 = "ts29222"


def _check_name(name: str, what: str) -> None:
    """A name is non-empty printable ASCII without whitespace or the separators ``:;,#``."""
    if not isinstance(name, str) or not name:
        raise ScopeSyntaxError(f"empty {what}")
    if not _NAME.fullmatch(name):
        raise ScopeSyntaxError(f"{what} {name!r} holds whitespace, a separator (:;,#) or non-ASCII")


@dataclass(frozen=True)
class ScopeEntry:
    """One AEF and the service API names granted on it (TS 33.122 Annex C)."""

    aef_id: str
    api_names: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_name(self.aef_id, "aefId")
        if not self.api_names:
            raise ScopeSyntaxError(f"aefId {self.aef_id!r} has no API names")
        for api_name in self.api_names:
            _check_name(api_name, "API name")
        if len(set(self.api_names)) != len(self.api_names):
            raise ScopeSyntaxError(f"aefId {self.aef_id!r} repeats an API name")


def _check_distinct_aefs(entries: tuple[ScopeEntry, ...]) -> None:
    aef_ids = [entry.aef_id for entry in entries]
    if len(set(aef_ids)) != len(aef_ids):
        raise ScopeSyntaxError("an aefId appears in more than one scope entry")


def format_scope(entries: Iterable[ScopeEntry], syntax: ScopeSyntax) -> str:
    """Write scope entries in the chosen syntax (TS 33.122 Annex C or TS 29.222 clause 8.5.2)."""
    entry_tuple = tuple(entries)
    if not entry_tuple:
        raise ScopeSyntaxError("a scope needs at least one entry")
    _check_distinct_aefs(entry_tuple)
    body = ";".join(f"{entry.aef_id}:{','.join(entry.api_names)}" for entry in entry_tuple)
    return TS29222_SCOPE_PREFIX + body if syntax is ScopeSyntax.TS29222 else body


def parse_scope(text: str, syntax: ScopeSyntax) -> tuple[ScopeEntry, ...]:
    """Read a scope string written in ``syntax``; raise :class:`ScopeSyntaxError` on any deviation."""
    if syntax is ScopeSyntax.TS29222:
        if not text.startswith(TS29222_SCOPE_PREFIX):
            raise ScopeSyntaxError(f"a TS 29.222 scope starts with {TS29222_SCOPE_PREFIX!r}")
        text = text[len(TS29222_SCOPE_PREFIX) :]
    if not text:
        raise ScopeSyntaxError("empty scope")
    entries = []
    for part in text.split(";"):
        aef_id, colon, api_list = part.partition(":")
        if not colon:
            raise ScopeSyntaxError(f"scope entry {part!r} has no ':'")
        entries.append(ScopeEntry(aef_id, tuple(api_list.split(","))))
    entry_tuple = tuple(entries)
    _check_distinct_aefs(entry_tuple)
    return entry_tuple


def scope_grants(entries: Iterable[ScopeEntry], aef_id: str | None, api_name: str) -> bool:
    """True if the scope grants ``api_name`` on ``aef_id`` (on any AEF when ``aef_id`` is None)."""
    return any(
        (aef_id is None or entry.aef_id == aef_id) and api_name in entry.api_names for entry in entries
    )
