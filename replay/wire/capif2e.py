"""The CAPIF-2e steps of a trace: TLS-PSK and TLS-PKI sessions, invocations on them, invocations with
an access token, and the method mismatch failure (TS 33.122 clauses 6.5.2.1 to 6.5.2.3,
contribution 004)."""

from __future__ import annotations

from collections.abc import Mapping

from impl.apitypes.enums import SecurityMethod
from impl.tls import CertificateClientTls, PskClientTls
from replay.observation import HANDSHAKE_REFUSED, Observation, accepted, failed, then
from replay.wire.actors import Actors, check_authentication_observed
from replay.wire.attacker import token_posing_as_trusted
from replay.wire.connection import Session, attempt, one_request

MISMATCH = "403 SECURITY_METHOD_MISMATCH"
Args = Mapping[str, str]


def psk_session(actors: Actors, args: Args, *, attacker: bool) -> Observation:
    """TLS 1.2 PSK with identity = the API invoker ID and the key the trace names, kept open; an
    honest invoker first sends check-authentication if it has not since it negotiated."""
    aef, name, key = args["a"], args["i"], actors.keys.get(args["k"])
    if key is None:
        return failed(f"no key {args['k']} is known")
    initiation = None
    if not attacker:
        if actors.onboarded(name) is None:
            return failed(f"{name} is not onboarded")
        initiation = actors.initiate(name, aef)
        if initiation is not None and not initiation.accepted:
            return initiation
    target = key.target
    if target is None or target.aef_id != actors.aef_id(aef):
        target, problem = actors.interface(aef, SecurityMethod.PSK)
        if target is None:
            return problem or failed("no interface")
    tls = PskClientTls(actors.id_of(name), key.value)
    session = actors.open_session((aef, name, SecurityMethod.PSK, attacker), target, tls)
    return then(initiation, session.open())


def pki_session(actors: Actors, args: Args, *, attacker: bool) -> Observation:
    """TLS with the certificate the trace names, kept open, and check-authentication on it (the AEF
    decides per request, so the handshake alone says nothing)."""
    aef, name = args["a"], args["i"]
    credential = actors.certificate(args["ct"])
    if credential is None:
        return failed(f"no certificate {args['ct']} was issued")
    honest = None if attacker else actors.invokers.get(name)
    negotiated = None if honest is None else honest.negotiated.get(aef)
    target = negotiated.target if negotiated and negotiated.method is SecurityMethod.PKI else None
    if target is None:
        target, problem = actors.interface(aef, SecurityMethod.PKI)
        if target is None:
            return problem or failed("no interface")
    tls = CertificateClientTls(actors.cas, credential=credential)
    session = actors.open_session((aef, name, SecurityMethod.PKI, attacker), target, tls)
    opened = session.open()
    if not opened.accepted:
        return opened
    initiation = session.check_authentication(actors.id_of(name), actors.claimed_home(name, aef))
    if initiation.accepted and honest is not None:
        honest.initiated.add(aef)
    return then(opened, check_authentication_observed(None if initiation.accepted else initiation))


def pki_session_untrusted(actors: Actors, args: Args) -> Observation:
    """``pki-session-attacker`` that the model refuses for the certificate: the session as
    :func:`pki_session` opens it, then a request for the API the invoker negotiated for, because the
    AEF decides on a certificate that TLS accepted per request (TS 33.122 clause 6.5.2.2: the root CA
    its CCF gave for the invoker); an accepted answer is the certificate accepted."""
    opened = pki_session(actors, args, attacker=True)
    if not opened.accepted:
        return opened
    aef, name = args["a"], args["i"]
    session = actors.session((aef, name, SecurityMethod.PKI, True))
    if session is None:
        return failed(f"no PKI session of the attacker at {aef} is open")
    path = actors.path(session.target, actors.plan.negotiated_api(aef))
    return then(opened, served(actors, session.get(path), name, SecurityMethod.PKI))


def served(actors: Actors, observation: Observation, name: str, method: SecurityMethod) -> Observation:
    """An accepted answer of the ``hello`` kind must name the invoker and the method it was served as
    (the model's ``served(a, i, x)``); an answer naming no invoker is a token whose claim set names
    none (TS 29.222 ``AccessTokenClaims``)."""
    body = observation.body
    if not observation.accepted or not isinstance(body, dict):
        return observation
    served_as, served_by = body.get("apiInvokerId"), body.get("securityMethod")
    if served_as not in (None, actors.id_of(name)):
        return failed(f"200 OK, but served as {served_as}; the trace has {name} ({actors.id_of(name)})")
    if served_by is not None and served_by != method.value:
        return failed(f"200 OK, but over {served_by}; the trace has {method.value}")
    who = name if served_as is not None else "the token's bearer (no invoker named)"
    return accepted(f"200 OK: served {who} over {method.value}", body)


def invoke(actors: Actors, args: Args, *, attacker: bool) -> Observation:
    """``GET`` the API's resource on the session the trace's invoker (or the attacker) opened."""
    aef, name, method = args["a"], args["i"], SecurityMethod(args["m"])
    session = actors.session((aef, name, method, attacker))
    if session is None:
        return failed(f"no {method.value} session of {name} at {aef} is open")
    path = actors.path(session.target, actors.plan.api(aef, args["x"]))
    return served(actors, session.get(path), name, method)


def oauth_invoke(actors: Actors, args: Args, *, attacker: bool, token: str | None = None) -> Observation:
    """``GET`` with ``Authorization: Bearer`` over server-authenticated TLS: an honest invoker at the
    interface it negotiated OAUTH on, the attacker at any interface offering OAUTH; ``token`` instead
    of the trace's token ``t`` when given."""
    aef = args["a"]
    token = token or actors.tokens.get(args["t"])
    if token is None:
        return failed(f"no token {args['t']} was issued")
    invoker = None if attacker else actors.invokers.get(args["j"])
    negotiated = None if invoker is None else invoker.negotiated.get(aef)
    target = negotiated.target if negotiated and negotiated.method is SecurityMethod.OAUTH else None
    if target is None:
        target, problem = actors.interface(aef, SecurityMethod.OAUTH)
        if target is None:
            return problem or failed("no interface")
    tls = CertificateClientTls(actors.cas)
    path = actors.path(target, actors.plan.api(aef, args["x"]))
    answer = one_request(target, tls, path, {"Authorization": f"Bearer {token}"})
    return served(actors, answer, args["i"], SecurityMethod.OAUTH)


def oauth_invoke_unsigned(actors: Actors, args: Args) -> Observation:
    """``oauth-invoke-attacker`` that the model refuses for the token's signer: the attacker presents
    its token claiming the key id and issuer of the AEF's own CCF, so that the header names a key the
    AEF trusts and the signature itself is what must refuse it (TS 33.122 clause 6.5.2.3); as the
    trace has it when the target does not name that key id."""
    posing = token_posing_as_trusted(actors, args)
    return oauth_invoke(actors, args, attacker=True, token=posing)


def oauth_invoke_dishonest_aef(actors: Actors, args: Args) -> Observation:
    """``oauth-invoke-dishonest-aef``: the honest invoker ``j`` invokes ``x`` with its token ``t`` at
    the AEF ``a`` the attacker controls, as :func:`oauth_invoke` does at an honest one. That AEF's keys
    are the attacker's, so the step is the token reaching it over TLS (an answer over HTTP, whatever
    the attacker's AEF says); the token is the attacker's from then on."""
    answer = oauth_invoke(actors, {**args, "i": args["j"]}, attacker=False)
    if answer.accepted or answer.refusal not in (None, HANDSHAKE_REFUSED):
        return accepted(f"the token reached {args['a']}, which the attacker controls: {answer.summary}")
    return answer


def mismatch_failure(actors: Actors, args: Args) -> Observation:
    """The invoker uses its old method at its old interface and must get the mismatch failure: PKI a
    request with its certificate, OAUTH one with its token (check-authentication when it holds none),
    PSK the handshake (refused at TLS) and then check-authentication."""
    name, aef, method = args["i"], args["a"], SecurityMethod(args["m"])
    invoker = actors.onboarded(name)
    negotiated = None if invoker is None else invoker.negotiated.get(aef)
    if invoker is None or negotiated is None or negotiated.method is not method:
        return failed(f"{name} has not negotiated {method.value} for {aef}")
    invoker.initiated.discard(aef)
    target = negotiated.target
    path = actors.path(target, actors.api_of(aef, target))
    ca = actors.cas
    first: Observation | None = None
    if method is SecurityMethod.PKI:
        tls = CertificateClientTls(ca, credential=invoker.client.identity.credential)
        answer = one_request(target, tls, path, {})
    elif method is SecurityMethod.OAUTH and (name, aef) in actors.held:
        bearer = {"Authorization": f"Bearer {actors.held[(name, aef)]}"}
        answer = one_request(target, CertificateClientTls(ca), path, bearer)
    else:
        if method is SecurityMethod.PSK and negotiated.aefpsk is not None:
            probe = Session(target, PskClientTls(actors.id_of(name), negotiated.aefpsk))
            first = probe.open()
            probe.close()
            if first.accepted:
                return failed("the TLS-PSK handshake with the old method succeeded")
        home = actors.claimed_home(name, aef)
        _, problem = attempt(lambda: invoker.client.check_authentication(target, home_ccf_id=home))
        answer = check_authentication_observed(problem)
    if answer.refusal == MISMATCH:
        return then(first, accepted(f"{answer.summary}: the mismatch failure"))
    return then(first, failed(answer.summary))
