"""The AEF's security information fetches (CAPIF-3, TS 33.122 clauses 6.5.2.1 and 6.5.2.2), driven
through the Authentication Initiation Request that makes an AEF ask its CCF.

``aef-fetch-psk`` and ``aef-fetch-policy`` are check-authentication at once if the invoker has
negotiated for that AEF, otherwise they are folded (None) into its next session there.
``aef-fetch-certificate`` is check-authentication with the invoker's certificate at an interface for
PKI, so that the CCF's refusal to give certificate information without a PKI selection is seen where
the model places it.
"""

from __future__ import annotations

from collections.abc import Mapping

from impl.apitypes.enums import SecurityMethod
from replay.observation import Observation, failed
from replay.wire.actors import Actors, check_authentication_observed
from replay.wire.connection import attempt

Args = Mapping[str, str]


def fetch(actors: Actors, args: Args) -> Observation | None:
    """``aef-fetch-*``: check-authentication now if the invoker negotiated for the AEF, else folded."""
    invoker = actors.onboarded(args["i"])
    if invoker is None or args["a"] not in invoker.negotiated:
        return None
    invoker.initiated.discard(args["a"])
    return actors.initiate(args["i"], args["a"])


def fetch_certificate(actors: Actors, args: Args) -> Observation | None:
    """``aef-fetch-certificate``: check-authentication where the invoker negotiated PKI for the AEF
    (TS 33.122 clause 6.5.2.2), else at an interface of the AEF offering PKI, where the CCF has no
    certificate information of the invoker to give; folded while the invoker is not onboarded."""
    name, aef = args["i"], args["a"]
    invoker = actors.onboarded(name)
    if invoker is None:
        return None
    negotiated = invoker.negotiated.get(aef)
    if negotiated is not None and negotiated.method is SecurityMethod.PKI:
        invoker.initiated.discard(aef)
        return actors.initiate(name, aef)
    target, problem = actors.interface(aef, SecurityMethod.PKI)
    if target is None:
        return problem or failed("no interface")
    _, problem = attempt(lambda: invoker.client.check_authentication(target))
    return check_authentication_observed(problem)
