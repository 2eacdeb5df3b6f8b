"""Before anything runs: does a trace fit the target, and which target entity plays which of its
entities?

A trace may name more entities than its steps use (the model's bounded universe); only the entities
its steps use are mapped. Its CCFs (those the steps name, those their AEFs are registered at, the
homes of their invokers), in the order the steps first use them, are the target's providers: the
honest ones its providers, interconnected as the trace's topology says (:class:`Layout`). Its AEFs,
in the order of first use, are the AEFs of the provider playing their CCF (those the attacker
controls: AEFs whose keys the attacker holds); its APIs the APIs each AEF exposes, by rank.
Invokers, certificates, keys and tokens come into being as the steps run.

A trace is not replayable (:class:`~replay.errors.NotReplayableError`) when no CAPIF deployment
could play it: a step the replayer has no wire translation for, a CCF or AEF the attacker controls
where an honest one acts, an AEF registered at no CCF, an AEF with no method (TS 29.222
``securityMethods`` has ``minItems: 1``), an invoker that negotiates with no preferred method. The
target lacks something (:class:`~replay.errors.TargetLacksError`) when it has fewer providers, AEFs or
APIs than the steps use, not the interconnections they need, or not the out-of-band operation a step
needs (:class:`~replay.target.Capability`).

An AEF's supported methods (the model's ``supports``, TS 29.222 ``securityMethods``) map onto its
interfaces by one rule (:func:`interface_methods`): an interface keeps those of its initial methods
that are supported, and offers every supported method when none of its own is. A target that cannot
change methods may support more than the trace's AEF (a step the model accepts stays accepted), never
fewer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from impl.apitypes.enums import SecurityMethod
from replay.actions import AEF, API, CCF, INVOKER, METHOD, PARAMETERS, unsupported_reason
from replay.errors import NotReplayableError, TargetLacksError
from replay.target import AttackerAef, Capability, Target, TargetAef, TargetApi, TargetProvider

METHOD_CHANGES = {"method-enable": True, "method-disable": False}
METHODS = frozenset(method.value for method in SecurityMethod)
Policy = tuple[str, str, str, str]
"""(CCF, invoker, AEF, API): the CCF's policy lets the invoker use the API at the AEF"""


def interface_methods(
    initial: frozenset[SecurityMethod], supported: frozenset[SecurityMethod]
) -> frozenset[SecurityMethod]:
    """The methods an interface offers when its AEF supports ``supported`` (never empty)."""
    return (initial & supported) or supported


@dataclass(frozen=True)
class Layout:
    """The providers a trace needs: how many honest ones, which pairs interconnected (indices in the
    order of first use) and which CCF delegated token issuing to which (``delegations``)."""

    providers: int
    links: frozenset[tuple[int, int]]
    delegations: frozenset[tuple[int, int]]


@dataclass(frozen=True)
class Plan:
    """How a trace's entities map onto a target."""

    providers: Mapping[str, TargetProvider]
    """each CCF the steps use -> the provider playing it"""
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
    allowed: frozenset[Policy]
    pairs: tuple[tuple[str, str], ...]

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


def _ccfs(steps: Sequence[Mapping[str, Any]], topology: Mapping[str, Any]) -> list[str]:
    """The CCFs the steps use, in order of first use: named, or the CCF of an AEF, or the home of an
    invoker they name."""
    registered = {entry["id"]: entry["ccf"] for entry in topology["aefs"]}
    homes = {entry["id"]: entry["home"] for entry in topology["invokers"]}
    ccfs: list[str] = []
    for step in steps:
        for parameter, sort in PARAMETERS[step["action"]].items():
            value = step["args"][parameter]
            ccf = {CCF: value, AEF: registered.get(value), INVOKER: homes.get(value)}.get(sort)
            if ccf is not None and ccf not in ccfs:
                ccfs.append(ccf)
    return ccfs


def _honest_ccfs(ccfs: Sequence[str], topology: Mapping[str, Any]) -> list[str]:
    honest = {entry["id"]: entry["honest"] for entry in topology["ccfs"]}
    for ccf in ccfs:
        if ccf not in honest:
            raise NotReplayableError(f"{ccf} is not in the trace's topology")
        if not honest[ccf]:
            raise NotReplayableError(f"{ccf} is controlled by the attacker; the target's CCFs are honest")
    return list(ccfs)


def layout_of(trace: Mapping[str, Any]) -> Layout:
    """The providers ``trace`` needs (:class:`NotReplayableError` when no deployment can play it)."""
    steps, topology = trace["steps"], trace["topology"]
    _used(steps)
    ccfs = _honest_ccfs(_ccfs(steps, topology), topology)
    index = {ccf: number for number, ccf in enumerate(ccfs)}
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
    return Layout(len(ccfs), links, delegations)


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
        if not methods[aef]:
            raise NotReplayableError(f"{aef} supports no method at the start; an AEF interface needs one")
    return methods


def _check_attacker_fetches(steps: Sequence[Mapping[str, Any]], dishonest: frozenset[str]) -> None:
    """An AEF the attacker controls asks its CCF over TS 29.222 ``GET trustedInvokers/{id}``, which
    names no AEF: the CCF answers for the asking AEF. Asking for another AEF's AEFPSK has no REST
    form."""
    for step in steps:
        args = step["args"]
        if step["action"] == "aef-fetch-psk" and args["a"] in dishonest and args["b"] != args["a"]:
            raise NotReplayableError(
                f"step {step['n']}: {args['a']}, which the attacker controls, asks for {args['i']}'s AEFPSK"
                f" for {args['b']}; TS 29.222 GET trustedInvokers names no AEF (the CCF answers for the"
                " asking AEF)"
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
    supported = dict(methods)
    for step in changes:
        aef, method = step["args"]["a"], SecurityMethod(step["args"]["m"])
        enable = METHOD_CHANGES[step["action"]]
        supported[aef] = supported[aef] | {method} if enable else supported[aef] - {method}
        if not supported[aef]:
            raise NotReplayableError(
                f"step {step['n']}: {aef} would support no method; an AEF interface needs one"
            )


def _pairs(steps: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for step in steps:
        args = step["args"]
        if "x" in args and (args["a"], args["x"]) not in pairs:
            pairs.append((args["a"], args["x"]))
    return pairs


def _map_providers(ccfs: Sequence[str], layout: Layout, target: Target) -> dict[str, TargetProvider]:
    """The target provider playing each CCF, in the order of first use, interconnected as the trace
    says."""
    offered = list(target.providers(layout.providers))
    if len(offered) < layout.providers:
        raise TargetLacksError(f"providers: the steps use {layout.providers}, the target has {len(offered)}")
    providers = dict(zip(ccfs, offered, strict=False))
    for first, second in ((a, b) for a in range(len(ccfs)) for b in range(a + 1, len(ccfs))):
        wanted = (first, second) in layout.links
        if target.interconnected(offered[first].name, offered[second].name) != wanted:
            relation = "interconnected" if wanted else "not interconnected"
            raise TargetLacksError(
                f"providers {relation} as {ccfs[first]} and {ccfs[second]} are:"
                f" {offered[first].name} and {offered[second].name}"
            )
    return providers


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


def plan_trace(trace: Mapping[str, Any], target: Target) -> Plan:
    """The plan of ``trace`` on ``target``, or :class:`NotReplayableError` / :class:`TargetLacksError`
    with the reason."""
    steps, topology = trace["steps"], trace["topology"]
    used = _used(steps)
    layout = layout_of(trace)
    ccfs = _ccfs(steps, topology)
    providers = _map_providers(ccfs, layout, target)
    used_aefs = used.get(AEF, [])
    methods = _aef_methods(used_aefs, topology)
    aef_ccfs = {entry["id"]: entry["ccf"] for entry in topology["aefs"] if entry["id"] in used_aefs}
    dishonest = frozenset(entry["id"] for entry in topology["aefs"] if not entry["honest"])
    _check_attacker_fetches(steps, dishonest)
    aefs, attacker_aefs = _map_aefs(used_aefs, dishonest, aef_ccfs, providers, target)
    apis = {api: index for index, api in enumerate(used.get(API, []))}
    for aef, api in _pairs(steps):
        if apis[api] >= len(aefs[aef].apis):
            raise TargetLacksError(
                f"APIs: {api} at {aef} needs API number {apis[api] + 1} of {aefs[aef].aef_id},"
                f" which has {len(aefs[aef].apis)}"
            )
    capabilities = target.capabilities
    _check_method_changes(steps, methods, aefs, capabilities)
    if any(step["action"] == "token-expires" for step in steps) and Capability.CLOCK not in capabilities:
        raise TargetLacksError("the clock operation (a token expires in the trace)")
    prefers = {
        entry["id"]: tuple(SecurityMethod(m) for m in entry["prefers"]) for entry in topology["invokers"]
    }
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
        for a, x in _pairs(steps)
        for ccf in {aef_ccfs[a], homes.get(i, aef_ccfs[a])}
        if (ccf, i, a, x) not in allowed
    ]
    if withheld and Capability.POLICY not in capabilities:
        ccf, i, a, x = withheld[0]
        raise TargetLacksError(f"the policy operation (the policy of {ccf} does not let {i} use {x} at {a})")
    return Plan(
        providers=providers,
        aef_ccfs=aef_ccfs,
        homes={i: h for i, h in homes.items() if i in invokers},
        aefs=aefs,
        attacker_aefs=attacker_aefs,
        apis=apis,
        methods=methods,
        prefers=prefers,
        allowed=allowed,
        pairs=tuple(_pairs(steps)),
    )
