"""Before anything runs: does a trace fit the target, and which target entity plays which of its
entities?

A trace may name more entities than its steps use (the model's bounded universe); only the entities
its steps use are mapped. Its CCFs (those the steps name, those their AEFs are registered at, the
homes of their invokers), in the order the steps first use them, are the target's providers: the
honest ones its providers, those the attacker controls CCFs whose keys the attacker holds,
interconnected as the trace's topology says (:class:`Layout`). Its AEFs,
in the order of first use, are the AEFs of the provider playing their CCF (those the attacker
controls: AEFs whose keys the attacker holds); its APIs the APIs each AEF exposes, by rank.
Invokers, certificates, keys and tokens come into being as the steps run.

A trace is not replayable (:class:`~replay.errors.NotReplayableError`) when no CAPIF deployment
could play it: a step the replayer has no wire translation for, an AEF registered at no CCF, a step
leaving an AEF with no method (TS 29.222 ``securityMethods`` has ``minItems: 1``), an invoker that
negotiates with no preferred method. The
target lacks something (:class:`~replay.errors.TargetLacksError`) when it has fewer providers, AEFs or
APIs than the steps use, not the interconnections they need, or not the out-of-band operation a step
needs (:class:`~replay.target.Capability`).

An AEF's supported methods (the model's ``supports``, TS 29.222 ``securityMethods``) map onto its
interfaces by one rule (:func:`interface_methods`): an interface keeps those of its initial methods
that are supported, and offers every supported method when none of its own is. An AEF the trace has
supporting no method (TS 29.222 ``securityMethods`` has ``minItems: 1``) offers the methods that no
invoker negotiating for it in the steps prefers (:attr:`Plan.idle`), so that, as for the model's AEF,
no CCF finds a common method for it; when they prefer every method, it keeps its interfaces' own. A
step leaving an AEF with none (the model's ``method-disable`` keeps one; only an edited trace does)
is not replayable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from impl.apitypes.enums import SecurityMethod
from replay.actions import (
    AEF,
    API,
    CCF,
    INVOKER,
    METHOD,
    NETWORK_ATTACKER_STEPS,
    PARAMETERS,
    ROF,
    unsupported_reason,
)
from replay.errors import NotReplayableError, TargetLacksError
from replay.target import (
    AttackerAef,
    AttackerCcf,
    Capability,
    Target,
    TargetAef,
    TargetApi,
    TargetProvider,
    TargetRof,
)

METHOD_CHANGES = {
    "method-enable": True,
    "method-disable": False,
    "aef-method-enable": True,
    "aef-method-disable": False,
}
DELAYED_METHOD_STEPS = frozenset({"aef-method-enable", "aef-method-disable", "method-update-reaches-ccf"})
"""A method update that reaches the CCF later (``method-update-propagation = delayed``)."""
CLOCK_STEPS = frozenset({"token-expires", "token-at-skew-limit"})
METHODS = frozenset(method.value for method in SecurityMethod)
Policy = tuple[str, str, str, str]
"""(CCF, invoker, AEF, API): the CCF's policy lets the invoker use the API at the AEF"""


def interface_methods(
    initial: frozenset[SecurityMethod], supported: frozenset[SecurityMethod], idle: frozenset[SecurityMethod]
) -> frozenset[SecurityMethod]:
    """The methods an interface offers when its AEF supports ``supported`` (never empty: an AEF that
    supports none, which TS 29.222 cannot express, offers ``idle`` by the same rule, else its own)."""
    offered = supported or idle
    return (initial & offered) or offered or initial


def idle_methods(
    steps: Sequence[Mapping[str, Any]], prefers: Mapping[str, Sequence[SecurityMethod]]
) -> dict[str, frozenset[SecurityMethod]]:
    """What each AEF the steps use offers while it supports no method: every method that no invoker
    negotiating for it in the steps prefers (a CCF then finds no common method, as the model's AEF
    supporting none gives; the other steps find what they name there). Empty when they prefer all."""
    wanted: dict[str, set[SecurityMethod]] = {}
    for step in steps:
        args = step["args"]
        for parameter, sort in PARAMETERS[step["action"]].items():
            if sort == AEF:
                wanted.setdefault(args[parameter], set())
        if step["action"].startswith("negotiate"):
            wanted[args["a"]].update(prefers.get(args["i"], ()))
    return {aef: frozenset(SecurityMethod) - methods for aef, methods in wanted.items()}


@dataclass(frozen=True)
class Layout:
    """The providers a trace needs: how many with honest CCFs and how many whose CCF the attacker
    controls, which pairs are interconnected and which CCF delegated token issuing to which
    (``delegations``), by index: the honest ones in the order of first use, then the others."""

    providers: int
    links: frozenset[tuple[int, int]]
    delegations: frozenset[tuple[int, int]]
    attackers: int = 0

    @property
    def size(self) -> int:
        return self.providers + self.attackers


@dataclass(frozen=True)
class Plan:
    """How a trace's entities map onto a target."""

    providers: Mapping[str, TargetProvider]
    """each CCF the steps use -> the provider playing it"""
    attacker_ccfs: Mapping[str, AttackerCcf]
    """the trace's CCFs the attacker controls -> the CCFs playing them"""
    aef_ccfs: Mapping[str, str]
    """each AEF the steps use -> its CCF in the trace"""
    homes: Mapping[str, str]
    """each invoker the steps use that has a home CCF -> that CCF in the trace"""
    aefs: Mapping[str, TargetAef]
    attacker_aefs: Mapping[str, AttackerAef]
    """the trace's AEFs the attacker controls, played by target AEFs whose keys it holds"""
    apis: Mapping[str, int]
    methods: Mapping[str, frozenset[SecurityMethod]]
    prefers: Mapping[str, tuple[SecurityMethod, ...]]
    idle: Mapping[str, frozenset[SecurityMethod]]
    """each AEF the steps use -> what it offers while it supports no method (:func:`idle_methods`)"""
    allowed: frozenset[Policy]
    pairs: tuple[tuple[str, str], ...]
    rofs: Mapping[str, TargetRof]
    """each ROF the steps use -> one registered at the AzF of the CCF the steps name with it"""
    rof_aefs: Mapping[tuple[str, str, str], TargetAef]
    """(ROF, invoker, API) of a resource owner's authorization -> the AEF the AzF records it for"""
    dishonest_rofs: frozenset[str]
    dishonest_invokers: frozenset[str]
    """the trace's invokers the attacker controls"""
    moves_clock: bool = False
    """a step moves the target's clock (a token's exp passes)"""

    def provider_of_aef(self, aef: str) -> TargetProvider:
        return self.providers[self.aef_ccfs[aef]]

    def home_of(self, invoker: str) -> TargetProvider:
        """The provider playing ``invoker``'s home CCF (the first provider if it has none)."""
        home = self.homes.get(invoker)
        return self.providers[home] if home is not None else next(iter(self.providers.values()))

    def api(self, aef: str, api: str) -> TargetApi:
        """The target API that plays ``api`` at the target AEF that plays ``aef``."""
        return self.aefs[aef].apis[self.apis[api]]

    def negotiated_api(self, aef: str) -> TargetApi:
        """The API whose interfaces stand for ``aef``'s (the model negotiates per AEF): the first the
        steps use there, else the AEF's first."""
        api = next((x for a, x in self.pairs if a == aef), None)
        return self.aefs[aef].apis[0] if api is None else self.api(aef, api)

    def negotiated_apis(self, aef: str, invoker: str, selector: str) -> tuple[TargetApi, ...]:
        """The APIs ``invoker`` names when it negotiates for ``aef`` with the CCF ``selector``
        choosing (the model negotiates per AEF and reads no policy; a CCF chooses a method for the
        invoker's subscribed APIs, TS 33.122 clause 5.1.1, and refuses an entry naming one it may not
        use): those the steps use there that the selector's policy lets it use; else the AEF's APIs
        the steps do not use there (left open: no step reads the policy for them); else
        :meth:`negotiated_api` (the CCF refuses, as the policy says)."""
        used = [x for a, x in self.pairs if a == aef]
        allowed = tuple(self.api(aef, x) for x in used if (selector, invoker, aef, x) in self.allowed)
        playing = {self.apis[x] for x in used}
        unused = tuple(api for index, api in enumerate(self.aefs[aef].apis) if index not in playing)
        return allowed or unused or (self.negotiated_api(aef),)


def _used(steps: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The entities the steps use, per sort, in order of first use; every step's action supported."""
    used: dict[str, list[str]] = {}
    for step in steps:
        parameters = PARAMETERS.get(step["action"])
        if parameters is None:
            raise NotReplayableError(f"step {step['n']}: {unsupported_reason(step['action'], step['via'])}")
        for parameter, sort in parameters.items():
            value = step["args"].get(parameter)
            if value is None:
                raise NotReplayableError(f"step {step['n']}: {step['action']} lacks its argument {parameter}")
            if sort == METHOD and value not in METHODS:
                raise NotReplayableError(
                    f"step {step['n']}: {parameter} = {value!r} is not a CAPIF-2e method"
                )
            entities = used.setdefault(sort, [])
            if value not in entities:
                entities.append(value)
    return used


CERTIFIED_BY_ANOTHER = {"token-relayed-by-attacker": ("d", "c")}
"""CAPIF-6/6e requests of a CCF the attacker controls (sender and receiver parameters) that, refused
for want of an agreement (``agreement-peer``), are sent with a CCF certificate from another CCF the
attacker controls that the receiver is interconnected with (``docs/test-suite.md``, isolation cases)."""


def _ccfs(steps: Sequence[Mapping[str, Any]], topology: Mapping[str, Any]) -> list[str]:
    """The CCFs the steps use, in order of first use: named, or the CCF of an AEF, or the home of an
    invoker they name; then, for a request :data:`CERTIFIED_BY_ANOTHER`, the CCFs the attacker controls
    that could certify its sender."""
    registered = {entry["id"]: entry["ccf"] for entry in topology["aefs"]}
    homes = {entry["id"]: entry["home"] for entry in topology["invokers"]}
    ccfs: list[str] = []
    for step in steps:
        for parameter, sort in PARAMETERS[step["action"]].items():
            value = step["args"][parameter]
            ccf = {CCF: value, AEF: registered.get(value), INVOKER: homes.get(value)}.get(sort)
            if ccf is not None and ccf not in ccfs:
                ccfs.append(ccf)
    for step in steps:
        ccfs += [ccf for ccf in _certifiers(step, topology) if ccf not in ccfs]
    return ccfs


def _certifiers(step: Mapping[str, Any], topology: Mapping[str, Any]) -> list[str]:
    """For a step :data:`CERTIFIED_BY_ANOTHER` the model expects refused by ``agreement-peer``: the
    other CCFs the attacker controls that are interconnected with its receiver."""
    roles = CERTIFIED_BY_ANOTHER.get(step["action"])
    if roles is None or step.get("expect") != "refused" or "agreement-peer" not in step.get("refused_by", ()):
        return []
    sender, receiver = (step["args"][role] for role in roles)
    linked = {ccf for pair in topology["interconnections"] if receiver in pair for ccf in pair}
    return [
        entry["id"]
        for entry in topology["ccfs"]
        if not entry["honest"] and entry["id"] in linked and entry["id"] not in (sender, receiver)
    ]


def _split_ccfs(ccfs: Sequence[str], topology: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The honest CCFs and those the attacker controls, each in order of first use."""
    honest = {entry["id"]: entry["honest"] for entry in topology["ccfs"]}
    unknown = [ccf for ccf in ccfs if ccf not in honest]
    if unknown:
        raise NotReplayableError(f"{unknown[0]} is not in the trace's topology")
    return [ccf for ccf in ccfs if honest[ccf]], [ccf for ccf in ccfs if not honest[ccf]]


def layout_of(trace: Mapping[str, Any]) -> Layout:
    """The providers ``trace`` needs (:class:`NotReplayableError` when no deployment can play it)."""
    steps, topology = trace["steps"], trace["topology"]
    _used(steps)
    honest, dishonest = _split_ccfs(_ccfs(steps, topology), topology)
    index = {ccf: number for number, ccf in enumerate(honest + dishonest)}
    links = frozenset(
        (min(index[first], index[second]), max(index[first], index[second]))
        for first, second in topology["interconnections"]
        if first in index and second in index and first != second
    )
    delegations = frozenset(
        (index[entry["by"]], index[entry["to"]])
        for entry in topology["delegations"]
        if entry["by"] in index and entry["to"] in index
    )
    return Layout(len(honest), links, delegations, len(dishonest))


def _aef_methods(used: Sequence[str], topology: Mapping[str, Any]) -> dict[str, frozenset[SecurityMethod]]:
    entries = {entry["id"]: entry for entry in topology["aefs"]}
    methods = {}
    for aef in used:
        entry = entries.get(aef)
        if entry is None:
            raise NotReplayableError(f"{aef} is not in the trace's topology")
        if entry["ccf"] is None:
            raise NotReplayableError(f"{aef} is registered at no CCF")
        methods[aef] = frozenset(SecurityMethod(method) for method in entry["methods"])
    return methods


def _check_attacker_fetches(steps: Sequence[Mapping[str, Any]], dishonest: frozenset[str]) -> None:
    """An AEF the attacker controls asks its CCF over TS 29.222 ``GET trustedInvokers/{id}``, which
    names no AEF: the CCF answers for the asking AEF. Obtaining another AEF's AEFPSK has no REST form
    (being refused it has: the CCF answers that it holds nothing for the asking AEF)."""
    for step in steps:
        args = step["args"]
        refused = step["expect"] == "refused"
        if (
            step["action"] == "aef-fetch-psk"
            and args["a"] in dishonest
            and args["b"] != args["a"]
            and not refused
        ):
            raise NotReplayableError(
                f"step {step['n']}: {args['a']}, which the attacker controls, asks for {args['i']}'s AEFPSK"
                f" for {args['b']}; TS 29.222 GET trustedInvokers names no AEF (the CCF answers for the"
                " asking AEF)"
            )


FOLDED_BEFORE_ONBOARDING = frozenset(
    {
        "aef-fetch-psk",
        "aef-fetch-policy",
        "aef-fetch-certificate",
        "aef-fetch-root",
        "aef-fetch-policy-from-home",
        "fetch-from-home",
    }
)
"""Honest AEFs' fetches: before the invoker is onboarded they are folded into its first session."""


DONE_WHEN_USED: Mapping[str, str] = {"attacker-ccf-issues-certificate": "ct"}
"""Steps the attacker makes on its own, with nothing on the wire, and the parameter naming what they
make: the replayer makes it when a later step first uses it (:mod:`replay.wire.attacker`), so the
invokers they name need an ID by then only."""


def _check_ids_exist(steps: Sequence[Mapping[str, Any]]) -> None:
    """An API invoker ID exists once the CCF assigned it at onboarding (TS 29.222 clause 8.4): a step
    cannot name an invoker by its ID before the step that onboards it."""
    onboarded: set[str] = set()
    for step in steps:
        args = step["args"]
        if step["action"] == "onboard":
            onboarded.add(args["i"])
            continue
        if step["action"] in FOLDED_BEFORE_ONBOARDING:
            continue
        made = DONE_WHEN_USED.get(step["action"])
        done_at = step["n"]
        if made is not None:
            done_at = next(
                (
                    later["n"]
                    for later in steps
                    if later["n"] > step["n"] and args[made] in later["args"].values()
                ),
                step["n"],
            )
        for parameter, sort in PARAMETERS[step["action"]].items():
            name = args[parameter]
            onboards_later = any(
                later["action"] == "onboard" and later["args"]["i"] == name
                for later in steps
                if later["n"] > done_at
            )
            if sort == INVOKER and name not in onboarded and onboards_later:
                raise NotReplayableError(
                    f"step {step['n']}: {step['action']} names {name} before it is onboarded; its API"
                    " invoker ID exists only once its CCF assigns it (TS 29.222 clause 8.4)"
                )


SILENT_REFUSALS = frozenset({"aef-fetch-policy-from-home"})
"""Steps whose refusal an honest CCF makes by not sending anything: its CCF does not ask a CCF that is
not the invoker's home for its policy (contribution 000 7.2.3), and the AEF's check-authentication
is answered the same either way."""


def _check_silent_refusals(steps: Sequence[Mapping[str, Any]]) -> None:
    for step in steps:
        if step["action"] in SILENT_REFUSALS and step["expect"] == "refused":
            raise NotReplayableError(
                f"step {step['n']}: {step['action']} is refused by the CCF not asking; nothing on the"
                " wire shows it (the AEF's check-authentication is answered either way)"
            )


def _check_attacker_answers(steps: Sequence[Mapping[str, Any]], topology: Mapping[str, Any]) -> None:
    """What makes an AEF's CCF ask the attacker's CCF is an invoker's check-authentication at an
    interface offering the method of the answer; when the AEF supports methods and none of them is
    that one, no interface offers it and no request makes it ask (the model's fetch does not depend
    on the AEF's methods; an AEF that supports none keeps its interfaces' own)."""
    offered = {entry["id"]: set(entry["methods"]) for entry in topology["aefs"]}
    for step in steps:
        args = step["args"]
        if step["action"] in METHOD_CHANGES:
            methods = offered.setdefault(args["a"], set())
            if METHOD_CHANGES[step["action"]]:
                methods.add(args["m"])
            else:
                methods.discard(args["m"])
        elif (
            step["action"] == "fetch-from-attacker"
            and offered.get(args["a"])
            and args["m"] not in offered[args["a"]]
        ):
            raise NotReplayableError(
                f"step {step['n']}: {args['d']} answers with {args['m']} security information, but"
                f" {args['a']} offers no {args['m']} interface whose check-authentication would make its"
                " CCF ask"
            )


def _check_method_changes(
    steps: Sequence[Mapping[str, Any]],
    methods: Mapping[str, frozenset[SecurityMethod]],
    aefs: Mapping[str, TargetAef],
    capabilities: frozenset[Capability],
) -> None:
    changes = [step for step in steps if step["action"] in METHOD_CHANGES]
    for aef, target in aefs.items():
        offered = frozenset(m for interface in target.interfaces for m in interface.methods)
        if not methods[aef] <= offered and Capability.METHOD_UPDATE not in capabilities:
            missing = ", ".join(sorted(methods[aef] - offered))
            raise TargetLacksError(
                f"{missing} at {target.aef_id} (playing {aef}), and the method-update operation to add it"
            )
    if changes and Capability.METHOD_UPDATE not in capabilities:
        raise TargetLacksError("the method-update operation (the trace changes an AEF's security methods)")
    delayed = [step for step in steps if step["action"] in DELAYED_METHOD_STEPS]
    if delayed and Capability.DELAYED_METHOD_UPDATE not in capabilities:
        raise TargetLacksError(
            f"the delayed-method-update operation (step {delayed[0]['n']} is a method update that reaches"
            " the CCF later)"
        )
    supported = dict(methods)
    for step in changes:
        aef, method = step["args"]["a"], SecurityMethod(step["args"]["m"])
        enable = METHOD_CHANGES[step["action"]]
        supported[aef] = supported[aef] | {method} if enable else supported[aef] - {method}
        if not supported[aef]:
            raise NotReplayableError(
                f"step {step['n']}: {aef} would support no method; an AEF interface needs one"
            )


def _pairs(steps: Sequence[Mapping[str, Any]], apis: Sequence[str]) -> list[tuple[str, str]]:
    """The (AEF, API) pairs whose policy the steps read: those they name, and for a negotiation the
    model expects refused by ``subscribed-apis`` (no API of the AEF allowed), every API."""
    pairs: list[tuple[str, str]] = []
    for step in steps:
        args = step["args"]
        if "a" not in args:
            continue
        named = [args["x"]] if "x" in args else []
        if "subscribed-apis" in step.get("refused_by", ()):
            named = list(apis)
        for api in named:
            if (args["a"], api) not in pairs:
                pairs.append((args["a"], api))
    return pairs


def _map_providers(
    ccfs: Sequence[str], layout: Layout, target: Target, topology: Mapping[str, Any]
) -> tuple[dict[str, TargetProvider], dict[str, AttackerCcf]]:
    """The target provider playing each CCF, in the order of first use (the CCFs the attacker controls
    by CCFs the attacker holds the keys of), interconnected as the trace says."""
    honest, dishonest = _split_ccfs(ccfs, topology)
    offered = list(target.providers(layout.providers))[: layout.providers]
    if len(offered) < layout.providers:
        raise TargetLacksError(f"providers: the steps use {layout.providers}, the target has {len(offered)}")
    held = list(target.attacker_ccfs(layout.attackers))[: layout.attackers] if dishonest else []
    if len(held) < layout.attackers:
        raise TargetLacksError(
            f"CCFs whose keys the attacker holds: the steps use {layout.attackers},"
            f" the target has {len(held)}"
        )
    ordered = honest + dishonest
    playing = offered + [attacker.provider for attacker in held]
    for first, second in ((a, b) for a in range(len(ordered)) for b in range(a + 1, len(ordered))):
        wanted = (first, second) in layout.links
        if target.interconnected(playing[first].name, playing[second].name) != wanted:
            relation = "interconnected" if wanted else "not interconnected"
            raise TargetLacksError(
                f"providers {relation} as {ordered[first]} and {ordered[second]} are:"
                f" {playing[first].name} and {playing[second].name}"
            )
    return dict(zip(ordered, playing, strict=True)), dict(zip(dishonest, held, strict=True))


def _map_aefs(
    used: Sequence[str],
    dishonest: frozenset[str],
    aef_ccfs: Mapping[str, str],
    providers: Mapping[str, TargetProvider],
    target: Target,
) -> tuple[dict[str, TargetAef], dict[str, AttackerAef]]:
    """The target AEF playing each AEF the steps use, in the order of first use, at the provider
    playing its CCF: that provider's AEFs for honest ones, AEFs whose keys the attacker holds for
    the others."""
    aefs: dict[str, TargetAef] = {}
    attacker_aefs: dict[str, AttackerAef] = {}
    for ccf, provider in providers.items():
        here = [aef for aef in used if aef_ccfs[aef] == ccf]
        honest = [aef for aef in here if aef not in dishonest]
        offered = target.aefs(provider.name, len(honest)) if honest else ()
        if len(offered) < len(honest):
            raise TargetLacksError(
                f"AEFs: the steps use {len(honest)} at {provider.name}, which has {len(offered)}"
            )
        aefs.update(zip(honest, offered, strict=False))
        attacked = [aef for aef in here if aef in dishonest]
        held = target.attacker_aefs(provider.name, len(attacked)) if attacked else ()
        if len(held) < len(attacked):
            raise TargetLacksError(
                f"AEFs whose keys the attacker holds: the steps use {len(attacked)} at {provider.name},"
                f" which has {len(held)}"
            )
        attacker_aefs.update(zip(attacked, held, strict=False))
    aefs.update({aef: entry.aef for aef, entry in attacker_aefs.items()})
    return {aef: aefs[aef] for aef in used}, attacker_aefs


def _map_rofs(
    steps: Sequence[Mapping[str, Any]], providers: Mapping[str, TargetProvider], target: Target
) -> dict[str, TargetRof]:
    """A ROF registered at the AzF of the CCF the steps first name with each ROF they use."""
    at: dict[str, str] = {}
    for step in steps:
        args = step["args"]
        if PARAMETERS[step["action"]].get("r") == ROF:
            at.setdefault(args["r"], args["c"])
    rofs: dict[str, TargetRof] = {}
    for ccf in dict.fromkeys(at.values()):
        provider = providers[ccf]
        wanted = [rof for rof, where in at.items() if where == ccf]
        registered = target.rofs(provider.name, len(wanted))
        if len(registered) < len(wanted):
            raise TargetLacksError(
                f"resource owner functions: the steps use {len(wanted)} at {provider.name},"
                f" which registered {len(registered)}"
            )
        rofs.update(zip(wanted, registered, strict=False))
    return rofs


def _rof_aefs(
    steps: Sequence[Mapping[str, Any]],
    aefs: Mapping[str, TargetAef],
    aef_ccfs: Mapping[str, str],
    providers: Mapping[str, TargetProvider],
    target: Target,
) -> dict[tuple[str, str, str], TargetAef]:
    """The AEF each resource owner's authorization names: the model's names an API only, the AzF's an
    AEF and its APIs (contribution 003 leaves it open). The AEF of the trace's resource owner token for
    that API, else the first the steps use for it at that CCF, else that provider's first."""
    chosen: dict[tuple[str, str, str], TargetAef] = {}
    for step in steps:
        args = step["args"]
        if step["action"] not in ("rof-authorizes", "rof-authorization-forged"):
            continue
        key = (args["r"], args["i"], args["x"])
        token = next(
            (
                later["args"]["a"]
                for later in steps
                if later["action"] == "ro-token"
                and (later["args"]["r"], later["args"]["j"], later["args"]["x"]) == key
            ),
            None,
        )
        used = next((a for a in aefs if aef_ccfs[a] == args["c"]), None)
        aef = token or used
        chosen[key] = aefs[aef] if aef is not None else target.aefs(providers[args["c"]].name, 1)[0]
    return chosen


def plan_trace(trace: Mapping[str, Any], target: Target) -> Plan:
    """The plan of ``trace`` on ``target``, or :class:`NotReplayableError` / :class:`TargetLacksError`
    with the reason."""
    steps, topology = trace["steps"], trace["topology"]
    used = _used(steps)
    layout = layout_of(trace)
    ccfs = _ccfs(steps, topology)
    providers, attacker_ccfs = _map_providers(ccfs, layout, target, topology)
    used_aefs = used.get(AEF, [])
    methods = _aef_methods(used_aefs, topology)
    aef_ccfs = {entry["id"]: entry["ccf"] for entry in topology["aefs"] if entry["id"] in used_aefs}
    dishonest = frozenset(entry["id"] for entry in topology["aefs"] if not entry["honest"])
    _check_attacker_fetches(steps, dishonest)
    _check_ids_exist(steps)
    _check_silent_refusals(steps)
    _check_attacker_answers(steps, topology)
    aefs, attacker_aefs = _map_aefs(used_aefs, dishonest, aef_ccfs, providers, target)
    pairs = _pairs(steps, topology["apis"])
    named = list(dict.fromkeys([*used.get(API, []), *(api for _, api in pairs)]))
    apis = {api: index for index, api in enumerate(named)}
    for aef, api in pairs:
        if apis[api] >= len(aefs[aef].apis):
            raise TargetLacksError(
                f"APIs: {api} at {aef} needs API number {apis[api] + 1} of {aefs[aef].aef_id},"
                f" which has {len(aefs[aef].apis)}"
            )
    capabilities = target.capabilities
    prefers = {
        entry["id"]: tuple(SecurityMethod(m) for m in entry["prefers"]) for entry in topology["invokers"]
    }
    idle = idle_methods(steps, prefers)
    _check_method_changes(steps, methods, aefs, capabilities)
    network = [step for step in steps if step["action"] in NETWORK_ATTACKER_STEPS]
    if network and target.network is None:
        raise TargetLacksError(
            f"a place on the CAPIF-6/6e links between its CCFs (step {network[0]['n']} is the network"
            " attacker's)"
        )
    if any(step["action"] in CLOCK_STEPS for step in steps) and Capability.CLOCK not in capabilities:
        raise TargetLacksError("the clock operation (a token expires in the trace)")
    for step in steps:
        if step["action"].startswith("negotiate") and not prefers.get(step["args"]["i"]):
            raise NotReplayableError(
                f"step {step['n']}: {step['args']['i']} prefers no method; prefSecurityMethods needs one"
            )
    allowed = frozenset(
        (entry["ccf"], entry["invoker"], entry["aef"], entry["api"]) for entry in topology["policies"]
    )
    invokers = used.get(INVOKER, [])
    homes = {entry["id"]: entry["home"] for entry in topology["invokers"] if entry["home"] in providers}
    withheld = [
        (ccf, i, a, x)
        for i in invokers
        for a, x in pairs
        for ccf in {aef_ccfs[a], homes.get(i, aef_ccfs[a])}
        if (ccf, i, a, x) not in allowed
    ]
    if withheld and Capability.POLICY not in capabilities:
        ccf, i, a, x = withheld[0]
        raise TargetLacksError(f"the policy operation (the policy of {ccf} does not let {i} use {x} at {a})")
    rofs = _map_rofs(steps, providers, target)
    return Plan(
        rofs=rofs,
        rof_aefs=_rof_aefs(steps, aefs, aef_ccfs, providers, target),
        dishonest_rofs=frozenset(entry["id"] for entry in topology["rofs"] if not entry["honest"]),
        dishonest_invokers=frozenset(entry["id"] for entry in topology["invokers"] if not entry["honest"]),
        providers=providers,
        attacker_ccfs=attacker_ccfs,
        aef_ccfs=aef_ccfs,
        homes={i: h for i, h in homes.items() if i in invokers},
        aefs=aefs,
        attacker_aefs=attacker_aefs,
        apis=apis,
        methods=methods,
        prefers=prefers,
        idle=idle,
        allowed=allowed,
        pairs=tuple(pairs),
        moves_clock=any(step["action"] in CLOCK_STEPS for step in steps),
    )
