"""What the replayer saw a target do at one step: an :class:`Observation`.

A refusal is named the way the implementation documents it: ``"<status> <cause>"`` with the
ProblemDetails ``cause`` (TS 29.122) or the ``AccessTokenErr`` ``error`` (RFC 6749 clause 5.2), or
``"TLS handshake refused"`` when the peer refuses at TLS (an unknown PSK identity, TS 33.122 clause
6.5.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass

HANDSHAKE_REFUSED = "TLS handshake refused"


@dataclass(frozen=True)
class Observation:
    """The outcome of one step as the target gave it: ``accepted``, and a one-line ``summary``;
    ``refusal`` names a refusal as documented (``"401 invalid_client"``), None otherwise."""

    accepted: bool
    summary: str
    refusal: str | None = None
    body: object = None


def accepted(summary: str, body: object = None) -> Observation:
    return Observation(True, summary, None, body)


def failed(summary: str) -> Observation:
    """Not accepted, without a documented refusal (the target answered something else)."""
    return Observation(False, summary)


def refused(refusal: str, detail: str | None = None) -> Observation:
    return Observation(False, refusal + (f" ({detail})" if detail else ""), refusal)


def refusal_name(status: int, cause: str | None) -> str:
    return f"{status} {cause}" if cause else str(status)


def then(first: Observation | None, second: Observation) -> Observation:
    """``second``, its summary preceded by ``first``'s when there was one."""
    if first is None:
        return second
    return Observation(second.accepted, f"{first.summary}; {second.summary}", second.refusal, second.body)
