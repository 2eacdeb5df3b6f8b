"""The token endpoint: client binding, scope against publication, policy and negotiated method."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from impl.apitypes.problems import AccessTokenError, TokenErrorCode
from impl.ccf import Caller, Role
from impl.settings import Settings, TokenClaims, TokenClientBinding
from impl.store.tokens import tokens_of
from impl.tokens import ClaimSet, InvalidToken, TokenVerifier, TrustedKeySet
from tests.impl.test_ccf_world import CCF_ID, NOW, Provider, World, interface, invoker_caller, profile


@dataclass
class Scene:
    world: World
    provider: Provider
    invoker_id: str


def _scene(world: World) -> Scene:
    provider = world.register(aef_count=3)
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["OAUTH", "PKI"])])
    world.publish(
        provider, "api-b", [profile(provider.aefs[1], methods=["PKI"], interfaces=[interface(8002)])]
    )
    world.publish(
        provider, "api-c", [profile(provider.aefs[2], methods=["OAUTH"], interfaces=[interface(8003)])]
    )
    invoker_id = world.onboard()
    world.negotiate(
        invoker_id,
        [
            {"aefId": provider.aefs[0], "prefSecurityMethods": ["OAUTH"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["PKI"]},
        ],
    )
    return Scene(world, provider, invoker_id)


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    world = World(tmp_path)
    yield _scene(world)
    world.close()


def _form(client_id: str, scope: str) -> list[tuple[str, str]]:
    return [("grant_type", "client_credentials"), ("client_id", client_id), ("scope", scope)]


def test_a_token_for_a_negotiated_oauth_api_verifies_at_the_aef(scene: Scene) -> None:
    aef = scene.provider.aefs[0]
    token = scene.world.ccf.tokens.request_token(
        invoker_caller(scene.invoker_id),
        scene.invoker_id,
        _form(scene.invoker_id, f"3gpp#{aef}:api-a"),
        now=NOW,
    )
    assert token.scope == f"3gpp#{aef}:api-a"
    assert token.expires_in == 600
    verifier = TokenVerifier(
        TrustedKeySet([scene.world.token_issuer.trusted_key]), aef_id=aef, claim_set=ClaimSet.WITH_AUD_SUB
    )
    verified = verifier.verify(token.access_token, api_name="api-a", now=int(NOW.timestamp()))
    assert verified.subject == scene.invoker_id
    assert verified.issuer == CCF_ID
    with pytest.raises(InvalidToken):
        verifier.verify(token.access_token, api_name="api-a", now=int(NOW.timestamp()) + 600 + 31)
    with scene.world.database.transaction() as tx:
        [record] = tokens_of(tx, scene.invoker_id)
    assert record.aef_ids == (aef,) and record.expires_at == int(NOW.timestamp()) + 600


def test_the_33122_scope_syntax_is_accepted(scene: Scene) -> None:
    aef = scene.provider.aefs[0]
    token = scene.world.ccf.tokens.request_token(
        invoker_caller(scene.invoker_id), scene.invoker_id, _form(scene.invoker_id, f"{aef}:api-a"), now=NOW
    )
    assert token.access_token.count(".") == 2


def _refusal(scene: Scene, caller: Caller, security_id: str, form: list[tuple[str, str]]) -> AccessTokenError:
    with pytest.raises(AccessTokenError) as refusal:
        scene.world.ccf.tokens.request_token(caller, security_id, form, now=NOW)
    return refusal.value


def test_refusals(scene: Scene) -> None:
    me = scene.invoker_id
    aefs = scene.provider.aefs
    mine = invoker_caller(me)
    cases = [
        (scene.provider.aef_caller(0), me, _form(me, f"3gpp#{aefs[0]}:api-a"), TokenErrorCode.INVALID_CLIENT),
        (mine, me, [("client_id", me)], TokenErrorCode.INVALID_REQUEST),
        (
            mine,
            me,
            [("grant_type", "authorization_code"), ("client_id", me)],
            TokenErrorCode.UNSUPPORTED_GRANT_TYPE,
        ),
        (mine, "INVother", _form(me, f"3gpp#{aefs[0]}:api-a"), TokenErrorCode.INVALID_CLIENT),
        (mine, me, _form(me, f"3gpp#{aefs[0]}:api-unknown"), TokenErrorCode.INVALID_SCOPE),
        (mine, me, _form(me, f"3gpp#{aefs[1]}:api-a"), TokenErrorCode.INVALID_SCOPE),
        (mine, me, _form(me, f"3gpp#{aefs[1]}:api-b"), TokenErrorCode.UNAUTHORIZED_CLIENT),
        (mine, me, _form(me, f"3gpp#{aefs[2]}:api-c"), TokenErrorCode.UNAUTHORIZED_CLIENT),
        (mine, me, _form(me, f"3gpp#{aefs[0]}:api-a;{aefs[1]}:api-b"), TokenErrorCode.UNAUTHORIZED_CLIENT),
        (mine, me, _form(me, "3gpp#"), TokenErrorCode.INVALID_SCOPE),
    ]
    for caller, security_id, form, expected in cases:
        assert _refusal(scene, caller, security_id, form).error is expected, (caller, form)
    with scene.world.database.transaction() as tx:
        assert tokens_of(tx, me) == []


def test_bound_binding_refuses_a_token_for_another_invoker(scene: Scene) -> None:
    other = scene.world.onboard()
    form = _form(scene.invoker_id, f"3gpp#{scene.provider.aefs[0]}:api-a")
    refusal = _refusal(scene, invoker_caller(other), scene.invoker_id, form)
    assert refusal.error is TokenErrorCode.INVALID_CLIENT and refusal.status == 401


def test_unbound_binding_reproduces_the_opencapif_token_theft(tmp_path: Path) -> None:
    """OpenCAPIF-observed: client_id is taken as sent, so another invoker obtains the victim's token."""
    settings = Settings(
        token_client_binding=TokenClientBinding.UNSAFE_UNBOUND,
        token_claims=TokenClaims.UNSAFE_OPENCAPIF_OBSERVED,
        allow_unsafe=True,
    )
    world = World(tmp_path, settings=settings)
    try:
        scene = _scene(world)
        attacker = world.onboard()
        aef = scene.provider.aefs[0]
        token = world.ccf.tokens.request_token(
            invoker_caller(attacker), scene.invoker_id, _form(scene.invoker_id, f"3gpp#{aef}:api-a"), now=NOW
        )
        verifier = TokenVerifier(
            TrustedKeySet([world.token_issuer.trusted_key]), aef_id=aef, claim_set=ClaimSet.OPENCAPIF_OBSERVED
        )
        verified = verifier.verify(token.access_token, api_name="api-a", now=int(NOW.timestamp()))
        assert verified.subject == scene.invoker_id
    finally:
        world.close()


def test_revocation_and_offboarding_stop_token_issuance(scene: Scene) -> None:
    aef = scene.provider.aefs[0]
    form = _form(scene.invoker_id, f"3gpp#{aef}:api-a")
    caller = invoker_caller(scene.invoker_id)
    scene.world.ccf.tokens.request_token(caller, scene.invoker_id, form, now=NOW)
    with scene.world.database.transaction() as tx:
        api_id = tx.row("SELECT api_id FROM api_profiles WHERE aef_id = ?", (aef,))
    assert api_id is not None
    revocation = {
        "apiInvokerId": scene.invoker_id,
        "apiIds": [api_id["api_id"]],
        "cause": "UNEXPECTED_REASON",
    }
    scene.world.ccf.security.revoke(scene.provider.aef_caller(0), scene.invoker_id, revocation, now=NOW)
    assert _refusal(scene, caller, scene.invoker_id, form).error is TokenErrorCode.INVALID_SCOPE
    with scene.world.database.transaction() as tx:
        [record] = tokens_of(tx, scene.invoker_id)
    assert record.revoked_at is not None
    scene.world.ccf.invokers.offboard(caller, scene.invoker_id, now=NOW)
    assert _refusal(scene, caller, scene.invoker_id, form).error is TokenErrorCode.INVALID_CLIENT


def test_an_invoker_without_a_context_is_an_unauthorized_client(scene: Scene) -> None:
    """Authenticated and onboarded, but it negotiated nothing, OAUTH least of all: RFC 6749 clause 5.2
    ``unauthorized_client`` (``invalid_client`` is for a client that failed to authenticate)."""
    fresh = scene.world.onboard()
    form = _form(fresh, f"3gpp#{scene.provider.aefs[0]}:api-a")
    refusal = _refusal(scene, Caller(Role.INVOKER, fresh), fresh, form)
    assert refusal.error is TokenErrorCode.UNAUTHORIZED_CLIENT
