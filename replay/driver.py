"""The action -> REST mapping: each step of a trace as TS 29.222 requests and CAPIF-2e connections.

:class:`StepDriver` plays every invoker of a trace, honest or not, as a real API invoker
(:class:`impl.invoker.ApiInvoker`: its own onboarding secret, key pair and CCF-issued certificate), and
the attacker with the credentials of the dishonest invokers and the keys it makes up. It reaches the
target only through the target's REST APIs and CAPIF-2e interfaces, and through the target's
out-of-band operations (onboarding secrets, method updates, policy, clock). ``docs/replay.md`` holds
the mapping as a table.

Each step gives an :class:`~replay.wire.Observation`, or None when the step is folded into a later
one: the AEF's security information fetches (``aef-fetch-psk``, ``aef-fetch-policy``, TS 33.122 clause
6.5.2.1) happen when the invoker sends its Authentication Initiation Request (``check-authentication``)
-- at once if it has negotiated for that AEF, otherwise before its next session there.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from impl.apitypes.enums import SecurityMethod
from impl.invoker import AefTarget, ApiInvoker, Negotiated
from impl.tls import CertificateClientTls, ClientTls, PskClientTls
from replay.plan import Plan, interface_methods
from replay.target import Capability, Target, TargetError
from replay.wire import Observation, Session, accepted, attempt, failed

MISMATCH = "403 SECURITY_METHOD_MISMATCH"
CLOCK_SKEW_SECONDS = 30
"""TS 33.122 Annex C: an AEF allows at most 30 s of clock skew on ``exp``."""

Args = Mapping[str, str]


@dataclass
class _Invoker:
    """A real API invoker playing one of the trace's invokers."""

    client: ApiInvoker
    negotiated: dict[str, Negotiated] = field(default_factory=dict)
    initiated: set[str] = field(default_factory=set)
    """AEFs it sent check-authentication to since it last negotiated for them"""


@dataclass(frozen=True)
class _Key:
    """A PSK the trace names: an AEFPSK and the interface it was derived for, or one made up."""

    value: bytes
    target: AefTarget | None


def _then(first: Observation | None, second: Observation) -> Observation:
    """``second``, its summary preceded by ``first``'s when there was one."""
    if first is None:
        return second
    return Observation(second.accepted, f"{first.summary}; {second.summary}", second.refusal, second.body)


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


class StepDriver:
    """Runs the steps of one trace on a target, following its plan. ``close()`` when done."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self._target = target
        self._plan = plan
        self._invokers: dict[str, _Invoker] = {}
        self._ids: dict[str, str] = {}
        self._certificates: dict[str, str] = {}
        self._keys: dict[str, _Key] = {}
        self._tokens: dict[str, str] = {}
        self._held: dict[tuple[str, str], str] = {}
        self._sessions: dict[tuple[str, str, SecurityMethod, bool], Session] = {}
        self._supported = dict(plan.methods)
        self._offered: dict[tuple[str, str], frozenset[SecurityMethod]] = {}
        self._scouting: ApiInvoker | None = None
        self._handlers: dict[str, Callable[[Args], Observation | None]] = {
            "onboard": self._onboard,
            "offboard": self._offboard,
            "negotiate": self._negotiate,
            "aef-fetch-psk": self._fetch,
            "aef-fetch-policy": self._fetch,
            "psk-session": lambda args: self._psk_session(args, attacker=False),
            "psk-session-attacker": lambda args: self._psk_session(args, attacker=True),
            "pki-session": lambda args: self._pki_session(args, attacker=False),
            "pki-session-attacker": lambda args: self._pki_session(args, attacker=True),
            "invoke": lambda args: self._invoke(args, attacker=False),
            "invoke-attacker": lambda args: self._invoke(args, attacker=True),
            "token-request": self._token_request,
            "token-expires": self._token_expires,
            "oauth-invoke": lambda args: self._oauth_invoke(args, attacker=False),
            "oauth-invoke-attacker": lambda args: self._oauth_invoke(args, attacker=True),
            "method-enable": lambda args: self._method_change(args, enable=True),
            "method-disable": lambda args: self._method_change(args, enable=False),
            "mismatch-failure": self._mismatch_failure,
            "attacker-makes-key": self._make_key,
        }

    def prepare(self) -> None:
        """Bring the target to the trace's start: each AEF's methods, and (when the target can) an
        access control policy that lets nobody in until the trace's invokers are onboarded."""
        self._target.reset()
        if Capability.METHOD_UPDATE in self._target.capabilities:
            for aef in self._plan.aefs:
                self._configure(aef)
        self._update_audiences()

    def run(self, step: Mapping[str, object]) -> Observation | None:
        """Drive one step; None when it is folded into a later one."""
        args = step["args"]
        assert isinstance(args, dict) and isinstance(step["action"], str)
        try:
            return self._handlers[step["action"]](args)
        except TargetError as error:
            return failed(f"the target failed: {error}")

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        for invoker in self._invokers.values():
            invoker.client.close()
        if self._scouting is not None:
            self._scouting.close()

    # -- who is who

    def _id(self, invoker: str) -> str:
        """The apiInvokerId playing ``invoker`` (its model name while it is not onboarded)."""
        return self._ids.get(invoker, invoker)

    def _onboarded(self, invoker: str) -> _Invoker | None:
        return self._invokers.get(invoker) if invoker in self._ids else None

    def _aef_id(self, aef: str) -> str:
        return self._plan.aefs[aef].aef_id

    def _new_invoker(self) -> ApiInvoker:
        return ApiInvoker(
            self._target.ccf,
            self._target.ca_certificate,
            notification_destination=self._target.notification_destination,
            aefpsk_derivation=self._target.aefpsk_derivation,
        )

    def _scout(self) -> tuple[ApiInvoker | None, Observation | None]:
        """The replayer's own invoker, onboarded on first use and admitted to every API so that it
        can discover interfaces for the attacker (their addresses are public; it never negotiates)."""
        if self._scouting is None:
            scout = self._new_invoker()
            secret = self._target.onboarding_secret()
            identity, problem = attempt(lambda: scout.onboard(secret, information="capifsec replay scout"))
            if identity is None:
                scout.close()
                return None, problem
            self._scouting = scout
            self._update_audiences()
        return self._scouting, None

    def _discover(self, aef: str, finder: ApiInvoker) -> tuple[list[AefTarget], Observation | None]:
        """Discover (TS 29.222 clause 8.1) the interfaces of ``aef``'s API as ``finder``."""
        api = self._plan.negotiated_api(aef)
        found, problem = attempt(lambda: finder.discover(api_name=api.name, aef_id=self._aef_id(aef)))
        if problem is not None:
            return [], problem
        if not found:
            return [], failed(f"discovery finds no interface of {api.name} at {self._aef_id(aef)}")
        return found, None

    def _interface(self, aef: str, method: SecurityMethod) -> tuple[AefTarget | None, Observation | None]:
        """An interface of ``aef`` offering ``method`` now, as the scout discovers it."""
        scout, problem = self._scout()
        if scout is None:
            return None, problem
        found, problem = self._discover(aef, scout)
        return (_choose(found, method, None), None) if problem is None else (None, problem)

    # -- onboarding, negotiation, offboarding (CAPIF-1e)

    def _onboard(self, args: Args) -> Observation:
        name = args["i"]
        invoker = self._invokers.setdefault(name, _Invoker(self._new_invoker()))
        secret = self._target.onboarding_secret()
        identity, problem = attempt(lambda: invoker.client.onboard(secret))
        if identity is None:
            return problem or failed("onboarding gave no identity")
        self._ids[name] = identity.api_invoker_id
        self._certificates[args["ct"]] = name
        self._update_audiences()
        return accepted(f"201 Created: apiInvokerId {identity.api_invoker_id}")

    def _negotiate(self, args: Args) -> Observation:
        name, aef, method = args["i"], args["a"], SecurityMethod(args["m"])
        invoker = self._onboarded(name)
        if invoker is None:
            return failed(f"{name} is not onboarded: it has no CAPIF-1e credential to negotiate with")
        found, problem = self._discover(aef, invoker.client)
        if problem is not None:
            return problem
        previous = invoker.negotiated.get(aef)
        chosen = _choose(found, method, None if previous is None else previous.target)
        prefers = self._plan.prefers[name]
        preferred = [method, *(m for m in prefers if m is not method)] if method in prefers else list(prefers)
        result, problem = attempt(lambda: invoker.client.negotiate([chosen], preferred=preferred))
        if result is None:
            return problem or failed("negotiation gave no answer")
        negotiated = result[0]
        if negotiated.method is not method:
            return failed(f"the CCF selected {negotiated.method.value}; the trace has {method.value}")
        invoker.negotiated[aef] = negotiated
        invoker.initiated.discard(aef)
        if negotiated.aefpsk is not None:
            self._keys[args["k"]] = _Key(negotiated.aefpsk, negotiated.target)
        return accepted(f"selected {method.value} for interface {chosen.api_prefix or '/'}")

    def _offboard(self, args: Args) -> Observation:
        invoker = self._onboarded(args["i"])
        if invoker is None:
            return failed(f"{args['i']} is not onboarded")
        _, problem = attempt(invoker.client.offboard)
        return problem or accepted("204 No Content: offboarded")

    # -- security information (CAPIF-3, through check-authentication on CAPIF-2e)

    def _initiate(self, name: str, aef: str) -> Observation | None:
        """check-authentication of ``name`` at the interface it negotiated for ``aef``, unless sent
        since it negotiated; None when nothing was sent."""
        invoker = self._invokers[name]
        negotiated = invoker.negotiated.get(aef)
        if negotiated is None or aef in invoker.initiated:
            return None
        _, problem = attempt(lambda: invoker.client.check_authentication(negotiated.target))
        if problem is not None:
            return Observation(False, f"check-authentication: {problem.summary}", problem.refusal)
        invoker.initiated.add(aef)
        return accepted("check-authentication: 200 OK")

    def _fetch(self, args: Args) -> Observation | None:
        invoker = self._onboarded(args["i"])
        if invoker is None or args["a"] not in invoker.negotiated:
            return None
        invoker.initiated.discard(args["a"])
        return self._initiate(args["i"], args["a"])

    # -- CAPIF-2e sessions and invocations

    def _open(self, key: tuple[str, str, SecurityMethod, bool], target: AefTarget, tls: ClientTls) -> Session:
        previous = self._sessions.pop(key, None)
        if previous is not None:
            previous.close()
        session = Session(target, tls)
        self._sessions[key] = session
        return session

    def _psk_session(self, args: Args, *, attacker: bool) -> Observation:
        aef, name, key = args["a"], args["i"], self._keys.get(args["k"])
        if key is None:
            return failed(f"no key {args['k']} is known")
        initiation = None
        if not attacker:
            if self._onboarded(name) is None:
                return failed(f"{name} is not onboarded")
            initiation = self._initiate(name, aef)
            if initiation is not None and not initiation.accepted:
                return initiation
        target = key.target
        if target is None or target.aef_id != self._aef_id(aef):
            target, problem = self._interface(aef, SecurityMethod.PSK)
            if target is None:
                return problem or failed("no interface")
        tls = PskClientTls(self._id(name), key.value)
        session = self._open((aef, name, SecurityMethod.PSK, attacker), target, tls)
        return _then(initiation, session.open())

    def _pki_session(self, args: Args, *, attacker: bool) -> Observation:
        aef, name = args["a"], args["i"]
        owner = self._onboarded(self._certificates.get(args["ct"], ""))
        if owner is None:
            return failed(f"no certificate {args['ct']} was issued")
        honest = None if attacker else self._invokers.get(name)
        negotiated = None if honest is None else honest.negotiated.get(aef)
        target = None if negotiated is None else negotiated.target
        if target is None:
            target, problem = self._interface(aef, SecurityMethod.PKI)
            if target is None:
                return problem or failed("no interface")
        tls = CertificateClientTls(self._target.ca_certificate, credential=owner.client.identity.credential)
        session = self._open((aef, name, SecurityMethod.PKI, attacker), target, tls)
        opened = session.open()
        if not opened.accepted:
            return opened
        initiation = session.check_authentication(self._id(name))
        if initiation.accepted and honest is not None:
            honest.initiated.add(aef)
        return _then(
            opened,
            Observation(
                initiation.accepted, f"check-authentication: {initiation.summary}", initiation.refusal
            ),
        )

    def _served(self, observation: Observation, name: str, method: SecurityMethod) -> Observation:
        """An accepted answer of the ``hello`` kind must name the invoker and the method it was
        served as (the model's ``served(a, i, x)``); an answer naming no invoker is a token whose
        claim set names none (TS 29.222 ``AccessTokenClaims``)."""
        body = observation.body
        if not observation.accepted or not isinstance(body, dict):
            return observation
        served_as, served_by = body.get("apiInvokerId"), body.get("securityMethod")
        if served_as not in (None, self._id(name)):
            return failed(f"200 OK, but served as {served_as}; the trace has {name} ({self._id(name)})")
        if served_by is not None and served_by != method.value:
            return failed(f"200 OK, but over {served_by}; the trace has {method.value}")
        who = name if served_as is not None else "the token's bearer (no invoker named)"
        return accepted(f"200 OK: served {who} over {method.value}", body)

    def _invoke(self, args: Args, *, attacker: bool) -> Observation:
        aef, name, method = args["a"], args["i"], SecurityMethod(args["m"])
        session = self._sessions.get((aef, name, method, attacker))
        if session is None:
            return failed(f"no {method.value} session of {name} at {aef} is open")
        api = self._plan.api(aef, args["x"])
        return self._served(session.get(api.resource), name, method)

    # -- access tokens

    def _token_request(self, args: Args) -> Observation:
        invoker = self._onboarded(args["j"])
        if invoker is None:
            return failed(f"{args['j']} is not onboarded")
        api, client_id = self._plan.api(args["a"], args["x"]), self._id(args["s"])
        token, problem = attempt(
            lambda: invoker.client.obtain_token(self._aef_id(args["a"]), [api.name], client_id=client_id)
        )
        if token is None:
            return problem or failed("no token")
        self._tokens[args["t"]] = token
        self._held[(args["j"], args["a"])] = token
        return accepted(f"200 OK: access token with client_id {client_id}")

    def _token_expires(self, args: Args) -> Observation:
        token = self._tokens.get(args["t"])
        expiry = None if token is None else token_expiry(token)
        if expiry is None:
            return failed(f"{args['t']} is no token with exp")
        self._target.advance_clock(datetime.fromtimestamp(expiry + CLOCK_SKEW_SECONDS + 1, UTC))
        return accepted(f"clock moved past exp + {CLOCK_SKEW_SECONDS} s")

    def _oauth_invoke(self, args: Args, *, attacker: bool) -> Observation:
        aef, token = args["a"], self._tokens.get(args["t"])
        if token is None:
            return failed(f"no token {args['t']} was issued")
        invoker = None if attacker else self._invokers.get(args["j"])
        negotiated = None if invoker is None else invoker.negotiated.get(aef)
        target = negotiated.target if negotiated and negotiated.method is SecurityMethod.OAUTH else None
        if target is None:
            target, problem = self._interface(aef, SecurityMethod.OAUTH)
            if target is None:
                return problem or failed("no interface")
        session = Session(target, CertificateClientTls(self._target.ca_certificate))
        try:
            answer = session.get(
                self._plan.api(aef, args["x"]).resource, {"Authorization": f"Bearer {token}"}
            )
        finally:
            session.close()
        return self._served(answer, args["i"], SecurityMethod.OAUTH)

    # -- method update and mismatch (contribution 004)

    def _configure(self, aef: str) -> list[str]:
        """Set every interface of ``aef`` to offer what its supported methods give it."""
        changed = []
        target = self._plan.aefs[aef]
        for interface in target.interfaces:
            wanted = interface_methods(interface.methods, self._supported[aef])
            current = self._offered.get((target.aef_id, interface.name), interface.methods)
            if wanted != current:
                self._target.set_methods(target.aef_id, interface.name, wanted)
                changed.append(f"{interface.name} offers {', '.join(sorted(wanted))}")
            self._offered[(target.aef_id, interface.name)] = wanted
        return changed

    def _method_change(self, args: Args, *, enable: bool) -> Observation:
        aef, method = args["a"], SecurityMethod(args["m"])
        supported = self._supported[aef]
        self._supported[aef] = supported | {method} if enable else supported - {method}
        changed = self._configure(aef)
        return accepted(
            "the APF updated the published API: " + ("; ".join(changed) or "no interface changed")
        )

    def _mismatch_failure(self, args: Args) -> Observation:
        name, aef, method = args["i"], args["a"], SecurityMethod(args["m"])
        invoker = self._onboarded(name)
        negotiated = None if invoker is None else invoker.negotiated.get(aef)
        if invoker is None or negotiated is None or negotiated.method is not method:
            return failed(f"{name} has not negotiated {method.value} for {aef}")
        invoker.initiated.discard(aef)
        target = negotiated.target
        first: Observation | None = None
        if method is SecurityMethod.PKI:
            tls = CertificateClientTls(
                self._target.ca_certificate, credential=invoker.client.identity.credential
            )
            answer = self._one_request(target, tls, aef, {})
        elif method is SecurityMethod.OAUTH and (name, aef) in self._held:
            tls = CertificateClientTls(self._target.ca_certificate)
            answer = self._one_request(
                target, tls, aef, {"Authorization": f"Bearer {self._held[(name, aef)]}"}
            )
        else:
            if method is SecurityMethod.PSK and negotiated.aefpsk is not None:
                probe = Session(target, PskClientTls(self._id(name), negotiated.aefpsk))
                first = probe.open()
                probe.close()
                if first.accepted:
                    return failed("the TLS-PSK handshake with the old method succeeded")
            _, problem = attempt(lambda: invoker.client.check_authentication(target))
            answer = accepted("check-authentication: 200 OK")
            if problem is not None:
                answer = Observation(False, f"check-authentication: {problem.summary}", problem.refusal)
        if answer.refusal == MISMATCH:
            return _then(first, accepted(f"{answer.summary}: the mismatch failure"))
        return _then(first, failed(answer.summary))

    def _one_request(
        self, target: AefTarget, tls: ClientTls, aef: str, headers: Mapping[str, str]
    ) -> Observation:
        session = Session(target, tls)
        try:
            return session.get(self._plan.negotiated_api(aef).resource, headers)
        finally:
            session.close()

    def _make_key(self, args: Args) -> Observation:
        self._keys[args["k"]] = _Key(os.urandom(32), None)
        return accepted("the attacker made up a 32-octet key")

    # -- policy

    def _update_audiences(self) -> None:
        """Each (AEF, API) the steps use admits exactly the onboarded invokers the policy allows."""
        if Capability.POLICY not in self._target.capabilities:
            return
        for aef, api in self._plan.pairs:
            admitted = [self._ids[name] for name in self._ids if (name, aef, api) in self._plan.allowed]
            if self._scouting is not None:
                admitted.append(self._scouting.identity.api_invoker_id)
            self._target.set_audience(self._aef_id(aef), self._plan.api(aef, api).name, admitted)


def _choose(found: list[AefTarget], method: SecurityMethod, previous: AefTarget | None) -> AefTarget:
    """The interface to use for ``method``: the one used before if it offers it, else one offering
    only it, else any offering it, else the first (the CCF will then refuse, as it should)."""
    offering = [target for target in found if method in target.methods]
    if previous is not None:
        key = previous.interface.address_key()
        same = [target for target in offering if target.interface.address_key() == key]
        if same:
            return same[0]
    only = [target for target in offering if set(target.methods) == {method}]
    return (only or offering or found)[0]
