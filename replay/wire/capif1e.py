"""The CAPIF-1e steps of a trace, between an API invoker and its CCF: onboarding, security method
negotiation, access tokens, offboarding, and an invoker asking to revoke another's authorization
(TS 33.122 clauses 6.1 to 6.3 and 6.5.2.3; TS 29.222 clauses 8.4 and 8.5)."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Mapping, Sequence

from impl.apitypes.enums import SecurityMethod
from impl.http import ClientResponse, HttpsClient
from impl.invoker import AefTarget
from impl.tls import Capif1eClientTls
from replay.observation import Observation, accepted, failed
from replay.target import TargetApi
from replay.wire.actors import Actors, Invoker, Key, choose
from replay.wire.connection import attempt, exchanged, refusal_of

Args = Mapping[str, str]
Request = Callable[[HttpsClient], ClientResponse]
TRUSTED_INVOKERS = "/capif-security/v1/trustedInvokers/"
SECURITIES = "/capif-security/v1/securities/"


def onboard(actors: Actors, args: Args) -> Observation:
    """``POST onboardedInvokers`` with a CSR and a fresh onboarding secret (TS 33.122 clause 6.1)."""
    name = args["i"]
    home = actors.plan.providers[args["c"]]
    invoker = actors.invokers.setdefault(name, Invoker(actors.new_invoker(home)))
    secret = actors.target.onboarding_secret(home.name)
    identity, problem = attempt(lambda: invoker.client.onboard(secret))
    if identity is None:
        return problem or failed("onboarding gave no identity")
    actors.ids[name] = identity.api_invoker_id
    actors.certificates[args["ct"]] = identity.credential
    actors.update_audiences()
    return accepted(f"201 Created: apiInvokerId {identity.api_invoker_id}")


def _same_interface(found: list[AefTarget], chosen: AefTarget, apis: Sequence[TargetApi]) -> list[AefTarget]:
    """One negotiation entry per API in ``apis`` at ``chosen``'s interface (the model negotiates for
    the AEF as a whole; TS 29.222 entries name an interface and an API); ``chosen`` alone when the
    interface serves none of them."""
    key = chosen.interface.address_key()
    at_interface = {t.api_name: t for t in found if t.interface.address_key() == key}
    return [at_interface[api.name] for api in apis if api.name in at_interface] or [chosen]


def without_credential(actors: Actors, name: str, home: str, request: Request) -> Observation:
    """A request of an invoker that holds no CCF-issued certificate (it never onboarded) on CAPIF-1e:
    server-authenticated TLS only, as for onboarding; the CCF must refuse it (TS 33.122 clause 6.2,
    contribution 004: CAPIF-1e with mutual TLS after onboarding)."""
    provider = actors.plan.providers[home]
    tls = Capif1eClientTls(provider.ca_certificate)
    ccf = provider.ccf
    with HttpsClient(tls, ccf.host, ccf.port, server_name=ccf.server_name) as client:
        response, problem = exchanged(lambda: request(client))
    if response is None:
        return problem or failed("no answer")
    return (
        refusal_of(response)
        if response.status >= 400
        else failed(f"{name}, never onboarded, got {response.status}")
    )


def negotiate(actors: Actors, args: Args, *, selector: str, naming: str | None = None) -> Observation:
    """Discover at the home CCF, then negotiate there the trace's method for the APIs
    :meth:`Plan.negotiated_apis` names at the chosen interface (TS 33.122 clause 6.3.1.2), whether
    the home CCF selects or relays to the AEF's CCF (contribution 001 6.X.2): the argument
    ``selector`` names the CCF whose policy the selection follows; ``naming``, the trace's CCF the
    invoker names for the AEF (the ``ccfId`` of its request, followed under ``negotiation-routing =
    invoker-supplied``), else the one Discover showed. An invoker that may discover nothing at the AEF
    negotiates at the interfaces the scout discovers (their addresses are public): the CCF decides."""
    name, aef, method = args["i"], args["a"], SecurityMethod(args["m"])
    invoker = actors.onboarded(name)
    if invoker is None:
        body = {"securityInfo": [], "notificationDestination": actors.target.notification_destination}
        path = TRUSTED_INVOKERS + urllib.parse.quote(actors.id_of(name), safe="")
        return without_credential(actors, name, args["h"], lambda client: client.put_json(path, body))
    found, problem = actors.discover(aef, invoker.client)
    if problem is None and not found:
        found, problem = actors.discover_as_scout(aef)
    if problem is not None:
        return problem
    previous = invoker.negotiated.get(aef)
    chosen = choose(found, method, None if previous is None else previous.target)
    entries = _same_interface(found, chosen, actors.plan.negotiated_apis(aef, name, args[selector]))
    if naming is not None:
        named = actors.plan.providers[naming].ccf_id
        entries = [dataclasses.replace(entry, ccf_id=named) for entry in entries]
    prefers = actors.plan.prefers[name]
    preferred = [method, *(m for m in prefers if m is not method)] if method in prefers else list(prefers)
    result, problem = attempt(lambda: invoker.client.negotiate(entries, preferred=preferred))
    if result is None:
        return problem or failed("negotiation gave no answer")
    other = next((item.method for item in result if item.method is not method), None)
    if other is not None:
        return failed(f"the CCF selected {other.value}; the trace has {method.value}")
    negotiated = result[0]
    invoker.negotiated[aef] = negotiated
    invoker.initiated.discard(aef)
    if negotiated.aefpsk is not None:
        actors.keys[args["k"]] = Key(negotiated.aefpsk, negotiated.target)
    return accepted(f"selected {method.value} for interface {chosen.api_prefix or '/'}")


def offboard(actors: Actors, args: Args) -> Observation:
    """``DELETE onboardedInvokers/{onboardingId}`` (TS 33.122 clause 6.2)."""
    invoker = actors.onboarded(args["i"])
    if invoker is None:
        return failed(f"{args['i']} is not onboarded")
    _, problem = attempt(invoker.client.offboard)
    return problem or accepted("204 No Content: offboarded")


def revoke_another(actors: Actors, args: Args) -> Observation:
    """``DELETE trustedInvokers/{i}`` by invoker ``j`` with its own certificate on CAPIF-1e: it asks
    for Revoke_Authorization, which TS 29.222 Table 5.1-1 serves to the AEF only. The request names
    no AEF: the CCF would revoke ``i`` wherever it revokes, the model's ``a`` among them."""
    invoker = actors.onboarded(args["j"])
    if invoker is None:
        return failed(f"{args['j']} is not onboarded")
    provider = actors.plan.providers[args["c"]]
    tls = Capif1eClientTls(provider.ca_certificate, credential=invoker.client.identity.credential)
    path = TRUSTED_INVOKERS + urllib.parse.quote(actors.id_of(args["i"]), safe="")
    ccf = provider.ccf
    with HttpsClient(tls, ccf.host, ccf.port, server_name=ccf.server_name) as client:
        response, problem = exchanged(lambda: client.delete(path))
    if response is None:
        return problem or failed("no answer")
    return accepted("204 No Content: revoked") if response.status == 204 else refusal_of(response)


def token_request(actors: Actors, args: Args) -> Observation:
    """``POST securities/{client_id}/token`` with ``client_id`` = the trace's ``s`` (TS 29.222 clause
    8.5.2.6; RFC 6749 clause 4.4)."""
    invoker = actors.onboarded(args["j"])
    api, client_id = actors.plan.api(args["a"], args["x"]), actors.id_of(args["s"])
    aef_id = actors.aef_id(args["a"])
    if invoker is None:
        path = SECURITIES + urllib.parse.quote(client_id, safe="") + "/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "scope": f"3gpp#{aef_id}:{api.name}",
        }
        home = args.get("h", args.get("c", ""))
        return without_credential(actors, args["j"], home, lambda client: client.post_form(path, form))
    token, problem = attempt(lambda: invoker.client.obtain_token(aef_id, [api.name], client_id=client_id))
    if token is None:
        return problem or failed("no token")
    actors.tokens[args["t"]] = token
    actors.held[(args["j"], args["a"])] = token
    return accepted(f"200 OK: access token with client_id {client_id}")
