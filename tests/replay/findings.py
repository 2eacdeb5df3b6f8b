"""Divergences between the model and the implementation found by replay, each with the exact shape it
takes in a replay report. A test that meets one of them records it as an expected failure with its
reason (``pytest.xfail``); any other divergence fails the test. Remove an entry once it is resolved."""

from __future__ import annotations

from dataclasses import dataclass

from replay import Status, StepOutcome, TraceReplay


@dataclass(frozen=True)
class Finding:
    """``reason``; seen as a divergence at a step of ``action`` whose observation contains ``observed``,
    or (``action`` None) as a trace not replayable for a reason containing ``observed``."""

    reason: str
    action: str | None
    observed: str

    def seen_in(self, replay: TraceReplay) -> bool:
        if self.action is None:
            return replay.status is Status.NOT_REPLAYABLE and self.observed in replay.reason
        step = next((s for s in replay.steps if s.outcome is StepOutcome.REFUSED), None)
        return (
            replay.status is Status.DIVERGED
            and step is not None
            and step.action == self.action
            and self.observed in step.observed
        )


UNSIGNALLED_MISMATCH = Finding(
    "implementation: an invoker whose PSK or OAUTH selection was withdrawn before its AEF ever fetched"
    " its security information, and who holds no token to present, gets 403 API_INVOKER_NOT_AUTHORIZED"
    " at check-authentication, not the mismatch failure of contribution 004: the CCF drops the stale"
    " selection, so neither it nor the AEF still knows the old method",
    "mismatch-failure",
    "check-authentication: 403 API_INVOKER_NOT_AUTHORIZED",
)

TOKEN_AFTER_WITHDRAWAL = Finding(
    "model: method-disable leaves the CCF's selection of the withdrawn method (selected) in place, so the"
    " model's CCF issues a token for it -- after the withdrawal, or after the method comes back, without"
    " a re-negotiation (the method-update-recovery witness recovers that way); the implementation marks"
    " the selection stale and refuses with 400 unauthorized_client",
    "token-request",
    "400 unauthorized_client",
)

CERTIFICATE_WITHOUT_NEGOTIATION = Finding(
    "model: pki-session(-attacker) accepts any certificate the AEF's CCF issued for the invoker, with no"
    " negotiation; the implementation's AEF accepts only the certificate its CCF returns as"
    " authenticationInfo after PKI was negotiated, and refuses the session at check-authentication",
    "pki-session-attacker",
    "check-authentication: 403 API_INVOKER_NOT_AUTHORIZED",
)

AEF_WITHOUT_METHOD = Finding(
    "model: method-disable may withdraw an AEF's last method; TS 29.222 securityMethods has minItems 1,"
    " so no published API (and no implementation interface) can express an AEF with no method, and a"
    " method-update-recovery witness that goes through one is not replayable",
    None,
    "would support no method",
)

METHOD_UPDATE_FINDINGS = (UNSIGNALLED_MISMATCH, TOKEN_AFTER_WITHDRAWAL, AEF_WITHOUT_METHOD)
