"""Whether a trace fits a target, decided before anything runs: the reasons a trace is not
replayable, on the reference implementation and on a target that offers no out-of-band operation."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.settings import Settings
from model.catalogue import Catalogue
from model.system import Removal
from replay import (
    ExternalProvider,
    ExternalTarget,
    LocalTarget,
    LocalTargets,
    Mode,
    NotReplayableError,
    Status,
    TargetLacksError,
    replay_on,
)
from replay.actions import PARAMETERS
from replay.external import SecretSource
from replay.plan import idle_methods, interface_methods, layout_of, plan_trace
from replay.run import Recommended
from replay.wire import HANDLERS

Trace = dict[str, Any]
PSK, PKI, OAUTH = SecurityMethod.PSK, SecurityMethod.PKI, SecurityMethod.OAUTH


@pytest.fixture(scope="module")
def local(targets: LocalTargets) -> LocalTarget:
    return targets.get(Settings())


def _bare(local: LocalTarget, secrets: Sequence[str] = ()) -> ExternalTarget:
    """The running reference implementation seen as an external target: one AEF, no capability."""
    aefs = tuple(local.aefs(local.provider.name, 1)[:1])
    return ExternalTarget(
        [ExternalProvider(local.provider, aefs, SecretSource(local.provider.name, list(secrets)))]
    )


@pytest.fixture(scope="module")
def bare(local: LocalTarget) -> ExternalTarget:
    return _bare(local)


def _reason(trace: Trace, target: Any) -> str:
    with pytest.raises(NotReplayableError) as refusal:
        plan_trace(trace, target)
    return refusal.value.reason


def _lacks(trace: Trace, target: Any) -> str:
    with pytest.raises(TargetLacksError) as refusal:
        plan_trace(trace, target)
    return refusal.value.reason


def test_the_driven_actions_take_the_catalogue_parameters(catalogue: Catalogue) -> None:
    for action_id, parameters in PARAMETERS.items():
        assert dict(catalogue.actions[action_id].params) == dict(parameters), action_id


@pytest.mark.parametrize(
    ("initial", "supported", "offered"),
    [
        ({PSK}, {PSK, PKI, OAUTH}, {PSK}),
        ({PKI}, {PSK, OAUTH}, {PSK, OAUTH}),
        ({PKI, OAUTH}, {OAUTH}, {OAUTH}),
        ({PKI}, set(), {OAUTH}),
    ],
)
def test_an_interface_offers_its_own_supported_methods_or_else_all_supported(
    initial: set[SecurityMethod], supported: set[SecurityMethod], offered: set[SecurityMethod]
) -> None:
    """An AEF that supports no method offers the idle one (here OAUTH)."""
    assert interface_methods(frozenset(initial), frozenset(supported), frozenset({OAUTH})) == offered


def test_with_every_method_wanted_an_aef_supporting_none_keeps_its_own() -> None:
    assert interface_methods(frozenset({PKI}), frozenset(), frozenset()) == {PKI}


def test_an_aef_supporting_none_offers_what_no_invoker_negotiating_for_it_prefers() -> None:
    steps = [
        {"action": "negotiate", "args": {"i": "inv-1", "h": "ccf", "a": "aef-1", "m": "PSK", "k": "k"}},
        {"action": "negotiate", "args": {"i": "inv-2", "h": "ccf", "a": "aef-1", "m": "PSK", "k": "k"}},
        {"action": "psk-session", "args": {"a": "aef-2", "i": "inv-1", "k": "k"}},
    ]
    prefers = {"inv-1": (PSK,), "inv-2": (PKI,), "inv-3": (OAUTH,)}
    assert idle_methods(steps, prefers) == {"aef-1": {OAUTH}, "aef-2": {PSK, PKI, OAUTH}}
    assert idle_methods(steps, {**prefers, "inv-2": (PKI, OAUTH)})["aef-1"] == frozenset()


def test_a_step_without_wire_translation_makes_the_trace_not_replayable(
    witness: Callable[[str, str], Trace], local: LocalTarget
) -> None:
    """Edited on purpose: a step of an action the replayer does not know."""
    trace = copy.deepcopy(witness("ts33122-rel18", "psk-one-provider"))
    trace["steps"][1]["action"] = "teleport"
    assert _reason(trace, local) == "step 2: teleport has no wire translation in the replayer"


def test_a_step_naming_an_invoker_before_its_onboarding_is_not_replayable(
    counterexample: Callable[..., Trace], local: LocalTarget
) -> None:
    """Edited on purpose: the token-subject attack with the victim's onboarding moved after the token
    request naming it. An API invoker ID exists once its CCF assigned it at onboarding."""
    trace = copy.deepcopy(counterexample("opencapif-observed", "token-subject"))
    steps = trace["steps"]
    request = next(step for step in steps if step["action"] == "token-request")
    victim = request["args"]["s"]
    onboarding = next(step for step in steps if step["action"] == "onboard" and step["args"]["i"] == victim)
    steps.remove(onboarding)
    steps.append(onboarding)
    for number, step in enumerate(steps, start=1):
        step["n"] = number
    assert f"names {victim} before it is onboarded" in _reason(trace, local)


def test_a_ccf_the_attacker_controls_needs_a_target_that_has_one(
    catalogue: Catalogue,
    counterexample: Callable[..., Trace],
    local: LocalTarget,
    targets: LocalTargets,
    recommended: Recommended,
) -> None:
    """The mutant without the AEF's signature check: a CCF the attacker controls signs a token. The
    one-provider target lacks such a CCF; the target laid out for the trace has one, and the
    implementation stops the token at the signature check."""
    mutant = catalogue.mutants["aef-skips-signature-check"]
    trace = counterexample(mutant.profile, mutant.breaks, (Removal(mutant.check, mutant.action),))
    assert _lacks(trace, local).startswith("target lacks CCFs whose keys the attacker holds")
    laid_out = targets.get(recommended.settings, layout_of(trace))
    replay = replay_on(trace, laid_out, Mode.RECOMMENDED, recommended)
    assert replay.status is Status.REPLAYED, "\n".join(replay.lines())
    assert "aef-checks-signature" in replay.reason and "401 CREDENTIAL_INVALID" in replay.reason


def _at_another_aef(trace: Trace) -> Trace:
    """``trace`` with its last step at an AEF other than the one its token was issued for, for the
    token's API (the model may already have chosen another AEF; then only the API changes)."""
    edited = copy.deepcopy(trace)
    last = edited["steps"][-1]
    issued = next(step["args"] for step in edited["steps"] if step["action"] == "token-request")
    first_api = issued["x"]
    aefs = {aef["id"]: aef for aef in edited["topology"]["aefs"]}
    other = next(aef for aef in aefs if aef != issued["a"])
    # The trace's deployment has only what its steps need: register the other AEF beside the first.
    aefs[other].update(
        ccf=aefs[issued["a"]]["ccf"], exposes=[first_api], methods=aefs[issued["a"]]["methods"], honest=True
    )
    last["args"].update(a=other, x=first_api)
    return edited


def test_two_aefs_need_a_target_with_two(
    counterexample: Callable[..., Trace], targets: LocalTargets, local: LocalTarget, bare: ExternalTarget
) -> None:
    """Edited on purpose: the token-scope attack of opencapif-observed with its token presented at a
    second AEF of the provider. The reference implementation registers a further AEF; the attack
    works as-profile (no scope check) and is refused under the recommended settings."""
    trace = _at_another_aef(counterexample("opencapif-observed", "token-scope"))
    assert len(plan_trace(trace, local).aefs) == 2
    assert _lacks(trace, bare) == f"target lacks AEFs: the steps use 2 at {local.provider.name}, which has 1"
    as_profile = targets.get(Settings.from_options(trace["options"], ignore_unknown=True, allow_unsafe=True))
    assert replay_on(trace, as_profile, Mode.AS_PROFILE).status is Status.REPLAYED
    replay = replay_on(trace, local, Mode.RECOMMENDED)
    assert replay.status is Status.REPLAYED, "\n".join(replay.lines())
    assert "aef-checks-scope: 401 CREDENTIAL_INVALID" in replay.reason


def test_a_method_update_needs_a_target_that_can(
    witness: Callable[[str, str], Trace], bare: ExternalTarget
) -> None:
    trace = witness("cr-method-update", "method-update-recovery")
    assert _lacks(trace, bare).startswith("target lacks the method-update operation")


def test_a_restricted_policy_needs_a_target_that_can_restrict(
    witness: Callable[[str, str], Trace], bare: ExternalTarget
) -> None:
    """Edited on purpose: the witness with its policy emptied."""
    trace = copy.deepcopy(witness("ts33122-rel18", "oauth-one-provider"))
    trace["topology"]["policies"] = []
    assert _lacks(trace, bare).startswith("target lacks the policy operation")


def test_an_expiring_token_needs_a_clock_the_replayer_can_move(
    witness: Callable[[str, str], Trace], bare: ExternalTarget
) -> None:
    """Edited on purpose: the OAUTH witness with a token-expires step appended."""
    trace = copy.deepcopy(witness("ts33122-rel18", "oauth-one-provider"))
    last = copy.deepcopy(trace["steps"][-1])
    token = last["args"]["t"]
    last.update(n=len(trace["steps"]) + 1, action="token-expires", args={"t": token}, via="-")
    trace["steps"].append(last)
    assert _lacks(trace, bare).startswith("target lacks the clock operation")


def test_an_aef_left_with_no_method_is_not_replayable(
    witness: Callable[[str, str], Trace], local: LocalTarget
) -> None:
    """TS 29.222 ``securityMethods`` has minItems 1: an interface cannot offer nothing. Edited on
    purpose (the model keeps a method since method-disable requires another): the update witness
    with the AEF's other methods withdrawn before its withdrawal."""
    trace = copy.deepcopy(witness("cr-method-update", "method-update-recovery"))
    steps = trace["steps"]
    index = next(i for i, step in enumerate(steps) if step["action"] == "method-disable")
    aef, method = steps[index]["args"]["a"], steps[index]["args"]["m"]
    methods = next(entry["methods"] for entry in trace["topology"]["aefs"] if entry["id"] == aef)
    for other in (m for m in methods if m != method):
        steps.insert(index, {**copy.deepcopy(steps[index]), "args": {**steps[index]["args"], "m": other}})
    for number, step in enumerate(steps, start=1):
        step["n"] = number
    assert "would support no method" in _reason(trace, local)


def test_a_mutant_is_not_replayable_as_profile(
    catalogue: Catalogue, counterexample: Callable[..., Trace], local: LocalTarget
) -> None:
    mutant = catalogue.mutants["token-endpoint-skips-client-binding"]
    trace = counterexample(mutant.profile, mutant.breaks, (Removal(mutant.check, mutant.action),))
    replay = replay_on(trace, local, Mode.AS_PROFILE)
    assert replay.status is Status.NOT_REPLAYABLE
    assert "mutant" in replay.reason and mutant.check in replay.reason


def test_a_witness_replays_on_the_implementation_seen_as_an_external_target(
    witness: Callable[[str, str], Trace], local: LocalTarget
) -> None:
    """Only REST, CAPIF-2e and onboarding secrets: the separation an external target relies on."""
    secrets = [local.onboarding_secret(local.provider.name) for _ in range(3)]
    local.reset()
    external = _bare(local, secrets)
    for witness_id in ("psk-one-provider", "pki-one-provider", "oauth-one-provider"):
        replay = replay_on(witness("ts33122-rel18", witness_id), external, Mode.AS_PROFILE)
        assert replay.status is Status.REPLAYED, "\n".join(replay.lines())


def test_every_action_the_plan_accepts_has_its_wire_translation() -> None:
    assert set(HANDLERS) == set(PARAMETERS)
