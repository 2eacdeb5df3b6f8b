"""The demo across providers (``capifsec demo --providers N``): an invoker onboarded at the last
provider's CCF (its home CCF) invokes the first provider's AEF with every CAPIF-2e method, the home CCF
relaying over CAPIF-6/6e as the profile says (contributions 000, 001, 002), then offboards.

Honest steps must succeed; a method the profile does not define across providers
(``interconnect-methods=psk-only``) must be refused at negotiation; after offboarding, the AEF of the
other provider refuses the invoker where the profile propagates revocations, and the step says it
still serves it (marked ``attack``) where it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from impl.apitypes.enums import SecurityMethod
from impl.demo_scenario import RESOURCE, Report, StepRunner, UnexpectedOutcomeError, refused
from impl.deployment import HELLO_API
from impl.deployment.interconnected import InterconnectedDeployment
from impl.invoker import AefTarget, ApiInvoker, Negotiated, RefusedError
from impl.settings import (
    CrossDomainTokenIssuer,
    InterconnectMethods,
    InterconnectMethodSelection,
    RevocationPropagation,
    Settings,
    TokenClaims,
)

PROVIDER_NAMES = "abcdefgh"
METHODS = (("/psk", SecurityMethod.PSK), ("/pki", SecurityMethod.PKI), ("/oauth", SecurityMethod.OAUTH))


class InterconnectScenario:
    """The steps over running providers: the AEF at the first, the invoker at the last."""

    def __init__(self, providers: InterconnectedDeployment, runner: StepRunner) -> None:
        self._providers = providers
        self._settings = providers.settings
        self._host = providers[providers.names[0]]
        self._home = providers[providers.names[-1]]
        self._run = runner.run
        self._invoker: ApiInvoker = self._home.invoker()
        self._targets: dict[str, AefTarget] = {}
        self._negotiated: dict[str, Negotiated] = {}
        self._token: str | None = None

    def close(self) -> None:
        self._invoker.close()

    def run(self) -> None:
        self._run("providers started and interconnected", self._started)
        if not self._run("onboarding at the home CCF", self._onboard):
            return
        if not self._run("discovery through the home CCF", self._discover):
            return
        for prefix, method in METHODS:
            self._method_steps(prefix, method)
        if self._negotiated:
            self._run("offboarding at the home CCF", self._offboard)
            propagated = self._settings.revocation_propagation is RevocationPropagation.CAPIF6_NOTIFY
            self._run(
                "after offboarding, the other provider's AEF",
                self._after_offboarding,
                attack=not propagated,
            )

    def _method_steps(self, prefix: str, method: SecurityMethod) -> None:
        if not self._defined(method):
            self._run(
                f"{method.value}: not defined across providers, refused", lambda: self._undefined(prefix)
            )
        elif self._run(
            f"{method.value}: negotiation relayed over CAPIF-6/6e", lambda: self._negotiate(prefix)
        ):
            self._run(f"{method.value}: invocation at the other provider's AEF", lambda: self._invoke(prefix))

    def _defined(self, method: SecurityMethod) -> bool:
        return self._settings.interconnect_methods is InterconnectMethods.ALL or method is SecurityMethod.PSK

    def _started(self) -> str:
        return "; ".join(
            f"{deployment.ccf_id}: CAPIF-1e :{deployment.ccf.capif1e_port},"
            f" CAPIF-6/6e :{deployment.interconnected_ccf.capif6_port}, AEF {deployment.aef.config.aef_id}"
            for deployment in self._providers.providers.values()
        )

    def _onboard(self) -> str:
        identity = self._invoker.onboard(self._home.onboarding_secret())
        return f"{identity.api_invoker_id} (home CCF {self._home.ccf_id})"

    def _discover(self) -> str:
        found = self._invoker.discover(api_name=HELLO_API, aef_id=self._host.aef.config.aef_id)
        self._targets = {target.api_prefix: target for target in found}
        if set(self._targets) != {"/psk", "/pki", "/oauth"} or {t.ccf_id for t in found} != {
            self._host.ccf_id
        }:
            raise UnexpectedOutcomeError(f"discovered {[(t.api_prefix, t.ccf_id) for t in found]}")
        return f"{HELLO_API} at {self._host.aef.config.aef_id}, ccfId {self._host.ccf_id}"

    def _negotiate(self, prefix: str) -> str:
        negotiated = self._invoker.negotiate([self._targets[prefix]])[0]
        wanted = {"/psk": SecurityMethod.PSK, "/pki": SecurityMethod.PKI, "/oauth": SecurityMethod.OAUTH}[
            prefix
        ]
        if negotiated.method is not wanted:
            raise UnexpectedOutcomeError(f"selected {negotiated.method.value}")
        self._negotiated[prefix] = negotiated
        if self._settings.interconnect_method_selection is InterconnectMethodSelection.AEF_CCF_SELECTS:
            return f"{wanted.value} selected by the AEF's CCF, relayed over CAPIF-6/6e"
        return f"{wanted.value} selected by the home CCF from the AEF's published methods"

    def _invoke(self, prefix: str) -> str:
        negotiated = self._negotiated[prefix]
        self._invoker.check_authentication(negotiated.target)
        token = None
        if negotiated.method is SecurityMethod.OAUTH:
            token = self._token = self._invoker.obtain_token(negotiated.target.aef_id, [HELLO_API])
        answer = self._invoker.invoke(negotiated, RESOURCE, token=token)
        if (
            not isinstance(answer, dict)
            or answer.get("apiInvokerId") != self._invoker.identity.api_invoker_id
        ):
            raise UnexpectedOutcomeError(f"unexpected answer {answer!r}")
        how = {
            SecurityMethod.PSK: "AEFPSK from the home CCF via the AEF's CCF",
            SecurityMethod.PKI: "root CA from the home CCF via the AEF's CCF",
            SecurityMethod.OAUTH: "token signed by the AEF's CCF, relayed by the home CCF"
            if self._settings.cross_domain_token_issuer is CrossDomainTokenIssuer.AEF_CCF
            else "token signed by the home CCF",
        }[negotiated.method]
        return f"check-authentication and GET {HELLO_API}/v1/greeting accepted ({how})"

    def _undefined(self, prefix: str) -> str:
        refusal = refused(lambda: self._invoker.negotiate([self._targets[prefix]]))
        if not isinstance(refusal, RefusedError) or refusal.cause != "NO_COMMON_SECURITY_METHOD":
            raise UnexpectedOutcomeError(f"refused otherwise: {refusal}")
        return f"{refusal.status} {refusal.cause} (interconnect-methods=psk-only)"

    def _offboard(self) -> str:
        self._invoker.offboard()
        return "DELETE onboardedInvokers answered 204 after the peers were told"

    def _after_offboarding(self) -> str:
        outcomes = []
        for prefix, negotiated in self._negotiated.items():
            token = self._token if negotiated.method is SecurityMethod.OAUTH else None
            if token is not None and self._settings.token_claims is TokenClaims.UNSAFE_TS29222:
                outcomes.append(f"{prefix}: its token names no invoker and stays usable until exp")
                continue
            if self._settings.revocation_propagation is RevocationPropagation.CAPIF6_NOTIFY:
                outcomes.append(f"{prefix}: refused ({refused(self._invocation(negotiated, token))})")
            else:
                self._invocation(negotiated, token)()
                outcomes.append(f"{prefix}: still served (revocation-propagation=none)")
        return "; ".join(outcomes)

    def _invocation(self, negotiated: Negotiated, token: str | None) -> Callable[[], object]:
        return lambda: self._invoker.invoke(negotiated, RESOURCE, token=token)


def run_interconnect_demo(settings: Settings, data_dir: Path, report: Report, *, providers: int) -> bool:
    """Run every step on fresh providers in ``data_dir``; True if all did what they should."""
    runner = StepRunner(report)
    names = tuple(PROVIDER_NAMES[:providers])
    with InterconnectedDeployment(data_dir, settings, providers=names) as running:
        scenario = InterconnectScenario(running, runner)
        try:
            scenario.run()
        finally:
            scenario.close()
    return bool(runner.results) and all(result.ok for result in runner.results)
