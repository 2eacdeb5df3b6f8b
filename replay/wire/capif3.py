"""The AEF's security information fetches (CAPIF-3, TS 33.122 clauses 6.5.2.1 and 6.5.2.2).

An honest AEF's fetch is driven through the Authentication Initiation Request that makes it ask its
CCF: ``aef-fetch-psk`` and ``aef-fetch-policy`` are check-authentication at once if the invoker has
negotiated for that AEF, otherwise they are folded (None) into its next session there.
``aef-fetch-certificate`` is check-authentication with the invoker's certificate at an interface for
PKI, so that the CCF's refusal to give certificate information without a PKI selection is seen where
the model places it.

An AEF the attacker controls asks itself: the attacker sends that AEF's request to the CCF with the
AEF's CCF-issued certificate and key (:func:`fetch_as_attacker`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from impl.aef.security_info import TRUSTED_INVOKERS
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.problems import ProblemError
from impl.apitypes.security import ServiceSecurity
from impl.http import HttpClientError, HttpsClient
from impl.tls import CertificateClientTls
from replay.observation import Observation, accepted, failed
from replay.wire.actors import Actors, Key, check_authentication_observed
from replay.wire.connection import attempt, exchanged, refusal_of

WITH_EVERYTHING = {"authenticationInfo": "true", "authorizationInfo": "true"}

Args = Mapping[str, str]


def fetch(actors: Actors, args: Args, *, method: SecurityMethod | None = None) -> Observation | None:
    """``aef-fetch-*``: check-authentication now if the invoker negotiated for the AEF; else, for a
    fetch of ``method``'s security information, check-authentication at an interface offering it
    (where the CCF has nothing of the invoker for this AEF to give); else folded."""
    if args["a"] in actors.plan.attacker_aefs:
        return fetch_as_attacker(actors, args)
    name, aef = args["i"], args["a"]
    invoker = actors.onboarded(name)
    if invoker is None:
        return None
    if args.get("b", aef) != aef:
        return _fetch_for_another_aef(actors, args)
    if aef in invoker.negotiated:
        invoker.initiated.discard(aef)
        return actors.initiate(name, aef)
    if method is None:
        return None
    target, problem = actors.interface(aef, method)
    if target is None:
        return problem or failed("no interface")
    home = actors.claimed_home(name, aef)
    _, problem = attempt(lambda: invoker.client.check_authentication(target, home_ccf_id=home))
    return check_authentication_observed(problem)


def _fetch_for_another_aef(actors: Actors, args: Args) -> Observation:
    """``aef-fetch-psk`` of ``i``'s AEFPSK for another AEF ``b``: the AEF's ``GET trustedInvokers``
    names no AEF, so what makes ``a`` ask is ``i``'s check-authentication at a PSK interface of ``a``;
    the CCF answers for ``a`` only (check ``ccf-releases-to-that-aef``)."""
    name, aef = args["i"], args["a"]
    invoker = actors.invokers[name]
    target, problem = actors.interface(aef, SecurityMethod.PSK)
    if target is None:
        return problem or failed("no interface")
    home = actors.claimed_home(name, aef)
    _, problem = attempt(lambda: invoker.client.check_authentication(target, home_ccf_id=home))
    return check_authentication_observed(problem)


def fetch_certificate(actors: Actors, args: Args) -> Observation | None:
    """``aef-fetch-certificate``: check-authentication where the invoker negotiated PKI for the AEF
    (TS 33.122 clause 6.5.2.2), else at an interface of the AEF offering PKI, where the CCF has no
    certificate information of the invoker to give; folded while the invoker is not onboarded."""
    if args["a"] in actors.plan.attacker_aefs:
        return fetch_as_attacker(actors, args)
    name, aef = args["i"], args["a"]
    invoker = actors.onboarded(name)
    if invoker is None:
        return None
    negotiated = invoker.negotiated.get(aef)
    if negotiated is not None and negotiated.method is SecurityMethod.PKI:
        invoker.initiated.discard(aef)
        return actors.initiate(name, aef)
    target, problem = actors.interface(aef, SecurityMethod.PKI)
    if target is None:
        return problem or failed("no interface")
    home = actors.claimed_home(name, aef)
    _, problem = attempt(lambda: invoker.client.check_authentication(target, home_ccf_id=home))
    return check_authentication_observed(problem)


def fetch_as_attacker(actors: Actors, args: Args) -> Observation:
    """A fetch by an AEF the attacker controls: ``GET trustedInvokers/{apiInvokerId}`` with
    ``authenticationInfo`` and ``authorizationInfo`` (TS 29.222 clause 8.5.2.2.3.2) over CAPIF-3,
    with that AEF's certificate and key; for ``aef-fetch-psk`` the AEFPSK in the answer becomes the
    attacker's key ``k``."""
    held = actors.plan.attacker_aefs[args["a"]]
    invoker_id = actors.id_of(args["i"])
    tls = CertificateClientTls(
        actors.plan.provider_of_aef(args["a"]).ca_certificate, credential=held.credential
    )
    ccf = held.ccf_capif3
    path = TRUSTED_INVOKERS + urllib.parse.quote(invoker_id, safe="")
    with HttpsClient(tls, ccf.host, ccf.port, server_name=ccf.server_name) as client:
        response, problem = exchanged(lambda: client.get(path, query=WITH_EVERYTHING))
    if response is None:
        return problem or failed("no answer")
    if response.status != 200:
        return refusal_of(response)
    try:
        answer = ServiceSecurity.read_answer(response.json())
    except (HttpClientError, ProblemError) as error:
        return failed(f"200, but not a ServiceSecurity: {error}")
    who = f"{held.aef.aef_id}, whose keys the attacker holds"
    if "k" not in args:
        return accepted(f"200 OK: the CCF answered {who}")
    psks = [
        entry.authentication_info
        for entry in answer.security_info
        if entry.sel_security_method is SecurityMethod.PSK and entry.authentication_info
    ]
    if not psks:
        return failed(f"200 OK, but no AEFPSK of {invoker_id} for {who}")
    try:
        actors.keys[args["k"]] = Key(bytes.fromhex(psks[0]), None)
    except ValueError:
        return failed("200 OK, but the AEFPSK is not hexadecimal")
    return accepted(f"200 OK: the CCF gave {who}, the AEFPSK of {invoker_id}")
