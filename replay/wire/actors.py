"""Who plays whom during one trace: the real API invokers behind the trace's invokers, the
certificates, keys and tokens the steps create, the CAPIF-2e sessions kept open between steps, the
methods each AEF offers, and the replayer's scout; with the lookups the steps share (Discover, the
scout, check-authentication, the access control policy).

Every invoker of a trace, honest or not, is an :class:`impl.invoker.ApiInvoker` of its own (its own
onboarding secret, key pair, CCF-issued certificate and API invoker ID); the attacker uses those of the
dishonest invokers and the keys it makes up.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.ccf.identity import invoker_id_of
from impl.invoker import AefTarget, ApiInvoker, Negotiated
from impl.tls import ClientTls
from replay.observation import Observation, accepted, failed
from replay.plan import Plan
from replay.target import Capability, Target, TargetApi, TargetProvider
from replay.wire.connection import Session, attempt

SessionKey = tuple[str, str, SecurityMethod, bool]
"""(AEF, invoker, method, opened by the attacker)"""


@dataclass
class Invoker:
    """A real API invoker playing one of the trace's invokers."""

    client: ApiInvoker
    negotiated: dict[str, Negotiated] = field(default_factory=dict)
    initiated: set[str] = field(default_factory=set)
    """AEFs it sent check-authentication to since it last negotiated for them"""


@dataclass(frozen=True)
class Key:
    """A PSK the trace names: an AEFPSK and the interface it was derived for, or one made up."""

    value: bytes
    target: AefTarget | None


def check_authentication_observed(problem: Observation | None) -> Observation:
    """What check-authentication gave, named as such."""
    if problem is None:
        return accepted("check-authentication: 200 OK")
    return Observation(False, f"check-authentication: {problem.summary}", problem.refusal)


def choose(found: list[AefTarget], method: SecurityMethod, previous: AefTarget | None) -> AefTarget:
    """The interface to use for ``method``: the one used before if it offers it, else one offering
    only it, else any offering it, else the first (the CCF will then refuse, as it should)."""
    offering = [target for target in found if method in target.methods]
    if previous is not None:
        key = previous.interface.address_key()
        same = [target for target in offering if target.interface.address_key() == key]
        if same:
            return same[0]
    only = [target for target in offering if set(target.methods) == {method}]
    return (only or offering or found)[0]


def _made_up_id(home: TargetProvider) -> str:
    """An API invoker ID as ``home``'s CCF assigns them (``INV<120 bits in hex>@<ccfId>``)."""
    return invoker_id_of("INV" + secrets.token_hex(15), home.ccf_id)


class Actors:
    """The state of one trace on a target. ``close()`` when done."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self.target = target
        self.plan = plan
        self.supported: dict[str, frozenset[SecurityMethod]] = dict(plan.methods)
        """The methods each of the trace's AEFs supports now (``method-enable``/``-disable``)."""
        self.offered: dict[tuple[str, str], frozenset[SecurityMethod]] = {}
        """(aefId, interface) -> the methods the replayer last set there"""
        self.invokers: dict[str, Invoker] = {}
        self.ids: dict[str, str] = {}
        """the trace's invokers onboarded so far -> their API invoker IDs"""
        self.claimed = {name: _made_up_id(plan.home_of(name)) for name in plan.homes}
        """the ID the attacker names for an invoker not onboarded (yet): one its home CCF would assign"""
        self.certificates: dict[str, pki.CertifiedKey] = {}
        self.certificates_to_issue: dict[str, tuple[str, str]] = {}
        """certificates a CCF the attacker controls is to issue when first used -> (that CCF, invoker)"""
        self._attacker_credentials: dict[tuple[str, str], pki.CertifiedKey] = {}
        self.keys: dict[str, Key] = {}
        self.tokens: dict[str, str] = {}
        self.attacker_signed: dict[str, Mapping[str, str]] = {}
        """tokens a CCF the attacker controls signed -> the arguments of that step"""
        self.held: dict[tuple[str, str], str] = {}
        self._versions: dict[tuple[str, str], str] = {}
        self._sessions: dict[SessionKey, Session] = {}
        self._scouts: dict[str, ApiInvoker] = {}
        self.cas = list(
            {provider.name: provider.ca_certificate for provider in plan.providers.values()}.values()
        )
        """The CAs of every provider the trace uses (an invoker reaches the AEFs of all of them)."""

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        for invoker in self.invokers.values():
            invoker.client.close()
        for scout in self._scouts.values():
            scout.close()

    def new_invoker(self, home: TargetProvider) -> ApiInvoker:
        """A new API invoker of ``home``'s CCF, trusting every provider's CA for AEFs."""
        return ApiInvoker(
            home.ccf,
            home.ca_certificate,
            notification_destination=self.target.notification_destination,
            aefpsk_derivation=self.target.aefpsk_derivation,
            aef_ca_certificates=[ca for ca in self.cas if ca != home.ca_certificate],
        )

    def claimed_home(self, name: str, aef: str) -> str | None:
        """The ``ccfId`` an invoker names in check-authentication at an AEF of another provider (its
        home CCF, contribution 001 6.X.3.1); None at its own provider's AEF."""
        home, host = self.plan.home_of(name), self.plan.provider_of_aef(aef)
        return None if home.name == host.name else home.ccf_id

    def id_of(self, invoker: str) -> str:
        """The apiInvokerId playing ``invoker``: its own once onboarded, before that the one the attacker
        names for it (its model name if it has no home CCF)."""
        return self.ids.get(invoker) or self.claimed.get(invoker, invoker)

    def attacker_credential(self, ccf: str, invoker: str) -> pki.CertifiedKey:
        """A certificate the CA of ``ccf`` (a CCF the attacker controls) issued naming ``invoker``, for a
        key the attacker holds; the same one for the rest of the trace."""
        key = (ccf, invoker)
        if key not in self._attacker_credentials:
            attacker = self.plan.attacker_ccfs[ccf]
            self._attacker_credentials[key] = attacker.certify_invoker(self.id_of(invoker))
        return self._attacker_credentials[key]

    def certificate(self, name: str) -> pki.CertifiedKey | None:
        """The certificate ``name`` of the trace, issued now if the attacker's CCF is to issue it."""
        if name not in self.certificates and name in self.certificates_to_issue:
            self.certificates[name] = self.attacker_credential(*self.certificates_to_issue[name])
        return self.certificates.get(name)

    def onboarded(self, invoker: str) -> Invoker | None:
        return self.invokers.get(invoker) if invoker in self.ids else None

    def aef_id(self, aef: str) -> str:
        return self.plan.aefs[aef].aef_id

    def discover(self, aef: str, finder: ApiInvoker) -> tuple[list[AefTarget], Observation | None]:
        """Discover (TS 29.222 clause 8.1) as ``finder`` the interfaces of every API at ``aef`` it may
        discover (possibly none); the interfaces of :meth:`Plan.negotiated_api` come first."""
        aef_id, api = self.aef_id(aef), self.plan.negotiated_api(aef)
        found, problem = attempt(lambda: finder.discover(aef_id=aef_id))
        if problem is not None or found is None:
            return [], problem or failed("discovery gave no answer")
        for target in found:
            self._versions[(target.aef_id, target.api_name)] = target.api_version
        return sorted(found, key=lambda target: target.api_name != api.name), None

    def _none_found(self, aef: str) -> Observation:
        return failed(f"discovery finds no interface at {self.aef_id(aef)}")

    def discover_as_scout(self, aef: str) -> tuple[list[AefTarget], Observation | None]:
        """:meth:`discover` as the scout of ``aef``'s provider, which may discover every API."""
        scout, problem = self.scout(self.plan.provider_of_aef(aef))
        if scout is None:
            return [], problem
        found, problem = self.discover(aef, scout)
        return (found, None) if found else ([], problem or self._none_found(aef))

    def api_of(self, aef: str, target: AefTarget) -> TargetApi:
        """The target's API among ``aef``'s (:meth:`Plan.negotiated_api` if it is none of them)."""
        apis = self.plan.aefs[aef].apis
        return next((api for api in apis if api.name == target.api_name), self.plan.negotiated_api(aef))

    def path(self, target: AefTarget, api: TargetApi) -> str:
        """The path of ``api``'s resource at ``target``'s interface (TS 29.122 clause 5.2.4), with the
        version discovery gave for that API at that AEF."""
        version = self._versions.get((target.aef_id, api.name), target.api_version)
        return f"{target.api_prefix}/{api.name}/{version}{api.resource}"

    def scout(self, provider: TargetProvider) -> tuple[ApiInvoker | None, Observation | None]:
        """The replayer's own invoker at ``provider``, onboarded on first use and admitted to every API
        there so that it can discover interfaces for the attacker (their addresses are public; it never
        negotiates)."""
        if provider.name not in self._scouts:
            scout = self.new_invoker(provider)
            secret = self.target.onboarding_secret(provider.name)
            identity, problem = attempt(lambda: scout.onboard(secret, information="capifsec replay scout"))
            if identity is None:
                scout.close()
                return None, problem
            self._scouts[provider.name] = scout
            self.update_audiences()
        return self._scouts[provider.name], None

    def interface(self, aef: str, method: SecurityMethod) -> tuple[AefTarget | None, Observation | None]:
        """An interface of ``aef`` offering ``method`` now, as the scout discovers it."""
        found, problem = self.discover_as_scout(aef)
        return (choose(found, method, None), None) if problem is None else (None, problem)

    def initiate(self, name: str, aef: str) -> Observation | None:
        """check-authentication of ``name`` at the interface it negotiated for ``aef`` (the
        Authentication Initiation Request, TS 33.122 clause 6.5.2.1), unless sent since it negotiated;
        None when nothing was sent."""
        invoker = self.invokers[name]
        negotiated = invoker.negotiated.get(aef)
        if negotiated is None or aef in invoker.initiated:
            return None
        home = self.claimed_home(name, aef)
        _, problem = attempt(lambda: invoker.client.check_authentication(negotiated.target, home_ccf_id=home))
        if problem is None:
            invoker.initiated.add(aef)
        return check_authentication_observed(problem)

    def session(self, key: SessionKey) -> Session | None:
        return self._sessions.get(key)

    def open_session(self, key: SessionKey, target: AefTarget, tls: ClientTls) -> Session:
        """A new CAPIF-2e connection under ``key`` (replacing one opened before)."""
        previous = self._sessions.pop(key, None)
        if previous is not None:
            previous.close()
        session = Session(target, tls)
        self._sessions[key] = session
        return session

    def update_audiences(self) -> None:
        """Each (AEF, API) the steps use admits, by the policy of the AEF's CCF and of each home CCF
        of the trace's invokers that is interconnected with it (no other CCF's policy is ever asked
        about the AEF), exactly the onboarded invokers that policy allows (and the scouts); the AEFs'
        other APIs stay open (no step reads the policy there)."""
        if Capability.POLICY not in self.target.capabilities:
            return
        for aef, api in self.plan.pairs:
            host = self.plan.aef_ccfs[aef]
            hosting = self.plan.providers[host].name
            for ccf in dict.fromkeys([host, *self.plan.homes.values()]):
                provider = self.plan.providers[ccf]
                if ccf != host and not self.target.interconnected(hosting, provider.name):
                    continue
                names = dict.fromkeys([*self.ids, *self.claimed])
                admitted = [self.id_of(name) for name in names if (ccf, name, aef, api) in self.plan.allowed]
                scout = self._scouts.get(provider.name)
                if scout is not None:
                    admitted.append(scout.identity.api_invoker_id)
                name = self.plan.api(aef, api).name
                self.target.set_audience(provider.name, self.aef_id(aef), name, admitted)
