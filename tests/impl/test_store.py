"""The CCF store: SQLite settings, schema version, restart, and all-or-nothing service calls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from impl.apitypes.problems import UnauthorizedError
from impl.store import Database, StoreError
from impl.store.secrets import SecretPurpose
from tests.impl.test_ccf_world import (
    NOTIFY,
    NOW,
    Provider,
    World,
    interface,
    invoker_caller,
    make_csr,
    profile,
    tls12_keying,
)

REPOSITORY = Path(__file__).resolve().parents[2]


def _counts(database: Database) -> dict[str, int]:
    tables = [
        "onboarding_secrets",
        "certificates",
        "invokers",
        "provider_domains",
        "provider_functions",
        "service_apis",
        "api_profiles",
        "security_contexts",
        "security_entries",
        "aef_psks",
        "issued_tokens",
        "api_denials",
    ]
    with database.transaction() as tx:
        return {table: tx.rows(f"SELECT count(*) FROM {table}")[0][0] for table in tables}


def test_the_database_uses_wal_full_sync_and_foreign_keys(world: World) -> None:
    assert world.database.pragma("journal_mode") == "wal"
    assert world.database.pragma("synchronous") == 2  # FULL
    assert world.database.pragma("foreign_keys") == 1
    with pytest.raises(ValueError):
        world.database.pragma("user_version")


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ccf.sqlite3"
    with Database(path) as database, database.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="99"):
        Database(path)


def test_transactions_do_not_nest_and_a_closed_database_refuses(tmp_path: Path) -> None:
    database = Database(tmp_path / "ccf.sqlite3")
    with database.transaction(), pytest.raises(StoreError), database.transaction():
        pass
    database.close()
    with pytest.raises(StoreError), database.transaction():
        pass


@dataclass(frozen=True)
class Scenario:
    provider: Provider
    invoker_id: str
    other_id: str
    psk_api: str
    unspent_secret: str


def _scenario(world: World) -> Scenario:
    """Populate every kind of record: functions, APIs, invokers, contexts, AEFPSK, token, policy."""
    provider = world.register(aef_count=2)
    psk_api = world.publish(provider, "api-psk", [profile(provider.aefs[0], methods=["PSK", "PKI"])])
    oauth_api = world.publish(
        provider, "api-oauth", [profile(provider.aefs[1], methods=["OAUTH"], interfaces=[interface(8002)])]
    )
    invoker_id, other = world.onboard(), world.onboard()
    world.ccf.operator.set_api_audience(oauth_api, [invoker_id])
    world.negotiate(
        invoker_id,
        [
            {"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]},
            {"aefId": provider.aefs[1], "prefSecurityMethods": ["OAUTH"]},
        ],
    )
    world.negotiate(other, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PKI"]}])
    scope = f"3gpp#{provider.aefs[1]}:api-oauth"
    form = [("grant_type", "client_credentials"), ("client_id", invoker_id), ("scope", scope)]
    world.ccf.tokens.request_token(invoker_caller(invoker_id), invoker_id, form, now=NOW)
    revocation = {"apiInvokerId": other, "apiIds": [psk_api], "cause": "OVERLIMIT_USAGE"}
    world.ccf.security.revoke(provider.aef_caller(0), other, revocation, now=NOW)
    return Scenario(provider, invoker_id, other, psk_api, world.secret(SecretPurpose.INVOKER_ONBOARDING))


def _observe(world: World, scenario: Scenario) -> dict[str, object]:
    """What the services answer about the scenario's records."""
    provider, invoker_id, other = scenario.provider, scenario.invoker_id, scenario.other_id
    query = [("authenticationInfo", "true"), ("authorizationInfo", "true")]
    acl_query = [("aef-id", provider.aefs[0])]
    return {
        "psk_info": world.ccf.security.get_context(provider.aef_caller(0), invoker_id, query).to_json(),
        "oauth_info": world.ccf.security.get_context(provider.aef_caller(1), invoker_id, query).to_json(),
        "published": [api.to_json() for api in world.ccf.publishing.list(provider.apf_caller, provider.apf)],
        "discovered": world.ccf.discovery.discover(
            invoker_caller(invoker_id), [("api-invoker-id", invoker_id)]
        ).to_json(),
        "discovered_by_other": world.ccf.discovery.discover(
            invoker_caller(other), [("api-invoker-id", other)]
        ).to_json(),
        "acl": world.ccf.access_control.policy_list(
            provider.aef_caller(0), scenario.psk_api, acl_query
        ).to_json(),
        "counts": _counts(world.database),
    }


def test_a_restart_keeps_everything(world: World) -> None:
    scenario = _scenario(world)
    before = _observe(world, scenario)
    world.reopen()
    assert _observe(world, scenario) == before
    with world.database.transaction() as tx:
        pem = tx.row("SELECT pem FROM certificates WHERE subject_id = ?", (scenario.invoker_id,))
    assert pem is not None
    certificate = x509.load_pem_x509_certificate(pem["pem"].encode())
    caller = world.ccf.credentials.caller_for_certificate(certificate, now=NOW)
    assert caller == invoker_caller(scenario.invoker_id)
    body = {
        "onboardingInformation": {"apiInvokerPublicKey": make_csr()[1]},
        "notificationDestination": NOTIFY,
    }
    onboarded = world.ccf.invokers.onboard(body, onboarding_secret=scenario.unspent_secret, now=NOW)
    assert onboarded.body.api_invoker_id
    with pytest.raises(UnauthorizedError):
        world.ccf.invokers.onboard(body, onboarding_secret=scenario.unspent_secret, now=NOW)


class InjectedCrashError(RuntimeError):
    """Stands for a crash in the middle of a service call."""


def _crash(*args: object, **kwargs: object) -> None:
    raise InjectedCrashError("crash after the call's first writes")


def test_a_crash_mid_onboarding_leaves_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = world.secret(SecretPurpose.INVOKER_ONBOARDING)
    before = _counts(world.database)
    monkeypatch.setattr("impl.ccf.invokers.insert_invoker", _crash)  # after the secret and certificate writes
    body = {
        "onboardingInformation": {"apiInvokerPublicKey": make_csr()[1]},
        "notificationDestination": NOTIFY,
    }
    with pytest.raises(InjectedCrashError):
        world.ccf.invokers.onboard(body, onboarding_secret=secret, now=NOW)
    assert _counts(world.database) == before
    monkeypatch.undo()
    assert world.ccf.invokers.onboard(body, onboarding_secret=secret, now=NOW).body.api_invoker_id


def test_a_crash_mid_negotiation_leaves_no_context(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK"])])
    invoker_id = world.onboard()
    before = _counts(world.database)
    monkeypatch.setattr("impl.store.contexts.insert_psk", _crash)  # after the context and entry writes
    with pytest.raises(InjectedCrashError):
        world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]}])
    assert _counts(world.database) == before


def test_a_crash_mid_offboarding_keeps_the_invoker_whole(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK"])])
    invoker_id = world.onboard()
    world.negotiate(invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]}])
    before = _counts(world.database)
    monkeypatch.setattr("impl.ccf.invokers.revoke_certificate", _crash)  # after the context and token deletes
    with pytest.raises(InjectedCrashError):
        world.ccf.invokers.offboard(invoker_caller(invoker_id), invoker_id, now=NOW)
    assert _counts(world.database) == before
    assert world.ccf.security.get_context(provider.aef_caller(0), invoker_id, []).security_info


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.impl.test_ccf_world import World, tls12_keying
    import impl.store.contexts

    directory, invoker_id, aef_id = sys.argv[1:4]
    world = World(Path(directory))
    committed = world.onboard()
    print("COMMITTED", committed, flush=True)

    def block(*args, **kwargs):
        print("BLOCKED", flush=True)
        time.sleep(600)

    impl.store.contexts.insert_psk = block
    world.negotiate(invoker_id, [{"aefId": aef_id, "prefSecurityMethods": ["PSK"]}], tls12_keying())
    """
)


def test_a_process_killed_mid_call_leaves_nothing_half_written(world: World) -> None:
    provider = world.register()
    world.publish(provider, "api-a", [profile(provider.aefs[0], methods=["PSK"])])
    invoker_id = world.onboard()
    world.close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(world.directory), invoker_id, provider.aefs[0]],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    try:
        assert child.stdout is not None
        committed_line = child.stdout.readline().split()
        blocked_line = child.stdout.readline().strip()
        assert committed_line[:1] == ["COMMITTED"] and blocked_line == "BLOCKED", (
            child.stderr.read() if child.stderr else ""
        )
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()
    world.reopen()
    with world.database.transaction() as tx:
        assert tx.rows("PRAGMA integrity_check")[0][0] == "ok"
        assert tx.rows("SELECT * FROM security_contexts") == []
        assert tx.rows("SELECT * FROM security_entries") == []
        committed = tx.row("SELECT state FROM invokers WHERE api_invoker_id = ?", (committed_line[1],))
    assert committed is not None and committed["state"] == "onboarded"
    selected = world.negotiate(
        invoker_id, [{"aefId": provider.aefs[0], "prefSecurityMethods": ["PSK"]}], tls12_keying()
    )
    assert selected.security_info[0].sel_security_method == "PSK"
