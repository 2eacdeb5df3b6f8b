"""A CCF restart keeps every committed onboarding, registration and security context (SQLite WAL),
and a whole deployment restarted on its data directory carries on where it stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.deployment import HELLO_API, Deployment, DeploymentPorts
from impl.invoker import RefusedError
from impl.settings import Settings
from tests.impl.test_e2e_world import RESOURCE, capif1e_client, ready_invoker, running


def test_a_ccf_restart_keeps_onboardings_registrations_and_security_contexts(tmp_path: Path) -> None:
    with running(tmp_path) as deployment:
        ready = ready_invoker(deployment)
        for prefix in ready.negotiated:
            assert ready.invoke(prefix) is not None
        unspent = deployment.onboarding_secret()
        capif1e_port = deployment.ccf.capif1e_port

        deployment.restart_ccf()

        assert deployment.ccf.capif1e_port == capif1e_port
        targets = ready.invoker.discover(api_name=HELLO_API)  # onboarding and publication kept
        assert {target.api_prefix for target in targets} == {"/psk", "/pki", "/oauth"}
        for prefix in ready.negotiated:  # contexts kept: same AEFPSK, same PKI record, same token key
            assert ready.invoke(prefix) is not None
        token = ready.invoker.obtain_token(deployment.aef.config.aef_id, [HELLO_API])
        answer = ready.invoker.invoke(ready.negotiated["/oauth"], RESOURCE, token=token)
        assert isinstance(answer, dict) and answer["apiInvokerId"] == ready.api_invoker_id
        deployment.update_methods("oauth", [SecurityMethod.OAUTH, SecurityMethod.PKI])  # APF still registered
        with capif1e_client(deployment, ready.invoker.identity.credential) as capif1e:
            again = capif1e.put_json(
                f"/capif-security/v1/trustedInvokers/{ready.api_invoker_id}",
                {
                    "securityInfo": [{"aefId": "x", "prefSecurityMethods": ["PKI"]}],
                    "notificationDestination": "https://127.0.0.1:9/n",
                },
            )
        problem = again.problem()
        assert (again.status, problem.cause if problem else None) == (403, "SECURITY_CONTEXT_EXISTS")
        deployment.invoker().onboard(unspent)  # a secret minted before the restart is still good
        with pytest.raises(RefusedError):
            deployment.invoker().onboard(unspent)
        ready.invoker.close()


def test_a_whole_deployment_restarts_on_its_data_directory(tmp_path: Path) -> None:
    settings = Settings()
    with running(tmp_path, settings) as first:
        ready = ready_invoker(first)
        assert ready.invoke("/psk") is not None
        ports = DeploymentPorts(
            ccf_capif1e=first.ccf.capif1e_port,
            ccf_capif345=first.ccf.capif345_port,
            aef_capif3=first.aef.capif3_port,
            aef_interfaces={name: interface.port or 0 for name, interface in first.aef.interfaces.items()},
        )
        aef_id, api_id = first.aef.config.aef_id, first.hello_api_id
    ready.invoker.close()
    with Deployment(tmp_path, settings, ports=ports) as second:
        assert (second.aef.config.aef_id, second.hello_api_id) == (aef_id, api_id)
        for prefix in ready.negotiated:
            answer = ready.invoke(prefix)
            assert isinstance(answer, dict) and answer["apiInvokerId"] == ready.api_invoker_id
        ready.invoker.close()
