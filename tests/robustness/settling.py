"""Reading a count that other threads lower a little after the event a test waits on (a server
thread's clean-up after its handshake or refusal), without reading it once too early."""

import time
from collections.abc import Callable

SETTLE = 30.0
"""How long a count may take to fall back (generous: the machine may be loaded)."""


def settled(count: Callable[[], int], at_most: int, within: float = SETTLE) -> int:
    """``count()`` once it is at most ``at_most`` or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while count() > at_most and time.monotonic() < deadline:
        time.sleep(0.01)
    return count()
