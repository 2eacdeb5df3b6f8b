"""CAPIF-8 end to end (contribution 003): a ROF, authenticated as ``rof-authentication`` says over the
protection ``capif8-protection`` names, records a resource owner's authorization at the CCF's AzF; a
token carrying ``resOwnerId`` (TS 29.222 ``AccessTokenReq``/``AccessTokenClaims``) is issued only after
it, and the AEF accepts it. Each ROF authentication is real and refuses a ROF without the credential;
``none`` lets anyone speak for a ROF."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impl import pki
from impl.capif8.azf import RofCredential
from impl.capif8.rof import ResourceOwnerFunction, RofError
from impl.deployment import HELLO_API, Deployment, DeploymentError
from impl.invoker import ApiInvoker, Negotiated, RefusedError
from impl.settings import Capif8, Capif8Protection, RofAuthentication, Settings
from impl.tls import CertificateClientTls, PskClientTls
from impl.tls.plaintext import PlaintextClient
from tests.impl.test_e2e_world import running

OWNER = "msisdn-491701234567"
ROF = "rof-1"
SAFE = [RofAuthentication.CERTIFICATE, RofAuthentication.PSK, RofAuthentication.PASSWORD]


@dataclasses.dataclass
class Scene:
    deployment: Deployment
    invoker: ApiInvoker
    oauth: Negotiated
    credential: RofCredential

    @property
    def aef_id(self) -> str:
        return self.deployment.aef.config.aef_id

    def token(self, res_owner_id: str = OWNER) -> str:
        return self.invoker.obtain_token(self.aef_id, [HELLO_API], res_owner_id=res_owner_id)


def _settings(
    authentication: RofAuthentication, protection: Capif8Protection = Capif8Protection.TLS
) -> Settings:
    return Settings(rof_authentication=authentication, capif8_protection=protection, allow_unsafe=True)


@contextmanager
def scene(directory: Path, settings: Settings) -> Iterator[Scene]:
    with running(directory, settings) as deployment:
        invoker = deployment.invoker()
        invoker.onboard(deployment.onboarding_secret())
        found = invoker.discover(api_name=HELLO_API)
        oauth = invoker.negotiate([next(target for target in found if target.api_prefix == "/oauth")])[0]
        credential = deployment.register_rof(ROF, [OWNER])
        try:
            yield Scene(deployment, invoker, oauth, credential)
        finally:
            invoker.close()


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(
    ("authentication", "protection"),
    [
        *((method, Capif8Protection.TLS) for method in SAFE),
        (RofAuthentication.UNSAFE_NONE, Capif8Protection.TLS),
        (RofAuthentication.PASSWORD, Capif8Protection.UNSAFE_NONE),
        (RofAuthentication.UNSAFE_NONE, Capif8Protection.UNSAFE_NONE),
    ],
)
def test_a_token_for_a_resource_owner_only_after_its_authorization(
    tmp_path: Path, authentication: RofAuthentication, protection: Capif8Protection
) -> None:
    with scene(tmp_path, _settings(authentication, protection)) as s:
        with pytest.raises(RefusedError) as before:
            s.token()
        assert before.value.status == 400 and before.value.cause == "invalid_grant"
        with s.deployment.rof(s.credential) as rof:
            authorization = rof.authorize(OWNER, s.invoker.identity.api_invoker_id, s.aef_id, (HELLO_API,))
            token = s.token()
            assert _claims(token)["resOwnerId"] == OWNER
            answer = s.invoker.invoke(s.oauth, "/greeting", token=token)
            assert isinstance(answer, dict) and answer["securityMethod"] == "OAUTH"
            rof.withdraw(authorization)
        with pytest.raises(RefusedError) as after:
            s.token()
        assert after.value.cause == "invalid_grant"


def test_a_rof_acts_only_for_its_resource_owners(tmp_path: Path) -> None:
    with (
        scene(tmp_path, Settings()) as s,
        s.deployment.rof(s.credential) as rof,
        pytest.raises(RofError) as refusal,
    ):
        rof.authorize("msisdn-490000000000", s.invoker.identity.api_invoker_id, s.aef_id, (HELLO_API,))
    assert refusal.value.status == 403


def _forger(s: Scene, authentication: RofAuthentication) -> ResourceOwnerFunction:
    """A ROF client that names ROF rof-1 without its credential (an attacker's own instead)."""
    host, port, ca = s.deployment.host, s.deployment.azf.port, s.deployment.ca.certificate
    if authentication is RofAuthentication.CERTIFICATE:
        foreign = pki.CertificateAuthority.create("attacker CA", now=datetime.now(UTC) - timedelta(hours=1))
        profile = pki.CertificateProfile(ROF, uris=(f"urn:capifsec:rof:{ROF}",), client_auth=True)
        own = foreign.issue_certified_key(profile, now=datetime.now(UTC) - timedelta(minutes=5))
        credential = RofCredential(ROF, certificate=own)
        return ResourceOwnerFunction(
            host, port, credential=credential, tls=CertificateClientTls(ca, credential=own)
        )
    if authentication is RofAuthentication.PSK:
        credential = RofCredential(ROF, psk=bytes(32))
        return ResourceOwnerFunction(host, port, credential=credential, tls=PskClientTls(ROF, bytes(32)))
    if authentication is RofAuthentication.PASSWORD:
        credential = RofCredential(ROF, password="guessed")
        return ResourceOwnerFunction(host, port, credential=credential, tls=CertificateClientTls(ca))
    return ResourceOwnerFunction(host, port, credential=RofCredential(ROF), tls=CertificateClientTls(ca))


@pytest.mark.parametrize("authentication", [*SAFE, RofAuthentication.UNSAFE_NONE])
def test_the_azf_refuses_a_rof_without_its_credential(
    tmp_path: Path, authentication: RofAuthentication
) -> None:
    with scene(tmp_path, _settings(authentication)) as s, _forger(s, authentication) as forger:
        invoker_id = s.invoker.identity.api_invoker_id
        if authentication is RofAuthentication.UNSAFE_NONE:
            forger.authorize(OWNER, invoker_id, s.aef_id, (HELLO_API,))  # rof-authorization-forged
            assert _claims(s.token())["resOwnerId"] == OWNER
            return
        with pytest.raises(RofError):
            forger.authorize(OWNER, invoker_id, s.aef_id, (HELLO_API,))
        with pytest.raises(RefusedError):
            s.token()


def test_without_protection_capif8_is_plaintext(tmp_path: Path) -> None:
    settings = _settings(RofAuthentication.UNSAFE_NONE, Capif8Protection.UNSAFE_NONE)
    with scene(tmp_path, settings) as s:
        anyone = ResourceOwnerFunction(
            s.deployment.host, s.deployment.azf.port, credential=RofCredential(ROF), tls=PlaintextClient()
        )
        with anyone:
            anyone.authorize(OWNER, s.invoker.identity.api_invoker_id, s.aef_id, (HELLO_API,))


def test_without_capif8_a_resource_owner_token_is_refused(tmp_path: Path) -> None:
    with running(tmp_path, Settings(capif8=Capif8.NOT_SUPPORTED)) as deployment:
        invoker = deployment.invoker()
        with invoker:
            invoker.onboard(deployment.onboarding_secret())
            found = invoker.discover(api_name=HELLO_API)
            invoker.negotiate([next(target for target in found if target.api_prefix == "/oauth")])
            with pytest.raises(RefusedError) as refusal:
                invoker.obtain_token(deployment.aef.config.aef_id, [HELLO_API], res_owner_id=OWNER)
        assert refusal.value.cause == "invalid_request"
        with pytest.raises(DeploymentError, match="CAPIF-8"):
            _ = deployment.azf
