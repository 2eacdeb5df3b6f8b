"""What a replay must show, per mode, and the refusal each check is documented to give.

* ``as-profile`` (a target configured with the trace's own option values): every step is accepted --
  the attack really works on an implementation configured that way, the witness really runs.
* ``recommended`` (a target with the ``recommended`` profile's settings): a witness still runs; a
  counterexample is stopped at a step whose ``checks_missing`` names the check, with the refusal the
  implementation documents for that check (``docs/implementation.md``, Refusals). A witness with
  such a step (an honest run that relies on a check its profile lacks, for example a token used for
  an API outside its scope where the AEF checks no scope) is judged like a counterexample.

A step of ``mismatch-failure`` is accepted when the AEF answers with the mismatch failure it models
(contribution 004).

A trace of the generated test suite may end in a step the model expects refused (``expect:
refused``): in ``as-profile`` the target must refuse it with a refusal documented for one of its
``refused_by`` checks, after accepting every step before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from replay.observation import HANDSHAKE_REFUSED, Observation


class Mode(StrEnum):
    AS_PROFILE = "as-profile"
    RECOMMENDED = "recommended"


class Status(StrEnum):
    REPLAYED = "replayed"
    DIVERGED = "diverged"
    NOT_REPLAYABLE = "not replayable"
    TARGET_LACKS = "target lacks"


_INVALID = "401 CREDENTIAL_INVALID"
_NOT_AUTHORIZED = "403 API_INVOKER_NOT_AUTHORIZED"

DOCUMENTED_REFUSALS: Mapping[str, frozenset[str]] = {
    "ccf-authenticates-invoker": frozenset({_INVALID, "401 CREDENTIAL_MISSING", "401 invalid_client"}),
    "selection-in-preferences": frozenset({"403 NO_COMMON_SECURITY_METHOD"}),
    "selection-in-aef-methods": frozenset({"403 NO_COMMON_SECURITY_METHOD"}),
    "psk-handshake": frozenset({HANDSHAKE_REFUSED}),
    "certificate-trusted": frozenset({_INVALID, HANDSHAKE_REFUSED, _NOT_AUTHORIZED}),
    "aef-current-method": frozenset(
        {"403 SECURITY_METHOD_MISMATCH", _INVALID, _NOT_AUTHORIZED, HANDSHAKE_REFUSED}
    ),
    "aef-revocation": frozenset({_INVALID, _NOT_AUTHORIZED, HANDSHAKE_REFUSED}),
    "aef-authorizes-acl": frozenset({_NOT_AUTHORIZED}),
    "token-client-binding": frozenset({"401 invalid_client"}),
    "ccf-policy-allows": frozenset({"400 invalid_scope"}),
    "oauth-negotiated": frozenset({"400 unauthorized_client"}),
    "aef-checks-signature": frozenset({_INVALID}),
    "aef-checks-expiry": frozenset({_INVALID}),
    "aef-checks-scope": frozenset({_INVALID}),
    "ccf-releases-to-that-aef": frozenset(
        {"403 REQUEST_NOT_AUTHORIZED", "404 RESOURCE_NOT_FOUND", _NOT_AUTHORIZED}
    ),
    "pki-negotiated": frozenset({_NOT_AUTHORIZED}),
    "revoker-is-the-aef": frozenset({"403 REQUEST_NOT_AUTHORIZED"}),
    "home-resolved": frozenset({"403 REQUEST_NOT_AUTHORIZED", _NOT_AUTHORIZED, "404 RESOURCE_NOT_FOUND"}),
    "relayer-is-home": frozenset({"401 invalid_client"}),
    "requester-hosts-aef": frozenset({"403 REQUEST_NOT_AUTHORIZED"}),
    "agreement-peer": frozenset({"403 REQUEST_NOT_AUTHORIZED", HANDSHAKE_REFUSED}),
    "azf-authenticates-rof": frozenset(
        {HANDSHAKE_REFUSED, _INVALID, "401 CREDENTIAL_MISSING", "403 REQUEST_NOT_AUTHORIZED"}
    ),
    "ro-token-after-authorization": frozenset({"400 invalid_grant"}),
}
"""Check id (``spec/checks.yaml``) -> the refusals (``"<status> <cause>"``) the implementation documents
for it."""


PROTECTION_REFUSALS: Mapping[str, frozenset[str]] = {"capif6-protection": frozenset({HANDSHAKE_REFUSED})}
"""Option -> the refusals its recommended value gives a step whose action needs another value: on a
protected CAPIF-6/6e the network attacker's own requests meet a TLS handshake asking for a CCF's
certificate (``docs/replay.md``, The network attacker on CAPIF-6/6e)."""


EXPECTED = {"mismatch-failure": "the mismatch failure (403 SECURITY_METHOD_MISMATCH)"}
"""What an accepted step looks like, where it is not simply accepted."""


def _missing(step: Mapping[str, Any]) -> list[str]:
    return [entry["check"] for entry in step["checks_missing"]]


def _variants(step: Mapping[str, Any]) -> str:
    """The options in play at a step, as ``option = value (recommended: reference)``."""
    return (
        "; ".join(
            f"{entry['option']} = {entry['value']} (recommended: {entry['reference']})"
            for entry in step["options_in_play"]
        )
        or "its action is not a procedure of recommended"
    )


def _diverged_at(step: Mapping[str, Any], seen: Observation) -> tuple[Status, str]:
    return (
        Status.DIVERGED,
        f"step {step['n']} ({step['action']}): expected {EXPECTED.get(step['action'], 'accepted')},"
        f" observed {seen.summary}",
    )


def judge(
    trace: Mapping[str, Any],
    mode: Mode,
    observed: Sequence[tuple[Mapping[str, Any], Observation | None]],
    variants: frozenset[int] = frozenset(),
) -> tuple[Status, str]:
    """The verdict on the steps run (each with its observation, None when folded), in order; the run
    stops at the first step not accepted. ``variants`` are the steps (by number) whose procedure the
    ``recommended`` profile does not have (:class:`replay.catalogue.ActionConditions`).

    Under ``recommended`` a trace may stop at a step whose ``checks_missing`` names a check, with a
    refusal documented for one of them; or at one of ``variants`` or after the first (the recommended
    deployment runs its own variant there, for example the home CCF relaying where the profile has it
    select, or no policy fallback, whose effect a later step may miss), with a refusal documented for
    one of the checks the stopping step names, or, at one of ``variants``, with the refusal the
    recommended value of one of its options gives (:data:`PROTECTION_REFUSALS`). A witness with such
    steps but no missing check may also run to the end."""
    stop = next(((step, seen) for step, seen in observed if seen is not None and not seen.accepted), None)
    expected = next((step for step in trace["steps"] if step["expect"] == "refused"), None)
    if expected is not None:
        return _judge_refusal(expected, observed, stop)
    counterexample = trace["kind"] == "counterexample"
    relies_on_missing = any(step["checks_missing"] for step in trace["steps"])
    varies = bool(variants)
    if mode is Mode.AS_PROFILE or not (counterexample or relies_on_missing or varies):
        return (Status.REPLAYED, "every step accepted") if stop is None else _diverged_at(*stop)
    named = [step["n"] for step in trace["steps"] if step["checks_missing"]]
    where = f"step(s) {', '.join(map(str, named))}" if named else "no step"
    if stop is None:
        if not (counterexample or relies_on_missing):
            return Status.REPLAYED, "every step accepted (the recommended variants of its procedures ran too)"
        stopped = "the attack is not stopped" if counterexample else "nothing refused what the profile lacks"
        return (
            Status.DIVERGED,
            f"every step accepted under recommended: {stopped} ({where} list a missing check)",
        )
    step, seen = stop
    checks = _missing(step)
    variant = bool(variants) and step["n"] >= min(variants) and not checks
    if variant:
        checks = list(step["checks_passed"])
    protected = [
        f"{entry['option']} = {entry['reference']}"
        for entry in step["options_in_play"]
        if step["n"] in variants and seen.refusal in PROTECTION_REFUSALS.get(entry["option"], frozenset())
    ]
    if not checks and not protected:
        return (
            Status.DIVERGED,
            f"step {step['n']} ({step['action']}) refused with {seen.summary},"
            f" but it lists no missing check and is a procedure of recommended too ({where} list a missing"
            " check)",
        )
    documented = frozenset().union(*(DOCUMENTED_REFUSALS.get(check, frozenset()) for check in checks))
    matching = [check for check in checks if seen.refusal in DOCUMENTED_REFUSALS.get(check, frozenset())]
    matching += protected
    if matching:
        by = f"by {', '.join(matching)}: {seen.refusal}"
        if variant:
            first = next(item for item in trace["steps"] if item["n"] == min(variants))
            return (
                Status.REPLAYED,
                f"stopped at step {step['n']} ({step['action']}), at or after step {first['n']}"
                f" ({first['action']}), whose procedure differs under recommended ({_variants(first)}),"
                f" {by}",
            )
        return Status.REPLAYED, f"stopped at step {step['n']} ({step['action']}) {by}"
    expected = ", ".join(sorted(documented)) or "nothing documented"
    return (
        Status.DIVERGED,
        f"step {step['n']} ({step['action']}) refused with {seen.summary};"
        f" {', '.join(checks)} is documented as {expected}",
    )


def _judge_refusal(
    expected: Mapping[str, Any],
    observed: Sequence[tuple[Mapping[str, Any], Observation | None]],
    stop: tuple[Mapping[str, Any], Observation] | None,
) -> tuple[Status, str]:
    """The verdict on a trace whose step ``expected`` the model expects refused by one of its
    ``refused_by`` checks, every step before it accepted."""
    checks = list(expected["refused_by"])
    documented = frozenset().union(*(DOCUMENTED_REFUSALS.get(check, frozenset()) for check in checks))
    if stop is None:
        if any(step["n"] == expected["n"] and seen is None for step, seen in observed):
            return (
                Status.NOT_REPLAYABLE,
                f"step {expected['n']} ({expected['action']}), which must be refused, is folded into a later"
                " request that the trace does not have",
            )
        return (
            Status.DIVERGED,
            f"step {expected['n']} ({expected['action']}): expected a refusal by {', '.join(checks)},"
            " the target accepted",
        )
    step, seen = stop
    if step["n"] != expected["n"]:
        return _diverged_at(step, seen)
    matching = [check for check in checks if seen.refusal in DOCUMENTED_REFUSALS.get(check, frozenset())]
    if matching:
        return (
            Status.REPLAYED,
            f"refused at step {step['n']} ({step['action']}) by {', '.join(matching)}: {seen.refusal}",
        )
    return (
        Status.DIVERGED,
        f"step {step['n']} ({step['action']}) refused with {seen.summary};"
        f" {', '.join(checks)} is documented as {', '.join(sorted(documented)) or 'nothing documented'}",
    )
