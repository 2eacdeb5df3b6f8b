"""The model does what the contributions say, and no more: regression tests for the readings that an
independent review of the counterexamples found wrong (an OAuth token used like a session, the policy
fallback of contribution 000 where the text does not put it, a relayed token request counted as
taking security information, invokers with no home CCF)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from model.catalogue import Catalogue
from model.concrete import ConcreteRun, SimulationError, Step, simulate
from model.syntax import parse_formula
from model.verify import ProfileVerifier, Verdict


def _reachable(
    catalogue: Catalogue, profile: str, goal: str, depth: int, overrides: Mapping[str, str] | None = None
) -> bool:
    verifier = ProfileVerifier(catalogue, profile, overrides=overrides)
    return verifier.searcher().shortest(verifier.system.expand(parse_formula(goal)), depth) is not None


@pytest.mark.parametrize("profile", ["ki2-conclusion", "opencapif-observed"])
def test_an_oauth_token_authorizes_one_request_not_a_session(catalogue: Catalogue, profile: str) -> None:
    """TS 33.122 6.5.2.3: the AEF serves an OAuth request only for a token it accepts for that request;
    a peer with no PSK or PKI session is served an API only with a token accepted for that API."""
    goal = (
        "exists a:aef, i:invoker, x:api. served(a, i, x) & (forall t:token. !tok_accepted(a, t, x))"
        " & (forall m:method. (sess(a, i, m) | sess_att(a, i, m)) -> m = OAUTH)"
    )
    assert not _reachable(catalogue, profile, goal, 5)


def test_the_policy_fallback_is_only_for_tls_psk_and_pki(catalogue: Catalogue) -> None:
    """Contribution 000 7.2.3 puts the fallback to the home CCF's policy under "When using TLS-PSK or
    PKI": the AEF's CCF falls back only for an invoker whose AEFPSK or root CA it holds."""
    goal = (
        "exists a:aef, c:ccf, i:invoker, x:api. aef_acl(a, i, x) & aef_at(a, c) & !allows(c, i, a, x)"
        " & (forall k:key. !ccf_psk(c, i, a, k)) & (forall r:ccf. !ccf_root(c, i, a, r))"
    )
    assert not _reachable(catalogue, "ki2-conclusion", goal, 3)


def test_relaying_a_token_request_is_not_taking_security_information(catalogue: Catalogue) -> None:
    """Token relay is its own option: without the relayer check a partner CCF obtains tokens naming
    another provider's invoker, while the home CCF binding of security information still holds."""
    report = ProfileVerifier(catalogue, "recommended", overrides={"token-relay-check": "none"}).run(
        ["token-subject", "home-ccf-binding"]
    )
    verdicts = {result.property: result.verdict for result in report.properties}
    assert verdicts == {"token-subject": Verdict.VIOLATED, "home-ccf-binding": Verdict.PROVED}
    (violated,) = [r for r in report.properties if r.trace is not None]
    assert violated.trace is not None
    relays = {"token-relayed", "token-relayed-by-attacker"}
    assert {step["action"] for step in violated.trace["steps"]} & relays
    for action in ProfileVerifier(catalogue, "recommended").system.actions:
        if action.action.procedure == "capif2e-oauth":
            assert "took_info" not in action.updates, action.id


def test_every_invoker_has_exactly_one_home_and_every_aef_one_ccf(catalogue: Catalogue) -> None:
    verifier = ProfileVerifier(catalogue, "cr-interconnect")
    for goal in ("exists i:invoker. forall c:ccf. !home(i, c)", "exists a:aef. forall c:ccf. !aef_at(a, c)"):
        assert verifier.searcher().shortest(parse_formula(goal), 0) is None, goal


def test_every_model_option_changes_the_model(catalogue: Catalogue) -> None:
    """An open point is an option only if its values make different systems (recommended otherwise);
    two values may agree (home-ccf-resolution: a validated name is as good as a resolved one)."""
    base = catalogue.profiles["recommended"].options
    for option in catalogue.options.values():
        if option.scope == "impl":
            continue
        systems = set()
        for value in option.values:
            system = ProfileVerifier(catalogue, "recommended", overrides={option.id: value.id}).system
            systems.add(
                tuple(
                    (
                        action.id,
                        tuple(g.formula for g in action.guards),
                        tuple(sorted(action.updates.items())),
                    )
                    for action in system.actions
                )
            )
        assert len(systems) > 1, f"{option.id}: every value makes the same model as {base[option.id]}"


def test_an_honest_invoker_talks_to_a_dishonest_aef(catalogue: Catalogue) -> None:
    """The attacker of BRIEF section 4: an AEF it controls keeps the token an honest invoker presents."""
    goal = "exists t:token, j:invoker. tok_att(t) & tok_inv(t, j) & honest_inv(j)"
    assert _reachable(catalogue, "recommended", goal, 5)


def test_unprotected_capif6_breaks_every_property_that_depends_on_it(catalogue: Catalogue) -> None:
    """With capif6-protection = none the network attacker reads, drops, replays and injects on CAPIF-6/6e:
    every property is proved or violated with a trace (never unproved), and each that needs the link
    is violated."""
    report = ProfileVerifier(catalogue, "recommended", overrides={"capif6-protection": "none"}).run()
    verdicts = {result.property: result.verdict for result in report.properties}
    assert set(verdicts.values()) <= {Verdict.PROVED, Verdict.VIOLATED}, verdicts
    violated = {prop for prop, verdict in verdicts.items() if verdict == Verdict.VIOLATED}
    assert violated == {
        "invoker-authentication",
        "psk-secrecy",
        "info-release",
        "home-ccf-binding",
        "token-subject",
        "method-selection",
        "negotiated-method",
        "revocation",
        "interconnect-channel",
    }


def _first_step(run: ConcreteRun, action: str) -> tuple[int, Step]:
    """The first step of ``run`` that is ``action``, with its index."""
    found = [(n, step) for n, step in enumerate(run.steps) if step.action == action]
    assert found, f"no {action} step in {[step.action for step in run.steps]}"
    return found[0]


def _canonical_run(verifier: ProfileVerifier, goal: str, deployment: str, depth: int) -> ConcreteRun:
    """The canonical shortest run to ``goal`` on ``deployment`` (``attack`` or ``honest``)."""
    searcher = verifier.searcher(deployment)
    expanded = verifier.system.expand(parse_formula(goal))
    length = searcher.shortest(expanded, depth)
    assert length is not None, goal
    return searcher.canonical(expanded, length)


def _reading(catalogue: Catalogue, profile: str, option: str) -> str:
    """The profile's note on how it reads ``option`` (its own or its parent's)."""
    current: str | None = profile
    while current is not None:
        entry = catalogue.profiles[current]
        for reading in entry.readings:
            if reading.option == option:
                return reading.text
        current = entry.extends
    raise AssertionError(f"{profile}: no reading of {option}")


def test_001_oauth_security_information_comes_from_the_home_ccf(catalogue: Catalogue) -> None:
    """Contribution 001 6.X.3.2 (OAuth): "If the AEF does not have a security information, AEF shall
    request for security information from CCF-A", which asks the invoker's home CCF; the profile of
    001 reads it as oauth-security-information = root-ca. In its shortest honest run to an OAuth
    invoker's security information held by the AEF's CCF, that CCF takes it from the home CCF for
    OAuth; under the other value (none) the same run stops at that step, refused by the procedure."""
    assert catalogue.profiles["cr-interconnect"].options["oauth-security-information"] == "root-ca"
    assert "6.X.3.2" in _reading(catalogue, "cr-interconnect", "oauth-security-information")
    goal = (
        "exists c:ccf, h:ccf, i:invoker, a:aef. released(h, i, a, c) & negotiated(i, a, OAUTH)"
        " & home(i, h) & aef_at(a, c) & honest_inv(i)"
    )
    run = _canonical_run(ProfileVerifier(catalogue, "cr-interconnect"), goal, "honest", 6)
    n, fetch = _first_step(run, "fetch-from-home")
    assert fetch.arguments["m"] == "OAUTH"
    assert run.states[n].holds("home", (fetch.arguments["i"], fetch.arguments["h"]))
    assert run.states[n].holds("aef_at", (fetch.arguments["a"], fetch.arguments["c"]))
    without = ProfileVerifier(catalogue, "cr-interconnect", overrides={"oauth-security-information": "none"})
    with pytest.raises(SimulationError, match="fetch-from-home: guard 'm != OAUTH' is false"):
        simulate(without.system, run.states[0], run.steps)


def test_001_home_ccf_relays_negotiation_to_the_ccf_the_invoker_names(catalogue: Catalogue) -> None:
    """Contribution 001 6.X.2: "Based on the AEF details received from the API invoker, CCF-B
    identifies the CCF-A where the AEF is registered and forwards the request"; the profile of 001
    reads it as negotiation-routing = invoker-supplied (no check of those details). An invoker that
    names a CCF where the AEF is not registered has its home CCF relay its request there; under the
    other value (aef-registration) the same run stops at that step, refused by the procedure."""
    assert catalogue.profiles["cr-interconnect"].options["negotiation-routing"] == "invoker-supplied"
    assert "6.X.2" in _reading(catalogue, "cr-interconnect", "negotiation-routing")
    goal = (
        "exists h:ccf, d:ccf, i:invoker, a:aef, m:method. selected(h, i, a, m) & home(i, h)"
        " & acted6(h, d) & !aef_at(a, d)"
    )
    run = _canonical_run(ProfileVerifier(catalogue, "cr-interconnect"), goal, "attack", 4)
    n, relay = _first_step(run, "negotiate-relayed-to-attacker")
    assert run.states[n].holds("home", (relay.arguments["i"], relay.arguments["h"]))
    assert not run.states[n].holds("aef_at", (relay.arguments["a"], relay.arguments["d"]))
    without = ProfileVerifier(
        catalogue, "cr-interconnect", overrides={"negotiation-routing": "aef-registration"}
    )
    with pytest.raises(
        SimulationError, match="negotiate-relayed-to-attacker: guard 'aef_at\\(a, d\\)' is false"
    ):
        simulate(without.system, run.states[0], run.steps)


def test_an_invoker_is_named_only_once_its_id_exists_or_never_onboards(catalogue: Catalogue) -> None:
    """The CCF assigns the API invoker ID at onboarding (TS 29.222 clauses 5.4 and 8.4): a token the
    attacker's CCF signs naming an invoker, and that invoker onboarded, are reached by the onboarding
    first; the other order names an ID no CCF has assigned, and its onboarding then stops, refused by
    the procedure (the CCF does not assign an ID that was already named)."""
    goal = "exists t:token, s:invoker. tok_att(t) & tok_sub(t, s) & onboarded(s)"
    verifier = ProfileVerifier(catalogue, "recommended")
    run = _canonical_run(verifier, goal, "attack", 3)
    n, signed = _first_step(run, "attacker-ccf-signs-token")
    m, onboard = _first_step(run, "onboard")
    assert m < n and onboard.arguments["i"] == signed.arguments["s"]
    swapped = (*(step for step in run.steps if step is not onboard), onboard)
    with pytest.raises(SimulationError, match="onboard: guard '!named_unissued\\(i\\)' is false"):
        simulate(verifier.system, run.states[0], swapped)
