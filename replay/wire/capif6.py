"""The steps of a CCF the attacker controls over CAPIF-6/6e (TS 23.222 clause 8.25; contributions
000 7.2.3, 001 6.X.3, 002 steps 4-9), played with that CCF's own keys and the implementation's
CAPIF-6/6e client (:class:`~replay.target.AttackerCcf`):

* ``release-to-attacker``: it asks an honest CCF for an invoker's security information for an AEF;
* ``token-relayed-by-attacker``: it relays a token request to the AEF's CCF, saying the invoker the
  token names asked for it (what it says of its own invokers is its word alone); refused for want
  of an agreement, with a CCF certificate naming it that another CCF the attacker controls, one with
  an agreement, issued (the receiver's TLS accepts it, so only the agreement check can refuse);
* ``fetch-from-attacker``: it makes its CAPIF-6/6e endpoint answer for an invoker with the method
  and key it chose, and sends the AEF the request that makes the AEF's CCF ask it: check-authentication
  as that invoker, with a certificate its CA issued naming the invoker, naming itself as the home
  CCF (``ccfId``);
* ``negotiate-relayed-to-attacker``: it makes its CAPIF-6/6e endpoint answer a security method request
  relayed for an invoker with the method it chose, and the invoker negotiates at its home CCF for the
  AEF, which relays there (contribution 001 6.X.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from impl.apitypes.enums import SecurityMethod
from impl.interconnect import PeerClient, PeerError, PeerRefusedError, PeerUnavailableError
from impl.interconnect.messages import AccessTokenRelayRequest, SecurityInformationRequest
from impl.tls import CertificateClientTls
from impl.tokens import ScopeEntry, ScopeSyntax, format_scope
from replay.observation import HANDSHAKE_REFUSED, Observation, accepted, failed, refusal_name, refused
from replay.target import TargetError
from replay.wire import capif1e
from replay.wire.actors import Actors, Key, check_authentication_observed
from replay.wire.connection import Session

Args = Mapping[str, str]


def _peer(actors: Actors, attacker: str, other: str) -> tuple[PeerClient | None, Observation | None]:
    """The CAPIF-6/6e client of the attacker's CCF ``attacker`` towards the trace's CCF ``other``."""
    peer = actors.plan.providers[other]
    client = actors.plan.attacker_ccfs[attacker].peer(peer.ccf_id)
    if client is None:
        return None, failed(f"{attacker} has no interconnection agreement with {other} ({peer.ccf_id})")
    return client, None


def _refusal(error: PeerError) -> Observation:
    if isinstance(error, PeerRefusedError):
        return refused(refusal_name(error.status, error.code), error.detail)
    if isinstance(error, PeerUnavailableError) and error.handshake_refused:
        return refused(HANDSHAKE_REFUSED, error.reason)
    return failed(f"no answer: {error.reason}")


def release_to_attacker(actors: Actors, args: Args) -> Observation:
    """The attacker's CCF ``d`` asks ``h`` for ``i``'s security information for the AEF ``a``
    (``security-information-requests``, as an AEF's CCF does); an AEFPSK in the answer becomes the
    attacker's key ``k``."""
    client, problem = _peer(actors, args["d"], args["h"])
    if client is None:
        return problem or failed("no client")
    request = SecurityInformationRequest(
        actors.id_of(args["i"]), actors.aef_id(args["a"]), (SecurityMethod.PSK,)
    )
    try:
        answer = client.security_information(request)
    except PeerError as error:
        return _refusal(error)
    psks = [
        entry.authentication_info
        for entry in answer.security_info
        if entry.sel_security_method is SecurityMethod.PSK and entry.authentication_info
    ]
    if not psks:
        return failed(f"200 OK, but no AEFPSK of {args['i']} in the answer")
    try:
        actors.keys[args["k"]] = Key(bytes.fromhex(psks[0]), None)
    except ValueError:
        return failed("200 OK, but the AEFPSK is not hexadecimal")
    return accepted(f"200 OK: {args['h']} released the AEFPSK of {args['i']} to {args['d']}")


def token_relayed_by_attacker(actors: Actors, args: Args) -> Observation:
    """The attacker's CCF ``d`` relays a token request for ``client_id`` = ``s`` and scope ``(a, x)``
    to ``c`` (``access-token-requests``), saying ``s`` asked; the token is the attacker's."""
    client, problem = _peer(actors, args["d"], args["c"])
    if client is None:
        return problem or failed("no client")
    return _relay_token(actors, args, client)


def token_relayed_by_attacker_certified_by_another(actors: Actors, args: Args) -> Observation:
    """As :func:`token_relayed_by_attacker`, where ``d`` has no agreement with ``c``: ``d`` presents a
    CCF certificate naming it from the CA of another CCF the attacker controls that ``c`` is
    interconnected with, so that ``c``'s TLS accepts it and only the agreement check refuses
    (contribution 000 7.2.1: a CCF acts on CAPIF-6/6e only for a CCF it has an agreement with); with
    no such CCF, its own certificate (which ``c``'s TLS refuses)."""
    plan, receiver = actors.plan, actors.plan.providers[args["c"]]
    sender = plan.attacker_ccfs[args["d"]]
    accomplice = next(
        (
            ccf
            for name, ccf in plan.attacker_ccfs.items()
            if name != args["d"] and actors.target.interconnected(ccf.provider.name, receiver.name)
        ),
        None,
    )
    if accomplice is None:  # no CA the receiver trusts is the attacker's: its own certificate, then
        return token_relayed_by_attacker(actors, args)
    client = sender.peer_presenting(receiver.ccf_id, accomplice.certify_ccf(sender.provider.ccf_id))
    if client is None:
        return failed(f"{args['d']} does not know where the CAPIF-6/6e endpoint of {args['c']} is")
    try:
        return _relay_token(actors, args, client)
    finally:
        client.close()


def _relay_token(actors: Actors, args: Args, client: PeerClient) -> Observation:
    client_id = actors.id_of(args["s"])
    api = actors.plan.api(args["a"], args["x"])
    scope = format_scope([ScopeEntry(actors.aef_id(args["a"]), (api.name,))], ScopeSyntax.TS29222)
    try:
        answer = client.access_token(AccessTokenRelayRequest(client_id, scope, client_id))
    except PeerError as error:
        return _refusal(error)
    token = answer.get("access_token")
    if not isinstance(token, str):
        return failed("200 OK, but no access_token")
    actors.tokens[args["t"]] = token
    actors.held[(args["j"], args["a"])] = token
    return accepted(f"200 OK: {args['c']} signed a token with client_id {client_id} for {args['d']}")


def fetch_from_attacker(actors: Actors, args: Args) -> Observation:
    """``a``'s CCF asks the attacker's CCF ``d`` for ``i``'s ``m`` security information and gets what
    the attacker chose (its key ``k`` for PSK, its CA for PKI), as the AEF's answer to the attacker's
    check-authentication as ``i`` naming ``d`` shows."""
    method = SecurityMethod(args["m"])
    key = actors.keys.get(args["k"]) if method is SecurityMethod.PSK else None
    if method is SecurityMethod.PSK and key is None:
        return failed(f"no key {args['k']} is known")
    attacker = actors.plan.attacker_ccfs[args["d"]]
    invoker_id = actors.id_of(args["i"])
    attacker.answer_security_information(invoker_id, method, key.value if key else None)
    target, problem = actors.interface(args["a"], method)
    if target is None:
        return problem or failed("no interface")
    credential = actors.attacker_credential(args["d"], args["i"])
    session = Session(target, CertificateClientTls(actors.cas, credential=credential))
    try:
        opened = session.open()
        if not opened.accepted:
            return opened
        answer = session.check_authentication(invoker_id, attacker.provider.ccf_id)
    finally:
        session.close()
    return check_authentication_observed(None if answer.accepted else answer)


def _publish_again(args: Args, restore: Callable[[], None]) -> None:
    try:
        restore()
    except PeerError as error:
        raise TargetError(f"{args['d']} could not publish its APIs to {args['h']} again: {error}") from None


def negotiate_relayed_to_attacker(actors: Actors, args: Args) -> Observation:
    """``i`` negotiates for ``a`` at its home CCF ``h``, naming ``d`` as the AEF's CCF (its request's
    ``ccfId``; an honest invoker names it truthfully), and ``h`` relays to the attacker's CCF ``d``
    (contribution 001 6.X.2, as the home CCF's routing finds it); ``d`` answers ``m`` for every entry,
    which ``h`` passes on. An answer ``h`` gave without relaying to ``d`` is not the step; where the
    implementation does not relay what the model's home CCF does, the observation says why
    (:func:`_not_relayed`).

    For PSK, ``h`` and the invoker derive the AEFPSK ``k`` for the interfaces ``h`` knows to offer PSK
    (TS 33.122 Annex A.1), while the model's ``h`` derives it whatever the AEF offers: where ``d``
    published no PSK interface of its AEF ``a`` to ``h``, it says, for the negotiation of an onboarded
    invoker, that every one offers PSK too (what ``h`` knows of ``d``'s AEFs is ``d``'s word), then
    publishes them as they are again."""
    method, invoker_id = SecurityMethod(args["m"]), actors.id_of(args["i"])
    attacker = actors.plan.attacker_ccfs[args["d"]]
    attacker.answer_negotiation(invoker_id, method)
    restore: Callable[[], None] | None = None
    widen = method is SecurityMethod.PSK and actors.plan.aef_ccfs[args["a"]] == args["d"]
    if widen and actors.onboarded(args["i"]) is not None:
        home = actors.plan.providers[args["h"]].ccf_id
        try:
            restore = attacker.publish_offering(home, actors.aef_id(args["a"]), method)
        except PeerError as error:
            return failed(f"{args['d']} could not publish its AEF's interfaces to {args['h']}: {error}")
    try:
        negotiated = capif1e.negotiate(actors, args, selector="d", naming=args["d"])
    finally:
        if restore is not None:
            _publish_again(args, restore)
    if attacker.negotiation_relayed(invoker_id):
        return negotiated
    reason = _not_relayed(actors, args)
    if negotiated.accepted:
        why = f": {reason}" if reason else ""
        return failed(f"{args['h']} answered ({negotiated.summary}) without relaying to {args['d']}{why}")
    if reason is None:
        return negotiated
    return Observation(False, f"{negotiated.summary}; {reason}", negotiated.refusal)


def _not_relayed(actors: Actors, args: Args) -> str | None:
    """Why the implementation's home CCF ``h`` does not relay ``i``'s negotiation for ``a`` to ``d``
    where the model's does (``docs/replay.md``): it selects for its own AEFs itself, and relays only
    over an agreement, for an AEF a peer published to it; None when it would relay."""
    plan, home, attacker, host = actors.plan, args["h"], args["d"], actors.plan.aef_ccfs[args["a"]]
    providers = {ccf: plan.providers[ccf].name for ccf in (home, attacker, host)}
    if host == home:
        return f"{home} selects for its own AEF {args['a']} itself; it relays only for an AEF of a peer"
    if not actors.target.interconnected(providers[home], providers[attacker]):
        return f"{home} has no agreement with {attacker}; it relays only to a CCF it has one with"
    if host != attacker and not actors.target.interconnected(providers[home], providers[host]):
        return (
            f"{home} knows no AEF {args['a']}: {host}, where it is registered, has no agreement with"
            f" {home} and published nothing to it; it relays only for an AEF a peer published to it"
        )
    return None
