"""What the attacker does on its own, with nothing on the wire: make up keys, and use the keys of the
CCFs it controls (issue certificates from their CAs, sign tokens with their keys)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from replay.observation import Observation, accepted
from replay.wire.actors import Actors, Key

Args = Mapping[str, str]


def make_key(actors: Actors, args: Args) -> Observation:
    """``attacker-makes-key``: 32 random octets."""
    actors.keys[args["k"]] = Key(os.urandom(32), None)
    return accepted("the attacker made up a 32-octet key")


def issue_certificate(actors: Actors, args: Args) -> Observation:
    """``attacker-ccf-issues-certificate``: the CA of the attacker's CCF ``d`` certifies a key of the
    attacker's, naming ``i`` as an invoker; made when a step first uses it
    (:data:`replay.plan.DONE_WHEN_USED`), when ``i`` has the ID its CCF assigned."""
    actors.certificates_to_issue[args["ct"]] = (args["d"], args["i"])
    return accepted(f"{args['d']}'s CA is to issue a certificate naming {args['i']}")


def sign_token(actors: Actors, args: Args) -> Observation:
    """``attacker-ccf-signs-token``: the attacker's CCF ``d`` signs a token naming ``s`` for ``(a, x)``."""
    attacker = actors.plan.attacker_ccfs[args["d"]]
    api = actors.plan.api(args["a"], args["x"])
    actors.tokens[args["t"]] = attacker.sign_token(
        actors.id_of(args["s"]), actors.aef_id(args["a"]), api.name
    )
    actors.attacker_signed[args["t"]] = dict(args)
    return accepted(f"{args['d']} signed a token naming {actors.id_of(args['s'])}")


def sign_token_as_another(actors: Actors, args: Args) -> Observation:
    """``attacker-ccf-signs-token-as-another``: the attacker's CCF ``d`` signs a token naming ``s``
    for ``(a, x)`` with its own key and key id, its ``iss`` naming the CCF playing ``e``."""
    attacker = actors.plan.attacker_ccfs[args["d"]]
    api = actors.plan.api(args["a"], args["x"])
    issuer = actors.plan.providers[args["e"]].ccf_id
    actors.tokens[args["t"]] = attacker.sign_token(
        actors.id_of(args["s"]), actors.aef_id(args["a"]), api.name, issuer=issuer
    )
    actors.attacker_signed[args["t"]] = dict(args)
    return accepted(f"{args['d']} signed a token naming {actors.id_of(args['s'])}, its iss {issuer}")


def token_posing_as_trusted(actors: Actors, args: Args) -> str | None:
    """The token ``t`` a CCF the attacker controls signed, made again claiming the key id and issuer
    of the CCF of the AEF ``a`` (which every AEF trusts): presented so, it passes the key look-up and
    only its signature can refuse it. None when ``t`` is not the attacker's, names another issuer
    already (its own key id is trusted or not, as the trace has it), or the target does not name that
    CCF's key id."""
    signed = actors.attacker_signed.get(args["t"])
    trusted = actors.plan.provider_of_aef(args["a"])
    if signed is None or "e" in signed or trusted.token_key_id is None:
        return None
    attacker = actors.plan.attacker_ccfs[signed["d"]]
    api = actors.plan.api(signed["a"], signed["x"])
    return attacker.sign_token(
        actors.id_of(signed["s"]), actors.aef_id(signed["a"]), api.name, posing_as=trusted
    )
