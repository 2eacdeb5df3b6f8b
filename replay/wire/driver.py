"""The action -> wire table: which function turns a step of each action into requests and connections
(``docs/replay.md`` holds the mapping as a table).

Each function takes the trace's :class:`~replay.wire.actors.Actors` and the step's arguments and
gives an :class:`~replay.observation.Observation`, or None when the step is folded into a later one
(:mod:`replay.wire.capif3`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from impl.apitypes.enums import SecurityMethod
from replay.observation import Observation, failed
from replay.plan import Plan
from replay.target import Target, TargetError
from replay.wire import attacker, capif1e, capif2e, capif3, capif6, capif8, network, operator
from replay.wire.actors import Actors

Args = Mapping[str, str]
Handler = Callable[[Actors, Args], Observation | None]

HANDLERS: Mapping[str, Handler] = {
    "onboard": capif1e.onboard,
    "offboard": capif1e.offboard,
    "revoke-another": capif1e.revoke_another,
    "negotiate": partial(capif1e.negotiate, selector="h"),
    "negotiate-relayed": partial(capif1e.negotiate, selector="c"),
    "negotiate-home-selects": partial(capif1e.negotiate, selector="h"),
    "negotiate-relayed-to-attacker": capif6.negotiate_relayed_to_attacker,
    "token-request": capif1e.token_request,
    "token-relayed": capif1e.token_request,
    "token-relayed-to-attacker": capif1e.token_request,
    "token-home-issued": capif1e.token_request,
    "aef-fetch-psk": capif3.fetch,
    "aef-fetch-policy": capif3.fetch,
    "aef-fetch-certificate": capif3.fetch_certificate,
    "aef-fetch-root": capif3.fetch_certificate,
    "aef-fetch-policy-from-home": capif3.fetch,
    "fetch-from-home": capif3.fetch,
    "psk-session": partial(capif2e.psk_session, attacker=False),
    "psk-session-attacker": partial(capif2e.psk_session, attacker=True),
    "pki-session": partial(capif2e.pki_session, attacker=False),
    "pki-session-attacker": partial(capif2e.pki_session, attacker=True),
    "invoke": partial(capif2e.invoke, attacker=False),
    "invoke-attacker": partial(capif2e.invoke, attacker=True),
    "oauth-invoke": partial(capif2e.oauth_invoke, attacker=False),
    "oauth-invoke-attacker": partial(capif2e.oauth_invoke, attacker=True),
    "oauth-invoke-dishonest-aef": capif2e.oauth_invoke_dishonest_aef,
    "mismatch-failure": capif2e.mismatch_failure,
    "method-enable": partial(operator.method_change, enable=True),
    "method-disable": partial(operator.method_change, enable=False),
    "aef-method-enable": partial(operator.method_change, enable=True, delayed=True),
    "aef-method-disable": partial(operator.method_change, enable=False, delayed=True),
    "method-update-reaches-ccf": operator.method_update_reaches_ccf,
    "token-expires": operator.token_expires,
    "rof-authorizes": capif8.rof_authorizes,
    "rof-authorization-forged": capif8.rof_authorization_forged,
    "ro-token": capif8.ro_token,
    "attacker-makes-key": attacker.make_key,
    "attacker-ccf-issues-certificate": attacker.issue_certificate,
    "attacker-ccf-signs-token": attacker.sign_token,
    "attacker-ccf-signs-token-as-another": attacker.sign_token_as_another,
    "release-to-attacker": capif6.release_to_attacker,
    "fetch-from-attacker": capif6.fetch_from_attacker,
    "token-relayed-by-attacker": capif6.token_relayed_by_attacker,
    "release-spoofed": network.release_spoofed,
    "fetch-spoofed": network.fetch_spoofed,
    "negotiate-relayed-tampered": network.negotiate_relayed_tampered,
    "token-at-skew-limit": operator.token_at_skew_limit,
    "token-relay-spoofed": network.token_relay_spoofed,
    "offboard-notice-dropped": network.offboard_notice_dropped,
}
"""Every action the replayer drives (the keys of :data:`replay.actions.PARAMETERS`)."""
REFUSED_HANDLERS: Mapping[str, Handler] = {
    "aef-fetch-psk": partial(capif3.fetch, method=SecurityMethod.PSK),
}
"""Where a step the model expects refused is driven otherwise: an AEFPSK fetch about an invoker that
has not negotiated for the AEF is check-authentication at a PSK interface (folded when accepted, as
after a CCF the attacker controls answered for the invoker)."""
REFUSED_BY_HANDLERS: Mapping[tuple[str, str], Handler] = {
    ("oauth-invoke-attacker", "aef-checks-signature"): capif2e.oauth_invoke_unsigned,
    ("pki-session-attacker", "certificate-trusted"): capif2e.pki_session_untrusted,
    ("token-relayed-by-attacker", "agreement-peer"): capif6.token_relayed_by_attacker_certified_by_another,
}
"""Where a step the model expects refused by a check is driven so that nothing before that check in
the implementation refuses it: a token the attacker signed claims a key id the AEF trusts; a
certificate TLS accepted is judged at a request, where the AEF checks it against the root its CCF
gave; a CCF without an agreement presents a certificate naming it from the CA of a CCF with one."""


class StepDriver:
    """Runs the steps of one trace on a target, following its plan. ``close()`` when done."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self._actors = Actors(target, plan)

    def prepare(self) -> None:
        """Bring the target to the trace's start (:func:`replay.wire.operator.prepare`)."""
        operator.prepare(self._actors)

    def run(self, step: Mapping[str, object]) -> Observation | None:
        """Drive one step; None when it is folded into a later one."""
        args, action = step["args"], step["action"]
        assert isinstance(args, dict) and isinstance(action, str)
        try:
            return self._handler(step, action)(self._actors, args)
        except TargetError as error:
            return failed(f"the target failed: {error}")

    @staticmethod
    def _handler(step: Mapping[str, object], action: str) -> Handler:
        if step.get("expect") != "refused":
            return HANDLERS[action]
        refused_by = step.get("refused_by")
        for check in refused_by if isinstance(refused_by, list) else ():
            handler = REFUSED_BY_HANDLERS.get((action, check))
            if handler is not None:
                return handler
        return REFUSED_HANDLERS.get(action) or HANDLERS[action]

    def close(self) -> None:
        self._actors.close()
