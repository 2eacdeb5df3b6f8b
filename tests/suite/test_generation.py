"""``capifsec traces``: the layout, the coverage audit and the model's expectations in the suite it
writes (``docs/test-suite.md``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from capifsec.cli import main as capifsec
from model.catalogue import Catalogue
from model.coverage import Need, Obligation
from model.outcome import acceptance_goal
from model.suite import INDEX, ProfileSuite, audit_lines, complete, generate_profile, unreachable
from model.verify import ProfileVerifier
from tests.suite.conftest import PROFILE, SPEC, read


@pytest.fixture(scope="module")
def traces(suite_dir: Path) -> dict[str, dict[str, object]]:
    return {path.relative_to(suite_dir).as_posix(): read(path) for path in suite_dir.glob("*/*/*/*.json")}


def test_the_audit_covers_every_obligation(suite_dir: Path) -> None:
    index = read(suite_dir / INDEX)
    assert index["format"] == "capifsec-suite/1"
    figures = index["profiles"][PROFILE]["figures"]
    for name in ("actions", "checks_passed", "checks_refused"):
        assert figures[name]["covered"] == figures[name]["total"] > 0, name
    for obligation in index["profiles"][PROFILE]["obligations"]:
        assert obligation.get("traces") or obligation.get("impossible"), obligation
    assert index["profiles"][PROFILE]["boundaries_missing"] == []


def test_every_file_is_a_trace_where_its_path_says(traces: dict[str, dict[str, object]]) -> None:
    validator = Draft202012Validator(json.loads((SPEC / "schema" / "trace.schema.json").read_text("utf-8")))
    kinds = set()
    for path, trace in traces.items():
        assert not list(validator.iter_errors(trace)), path
        profile, kind, subject, case = path.removesuffix(".json").split("/")
        assert (trace["profile"], trace["kind"], trace["subject"], trace["case"]) == (
            profile,
            kind,
            subject,
            case,
        )
        kinds.add(kind)
    assert kinds == {"witness", "coverage", "boundary"}  # every property holds under the baseline


def test_only_the_last_step_may_be_refused_and_a_refused_check_is_named(
    traces: dict[str, dict[str, object]],
) -> None:
    for path, trace in traces.items():
        steps = trace["steps"]
        assert isinstance(steps, list)
        assert all(step["expect"] == "accepted" for step in steps[:-1]), path
        last = steps[-1]
        if path.endswith("/refused.json"):
            assert last["expect"] == "refused" and trace["subject"] in last["refused_by"], path
        if path.endswith("/passes.json"):
            assert last["expect"] == "accepted" and trace["subject"] in last["checks_passed"], path
        if path.endswith("/occurs.json"):
            assert last["action"] == trace["subject"], path


def test_the_skew_limit_is_accepted_and_one_second_past_refused(traces: dict[str, dict[str, object]]) -> None:
    at_limit = traces[f"{PROFILE}/boundary/expiry-skew/at-limit.json"]["steps"]
    past = traces[f"{PROFILE}/boundary/expiry-skew/one-second-past.json"]["steps"]
    assert isinstance(at_limit, list) and isinstance(past, list)
    assert [step["action"] for step in at_limit[-2:]] == ["token-at-skew-limit", "oauth-invoke"]
    assert at_limit[-1]["expect"] == "accepted"
    assert [step["action"] for step in past[-2:]] == ["token-expires", "oauth-invoke"]
    assert (past[-1]["expect"], past[-1]["refused_by"]) == ("refused", ["aef-checks-expiry"])


def test_an_empty_method_intersection_is_refused_by_selection(traces: dict[str, dict[str, object]]) -> None:
    trace = traces[f"{PROFILE}/boundary/method-intersection/empty.json"]
    last = trace["steps"][-1]  # type: ignore[index]
    invoker = next(i for i in trace["topology"]["invokers"] if i["id"] == last["args"]["i"])  # type: ignore[index]
    aef = next(a for a in trace["topology"]["aefs"] if a["id"] == last["args"]["a"])  # type: ignore[index]
    assert not set(invoker["prefers"]) & set(aef["methods"])
    assert last["expect"] == "refused"
    assert set(last["refused_by"]) <= {"selection-in-aef-methods", "selection-in-preferences"}


@pytest.fixture(scope="module")
def generated(catalogue: Catalogue) -> ProfileSuite:
    return generate_profile(catalogue, "cr-method-update")


def test_an_unmet_obligation_fails_the_audit(generated: ProfileSuite) -> None:
    assert complete([generated])
    wanted = Obligation(Need.REFUSED, "aef-current-method")
    kept = tuple(trace for trace in generated.traces if wanted not in trace.meets)
    crippled = replace(generated, traces=kept)
    assert not complete([crippled])
    assert f"uncovered: cr-method-update: {wanted}" in audit_lines([crippled])
    figures = crippled.figures.checks_refused
    assert figures[0] == figures[1] - 1


def test_a_check_that_never_passes_is_shown_impossible(suite_dir: Path) -> None:
    """The CCF serves Revoke_Authorization to the AEF only: revoker-is-the-aef is 'false', so it never
    passes, and the model says why instead of leaving the obligation unmet."""
    obligations = read(suite_dir / INDEX)["profiles"][PROFILE]["obligations"]
    entry = next(o for o in obligations if (o["need"], o["subject"]) == ("passes", "revoker-is-the-aef"))
    assert "guard 'false'" in entry["impossible"]


def test_the_invariant_shows_an_acceptance_unreachable(catalogue: Catalogue) -> None:
    """Under recommended the CCF revokes an authorization at an AEF's request only, so an invoker's
    request to revoke another's is never accepted: Houdini keeps the negation of the acceptance in the
    inductive invariant. A reachable acceptance is not shown unreachable. (No acceptance of the shipped
    catalogue is unreachable without a guard 'false', which the audit sees without the solver.)"""
    verifier = ProfileVerifier(catalogue, "recommended")
    actions = {action.id: action for action in verifier.system.actions}
    assert unreachable(verifier, [acceptance_goal(actions["revoke-another"])])
    assert not unreachable(verifier, [acceptance_goal(actions["negotiate"])])


@pytest.mark.parametrize("out_kind", ["file", "folder"])
def test_an_out_that_is_no_suite_folder_is_refused(
    tmp_path: Path, out_kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    if out_kind == "file":
        out.write_text("x", "utf-8")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("mine", "utf-8")
    try:
        status = capifsec(["traces", "--profile", PROFILE, "--out", str(out)])
    except SystemExit as exit_request:  # argparse refuses a file before any work
        status = int(exit_request.code or 0)
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err
    assert out.exists() and (out_kind == "file" or (out / "notes.txt").is_file())


def test_a_verification_s_results_are_reused(suite_dir: Path, tmp_path: Path) -> None:
    """``--results`` takes the counterexamples and witnesses of a ``capifsec verify --json`` file instead
    of verifying again: the suite written is the same, file for file."""
    results = tmp_path / "results.json"
    assert capifsec(["verify", "--profile", PROFILE, "--json", str(results), "--workers", "1"]) in (0, 1)
    out = tmp_path / "suite"
    assert capifsec(["traces", "--profile", PROFILE, "--out", str(out), "--results", str(results)]) == 0
    written = sorted(path.relative_to(out) for path in out.rglob("*.json"))
    assert written == sorted(path.relative_to(suite_dir) for path in suite_dir.rglob("*.json"))
    for path in written:
        if path.parts[1:2] in (("counterexample",), ("witness",)):
            assert read(out / path) == read(suite_dir / path), path


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[1, 2]", "expected a JSON object"),
        ('{"results": [], "witnesses": [], "profiles": []}', "has no results"),
    ],
)
def test_results_that_are_no_verification_of_the_profile_are_refused(
    tmp_path: Path, document: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.json"
    results.write_text(document, "utf-8")
    status = capifsec(
        ["traces", "--profile", PROFILE, "--out", str(tmp_path / "s"), "--results", str(results)]
    )
    assert status == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not (tmp_path / "s").exists()
