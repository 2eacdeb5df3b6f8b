"""The steps of the network attacker on CAPIF-6/6e (BRIEF section 4: on a link whose protection is off
it reads, drops, injects and changes messages), played on the wire between the target's CCFs by
:mod:`replay.network_attacker`:

* ``release-spoofed``: it asks a CCF, in another CCF's name, for an invoker's AEFPSK for an AEF and
  reads the answer;
* ``fetch-spoofed``: it answers, in the home CCF's name, the AEF's CCF's request for an invoker's
  security information, with a key it knows (PSK) or the CA of a CCF it controls (PKI). What makes the
  AEF's CCF ask is check-authentication as the invoker at the AEF (TS 33.122 clause 6.5.2.1), sent with
  a certificate naming the invoker: one the CA of a CCF it controls issued, else the invoker's own
  (the replayer plays every invoker; an honest one initiates authentication as it would anyway);
* ``negotiate-relayed-tampered``: it replaces the AEF's CCF's answer to a negotiation the home CCF
  relays (contribution 001 6.X.2) with the method the trace names;
* ``token-relay-spoofed``: it sends the AEF's CCF, in the home CCF's name, a relayed token request
  (contribution 001 6.X.3.2) and reads the token on its way back;
* ``offboard-notice-dropped``: an invoker is offboarded at its home CCF, and it drops the revocation
  notices that CCF sends the other CCFs (TS 33.122 clause 6.2).

Where the link is protected (mutual TLS) the attacker reads and changes nothing: the request it
would answer or change reaches the CCF it was sent to and its answer comes back as given, and what it
sends itself meets a TLS handshake that asks for a CCF's certificate.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.reader import JsonObject, JsonValue
from impl.apitypes.security import SecurityInformation
from impl.http import ClientResponse, HttpClientError
from impl.interconnect import client as paths
from impl.interconnect.messages import (
    AccessTokenRelayRequest,
    SecurityInformationRequest,
    SecurityInformationResponse,
)
from impl.tls import CertificateClientTls
from impl.tokens import ScopeEntry, ScopeSyntax, format_scope
from replay.network_attacker import Answer, Interception
from replay.observation import Observation, accepted, failed
from replay.target import NetworkPosition
from replay.wire import capif1e
from replay.wire.actors import Actors, Key, check_authentication_observed
from replay.wire.connection import Session, exchanged, refusal_of, token_refusal_of

Args = Mapping[str, str]
NOTIFICATION_DESTINATION = "https://127.0.0.1:9/notifications"


def _network(actors: Actors) -> NetworkPosition:
    network = actors.target.network
    assert network is not None, "the plan admits a network attacker's step only on a target with a network"
    return network


def _naming(api_invoker_id: str, document: JsonObject) -> bool:
    return document.get("apiInvokerId") == api_invoker_id


def _injected(
    actors: Actors, receiver: str, claimed_sender: str, path: str, document: JsonObject
) -> tuple[ClientResponse | None, Observation | None]:
    """The attacker's ``document`` sent to ``receiver``'s CCF at ``path``, naming ``claimed_sender``'s
    CCF as the caller (on an unprotected CAPIF-6/6e, TS 23.222 8.25)."""
    providers = actors.plan.providers
    network = _network(actors)
    return exchanged(
        lambda: network.inject(providers[receiver].ccf_id, providers[claimed_sender].ccf_id, path, document)
    )


def release_spoofed(actors: Actors, args: Args) -> Observation:
    """``POST security-information-requests`` at ``h``, naming ``e`` as the caller, for ``i``'s AEFPSK
    for ``a``; the AEFPSK in the answer becomes the attacker's key ``k``."""
    request = SecurityInformationRequest(
        actors.id_of(args["i"]), actors.aef_id(args["a"]), (SecurityMethod.PSK,)
    )
    response, problem = _injected(
        actors, args["h"], args["e"], paths.SECURITY_INFORMATION_REQUESTS, request.to_json()
    )
    if response is None:
        return problem or failed("no answer")
    if response.status != 200:
        return refusal_of(response)
    try:
        answer = SecurityInformationResponse.read(response.json())
    except (HttpClientError, ValueError) as error:
        return failed(f"200 OK, but not a security information answer: {error}")
    psk = next(
        (
            entry.authentication_info
            for entry in answer.security_info
            if entry.sel_security_method is SecurityMethod.PSK and entry.authentication_info
        ),
        None,
    )
    if psk is None:
        return failed(f"200 OK, but no AEFPSK of {args['i']} in the answer")
    try:
        actors.keys[args["k"]] = Key(bytes.fromhex(psk), None)
    except ValueError:
        return failed("200 OK, but the AEFPSK is not hexadecimal")
    return accepted(
        f"200 OK: {args['h']} released the AEFPSK of {args['i']} to the network attacker naming {args['e']}"
    )


def _made_up_information(
    api_invoker_id: str, method: SecurityMethod, authentication_info: str, document: JsonObject
) -> Answer:
    """The home CCF's answer as the attacker writes it: one entry, ``method``, with its own key or CA."""
    aef_id = document.get("aefId")
    information = SecurityInformation(
        pref_security_methods=(method,),
        aef_id=aef_id if isinstance(aef_id, str) else None,
        sel_security_method=method,
        authentication_info=authentication_info,
    )
    answer = SecurityInformationResponse(api_invoker_id, (information,), NOTIFICATION_DESTINATION)
    return 200, answer.to_json()


def fetch_spoofed(actors: Actors, args: Args) -> Observation:
    """``c`` asks ``h`` for ``i``'s security information for ``a`` and the attacker answers in ``h``'s
    name (its key ``k`` for PSK, the CA of the CCF ``d`` it controls for PKI); check-authentication as
    ``i`` at an interface of ``a`` offering ``m``, naming ``h`` (``ccfId``), makes ``c`` ask."""
    name, method = args["i"], SecurityMethod(args["m"])
    invoker_id = actors.id_of(name)
    held = actors.plan.attacker_ccfs.get(args["d"])
    if method is SecurityMethod.PSK:
        key = actors.keys.get(args["k"])
        if key is None:
            return failed(f"no key {args['k']} is known")
        information = key.value.hex()
    elif held is not None:
        information = pki.certificate_pem(held.provider.ca_certificate)
    else:
        return failed(f"{args['d']} is not a CCF the attacker controls; it has no CA to give for {name}")
    home = actors.plan.providers[args["h"]].ccf_id
    answer = partial(_made_up_information, invoker_id, method, information)
    _network(actors).intercept(
        home, Interception(paths.SECURITY_INFORMATION_REQUESTS, partial(_naming, invoker_id), answer=answer)
    )
    invoker = actors.onboarded(name)
    if held is not None:
        credential = actors.attacker_credential(args["d"], name)
    elif invoker is not None:
        credential = invoker.client.identity.credential
    else:
        return failed(f"nothing certifies {name}: it is not onboarded and {args['d']} is not the attacker's")
    target, problem = actors.interface(args["a"], method)
    if target is None:
        return problem or failed("no interface")
    session = Session(target, CertificateClientTls(actors.cas, credential=credential))
    try:
        opened = session.open()
        if not opened.accepted:
            return opened
        answered = session.check_authentication(invoker_id, home)
    finally:
        session.close()
    return check_authentication_observed(None if answered.accepted else answered)


def _selecting(method: SecurityMethod, request: JsonObject, status: int, answer: JsonObject) -> Answer:
    """The AEF's CCF's answer to a relayed negotiation as the attacker rewrites it: each entry of the
    request, with ``method`` selected."""
    entries = request.get("securityInfo")
    selected: list[JsonValue] = [
        {**entry, "selSecurityMethod": method.value}
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    return 200, {"securityInfo": selected}


def negotiate_relayed_tampered(actors: Actors, args: Args) -> Observation:
    """``i`` negotiates at ``h``, which relays to ``c`` (contribution 001 6.X.2); on the way back the
    attacker replaces ``c``'s answer with ``m`` selected."""
    invoker_id = actors.id_of(args["i"])
    change = partial(_selecting, SecurityMethod(args["m"]))
    _network(actors).intercept(
        actors.plan.providers[args["c"]].ccf_id,
        Interception(paths.SECURITY_METHOD_REQUESTS, partial(_naming, invoker_id), change=change),
    )
    return capif1e.negotiate(actors, args, selector="c")


def token_relay_spoofed(actors: Actors, args: Args) -> Observation:
    """``POST access-token-requests`` at ``c``, naming ``h`` as the relaying CCF, for ``client_id`` =
    ``s`` and the scope ``(a, x)``; the token in the answer is the attacker's ``t``."""
    client_id = actors.id_of(args["s"])
    api = actors.plan.api(args["a"], args["x"])
    scope = format_scope([ScopeEntry(actors.aef_id(args["a"]), (api.name,))], ScopeSyntax.TS29222)
    request = AccessTokenRelayRequest(client_id, scope, client_id)
    response, problem = _injected(
        actors, args["c"], args["h"], paths.ACCESS_TOKEN_REQUESTS, request.to_json()
    )
    if response is None:
        return problem or failed("no answer")
    if response.status != 200:
        return token_refusal_of(response)
    try:
        answer = response.json()
    except HttpClientError as error:
        return failed(f"200 OK, but not an access token answer: {error}")
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        return failed("200 OK, but no access_token")
    actors.tokens[args["t"]] = token
    return accepted(
        f"200 OK: {args['c']} signed a token with client_id {client_id} for the network attacker"
        f" naming {args['h']}"
    )


def offboard_notice_dropped(actors: Actors, args: Args) -> Observation:
    """``i`` is offboarded at ``c``; the wiretaps in front of the other CCFs drop the
    ``revocation-notifications`` naming ``i`` before their CCF sees them."""
    invoker_id = actors.id_of(args["i"])
    network = _network(actors)
    home = actors.plan.providers[args["c"]].ccf_id
    naming = partial(_naming, invoker_id)
    for provider in actors.plan.providers.values():
        if provider.ccf_id != home:
            network.intercept(provider.ccf_id, Interception(paths.REVOCATION_NOTIFICATIONS, naming))
    offboarded = capif1e.offboard(actors, args)
    if not offboarded.accepted:
        return offboarded
    dropped = [
        message
        for message in network.read()
        if message.path == paths.REVOCATION_NOTIFICATIONS and message.status is None
    ]
    return accepted(f"{offboarded.summary}; the network attacker dropped {len(dropped)} revocation notice(s)")
