"""Implementation mutants: the reference implementation with one security check removed, which the
generated test suite must kill (``capifsec mutants SUITE_DIR``; ``docs/test-suite.md``).

Each mutant is a source patch of ``impl/``: an exact piece of text and what replaces it. The patch is
applied to a copy of ``impl/`` in a temporary folder (never to the checkout), and the suite is
replayed in a child process whose import path puts that copy first, so that every deployment the
replayer starts runs the mutated code. A mutant is **killed** when a trace disagrees at a step (the
child stops at the first); it **survives** when every trace agrees or is not replayable. A patch whose
text is no longer found exactly once is an error, never a silent survivor.

A mutant may be **equivalent**: no trace the model can write distinguishes it from the unmutated
implementation (``docs/test-suite.md`` gives the argument for each). It is still replayed, and
reported apart: the kill rate is over the other mutants, and an equivalent mutant the suite kills
is reported as such (its argument is wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import impl
from replay.documents import TraceChecker
from replay.judge import Status
from replay.local import LocalTargets
from replay.run import BOTH_MODES, recommended_profile, replay_locally
from replay.suite import Suite, modes_for

IMPL = Path(__file__).resolve().parents[1] / "impl"
USAGE_ERROR = 2
SURVIVED = 1
SLOWER_THAN_UNMUTATED = 3
"""A mutant's replay that takes this many times the unmutated one's (at least a minute) is stopped:
the mutant hangs where the implementation answers, which the suite detects (it never finishes)."""
STARTED = "replaying "


@dataclass(frozen=True)
class Mutant:
    """One security check removed from the implementation."""

    name: str
    check: str
    """the catalogue check (``spec/checks.yaml``) whose implementation is removed"""
    path: str
    """the file under ``impl/``"""
    original: str
    mutated: str
    removes: str
    """what the patch removes, in words"""
    equivalent: str | None = None
    """why no trace the model can write tells it from the unmutated implementation (None: not
    equivalent, the suite must kill it)"""


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "signature",
        "aef-checks-signature",
        "tokens/keys.py",
        "        return self._check.verify(prepared, signing_input)\n",
        "        return True\n",
        "the AEF's verification of a token's signature (TS 33.122 clause 6.5.2.3)",
    ),
    Mutant(
        "issuer-key-binding",
        "aef-checks-signature",
        "tokens/verifier.py",
        "        if rules.issuer_is_ccf and issuer is not None and issuer != key.issuer:\n"
        "            raise InvalidToken(TokenRefusal.WRONG_ISSUER)\n",
        "",
        "the AEF's check that a token's iss is the CCF whose key signed it",
    ),
    Mutant(
        "expiry",
        "aef-checks-expiry",
        "tokens/verifier.py",
        "    if now > known.verified.expires_at + skew:\n        raise InvalidToken(TokenRefusal.EXPIRED)\n",
        "",
        "the AEF's check of a token's exp with at most 30 s skew (TS 33.122 Annex C)",
    ),
    Mutant(
        "scope-aef",
        "aef-checks-scope",
        "tokens/verifier.py",
        "            aef_id = self._aef_id if self._scope_check is ScopeCheck.AEF_AND_API else None\n",
        "            aef_id = None\n",
        "the AEF's check that the token's scope names its own aefId",
    ),
    Mutant(
        "scope-api",
        "aef-checks-scope",
        "tokens/verifier.py",
        "            if not scope_grants(known.verified.scope, aef_id, api_name):\n",
        "            if not any(aef_id is None or e.aef_id == aef_id for e in known.verified.scope):\n",
        "the AEF's check that the token's scope names the API invoked",
    ),
    Mutant(
        "client-id-binding",
        "token-client-binding",
        "ccf/token_endpoint.py",
        "        if bound and request.client_id != caller.id:\n"
        "            raise _error(TokenErrorCode.INVALID_CLIENT,"
        ' "client_id is not the authenticated API invoker")\n',
        "",
        "the CCF's check that a token request's client_id is the authenticated invoker",
    ),
    Mutant(
        "home-ccf-validation",
        "home-resolved",
        "interconnect/peers.py",
        "    named = issuing_ccf(api_invoker_id)\n"
        "    if resolution is HomeCcfResolution.RESOLVED_FROM_INVOKER_ID:\n",
        "    named = issuing_ccf(api_invoker_id)\n"
        "    resolution = HomeCcfResolution.UNSAFE_INVOKER_SUPPLIED\n"
        "    if resolution is HomeCcfResolution.RESOLVED_FROM_INVOKER_ID:\n",
        "the AEF's CCF's validation of the home CCF an invoker names (contribution 002 NOTE X)",
    ),
    Mutant(
        "info-release",
        "ccf-releases-to-that-aef",
        "ccf/security.py",
        "            live = live_entries(tx, api_invoker_id, ccf_id, aef_id=caller.id)\n",
        "            live = live_entries(tx, api_invoker_id, ccf_id)\n",
        "the CCF's release of an invoker's security information to the AEF it was negotiated for only",
    ),
    Mutant(
        "agreement",
        "agreement-peer",
        "interconnect/server.py",
        "            agreement is None\n"
        "            and self._settings.interconnect_agreement_check"
        " is InterconnectAgreementCheck.ENFORCED\n",
        "            False\n",
        "the CCF's check that a CAPIF-6/6e caller has an interconnection agreement",
    ),
    Mutant(
        "method-mismatch",
        "aef-current-method",
        "aef/access.py",
        "        if self._settings.aef_method_check is AefMethodCheck.UNSAFE_CACHED_SECURITY_INFO:\n"
        "            return True\n"
        "        return method in interface.methods\n",
        "        return True\n",
        "the AEF's check that the method used is one the interface offers now (contribution 004)",
    ),
    Mutant(
        "revocation",
        "aef-revocation",
        "aef/access.py",
        "        if verified.subject is not None and self._revocations.refuses_token(\n",
        "        if False and verified.subject is not None and self._revocations.refuses_token(\n",
        "the AEF's refusal of a token issued before its invoker's authorization was revoked",
    ),
    Mutant(
        "psk-identity",
        "psk-handshake",
        "aef/access.py",
        "                if entry.method is SecurityMethod.PSK and entry.psk"
        " and interface.covers(entry, self._aef_id):\n",
        "                if entry.method is SecurityMethod.PSK and entry.psk:\n",
        "the AEF's look-up of the AEFPSK the PSK identity negotiated for this AEF and interface",
        equivalent="the AEF holds only the entries its CCF releases for it (ccf-releases-to-that-aef, "
        "a check of every profile), and the model has no interfaces: a key is presented at the "
        "interface it was negotiated for, so no entry of another AEF or interface reaches the look-up",
    ),
    Mutant(
        "certificate-chain",
        "certificate-trusted",
        "aef/access.py",
        "        if issued_by(presented, entry.root):\n            return True\n",
        "        if True:\n            return True\n",
        "the AEF's check that an invoker's certificate chains to the root CA its CCF gave for it",
    ),
    Mutant(
        "rof-authentication",
        "azf-authenticates-rof",
        "capif8/server.py",
        "        return self._settings.rof_authentication is not RofAuthentication.PASSWORD and (\n"
        "            self._settings.capif8_protection is Capif8Protection.UNSAFE_NONE\n"
        "            or self._settings.rof_authentication is RofAuthentication.UNSAFE_NONE\n"
        "        )\n",
        "        return True\n",
        "the AzF's authentication of a ROF on CAPIF-8 (contribution 003): a ROF is who it names",
    ),
)


class MutantError(Exception):
    """A mutant that cannot be applied (its text is not found exactly once) or run."""


def apply(mutant: Mutant, source: Path, into: Path) -> Path:
    """Copy ``source`` (an ``impl/`` folder) to ``into/impl`` and apply the mutant's patch there."""
    copy = into / "impl"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / mutant.path
    text = target.read_text("utf-8")
    found = text.count(mutant.original)
    if found != 1:
        raise MutantError(f"{mutant.name}: its text occurs {found} times in impl/{mutant.path}, not once")
    target.write_text(text.replace(mutant.original, mutant.mutated), "utf-8")
    return copy


@dataclass(frozen=True)
class Outcome:
    """What the suite did to one mutant."""

    mutant: Mutant
    killed_by: str | None
    """the first trace that disagreed, or None: the mutant survived"""
    reason: str
    replayed: int
    seconds: float
    timed_out: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "mutant": self.mutant.name,
            "check": self.mutant.check,
            "removes": self.mutant.removes,
            "killed": self.killed_by is not None,
            "killed_by": self.killed_by,
            "reason": self.reason,
            "traces_replayed": self.replayed,
            "seconds": round(self.seconds, 3),
            "timed_out": self.timed_out,
            "equivalent": self.mutant.equivalent,
        }


def run(
    mutant: Mutant | None,
    suite: Path,
    profiles: Sequence[str] = (),
    source: Path = IMPL,
    time_limit: float | None = None,
) -> Outcome | None:
    """Replay ``suite`` in a child process on the implementation with ``mutant`` applied (the
    unmutated implementation when None), stopping at the first disagreement; a mutant's replay still
    running after ``time_limit`` seconds is stopped and the mutant killed by the trace it was at."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="capifsec-mutant-") as folder:
        work = Path(folder)
        if mutant is None:
            shutil.copytree(source, work / "impl", ignore=shutil.ignore_patterns("__pycache__"))
        else:
            apply(mutant, source, work)
        command = [sys.executable, "-m", "replay.mutants", "--child", str(suite.resolve())]
        command += [f"--profile={profile}" for profile in profiles]
        # the mutated copy first, then this checkout (its replay/ and model/, whatever is installed)
        search = os.pathsep.join((str(work), str(IMPL.parent)))
        environment = {**os.environ, "PYTHONPATH": search, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = subprocess.run(
                command,
                cwd=work,
                env=environment,
                capture_output=True,
                text=True,
                check=False,
                timeout=time_limit,
            )
        except subprocess.TimeoutExpired as expired:
            if mutant is None:
                raise
            return _timed_out(mutant, expired, time.perf_counter() - start)
    if done.returncode != 0:
        raise MutantError(f"{mutant.name if mutant else 'the unmutated run'}: {done.stderr.strip()}")
    answer: dict[str, Any] = json.loads(done.stdout)
    if mutant is None:
        return None if answer["killed_by"] is None else _baseline_failed(answer)
    return Outcome(
        mutant, answer["killed_by"], answer["reason"], answer["replayed"], time.perf_counter() - start
    )


def _timed_out(mutant: Mutant, expired: subprocess.TimeoutExpired, seconds: float) -> Outcome:
    output = expired.stderr or b""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    started = [line.removeprefix(STARTED) for line in text.splitlines() if line.startswith(STARTED)]
    at = started[-1] if started else "(before the first trace)"
    reason = f"the replay did not finish within {expired.timeout:.0f} s; it hung at this trace"
    return Outcome(mutant, at, reason, len(started), seconds, timed_out=True)


def _baseline_failed(answer: Mapping[str, Any]) -> Outcome:
    raise MutantError(
        f"the unmutated implementation already disagrees with {answer['killed_by']}: {answer['reason']}"
    )


def _child(suite_folder: Path, profiles: Sequence[str]) -> int:
    """In the child: replay the suite until a trace disagrees; print what happened as JSON."""
    copy = Path.cwd().resolve() / "impl"
    if Path(impl.__file__).resolve().parent != copy:
        print(f"the implementation came from {impl.__file__}, not the mutated copy", file=sys.stderr)
        return USAGE_ERROR
    suite = Suite.read(suite_folder, TraceChecker(), profiles)
    reference = recommended_profile()
    replayed = 0
    with (
        tempfile.TemporaryDirectory(prefix="capifsec-replay-") as workdir,
        LocalTargets(Path(workdir)) as targets,
    ):
        for entry in suite.traces:
            for mode in modes_for(entry.trace, BOTH_MODES):
                print(f"{STARTED}{entry.path} [{mode}]", file=sys.stderr, flush=True)
                result = replay_locally(entry.trace, mode, targets, reference)
                replayed += 1
                if result.status is Status.DIVERGED:
                    killed = {"killed_by": f"{entry.path} [{mode}]", "reason": result.reason}
                    print(json.dumps({**killed, "replayed": replayed}))
                    return 0
    survived = {"killed_by": None, "reason": "every trace agreed or was not replayable"}
    print(json.dumps({**survived, "replayed": replayed}))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec mutants",
        description="Replay a generated test suite on the implementation with one security check "
        "removed at a time; print the kill rate and the survivors.",
        epilog="exit status: 0 every mutant killed but the equivalent ones, which survived; 1 a mutant "
        "that is not equivalent survived, or an equivalent one was killed (its argument is wrong); "
        "2 bad input (not a suite, "
        "an unknown mutant, a patch that no longer applies, the unmutated implementation disagrees)",
    )
    parser.add_argument("suite", type=Path, metavar="SUITE_DIR", help="a folder written by 'capifsec traces'")
    names = [mutant.name for mutant in MUTANTS]
    parser.add_argument("--mutant", action="append", choices=names, help="this mutant only (repeatable)")
    parser.add_argument("--profile", action="append", default=[], help="this profile's traces only")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the outcomes as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser


def kill_rate(outcomes: Sequence[Outcome], unmutated_seconds: float) -> dict[str, Any]:
    """The kill rate document: killed of the mutants that are not equivalent, the survivors among
    them, the equivalent ones (and which of them the suite killed all the same), every outcome, and
    how long the whole suite took on the unmutated implementation (every trace agreeing or not
    replayable)."""
    judged = [outcome for outcome in outcomes if outcome.mutant.equivalent is None]
    equivalent = [outcome for outcome in outcomes if outcome.mutant.equivalent is not None]
    killed = [outcome for outcome in judged if outcome.killed_by is not None]
    return {
        "unmutated_seconds": round(unmutated_seconds, 3),
        "mutants": len(judged),
        "killed": len(killed),
        "kill_rate": len(killed) / len(judged) if judged else 1.0,
        "survivors": [outcome.mutant.name for outcome in judged if outcome.killed_by is None],
        "equivalent": [outcome.mutant.name for outcome in equivalent],
        "equivalent_killed": [outcome.mutant.name for outcome in equivalent if outcome.killed_by is not None],
        "outcomes": [outcome.to_json() for outcome in outcomes],
    }


def main(argv: Sequence[str]) -> int:
    """Entry point of ``capifsec mutants``; exit status as its ``--help`` says."""
    try:
        arguments = _parser().parse_args(list(argv))
    except SystemExit as exit_request:
        return 0 if exit_request.code == 0 else USAGE_ERROR
    if arguments.child:
        return _child(arguments.suite, arguments.profile)
    if not arguments.suite.is_dir():
        print(f"capifsec mutants: {arguments.suite} is not a folder", file=sys.stderr)
        return USAGE_ERROR
    chosen = [mutant for mutant in MUTANTS if not arguments.mutant or mutant.name in arguments.mutant]
    outcomes = []
    try:
        start = time.perf_counter()
        run(None, arguments.suite, arguments.profile)
        unmutated = time.perf_counter() - start
        limit = max(60.0, SLOWER_THAN_UNMUTATED * unmutated)
        for mutant in chosen:
            outcome = run(mutant, arguments.suite, arguments.profile, time_limit=limit)
            assert outcome is not None
            verdict = f"killed by {outcome.killed_by}" if outcome.killed_by else "SURVIVED"
            verdict += " (timed out)" if outcome.timed_out else ""
            verdict += " [equivalent]" if mutant.equivalent else ""
            print(f"{mutant.name:<22}{mutant.check:<26}{verdict} ({outcome.seconds:.1f} s)", flush=True)
            outcomes.append(outcome)
    except MutantError as error:
        print(f"capifsec mutants: {error}", file=sys.stderr)
        return USAGE_ERROR
    document = kill_rate(outcomes, unmutated)
    print(
        f"{document['killed']} of {document['mutants']} mutants killed ({document['kill_rate']:.0%}),"
        f" not counting {len(document['equivalent'])} equivalent"
    )
    for name in document["survivors"]:
        print(f"survivor: {name}")
    for outcome in outcomes:
        if outcome.mutant.equivalent is not None:
            verdict = "killed: its argument is wrong" if outcome.killed_by else "survives, as argued"
            print(f"equivalent: {outcome.mutant.name} ({verdict}): {outcome.mutant.equivalent}")
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    return SURVIVED if document["survivors"] or document["equivalent_killed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
