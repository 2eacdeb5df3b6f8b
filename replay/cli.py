"""``capifsec replay TRACE_OR_RESULTS_JSON... | SUITE_DIR [--mode as-profile|recommended|both]
[--json FILE] [--target TARGET_JSON] [--spec-dir DIR] [--profile P]``: replay model traces against a
CAPIF implementation.

Given one folder, a test suite written by ``capifsec traces`` (:mod:`replay.suite`): every trace in
the modes its kind calls for (``--profile``: some profiles only); ``--json`` then writes
``{"traces", "agree", "disagree", "not_replayable", "coverage", ...}`` and the exit status is 1 when a
trace disagrees.

Without ``--target`` every trace runs on the reference implementation, started on 127.0.0.1 in a
temporary folder: configured with the trace's own options (``as-profile``), with the ``recommended``
profile's settings, or both (the default). With ``--target`` the traces run on the deployment the file
describes (:mod:`replay.external`), which ``--mode`` says is configured as the trace's profile or as
``recommended``.

Exit status: 0 when no trace diverged (replayed, not replayable, or the target lacks what it needs),
1 when one diverged, 2 for bad input (unreadable or malformed files, a target description that is not
one or whose CCF gives no TLS session, unknown mode); errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from replay.documents import TraceChecker
from replay.errors import TraceError
from replay.external import ExternalTarget
from replay.judge import Mode, Status
from replay.local import LocalTargets
from replay.report import ReplayReport, TraceReplay
from replay.run import BOTH_MODES, recommended_profile, replay_locally, replay_on
from replay.suite import Suite, SuiteReport, replay_suite

USAGE_ERROR = 2
DIVERGED = 1
_MODES = {"as-profile": (Mode.AS_PROFILE,), "recommended": (Mode.RECOMMENDED,), "both": BOTH_MODES}
Replayer = Callable[[Mapping[str, Any], Mode], TraceReplay]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec replay",
        description="Replay model traces against a CAPIF implementation.",
        epilog="exit status: 0 no trace diverged (replayed, not replayable, or the target lacks what it "
        "needs); 1 one diverged; 2 bad input",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="TRACE_OR_RESULTS_JSON_OR_SUITE_DIR")
    parser.add_argument("--mode", choices=list(_MODES), default="both", help="default: both")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the replay report as JSON")
    parser.add_argument("--target", type=Path, metavar="TARGET_JSON", help="replay on this deployment")
    parser.add_argument("--spec-dir", type=Path, help="catalogue folder (default: the installed one)")
    parser.add_argument(
        "--profile", action="append", default=[], help="with a suite folder: this profile's traces only"
    )
    return parser


def _replayer(arguments: argparse.Namespace, stack: ExitStack) -> Replayer:
    """How one trace is replayed in one mode: on the reference implementation, started on demand and
    stopped with ``stack``, or on the target the file describes, configured as ``--mode`` says."""
    modes = _MODES[arguments.mode]
    reference = recommended_profile(arguments.spec_dir)
    if arguments.target is None:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="capifsec-replay-"))
        targets = stack.enter_context(LocalTargets(Path(workdir)))
        return lambda trace, mode: replay_locally(trace, mode, targets, reference)
    if len(modes) != 1:
        raise TraceError(
            "with --target, --mode says how that target is configured: as-profile or recommended"
        )
    target = ExternalTarget.from_file(arguments.target, arguments.spec_dir)
    target.check_reachable()
    return lambda trace, mode: replay_on(trace, target, modes[0], reference)


def _replay(arguments: argparse.Namespace) -> ReplayReport:
    traces = TraceChecker(arguments.spec_dir).read(arguments.files)
    with ExitStack() as stack:
        replay = _replayer(arguments, stack)
        start = time.perf_counter()
        replays = tuple(replay(trace, mode) for trace in traces for mode in _MODES[arguments.mode])
        return ReplayReport(replays, time.perf_counter() - start)


def _replay_suite(arguments: argparse.Namespace) -> SuiteReport:
    suite = Suite.read(arguments.files[0], TraceChecker(arguments.spec_dir), arguments.profile)
    with ExitStack() as stack:
        return replay_suite(suite, _MODES[arguments.mode], _replayer(arguments, stack), time.perf_counter)


def _write(path: Path, document: object) -> bool:
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    except OSError as error:
        print(f"capifsec replay: cannot write {path}: {error.strerror}", file=sys.stderr)
        return False
    return True


def _report(arguments: argparse.Namespace) -> int:
    report = _replay(arguments)
    for replay in report.replays:
        for line in replay.lines():
            print(line)
    print()
    for line in report.summary_lines():
        print(line)
    if arguments.json is not None and not _write(arguments.json, report.to_json()):
        return USAGE_ERROR
    return DIVERGED if report.diverged else 0


def _report_suite(arguments: argparse.Namespace) -> int:
    report = _replay_suite(arguments)
    for replays in report.replays.values():
        for replay in replays:
            if replay.status is Status.DIVERGED:
                for line in replay.lines():
                    print(line)
    for line in report.summary_lines():
        print(line)
    if arguments.json is not None and not _write(arguments.json, report.to_json()):
        return USAGE_ERROR
    return DIVERGED if "disagree" in report.verdicts().values() else 0


def main(argv: Sequence[str]) -> int:
    """Entry point of ``capifsec replay``; see the module docstring for the exit codes."""
    try:
        arguments = _parser().parse_args(list(argv))
    except SystemExit as exit_request:
        return 0 if exit_request.code == 0 else USAGE_ERROR
    logging.basicConfig(level=logging.CRITICAL)
    suite = len(arguments.files) == 1 and arguments.files[0].is_dir()
    if arguments.profile and not suite:
        print("capifsec replay: --profile applies to a suite folder only", file=sys.stderr)
        return USAGE_ERROR
    try:
        return _report_suite(arguments) if suite else _report(arguments)
    except TraceError as error:
        print(f"capifsec replay: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as error:  # a defect: one line, never a traceback
        print(f"capifsec replay: internal error: {error!r}", file=sys.stderr)
        return DIVERGED
