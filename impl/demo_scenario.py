"""The demo's scenario: every step a CAPIF deployment goes through, and what each must do under the
profile's settings (so that exit 0 means "every step did what it should under this profile").

Honest steps (must succeed): onboarding, discovery, negotiation, token, check-authentication and
invocation with each method; the security method update and re-negotiation (contribution 004);
offboarding reaching the AEF (TS 33.122 clause 6.2). Checks that something is refused (a replayed
onboarding secret, the old method after an update, requests after offboarding) expect what the
settings imply; where a profile lets an attacker through, the step says so and is marked ``attack``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment
from impl.invoker import AefTarget, ApiInvoker, ConnectionFailedError, InvokerError, Negotiated, RefusedError
from impl.settings import AefMethodCheck, MismatchIndication, TokenClaims, TokenClientBinding

RESOURCE = "/greeting"
Report = Callable[[str], None]


class UnexpectedOutcomeError(Exception):
    """A step did not do what it should under the profile; the message says what happened instead."""


@dataclass
class StepResult:
    number: int
    title: str
    ok: bool
    detail: str
    attack: bool


class StepRunner:
    """Runs steps in order, prints one line each, keeps the results."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self.results: list[StepResult] = []

    def run(self, title: str, action: Callable[[], str], *, attack: bool = False) -> bool:
        try:
            detail, ok = action(), True
        except (UnexpectedOutcomeError, InvokerError) as failure:
            detail, ok = str(failure), False
        result = StepResult(len(self.results) + 1, title, ok, detail, attack)
        self.results.append(result)
        label = "ok  " if ok else "FAIL"
        marker = " [attack]" if attack else ""
        self._report(f"[{label}] {result.number:2d} {title}{marker}: {detail}")
        return ok


def refused(action: Callable[[], object]) -> InvokerError:
    """The refusal ``action`` ends in; :class:`UnexpectedOutcomeError` when it is accepted."""
    try:
        action()
    except (RefusedError, ConnectionFailedError) as error:
        return error
    raise UnexpectedOutcomeError("accepted, but should have been refused")


def _by_prefix(items: list[Negotiated]) -> dict[str, Negotiated]:
    return {item.target.api_prefix: item for item in items}


class Scenario:
    """The demo's steps over one running deployment."""

    def __init__(self, deployment: Deployment, runner: StepRunner) -> None:
        self._deployment = deployment
        self._settings = deployment.settings
        self._run = runner.run
        self._alice = deployment.invoker()
        self._bob = deployment.invoker()
        self._negotiated: dict[str, dict[str, Negotiated]] = {}
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self._alice.close()
        self._bob.close()

    def _targets(self, invoker: ApiInvoker) -> list[AefTarget]:
        targets = invoker.discover(api_name=HELLO_API)
        if {target.api_prefix for target in targets} != {"/psk", "/pki", "/oauth"}:
            raise UnexpectedOutcomeError(
                f"discovered {len(targets)} interfaces, expected /psk, /pki and /oauth"
            )
        return targets

    def _invoke_all(self, name: str, invoker: ApiInvoker) -> str:
        answers = []
        for negotiated in self._negotiated[name].values():
            invoker.check_authentication(negotiated.target)
            token = self._tokens[name] if negotiated.method is SecurityMethod.OAUTH else None
            answer = invoker.invoke(negotiated, RESOURCE, token=token)
            if not isinstance(answer, dict) or answer.get("securityMethod") != negotiated.method.value:
                raise UnexpectedOutcomeError(f"unexpected answer {answer!r}")
            answers.append(f"{negotiated.target.api_prefix} {negotiated.method.value}")
        return "check-authentication and GET hello/v1/greeting accepted on " + ", ".join(answers)

    def _set_up(self, name: str, invoker: ApiInvoker) -> str:
        identity = invoker.onboard(self._deployment.onboarding_secret())
        targets = self._targets(invoker)
        self._negotiated[name] = _by_prefix(invoker.negotiate(targets))
        aef_id = targets[0].aef_id
        self._tokens[name] = invoker.obtain_token(aef_id, [HELLO_API])
        return f"{identity.api_invoker_id}: onboarded, negotiated, token obtained; " + self._invoke_all(
            name, invoker
        )

    def run(self) -> None:
        """Every step in order; a failed step does not stop the later ones unless they depend on it."""
        deployment = self._deployment
        self._run("deployment started", self._started)
        secret = deployment.onboarding_secret()
        if not self._run("onboarding (CAPIF-1e, one-time secret, CSR)", lambda: self._onboard(secret)):
            return
        self._run("a replayed onboarding secret is refused", lambda: self._replayed(secret))
        self._run("discovery", lambda: f"{len(self._targets(self._alice))} interfaces of {HELLO_API}")
        if not self._run("security method negotiation", self._negotiate):
            return
        self._run("access token (client credentials)", self._token)
        self._run(
            "check-authentication and invocation with PSK, PKI and OAUTH",
            lambda: self._invoke_all("alice", self._alice),
        )
        if self._run("a second invoker, bob, does the same", lambda: self._set_up("bob", self._bob)):
            self._run("bob asks for a token naming alice", self._impersonation, attack=True)
            self._run("bob offboards", self._offboard_bob)
            self._run("after offboarding, the AEF accepts nothing from bob", self._after_offboarding)
        self._run("the APF changes interface /psk from PSK to PKI", self._update_methods)
        self._run("alice's old method (PSK) is refused", self._old_method)
        self._run("alice re-negotiates and invokes with the new method", self._renegotiate)

    def _started(self) -> str:
        ccf, aef = self._deployment.ccf, self._deployment.aef
        interfaces = ", ".join(
            f"{name} :{interface.port} ({'/'.join(method.value for method in interface.methods)})"
            for name, interface in aef.interfaces.items()
        )
        return f"CCF CAPIF-1e :{ccf.capif1e_port}, CAPIF-3/4/5 :{ccf.capif345_port}; AEF {interfaces}"

    def _onboard(self, secret: str) -> str:
        identity = self._alice.onboard(secret)
        subject = identity.credential.certificate.subject.rfc4514_string()
        return f"alice is {identity.api_invoker_id}, certificate {subject} from the CCF"

    def _replayed(self, secret: str) -> str:
        intruder = self._deployment.invoker()
        refusal = refused(lambda: intruder.onboard(secret))
        if not isinstance(refusal, RefusedError) or refusal.status != 401:
            raise UnexpectedOutcomeError(f"refused, but not with 401: {refusal}")
        return f"401 {refusal.cause}"

    def _negotiate(self) -> str:
        self._negotiated["alice"] = _by_prefix(self._alice.negotiate(self._targets(self._alice)))
        selected = {prefix: item.method for prefix, item in self._negotiated["alice"].items()}
        wanted = {"/psk": SecurityMethod.PSK, "/pki": SecurityMethod.PKI, "/oauth": SecurityMethod.OAUTH}
        if selected != wanted:
            raise UnexpectedOutcomeError(f"selected {selected}")
        return "PSK on /psk (AEFPSK derived from the CAPIF-1e session), PKI on /pki, OAUTH on /oauth"

    def _token(self) -> str:
        aef_id = self._negotiated["alice"]["/oauth"].target.aef_id
        self._tokens["alice"] = self._alice.obtain_token(aef_id, [HELLO_API])
        return f"JWS, claim set {self._settings.token_claims}, scope {aef_id}:{HELLO_API}"

    def _impersonation(self) -> str:
        alice_id = self._alice.identity.api_invoker_id
        aef_id = self._negotiated["bob"]["/oauth"].target.aef_id
        if self._settings.token_client_binding is TokenClientBinding.BOUND:
            refusal = refused(lambda: self._bob.obtain_token(aef_id, [HELLO_API], client_id=alice_id))
            return f"refused ({refusal}); the token endpoint binds client_id to the authenticated invoker"
        token = self._bob.obtain_token(aef_id, [HELLO_API], client_id=alice_id)
        answer = self._bob.invoke(self._negotiated["bob"]["/oauth"], RESOURCE, token=token)
        return f"the profile lets it through (token-client-binding=unbound): the AEF answered {answer!r}"

    def _offboard_bob(self) -> str:
        self._bob.offboard()
        return "DELETE onboardedInvokers answered 204 after the CCF told the AEF (revoke-authorization)"

    def _after_offboarding(self) -> str:
        outcomes = []
        for prefix, negotiated in self._negotiated["bob"].items():
            token = self._tokens["bob"] if negotiated.method is SecurityMethod.OAUTH else None
            if (
                negotiated.method is SecurityMethod.OAUTH
                and self._settings.token_claims is TokenClaims.UNSAFE_TS29222
            ):
                self._bob.invoke(negotiated, RESOURCE, token=token)
                outcomes.append(f"{prefix}: token still accepted until exp (ts29222 tokens name no invoker)")
                continue
            outcomes.append(f"{prefix}: {refused(self._invocation(self._bob, negotiated, token))}")
        return "; ".join(outcomes)

    @staticmethod
    def _invocation(invoker: ApiInvoker, negotiated: Negotiated, token: str | None) -> Callable[[], object]:
        return lambda: invoker.invoke(negotiated, RESOURCE, token=token)

    def _update_methods(self) -> str:
        self._deployment.update_methods("psk", [SecurityMethod.PKI], propagate=True)
        return "AEF reconfigured, then PUT published-apis/.../service-apis/{apiId} by the APF"

    def _old_method(self) -> str:
        old = self._negotiated["alice"]["/psk"]
        if self._settings.aef_method_check is AefMethodCheck.UNSAFE_CACHED_SECURITY_INFO:
            self._alice.invoke(old, RESOURCE)
            return "the profile lets the old method through (aef-method-check=cached-security-info)"
        failure = refused(lambda: self._alice.invoke(old, RESOURCE))
        refusal = refused(lambda: self._alice.check_authentication(old.target))
        if not isinstance(refusal, RefusedError):
            raise UnexpectedOutcomeError(f"check-authentication failed without an answer: {refusal}")
        if self._settings.mismatch_indication is MismatchIndication.ON and not refusal.is_method_mismatch:
            raise UnexpectedOutcomeError(f"expected a mismatch indication, got {refusal}")
        if self._settings.mismatch_indication is MismatchIndication.OFF and refusal.is_method_mismatch:
            raise UnexpectedOutcomeError("mismatch-indication is off, yet the AEF indicated a mismatch")
        return f"PSK handshake: {failure}; check-authentication: {refusal.status} {refusal.cause}"

    def _renegotiate(self) -> str:
        targets = [target for target in self._targets(self._alice) if target.api_prefix == "/psk"]
        negotiated = self._alice.negotiate(targets)[0]
        if negotiated.method is not SecurityMethod.PKI:
            raise UnexpectedOutcomeError(f"re-negotiation selected {negotiated.method}")
        self._alice.check_authentication(negotiated.target)
        answer = self._alice.invoke(negotiated, RESOURCE)
        return f"POST trustedInvokers/{{id}}/update selected PKI; the AEF answered {answer!r}"
