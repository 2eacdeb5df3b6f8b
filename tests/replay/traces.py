"""Model traces edited on purpose, shared by several test modules (each test says it edits one)."""

from __future__ import annotations

import copy
from typing import Any

Trace = dict[str, Any]


def with_dishonest_aef(witness: Trace) -> Trace:
    """The PSK witness up to its ``aef-fetch-psk``, with the AEF marked as the attacker's: an honest
    invoker negotiates PSK for an AEF the attacker controls, which then asks the CCF for its AEFPSK."""
    trace = copy.deepcopy(witness)
    steps = trace["steps"]
    fetch = next(step for step in steps if step["action"] == "aef-fetch-psk")
    aef = fetch["args"]["a"]
    for entry in trace["topology"]["aefs"]:
        entry["honest"] = entry["honest"] and entry["id"] != aef
    kept = [step for step in steps if step["action"] in ("onboard", "negotiate")] + [fetch]
    for number, step in enumerate(kept, start=1):
        step["n"] = number
        if step is fetch:
            step["actor"] = "attacker"
    trace["steps"] = kept
    return trace
