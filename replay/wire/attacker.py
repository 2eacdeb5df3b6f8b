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
    attacker's, naming ``i`` as an invoker."""
    credential = actors.attacker_credential(args["d"], args["i"])
    actors.certificates[args["ct"]] = credential
    return accepted(f"{args['d']}'s CA issued a certificate naming {actors.id_of(args['i'])}")


def sign_token(actors: Actors, args: Args) -> Observation:
    """``attacker-ccf-signs-token``: the attacker's CCF ``d`` signs a token naming ``s`` for ``(a, x)``."""
    attacker = actors.plan.attacker_ccfs[args["d"]]
    api = actors.plan.api(args["a"], args["x"])
    actors.tokens[args["t"]] = attacker.sign_token(
        actors.id_of(args["s"]), actors.aef_id(args["a"]), api.name
    )
    return accepted(f"{args['d']} signed a token naming {actors.id_of(args['s'])}")
