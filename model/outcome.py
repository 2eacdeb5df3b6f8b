"""What the model expects of one request: accepted, refused by named checks, or not a request at all.

A step of the model fixes every parameter of its action, but on the wire a requester fixes only some
of them: the *request* parameters. The others are chosen by the receiver or follow from what it holds
(:func:`choice_parameters`): the method the CCF selects from the invoker's preferences (TS 33.122
clause 6.3.1.2), a fresh key, token or certificate it creates, the security information the CCF
returns to an AEF (TS 29.222 ``GET trustedInvokers/{apiInvokerId}`` names no AEF), the signer and
subject a token carries. So a request is

* **accepted** when some choice satisfies every guard of the action;
* **refused** when no choice does, but some choice satisfies every guard that is not a named check
  (``spec/checks.yaml``): the refusal is the checks' doing. The step takes the first such choice with
  the fewest failing checks, and ``refused_by`` names those checks (one, when removing one check
  would let the request through);
* otherwise no request the implementation could tell from another (a session with a key the attacker
  does not hold, a fetch for an invoker the CCF never heard of): :func:`outcome` gives None.

The same rules make the bounded-search goals of the generated test suite (:func:`acceptance_goal`,
:func:`refusal_goal`), so that a state the solver reaches is one where the step really has that outcome
(and, for a request that happens only inside another, :data:`SEEN_THROUGH`, one where that other can be
made).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from model.concrete import Structure, evaluate
from model.syntax import And, Atom, Const, Formula, Not, Quant, conjuncts, parse_formula
from model.system import CompiledAction

RECEIVER_CHOICES: Mapping[str, frozenset[str]] = {
    "negotiate": frozenset({"m", "k"}),
    "negotiate-relayed": frozenset({"m", "k"}),
    "negotiate-home-selects": frozenset({"m", "k"}),
    "aef-fetch-psk": frozenset({"b", "k"}),
    "aef-fetch-root": frozenset({"r"}),
    "aef-fetch-policy-from-home": frozenset({"h"}),
    "fetch-from-home": frozenset({"h", "m", "k"}),
    "psk-session": frozenset({"k"}),
    "pki-session": frozenset({"ct", "r"}),
    "pki-session-attacker": frozenset({"r"}),
    "oauth-invoke": frozenset({"c", "i"}),
    "oauth-invoke-attacker": frozenset({"c", "i"}),
}
"""Parameters, besides the fresh ones, that the request does not fix: the selected method and the
AEFPSK derived for it (TS 33.122 clause 6.3.1.2: the CCF selects; Annex A.1), the AEF and key of the
security information the CCF returns (TS 29.222 ``GET trustedInvokers`` names no AEF), the home CCF
the AEF's CCF asks and what it returns, the invoker's own AEFPSK and certificate and their issuer, a
token's signer and the invoker it names."""


SETTLED: Mapping[str, str] = {
    "aef-authorizes-acl": "forall c0:ccf. !allows(c0, i, a, x)",
    "psk-handshake": "forall c0:ccf. !ccf_psk(c0, i, a, k)",
    "certificate-trusted": (
        "forall c0:ccf. aef_at(a, c0) -> !(exists r0:ccf. cert_of(ct, r0, i) & ccf_root(c0, i, a, r0))"
    ),
}
"""For the checks an AEF makes against what it fetched from its CCF (the model fetches in steps of
their own, an implementation when the invoker first comes, TS 33.122 clause 6.5.2): what a refusal by
the check needs besides, so that no fetch could cure it: no CCF's policy lets the invoker use the API,
no CCF holds the key as the invoker's AEFPSK for the AEF, the AEF's CCF does not give the certificate's
issuer as the invoker's root CA for it. A refusal goal by such a check asks for it too."""


ASKED_FOR_AN_INVOKER: Mapping[str, str] = {
    "aef-fetch-psk": "onboarded(i)",
    "aef-fetch-certificate": "onboarded(i)",
    "aef-fetch-root": "onboarded(i)",
    "aef-fetch-policy": "onboarded(i)",
}
"""An AEF asks its CCF about an invoker when the invoker comes to it (the Authentication Initiation
Request, TS 33.122 clause 6.5.2.1): a refusal of such a fetch is one about an onboarded invoker."""


SEEN_THROUGH: Mapping[str, str] = {
    "fetch-from-attacker": "supports(a, m)",
}
"""Requests that happen only as part of another: the AEF's CCF asks the home CCF (here one the
attacker controls) for an invoker's security information when the invoker comes to the AEF at an
interface of that method (TS 33.122 clause 6.5.2; contribution 001 6.X.3.1), so a goal of such a
request asks for the AEF to offer the method too."""


def fresh_parameters(action: CompiledAction) -> frozenset[str]:
    """Parameters the action creates: ``p`` with a guard ``!R(p)`` where the action inserts ``R(p)``
    (a new key, token or certificate, named by the one who makes it)."""
    inserted = {
        (effect.relation, effect.pattern)
        for effect in action.action.effects
        if effect.insert and len(effect.pattern) == 1
    }
    fresh = set()
    for guard in action.action.guards:
        for part in conjuncts(guard.formula):
            if isinstance(part, Not) and isinstance(part.body, Atom) and len(part.body.args) == 1:
                name = part.body.args[0].name
                if (part.body.relation, (name,)) in inserted:
                    fresh.add(name)
    return frozenset(fresh)


def choice_parameters(action: CompiledAction) -> tuple[tuple[str, str], ...]:
    """The parameters a request does not fix, with their sorts, in the action's order."""
    chosen = fresh_parameters(action) | RECEIVER_CHOICES.get(action.id, frozenset())
    return tuple((name, sort) for name, sort in action.action.params if name in chosen)


def request_parameters(action: CompiledAction) -> tuple[tuple[str, str], ...]:
    """The parameters a request fixes, with their sorts, in the action's order."""
    chosen = {name for name, _ in choice_parameters(action)}
    return tuple((name, sort) for name, sort in action.action.params if name not in chosen)


def checks_of(action: CompiledAction) -> tuple[str, ...]:
    """The named checks among the action's active guards, in guard order, each once."""
    return tuple(dict.fromkeys(guard.check for guard in action.guards if guard.check is not None))


def _exists(binders: Sequence[tuple[str, str]], body: Formula) -> Formula:
    return Quant(False, tuple(binders), body) if binders else body


def _forall(binders: Sequence[tuple[str, str]], body: Formula) -> Formula:
    return Quant(True, tuple(binders), body) if binders else body


def _conjunction(formulas: Sequence[Formula]) -> Formula:
    return And(tuple(formulas)) if formulas else Const(True)


def never(formula: Formula) -> bool:
    """Whether a guard conjunction is syntactically false (a conjunct ``false``)."""
    return any(part == Const(False) for part in conjuncts(formula))


@dataclass(frozen=True)
class Goal:
    """A state in which some request of ``action`` has the wanted outcome: ``exists request. body``."""

    action: CompiledAction
    body: Formula
    """over the request parameters (free) and the state"""
    refusing: str | None = None
    """the check a refusal goal wants the request refused by (None: an acceptance)"""

    @property
    def formula(self) -> Formula:
        return _exists(request_parameters(self.action), self.body)

    def never(self) -> Formula:
        """For an acceptance goal: that no request of the action is accepted (universal)."""
        assert self.refusing is None
        return _forall(self.action.action.params, Not(self.action.guard_formula()))

    def request_in(self, state: Structure, used: Collection[str] = ()) -> dict[str, str] | None:
        """The first request for which the body holds in ``state``, naming the entities in ``used``
        (those the run so far involves) before others, each sort in the universe's order."""
        for request in _assignments(state, request_parameters(self.action), used):
            if evaluate(self.body, state, request):
                return request
        return None


def acceptance_goal(action: CompiledAction) -> Goal:
    """A state where some request of the action is accepted (and, for a request in
    :data:`SEEN_THROUGH`, the one it happens in can be made)."""
    accepted = _exists(choice_parameters(action), action.guard_formula())
    seen = _seen_through(action)
    return Goal(action, And((accepted, *seen)) if seen else accepted)


def _seen_through(action: CompiledAction) -> list[Formula]:
    return [parse_formula(SEEN_THROUGH[action.id])] if action.id in SEEN_THROUGH else []


def refusal_goal(action: CompiledAction, check: str) -> Goal:
    """A state where some request of the action is refused, and would be accepted without ``check``
    (and, for a check in :data:`SETTLED`, would still be refused after any fetch)."""
    everything = action.guard_formula()
    settled = [parse_formula(SETTLED[check])] if check in SETTLED else []
    asked = [parse_formula(ASKED_FOR_AN_INVOKER[action.id])] if action.id in ASKED_FOR_AN_INVOKER else []
    others = _conjunction(
        [guard.formula for guard in action.guards if guard.check != check] + settled + asked
    )
    choices = choice_parameters(action)
    refused = [_forall(choices, Not(everything)), _exists(choices, others), *_seen_through(action)]
    return Goal(action, And(tuple(refused)), check)


@dataclass(frozen=True)
class Outcome:
    """The model's expectation of one request: the step's arguments (the request's and the choice
    made), and the checks that refuse it (none: accepted)."""

    arguments: Mapping[str, str]
    refused_by: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.refused_by


def _assignments(
    state: Structure, binders: Sequence[tuple[str, str]], used: Collection[str] = ()
) -> list[dict[str, str]]:
    names = [name for name, _ in binders]
    orders = [sorted(state.universe[sort], key=lambda element: element not in used) for _, sort in binders]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*orders)]


def outcome(
    action: CompiledAction, state: Structure, request: Mapping[str, str], prefer: str | None = None
) -> Outcome | None:
    """The model's expectation of the request ``request`` (values of :func:`request_parameters`) of
    ``action`` in ``state``; None when it is no request (see the module docstring). Of the choices
    refused by one check only, one refused by ``prefer`` is taken if there is one."""
    failures: list[tuple[dict[str, str], tuple[str, ...]]] = []
    for choice in _assignments(state, choice_parameters(action)):
        arguments = {**request, **choice}
        failed: list[str] = []
        possible = True
        for guard in action.guards:
            if evaluate(guard.formula, state, arguments):
                continue
            if guard.check is None:
                possible = False
                break
            failed.append(guard.check)
        if not possible:
            continue
        if not failed:
            return Outcome(_ordered(action, arguments))
        failures.append((arguments, tuple(dict.fromkeys(failed))))
    if not failures:
        return None
    chosen, refusing = min(failures, key=lambda entry: (len(entry[1]), entry[1] != (prefer,)))
    return Outcome(_ordered(action, chosen), tuple(sorted(refusing)))


def _ordered(action: CompiledAction, arguments: Mapping[str, str]) -> dict[str, str]:
    return {name: arguments[name] for name, _ in action.action.params}
