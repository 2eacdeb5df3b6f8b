"""Two interconnected providers on loopback, and an invoker of one taken through the procedures of the
contributions towards the AEF of the other (contribution 001 6.X: invoker at the home CCF, AEF at the
AEF's CCF)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.catalogue_profiles import settings_for_profile
from impl.deployment import HELLO_API, Deployment
from impl.deployment.interconnected import InterconnectedDeployment
from impl.invoker import AefTarget, ApiInvoker, Negotiated
from impl.settings import Settings

RESOURCE = "/greeting"


@contextmanager
def interconnected(directory: Path, settings: Settings | None = None) -> Iterator[InterconnectedDeployment]:
    """Providers ``a`` and ``b`` on loopback, interconnected, stopped when the block ends."""
    with InterconnectedDeployment(directory, settings or Settings()) as providers:
        yield providers


def profile(profile_id: str) -> Settings:
    """A catalogue profile's settings, unsafe values allowed (the tests run them on purpose)."""
    return settings_for_profile(profile_id, allow_unsafe=True)


@dataclass
class Visitor:
    """An invoker onboarded at ``home``, with the interfaces of ``host``'s AEF it discovered there."""

    invoker: ApiInvoker
    home: Deployment
    host: Deployment
    targets: dict[str, AefTarget]

    @property
    def api_invoker_id(self) -> str:
        return self.invoker.identity.api_invoker_id

    def negotiate(self, prefix: str, methods: tuple[SecurityMethod, ...] | None = None) -> Negotiated:
        return self.invoker.negotiate([self.targets[prefix]], preferred=methods)[0]

    def invoke(self, negotiated: Negotiated) -> object:
        """check-authentication, a token when OAUTH, then ``GET hello/v1/greeting``."""
        self.invoker.check_authentication(negotiated.target)
        token = None
        if negotiated.method is SecurityMethod.OAUTH:
            token = self.invoker.obtain_token(negotiated.target.aef_id, [HELLO_API])
        return self.invoker.invoke(negotiated, RESOURCE, token=token)


def visitor(home: Deployment, host: Deployment) -> Visitor:
    """A fresh invoker of ``home`` that discovered ``host``'s AEF through ``home`` (TS 23.222 8.25.3.2)."""
    invoker = home.invoker()
    invoker.onboard(home.onboarding_secret())
    found = invoker.discover(api_name=HELLO_API, aef_id=host.aef.config.aef_id)
    return Visitor(invoker, home, host, {target.api_prefix: target for target in found})


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InterconnectedDeployment]:
    """Providers ``a`` and ``b`` under ``recommended``, per test module."""
    with interconnected(tmp_path_factory.mktemp("providers")) as started:
        yield started
