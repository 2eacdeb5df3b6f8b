"""The action -> REST mapping: each step of a trace as TS 29.222 requests and CAPIF-2e connections
(``docs/replay.md`` holds it as a table).

:class:`StepDriver` reaches the target only through its REST APIs and CAPIF-2e interfaces and through
its out-of-band operations (onboarding secrets, method updates, policy, clock). The CAPIF-1e steps,
the method updates and the clock are here; the CAPIF-2e steps are in :mod:`replay.capif2e`.

Each step gives an :class:`~replay.wire.Observation`, or None when the step is folded into a later
one: the AEF's security information fetches (``aef-fetch-psk``, ``aef-fetch-policy``, TS 33.122 clause
6.5.2.1) happen when the invoker sends its Authentication Initiation Request (``check-authentication``)
-- at once if it has negotiated for that AEF, otherwise before its next session there.
``aef-fetch-certificate`` (clause 6.5.2.2) is check-authentication with the invoker's certificate at
an interface for PKI, so that the CCF's refusal to give certificate information without a PKI
selection is seen where the model places it.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from impl.apitypes.enums import SecurityMethod
from impl.invoker import AefTarget
from replay import capif2e
from replay.actors import Actors, Invoker, Key, check_authentication_observed, choose
from replay.plan import Plan, interface_methods
from replay.target import Capability, Target, TargetApi, TargetError
from replay.wire import Observation, accepted, attempt, failed

CLOCK_SKEW_SECONDS = 30
"""TS 33.122 Annex C: an AEF allows at most 30 s of clock skew on ``exp``."""

Args = Mapping[str, str]


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


def _same_interface(found: list[AefTarget], chosen: AefTarget, apis: Sequence[TargetApi]) -> list[AefTarget]:
    """One negotiation entry per API in ``apis`` at ``chosen``'s interface (the model negotiates for
    the AEF as a whole; TS 29.222 entries name an interface and an API); ``chosen`` alone when the
    interface serves none of them."""
    key = chosen.interface.address_key()
    at_interface = {t.api_name: t for t in found if t.interface.address_key() == key}
    return [at_interface[api.name] for api in apis if api.name in at_interface] or [chosen]


class StepDriver:
    """Runs the steps of one trace on a target, following its plan. ``close()`` when done."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self._actors = Actors(target, plan)
        self._supported = dict(plan.methods)
        self._offered: dict[tuple[str, str], frozenset[SecurityMethod]] = {}
        actors = self._actors
        self._handlers: dict[str, Callable[[Args], Observation | None]] = {
            "onboard": self._onboard,
            "offboard": self._offboard,
            "negotiate": self._negotiate,
            "aef-fetch-psk": self._fetch,
            "aef-fetch-policy": self._fetch,
            "aef-fetch-certificate": self._fetch_certificate,
            "psk-session": lambda args: capif2e.psk_session(actors, args, attacker=False),
            "psk-session-attacker": lambda args: capif2e.psk_session(actors, args, attacker=True),
            "pki-session": lambda args: capif2e.pki_session(actors, args, attacker=False),
            "pki-session-attacker": lambda args: capif2e.pki_session(actors, args, attacker=True),
            "invoke": lambda args: capif2e.invoke(actors, args, attacker=False),
            "invoke-attacker": lambda args: capif2e.invoke(actors, args, attacker=True),
            "token-request": self._token_request,
            "token-expires": self._token_expires,
            "oauth-invoke": lambda args: capif2e.oauth_invoke(actors, args, attacker=False),
            "oauth-invoke-attacker": lambda args: capif2e.oauth_invoke(actors, args, attacker=True),
            "method-enable": lambda args: self._method_change(args, enable=True),
            "method-disable": lambda args: self._method_change(args, enable=False),
            "mismatch-failure": lambda args: capif2e.mismatch_failure(actors, args),
            "attacker-makes-key": self._make_key,
        }

    def prepare(self) -> None:
        """Bring the target to the trace's start: each AEF's methods, and (when the target can) an
        access control policy that lets nobody in until the trace's invokers are onboarded."""
        target = self._actors.target
        target.reset()
        if Capability.METHOD_UPDATE in target.capabilities:
            for aef in self._actors.plan.aefs:
                self._configure(aef)
        self._actors.update_audiences()

    def run(self, step: Mapping[str, object]) -> Observation | None:
        """Drive one step; None when it is folded into a later one."""
        args = step["args"]
        assert isinstance(args, dict) and isinstance(step["action"], str)
        try:
            return self._handlers[step["action"]](args)
        except TargetError as error:
            return failed(f"the target failed: {error}")

    def close(self) -> None:
        self._actors.close()

    # -- onboarding, negotiation, offboarding (CAPIF-1e)

    def _onboard(self, args: Args) -> Observation:
        actors, name = self._actors, args["i"]
        invoker = actors.invokers.setdefault(name, Invoker(actors.new_invoker()))
        secret = actors.target.onboarding_secret()
        identity, problem = attempt(lambda: invoker.client.onboard(secret))
        if identity is None:
            return problem or failed("onboarding gave no identity")
        actors.ids[name] = identity.api_invoker_id
        actors.certificates[args["ct"]] = name
        actors.update_audiences()
        return accepted(f"201 Created: apiInvokerId {identity.api_invoker_id}")

    def _negotiate(self, args: Args) -> Observation:
        """Discover, then negotiate the trace's method for the APIs :meth:`Plan.negotiated_apis` names
        at the chosen interface. An invoker that may discover nothing at the AEF negotiates at the
        interfaces the scout discovers (their addresses are public): the CCF decides."""
        actors = self._actors
        name, aef, method = args["i"], args["a"], SecurityMethod(args["m"])
        invoker = actors.onboarded(name)
        if invoker is None:
            return failed(f"{name} is not onboarded: it has no CAPIF-1e credential to negotiate with")
        found, problem = actors.discover(aef, invoker.client)
        if problem is None and not found:
            found, problem = actors.discover_as_scout(aef)
        if problem is not None:
            return problem
        previous = invoker.negotiated.get(aef)
        chosen = choose(found, method, None if previous is None else previous.target)
        entries = _same_interface(found, chosen, actors.plan.negotiated_apis(aef, name))
        prefers = actors.plan.prefers[name]
        preferred = [method, *(m for m in prefers if m is not method)] if method in prefers else list(prefers)
        result, problem = attempt(lambda: invoker.client.negotiate(entries, preferred=preferred))
        if result is None:
            return problem or failed("negotiation gave no answer")
        other = next((item.method for item in result if item.method is not method), None)
        if other is not None:
            return failed(f"the CCF selected {other.value}; the trace has {method.value}")
        negotiated = result[0]
        invoker.negotiated[aef] = negotiated
        invoker.initiated.discard(aef)
        if negotiated.aefpsk is not None:
            actors.keys[args["k"]] = Key(negotiated.aefpsk, negotiated.target)
        return accepted(f"selected {method.value} for interface {chosen.api_prefix or '/'}")

    def _offboard(self, args: Args) -> Observation:
        invoker = self._actors.onboarded(args["i"])
        if invoker is None:
            return failed(f"{args['i']} is not onboarded")
        _, problem = attempt(invoker.client.offboard)
        return problem or accepted("204 No Content: offboarded")

    def _fetch(self, args: Args) -> Observation | None:
        """``aef-fetch-*``: check-authentication now if the invoker negotiated for the AEF, else folded."""
        invoker = self._actors.onboarded(args["i"])
        if invoker is None or args["a"] not in invoker.negotiated:
            return None
        invoker.initiated.discard(args["a"])
        return self._actors.initiate(args["i"], args["a"])

    def _fetch_certificate(self, args: Args) -> Observation | None:
        """``aef-fetch-certificate``: check-authentication where the invoker negotiated PKI for the AEF
        (TS 33.122 clause 6.5.2.2), else at an interface of the AEF offering PKI, where the CCF has no
        certificate information of the invoker to give; folded while the invoker is not onboarded."""
        actors, name, aef = self._actors, args["i"], args["a"]
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

    # -- access tokens (CAPIF-1e) and their expiry

    def _token_request(self, args: Args) -> Observation:
        actors = self._actors
        invoker = actors.onboarded(args["j"])
        if invoker is None:
            return failed(f"{args['j']} is not onboarded")
        api, client_id = actors.plan.api(args["a"], args["x"]), actors.id_of(args["s"])
        aef_id = actors.aef_id(args["a"])
        token, problem = attempt(lambda: invoker.client.obtain_token(aef_id, [api.name], client_id=client_id))
        if token is None:
            return problem or failed("no token")
        actors.tokens[args["t"]] = token
        actors.held[(args["j"], args["a"])] = token
        return accepted(f"200 OK: access token with client_id {client_id}")

    def _token_expires(self, args: Args) -> Observation:
        token = self._actors.tokens.get(args["t"])
        expiry = None if token is None else token_expiry(token)
        if expiry is None:
            return failed(f"{args['t']} is no token with exp")
        moment = datetime.fromtimestamp(expiry + CLOCK_SKEW_SECONDS + 1, UTC)
        self._actors.target.advance_clock(moment)
        return accepted(f"clock moved past exp + {CLOCK_SKEW_SECONDS} s")

    def _make_key(self, args: Args) -> Observation:
        self._actors.keys[args["k"]] = Key(os.urandom(32), None)
        return accepted("the attacker made up a 32-octet key")

    # -- method update (contribution 004, CAPIF-4)

    def _configure(self, aef: str) -> list[str]:
        """Set every interface of ``aef`` to offer what its supported methods give it."""
        changed = []
        target = self._actors.plan.aefs[aef]
        for interface in target.interfaces:
            wanted = interface_methods(interface.methods, self._supported[aef])
            current = self._offered.get((target.aef_id, interface.name), interface.methods)
            if wanted != current:
                self._actors.target.set_methods(target.aef_id, interface.name, wanted)
                changed.append(f"{interface.name} offers {', '.join(sorted(wanted))}")
            self._offered[(target.aef_id, interface.name)] = wanted
        return changed

    def _method_change(self, args: Args, *, enable: bool) -> Observation:
        aef, method = args["a"], SecurityMethod(args["m"])
        supported = self._supported[aef]
        self._supported[aef] = supported | {method} if enable else supported - {method}
        changed = self._configure(aef)
        return accepted("the APF updated the published API: " + ("; ".join(changed) or "no change"))
