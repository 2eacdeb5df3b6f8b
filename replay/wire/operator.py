"""What the operator and the clock do in a trace, out of band of the REST APIs: the method update
(contribution 004, through the APF on CAPIF-4) and the passing of a token's ``exp`` (TS 33.122
Annex C)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from impl.apitypes.enums import SecurityMethod
from replay.observation import Observation, accepted, failed
from replay.plan import interface_methods
from replay.target import Capability
from replay.wire.actors import Actors

CLOCK_SKEW_SECONDS = 30
"""TS 33.122 Annex C: an AEF allows at most 30 s of clock skew on ``exp``."""

Args = Mapping[str, str]


def prepare(actors: Actors) -> None:
    """Bring the target to the trace's start: each AEF's methods, and (when the target can) an
    access control policy that lets nobody in until the trace's invokers are onboarded. When the
    trace moves the clock, the scouts are onboarded first: a certificate issued at a moved time is
    not yet valid for TLS, which checks the real time."""
    target = actors.target
    target.reset()
    if Capability.METHOD_UPDATE in target.capabilities:
        for aef in actors.plan.aefs:
            configure(actors, aef)
    if actors.plan.moves_clock:
        for provider in actors.plan.providers.values():
            actors.scout(provider)
    actors.update_audiences()


def configure(actors: Actors, aef: str, *, delayed: bool = False) -> list[str]:
    """Set every interface of ``aef`` to offer what its supported methods give it, the APF informing
    the CCF at once (``delayed``: when the target's ``method-update-propagation`` says); what changed."""
    changed = []
    target = actors.plan.aefs[aef]
    for interface in target.interfaces:
        wanted = interface_methods(interface.methods, actors.supported[aef], actors.plan.idle[aef])
        current = actors.offered.get((target.aef_id, interface.name), interface.methods)
        if wanted != current:
            if delayed:
                actors.target.change_aef_methods(target.aef_id, interface.name, wanted)
            else:
                actors.target.set_methods(target.aef_id, interface.name, wanted)
            changed.append(f"{interface.name} offers {', '.join(sorted(wanted))}")
        actors.offered[(target.aef_id, interface.name)] = wanted
    return changed


def method_change(actors: Actors, args: Args, *, enable: bool, delayed: bool = False) -> Observation:
    """``method-enable``/``method-disable``: the AEF changes its interfaces and the APF updates the
    published API (contribution 004). ``aef-method-enable``/``-disable`` (``delayed``): the AEF changes
    them and the APF updates the CCF as the target's ``method-update-propagation`` says (``delayed``:
    not until ``method-update-reaches-ccf``; ``immediate``, the recommended variant: at once)."""
    aef, method = args["a"], SecurityMethod(args["m"])
    supported = actors.supported[aef]
    actors.supported[aef] = supported | {method} if enable else supported - {method}
    changed = "; ".join(configure(actors, aef, delayed=delayed)) or "no change"
    if delayed:
        return accepted(f"the AEF changed its interfaces: {changed}")
    return accepted(f"the APF updated the published API: {changed}")


def method_update_reaches_ccf(actors: Actors, args: Args) -> Observation:
    """The APF tells the CCF the AEF's current methods (TS 29.222 Update_Service_API, contribution 004)."""
    actors.target.inform_ccf(actors.aef_id(args["a"]))
    return accepted("the APF updated the published API with the AEF's current methods")


def token_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWS compact token, read without verifying (the replayer only needs the
    time to move the clock past it)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return exp if isinstance(exp, int) and not isinstance(exp, bool) else None


def _move_clock(actors: Actors, args: Args, past: int) -> Observation:
    """The target's clock moves to ``exp`` + 30 s + ``past`` seconds of the token ``t``."""
    token = actors.tokens.get(args["t"])
    expiry = None if token is None else token_expiry(token)
    if expiry is None:
        return failed(f"{args['t']} is no token with exp")
    moment = datetime.fromtimestamp(expiry + CLOCK_SKEW_SECONDS + past, UTC)
    actors.target.advance_clock(moment)
    return accepted(f"clock moved to exp + {CLOCK_SKEW_SECONDS + past} s")


def token_expires(actors: Actors, args: Args) -> Observation:
    """The target's clock moves one second past ``exp`` + 30 s."""
    return _move_clock(actors, args, 1)


def token_at_skew_limit(actors: Actors, args: Args) -> Observation:
    """The target's clock moves to ``exp`` + 30 s exactly (TS 33.122 Annex C: still valid)."""
    return _move_clock(actors, args, 0)
