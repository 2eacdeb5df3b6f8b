"""Time as an explicit input of the running services.

Expiry and clock skew (certificate validity, onboarding secrets, token ``exp`` with at most 30 s of skew,
TS 33.122 Annex C) are decided against the time a :data:`Clock` returns, so that tests can set it.
"""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime."""


def system_clock() -> datetime:
    """The system's current time, in UTC."""
    return datetime.now(UTC)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch of an aware datetime (the unit of JWT ``exp`` and ``iat``)."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp())
