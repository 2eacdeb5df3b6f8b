"""The model's side of the differential test: deployments Hypothesis chooses, the requests possible in
a state with the outcome the model expects of each (:func:`model.outcome.outcome`), and the run so far
as a trace for the replayer.

An AEF asks its CCF about an invoker when the invoker comes to it (the Authentication Initiation
Request, TS 33.122 clause 6.5.2.1), which the model has as fetch steps of their own: before an honest
invoker's TLS-PSK or TLS-PKI session, the run takes every fetch for that AEF and invoker the model
accepts (:meth:`ModelRun.fetches`), as the implementation does on check-authentication.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from model.catalogue import Catalogue
from model.concrete import ConcreteRun, Step, Structure, apply, initialise
from model.outcome import Outcome, outcome, request_parameters
from model.system import CompiledAction, System, compile_system
from model.trace import TraceBuilder
from model.verify import REFERENCE_PROFILE
from replay.actions import PARAMETERS

METHODS = ("PSK", "PKI", "OAUTH")
SESSIONS = frozenset({"psk-session", "pki-session"})
FETCHES = ("fetch-from-home", "aef-fetch-psk", "aef-fetch-certificate", "aef-fetch-root", "aef-fetch-policy")
"""The fetches an AEF makes when an invoker comes to it, in the order they happen: its CCF first asks
the home CCF (CAPIF-6/6e), then the AEF asks its CCF (CAPIF-3)."""


@dataclass(frozen=True)
class Request:
    """A request the model can tell apart: an action, the request's parameters, the model's outcome."""

    action: str
    request: Mapping[str, str]
    expected: Outcome

    def __str__(self) -> str:
        verdict = (
            "accepted" if self.expected.accepted else f"refused by {', '.join(self.expected.refused_by)}"
        )
        arguments = ", ".join(f"{name}={value}" for name, value in self.expected.arguments.items())
        return f"{self.action}({arguments}): {verdict}"


@st.composite
def deployments(draw: st.DrawFn, catalogue: Catalogue, profile: str) -> Structure:
    """A deployment of honest CCFs (one, or two when the profile interconnects), one or two AEFs and
    invokers (honest or the attacker's), two APIs, policies, preferences and methods."""
    options = catalogue.profiles[profile].options
    two_providers = options["interconnection"] == "supported" and draw(st.booleans())
    ccfs = ("ccf#0", "ccf#1") if two_providers else ("ccf#0",)
    aefs = tuple(f"aef#{n}" for n in range(draw(st.integers(1, 2))))
    invokers = tuple(f"invoker#{n}" for n in range(draw(st.integers(1, 2))))
    apis = ("api#0", "api#1")
    universe: dict[str, tuple[str, ...]] = {
        sort: (f"{sort}#0", f"{sort}#1") for sort in catalogue.sorts if sort not in {"ccf", "aef", "invoker"}
    }
    universe |= {"ccf": ccfs, "aef": aefs, "invoker": invokers, "rof": ("rof#0",), "api": apis}
    universe |= {enum.id: enum.values for enum in catalogue.enums.values()}

    def subset(items: tuple[Any, ...], non_empty: bool = False) -> set[Any]:
        chosen = draw(st.sets(st.sampled_from(items), min_size=1 if non_empty else 0))
        return set(chosen)

    aef_at: set[tuple[str, ...]] = {(aef, draw(st.sampled_from(ccfs))) for aef in aefs}
    home: set[tuple[str, ...]] = {(invoker, draw(st.sampled_from(ccfs))) for invoker in invokers}
    linked = two_providers and draw(st.booleans())
    facts: dict[str, set[tuple[str, ...]]] = {
        "honest_ccf": {(ccf,) for ccf in ccfs},
        "honest_aef": {(aef,) for aef in aefs if draw(st.booleans())},
        "honest_inv": {(invoker,) for invoker in invokers if draw(st.booleans())},
        "honest_rof": {("rof#0",)},
        "home": home,
        "aef_at": aef_at,
        "interconnected": {("ccf#0", "ccf#1"), ("ccf#1", "ccf#0")} if linked else set(),
        "exposes": {(aef, api) for aef in aefs for api in subset(apis, non_empty=True)},
        "allows": subset(tuple(itertools.product(ccfs, invokers, aefs, apis))),
        "prefers": {(invoker, method) for invoker in invokers for method in subset(METHODS, True)},
        "supports": {(aef, method) for aef in aefs for method in subset(METHODS, True)},
    }
    relations = catalogue.relations.values()
    given = {
        relation.id: frozenset(facts.get(relation.id, set()))
        for relation in relations
        if relation.kind == "static" or relation.init == "any"
    }
    return Structure(universe, given)


@dataclass
class ModelRun:
    """A run of the model under one profile, step by step; each step with the outcome it expects."""

    catalogue: Catalogue
    profile: str
    initial: Structure
    states: list[Structure] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    refused: bool = False

    def __post_init__(self) -> None:
        self.system: System = compile_system(self.catalogue, self.catalogue.profiles[self.profile].options)
        self.actions = {a.id: a for a in self.system.actions if a.id in PARAMETERS}
        self.states = [initialise(self.system, self.initial)]

    @property
    def state(self) -> Structure:
        return self.states[-1]

    def requests(self) -> list[Request]:
        """Every request the model can tell apart in the current state, with its outcome: honest
        actions first, then the attacker's, each in catalogue order."""
        found = []
        ordered = sorted(self.actions.values(), key=lambda action: action.action.actor != "honest")
        for action in ordered:
            binders = request_parameters(action)
            names = [name for name, _ in binders]
            for values in itertools.product(*(self.state.universe[sort] for _, sort in binders)):
                request = dict(zip(names, values, strict=True))
                expected = outcome(action, self.state, request)
                if expected is not None:
                    found.append(Request(action.id, request, expected))
        return found

    def take(self, request: Request) -> None:
        """Take ``request`` (after the fetches its AEF makes); a refused request ends the run."""
        action = self.actions[request.action]
        if action.id in SESSIONS:
            self.fetches(request.expected.arguments["a"], request.expected.arguments["i"])
            expected = outcome(action, self.state, request.request)
            assert expected is not None, "a fetch made the request no request"
            request = Request(request.action, request.request, expected)
        self._step(action, request.expected)

    def _step(self, action: CompiledAction, expected: Outcome) -> None:
        self.steps.append(Step(action.id, dict(expected.arguments)))
        if expected.accepted:
            self.states.append(apply(self.system, action, self.state, expected.arguments))
        else:
            self.states.append(self.state)
            self.refused = True

    def fetches(self, aef: str, invoker: str) -> None:
        """Every fetch the model accepts for ``aef`` and ``invoker`` that changes the state, until
        none does (what the AEF learns when the invoker comes)."""
        changed = True
        while changed:
            changed = False
            for action_id in FETCHES:
                action = self.actions.get(action_id)
                if action is None:
                    continue
                binders = [(n, s) for n, s in request_parameters(action) if n not in {"a", "i"}]
                for values in itertools.product(*(self.state.universe[sort] for _, sort in binders)):
                    request = {
                        "a": aef,
                        "i": invoker,
                        **dict(zip([n for n, _ in binders], values, strict=True)),
                    }
                    expected = outcome(action, self.state, request)
                    if expected is None or not expected.accepted:
                        continue
                    after = apply(self.system, action, self.state, expected.arguments)
                    if after.relations != self.state.relations:
                        self._step(action, expected)
                        changed = True

    def trace(self) -> dict[str, Any]:
        """The run as a trace of kind ``differential``."""
        reference = self.catalogue.profiles[REFERENCE_PROFILE].options
        builder = TraceBuilder(self.system, reference)
        run = ConcreteRun(tuple(self.states), tuple(self.steps))
        return builder.build(
            run,
            profile=self.profile,
            kind="differential",
            subject="outcomes",
            statement="A run chosen by the differential test; each step's outcome is the model's.",
            goal=None,
        )
