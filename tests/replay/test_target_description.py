"""``capifsec replay --target FILE``: the description is checked before anything runs (bad input exits
2 with one line), traces run on the deployment it describes, and a description that runs short ends
a trace "target lacks ..." instead of a divergence. The deployment described is the reference
implementation, started on loopback and seen only through what the description gives."""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from jsonschema import Draft202012Validator

from impl.credential_files import save_credential
from impl.settings import Settings
from replay import ExternalTarget, LocalTarget, LocalTargets, Mode, Status, TraceError, main, replay_on
from tests.replay.traces import with_dishonest_aef

Trace = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
CAPIFSEC = Path(sys.executable).parent / "capifsec"


@pytest.fixture(scope="module")
def local(targets: LocalTargets) -> LocalTarget:
    target = targets.get(Settings())
    target.reset()
    return target


def _describe(local: LocalTarget, folder: Path, secrets: object, **extra: object) -> Path:
    """A description of the running deployment (one provider, its first AEF) in ``folder``."""
    provider = local.provider
    (folder / "ca.pem").write_bytes(provider.ca_certificate.public_bytes(Encoding.PEM))
    aef = local.aefs(provider.name, 1)[0]
    description = {
        "format": "capifsec-target/1",
        "providers": [
            {
                "name": "operator-A",
                "caCertificate": "ca.pem",
                "capif1e": f"https://{provider.ccf.host}:{provider.ccf.port}",
                "onboardingSecrets": secrets,
                "aefs": [
                    {
                        "aefId": aef.aef_id,
                        "apis": [{"name": api.name, "resource": api.resource} for api in aef.apis],
                        "interfaces": [
                            {"name": i.name, "securityMethods": sorted(i.methods)} for i in aef.interfaces
                        ],
                    }
                ],
            }
        ],
        **extra,
    }
    path = folder / "target.json"
    path.write_text(json.dumps(description), "utf-8")
    return path


def _trace_file(folder: Path, trace: Trace) -> Path:
    path = folder / "trace.json"
    path.write_text(json.dumps(trace), "utf-8")
    return path


def test_a_description_with_listed_secrets_replays_on_that_deployment(
    witness: Callable[[str, str], Trace],
    local: LocalTarget,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = _describe(local, tmp_path, [local.onboarding_secret(local.provider.name)])
    trace = _trace_file(tmp_path, witness("ts33122-rel18", "pki-one-provider"))
    assert main([str(trace), "--target", str(target), "--mode", "recommended"]) == 0
    assert "pki-one-provider [recommended]: replayed" in capsys.readouterr().out
    assert main([str(trace), "--target", str(target)]) == 2
    assert "--mode says how that target is configured" in capsys.readouterr().err


def test_secrets_from_a_command_and_a_spent_list_is_target_lacks_not_divergence(
    witness: Callable[[str, str], Trace], local: LocalTarget, tmp_path: Path
) -> None:
    """The command is the reference implementation's own way to mint a secret out of band."""
    command = [str(CAPIFSEC), "serve", "--data-dir", str(local.data_dir), "--onboarding-secret"]
    minted = ExternalTarget.from_file(_describe(local, tmp_path, {"command": command}))
    for witness_id in ("psk-one-provider", "oauth-one-provider"):
        replay = replay_on(witness("ts33122-rel18", witness_id), minted, Mode.RECOMMENDED)
        assert replay.status is Status.REPLAYED, "\n".join(replay.lines())
    spent = ExternalTarget.from_file(_describe(local, tmp_path, []))
    replay = replay_on(witness("ts33122-rel18", "psk-one-provider"), spent, Mode.RECOMMENDED)
    assert replay.status is Status.TARGET_LACKS
    assert replay.reason == "target lacks onboarding secrets at operator-A: the description's list is spent"


def test_an_operation_command_gives_its_capability_and_is_undone_at_the_next_trace(
    witness: Callable[[str, str], Trace], local: LocalTarget, tmp_path: Path
) -> None:
    """``setAudience`` is a program of the operator's: here one that writes down what it was asked."""
    log = tmp_path / "audience.log"
    recorder = f"import sys, json; open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')"
    audience = [sys.executable, "-c", recorder, "{aefId}", "{api}", "{invokers}"]
    secrets = [local.onboarding_secret(local.provider.name) for _ in range(2)]
    target = ExternalTarget.from_file(
        _describe(local, tmp_path, secrets, operations={"setAudience": audience})
    )
    trace = witness("ts33122-rel18", "oauth-one-provider")
    replay = replay_on(trace, target, Mode.RECOMMENDED)
    assert replay.status is Status.REPLAYED, "\n".join(replay.lines())
    calls = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    aef_id = local.aefs(local.provider.name, 1)[0].aef_id
    onboarded = next(step.observed for step in replay.steps if step.action == "onboard")
    invoker_id = onboarded.rsplit(" ", 1)[-1]
    assert calls[0][:2] == [aef_id, "hello"] and calls[0][2].endswith("@operator-A")  # the ID made up before
    assert [aef_id, "hello", invoker_id] in calls
    target.reset()
    assert json.loads(log.read_text("utf-8").splitlines()[-1]) == [aef_id, "hello", "*"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("format"), "'format' is a required property at /"),
        (lambda d: d["providers"][0].update(capif1e="http://x"), "does not match"),
        (lambda d: d["providers"][0].update(caCertificate="absent.pem"), "cannot read"),
        (lambda d: d.update(operations={"advanceClock": ["tool", "{aefId}"]}), "uses {aefId}; known: {time}"),
        (lambda d: d["providers"].append(d["providers"][0]), "two providers have the same name"),
    ],
    ids=["no-format", "not-https", "no-ca-file", "unknown-placeholder", "same-name"],
)
def test_a_bad_description_exits_2_with_one_line(
    edit: Callable[[dict[str, Any]], object],
    message: str,
    local: LocalTarget,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _describe(local, tmp_path, [])
    document = json.loads(path.read_text("utf-8"))
    edit(document)
    path.write_text(json.dumps(document), "utf-8")
    trace = _trace_file(tmp_path, {"results": []})
    assert main([str(trace), "--target", str(path), "--mode", "as-profile"]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1, error


def test_a_ccf_that_gives_no_tls_session_is_found_before_anything_runs(
    local: LocalTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as unused:  # bound, not listening: refused, and no other process takes it
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        path = _describe(local, tmp_path, [])
        document = json.loads(path.read_text("utf-8"))
        document["providers"][0]["capif1e"] = f"https://127.0.0.1:{port}"
        path.write_text(json.dumps(document), "utf-8")
        trace = _trace_file(tmp_path, {"results": []})
        assert main([str(trace), "--target", str(path), "--mode", "recommended"]) == 2
        assert f"its CCF at https://127.0.0.1:{port} gave no TLS session" in capsys.readouterr().err
        with pytest.raises(TraceError, match="gave no TLS session"):
            ExternalTarget.from_file(path).check_reachable(timeout=2.0)


def test_the_documented_description_is_one() -> None:
    """The example in docs/replay.md is valid under spec/schema/target.schema.json."""
    page = (ROOT / "docs" / "replay.md").read_text("utf-8")
    example = re.search(r"<!-- target example -->\s*```json\n(.*?)```", page, re.DOTALL)
    assert example is not None, "docs/replay.md lost its target example"
    schema = json.loads((ROOT / "spec" / "schema" / "target.schema.json").read_text("utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(json.loads(example.group(1))))
    assert errors == []


def test_an_attacker_aef_of_the_description_plays_an_aef_the_attacker_controls(
    witness: Callable[[str, str], Trace], local: LocalTarget, tmp_path: Path
) -> None:
    """The operator registered an AEF for the tester and handed over its certificate and key (here:
    one the reference implementation registered); the dishonest-AEF trace of
    ``test_dishonest_parties`` (edited on purpose) replays on the description."""
    held = local.attacker_aefs(local.provider.name, 1)[0]
    save_credential(tmp_path, "attacker-aef", held.credential)
    entry = {
        "aefId": held.aef.aef_id,
        "apis": [{"name": api.name, "resource": api.resource} for api in held.aef.apis],
        "interfaces": [{"name": i.name, "securityMethods": sorted(i.methods)} for i in held.aef.interfaces],
        "capif3": f"https://{held.ccf_capif3.host}:{held.ccf_capif3.port}",
        "certificate": "attacker-aef.pem",
        "privateKey": "attacker-aef-key.pem",
    }
    path = _describe(local, tmp_path, [local.onboarding_secret(local.provider.name) for _ in range(2)])
    document = json.loads(path.read_text("utf-8"))
    document["providers"][0]["attackerAefs"] = [entry]
    path.write_text(json.dumps(document), "utf-8")
    target = ExternalTarget.from_file(path)
    trace = with_dishonest_aef(witness("ts33122-rel18", "psk-one-provider"))
    replay = replay_on(trace, target, Mode.RECOMMENDED)
    assert replay.status is Status.REPLAYED, "\n".join(replay.lines())
    assert "whose keys the attacker holds" in replay.steps[-1].observed
    document["providers"][0]["attackerAefs"] = []
    path.write_text(json.dumps(document), "utf-8")
    lacking = replay_on(trace, ExternalTarget.from_file(path), Mode.RECOMMENDED)
    assert lacking.status is Status.TARGET_LACKS
    assert lacking.reason.startswith("target lacks AEFs whose keys the attacker holds")
