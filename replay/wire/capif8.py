"""The CAPIF-8 steps of a trace (contribution 003): a resource owner function records a resource
owner's authorization at the CCF's authorization function, and an invoker asks for a token carrying
it (TS 29.222 ``AccessTokenReq.resOwnerId``).

An honest ROF connects with the credential the operator registered for it, as the options say
(mutual TLS, TLS-PSK, a password over TLS, or naming itself). The attacker speaking for a ROF
(``rof-authorization-forged``) holds the ROF's credential when the trace has the ROF dishonest;
otherwise it has none: no client certificate, a key or password of its own making.
"""

from __future__ import annotations

import base64
import os
import secrets
import urllib.parse
from collections.abc import Mapping

from impl.capif8.azf import RofCredential
from impl.capif8.messages import ResourceOwnerAuthorization
from impl.capif8.server import AUTHORIZATIONS
from impl.http import HttpsClient
from impl.pki import CertifiedKey
from impl.settings import Capif8Protection, RofAuthentication
from impl.tls import CertificateClientTls, ClientTls, PskClientTls
from impl.tls.plaintext import PlaintextClient
from replay.observation import Observation, accepted, failed
from replay.target import TargetRof
from replay.wire.actors import Actors
from replay.wire.capif1e import SECURITIES, without_credential
from replay.wire.connection import attempt, exchanged, refusal_of

Args = Mapping[str, str]


def _tls(rof: TargetRof, credential: RofCredential) -> ClientTls:
    """How a ROF holding ``credential`` connects to the AzF (contribution 003 6.2.2)."""
    if rof.protection is Capif8Protection.UNSAFE_NONE:
        return PlaintextClient()
    if rof.authentication is RofAuthentication.PSK:
        return PskClientTls(credential.rof_id, credential.psk or os.urandom(32))
    if rof.authentication is RofAuthentication.CERTIFICATE and credential.certificate is not None:
        return CertificateClientTls(rof.ca_certificate, credential=credential.certificate)
    return CertificateClientTls(rof.ca_certificate)


def _authorize(actors: Actors, args: Args, credential: RofCredential) -> Observation:
    """``POST /capifsec-capif8/v1/resource-owner-authorizations`` (non-standard) as ``credential``."""
    rof = actors.plan.rofs[args["r"]]
    aef = actors.plan.rof_aefs[(args["r"], args["i"], args["x"])]
    api = actors.plan.apis.get(args["x"])
    api_name = aef.apis[api if api is not None and api < len(aef.apis) else 0].name
    body = ResourceOwnerAuthorization(
        rof.res_owner_id, actors.id_of(args["i"]), aef.aef_id, (api_name,), credential.rof_id
    )
    headers = {}
    if credential.password is not None:
        basic = base64.b64encode(f"{credential.rof_id}:{credential.password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {basic}"
    azf = rof.azf
    with HttpsClient(_tls(rof, credential), azf.host, azf.port, server_name=azf.server_name) as client:
        response, problem = exchanged(
            lambda: client.post_json(AUTHORIZATIONS, body.to_json(), headers=headers)
        )
    if response is None:
        return problem or failed("no answer")
    if response.status != 201:
        return refusal_of(response)
    return accepted(
        f"201 Created: the AzF recorded {rof.res_owner_id}'s authorization of {body.api_invoker_id}"
    )


def rof_authorizes(actors: Actors, args: Args) -> Observation:
    """The ROF ``r`` records that its resource owner authorizes ``i`` for ``x``."""
    return _authorize(actors, args, actors.plan.rofs[args["r"]].credential)


def rof_authorization_forged(actors: Actors, args: Args) -> Observation:
    """The attacker records an authorization as ``r``: with its credential if ``r`` is the attacker's,
    else without one (no certificate, a made-up key, a guessed password), or, where ROFs authenticate
    by certificate, with the certificate of an invoker of its own onboarded at that CCF (one the AzF's
    TLS accepts, so that the AzF's authentication of the ROF is what refuses it)."""
    held = actors.plan.rofs[args["r"]].credential
    if args["r"] in actors.plan.dishonest_rofs:
        return _authorize(actors, args, held)
    certificate = _attacker_certificate_at(actors, args["c"])
    if (
        certificate is not None
        and actors.plan.rofs[args["r"]].authentication is RofAuthentication.CERTIFICATE
    ):
        return _authorize(actors, args, RofCredential(held.rof_id, certificate=certificate))
    guessed = secrets.token_urlsafe(24) if held.password is not None else None
    return _authorize(actors, args, RofCredential(held.rof_id, password=guessed))


def _attacker_certificate_at(actors: Actors, ccf: str) -> CertifiedKey | None:
    """The certificate of an invoker the attacker controls that ``ccf`` onboarded, if any."""
    for name in sorted(actors.plan.dishonest_invokers):
        invoker = actors.onboarded(name)
        if invoker is not None and actors.plan.homes.get(name) == ccf:
            return invoker.client.identity.credential
    return None


def ro_token(actors: Actors, args: Args) -> Observation:
    """``POST securities/{id}/token`` with ``resOwnerId`` = ``r``'s resource owner (TS 29.222
    ``AccessTokenReq``); the AzF issues it only after that owner's authorization (contribution 003)."""
    invoker = actors.onboarded(args["j"])
    rof = actors.plan.rofs[args["r"]]
    api, aef_id = actors.plan.api(args["a"], args["x"]), actors.aef_id(args["a"])
    if invoker is None:  # as a token request of an invoker that never onboarded: no client certificate
        client_id = actors.id_of(args["j"])
        path = SECURITIES + urllib.parse.quote(client_id, safe="") + "/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "scope": f"3gpp#{aef_id}:{api.name}",
            "resOwnerId": rof.res_owner_id,
        }
        return without_credential(actors, args["j"], args["c"], lambda client: client.post_form(path, form))
    token, problem = attempt(
        lambda: invoker.client.obtain_token(aef_id, [api.name], res_owner_id=rof.res_owner_id)
    )
    if token is None:
        return problem or failed("no token")
    actors.tokens[args["t"]] = token
    actors.held[(args["j"], args["a"])] = token
    return accepted(f"200 OK: access token with resOwnerId {rof.res_owner_id}")
