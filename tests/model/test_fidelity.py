"""The model does what the contributions say, and no more: regression tests for the readings that an
independent review of the counterexamples found wrong (an OAuth token used like a session, the policy
fallback of contribution 000 where the text does not put it, a relayed token request counted as
taking security information, invokers with no home CCF)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from model.catalogue import Catalogue
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
