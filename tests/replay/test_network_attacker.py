"""The network attacker on an unprotected CAPIF-6/6e is a real man-in-the-middle on the wire between the
CCFs (:mod:`replay.network_attacker`): each CCF's peers reach it through a wiretap that parses what it
relays, answers a request in that CCF's name, changes an answer on its way back, or sends requests of
its own naming another CCF. The honest CCFs are the unmodified implementation.

The traces are the model's counterexamples with ``capif6-protection = none`` (an option override: no
profile of the catalogue leaves CAPIF-6/6e unprotected). Under ``recommended`` the link is mutual TLS:
the attacker reads and changes nothing and its own requests meet a TLS handshake that wants a CCF's
certificate."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from impl import pki
from impl.interconnect import client as paths
from impl.settings import Settings
from replay import LocalTargets, Mode, Status, TraceReplay
from replay.local import LocalTarget
from replay.network_attacker import Message
from replay.plan import layout_of
from replay.run import Recommended, replay_locally

Trace = dict[str, Any]
UNPROTECTED = {"capif6-protection": "none"}


def _explain(replay: TraceReplay) -> str:
    return "\n".join(replay.lines() + [f"{s.n}. {s.action}: {s.outcome}: {s.observed}" for s in replay.steps])


def _actions(trace: Trace) -> list[str]:
    return [step["action"] for step in trace["steps"]]


def _as_profile_target(trace: Trace, targets: LocalTargets) -> LocalTarget:
    settings = Settings.from_options(trace["options"], ignore_unknown=True, allow_unsafe=True)
    return targets.get(settings, layout_of(trace))


def _read_on(target: LocalTarget, path: str) -> list[Message]:
    assert target.network is not None
    return [message for message in target.network.read() if message.path == path]


def test_the_attacker_answers_for_the_home_ccf_on_the_wire(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """interconnect-channel: the AEF's CCF asks the CCF the invoker named for its security information,
    and the wiretap in front of that CCF answers in its name with the CA of a CCF the attacker controls;
    the AEF then accepts check-authentication with a certificate from that CA. Under recommended the home
    CCF is resolved from the invoker ID and has nothing (home-resolved)."""
    trace = counterexample("cr-interconnect", "interconnect-channel", overrides=UNPROTECTED)
    assert _actions(trace) == ["fetch-spoofed"]
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    target = _as_profile_target(trace, targets)
    answered = _read_on(target, paths.SECURITY_INFORMATION_REQUESTS)
    assert len(answered) == 1 and answered[0].status == 200
    attacker = next(iter(target.attacker_ccfs(1)))
    ca = pki.certificate_pem(attacker.provider.ca_certificate)
    assert json.dumps(ca)[1:-1] in answered[0].answer.decode()
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert "by home-resolved" in replay.reason


def test_the_attacker_reads_an_aefpsk_a_ccf_releases_in_another_ccfs_name(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """info-release: the attacker asks the home CCF, naming the AEF's CCF, for the invoker's AEFPSK and
    reads it; under recommended its request meets the mutual TLS handshake."""
    trace = counterexample("recommended", "info-release", overrides=UNPROTECTED)
    assert _actions(trace)[-1] == "release-spoofed"
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert "released the AEFPSK" in replay.steps[-1].observed
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert "by capif6-protection = mutual-tls: TLS handshake refused" in replay.reason


def test_a_changed_negotiation_answer_is_passed_on_by_the_home_ccf(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """method-selection: the wiretap replaces the AEF's CCF's answer to the relayed negotiation with a
    method the invoker does not prefer, and the home CCF passes it on as contribution 001 6.X.2 has it
    (the invoker gets the changed method)."""
    trace = counterexample("recommended", "method-selection", overrides=UNPROTECTED)
    assert _actions(trace)[-1] == "negotiate-relayed-tampered"
    method = trace["steps"][-1]["args"]["m"]
    invoker = trace["steps"][-1]["args"]["i"]
    assert method not in next(
        entry["prefers"] for entry in trace["topology"]["invokers"] if entry["id"] == invoker
    )
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    changed = _read_on(_as_profile_target(trace, targets), paths.SECURITY_METHOD_REQUESTS)
    assert [json.loads(message.answer.partition(b"\r\n\r\n")[2]) for message in changed] == [
        {
            "securityInfo": [
                {**entry, "selSecurityMethod": method}
                for entry in json.loads(message.request)["securityInfo"]
            ]
        }
        for message in changed
    ]


def test_the_attacker_obtains_a_token_relayed_in_the_home_ccfs_name(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """token-subject: the attacker sends the AEF's CCF, naming the invoker's home CCF, a relayed token
    request for that invoker and reads the token (then, for invoker-authentication, uses it at the AEF);
    under recommended its request meets the mutual TLS handshake."""
    for property_id in ("token-subject", "invoker-authentication"):
        trace = counterexample("recommended", property_id, overrides=UNPROTECTED)
        assert _actions(trace)[0] == "token-relay-spoofed"
        replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
        assert replay.status is Status.REPLAYED, _explain(replay)
        assert "signed a token with client_id INV" in replay.steps[0].observed
        assert "for the network attacker naming" in replay.steps[0].observed
        replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
        assert replay.status is Status.REPLAYED, _explain(replay)
        assert "capif6-protection = mutual-tls: TLS handshake refused" in replay.reason


def test_a_dropped_revocation_notice_leaves_the_aef_s_ccf_relaying_tokens_for_an_offboarded_invoker(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """revocation: the invoker is offboarded at its home CCF and the attacker drops the notices to the
    other CCFs; the AEF's CCF then signs a token for it relayed in the home CCF's name, and its AEF
    serves the attacker with it. Under recommended the offboarding is the plain one and the relayed
    request meets the mutual TLS handshake."""
    trace = counterexample("recommended", "revocation", overrides=UNPROTECTED)
    assert "offboard-notice-dropped" in _actions(trace)
    replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    dropped = next(step for step in replay.steps if step.action == "offboard-notice-dropped")
    assert "offboarded; the network attacker dropped" in dropped.observed
    replay = replay_locally(trace, Mode.RECOMMENDED, targets, recommended)
    assert replay.status is Status.REPLAYED, _explain(replay)
    assert "TLS handshake refused" in replay.reason


def test_a_spoofed_answer_is_asked_for_by_a_check_authentication_the_aef_accepts(
    counterexample: Callable[..., Trace], targets: LocalTargets, recommended: Recommended
) -> None:
    """interconnect-channel and home-ccf-binding: what makes the AEF's CCF ask for security information
    is check-authentication as the invoker (TS 33.122 clause 6.5.2.1), with a certificate naming it from
    a CA the AEF trusts. Where the invoker is not onboarded the certificate comes from a CCF the attacker
    controls that has an agreement with the AEF's CCF, and the counterexamples replay (they diverged when
    the model let the fetch start with no certificate, or with one from a CA the AEF does not trust)."""
    for profile, property_id in (("sol13-psk", "interconnect-channel"), ("recommended", "home-ccf-binding")):
        trace = counterexample(profile, property_id, overrides=UNPROTECTED)
        step = trace["steps"][-1]
        assert step["action"] == "fetch-spoofed"
        args = step["args"]
        honest = {entry["id"]: entry["honest"] for entry in trace["topology"]["ccfs"]}
        agreements = [set(pair) for pair in trace["topology"]["interconnections"]]
        assert not honest[args["d"]] and {args["c"], args["d"]} in agreements
        replay = replay_locally(trace, Mode.AS_PROFILE, targets, recommended)
        assert replay.status is Status.REPLAYED, _explain(replay)
