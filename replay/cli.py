"""``capifsec replay TRACE_OR_RESULTS_JSON... [--mode as-profile|recommended|both] [--json FILE]
[--target TARGET_JSON] [--spec-dir DIR]``: replay model traces against a CAPIF implementation.

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
from collections.abc import Sequence
from pathlib import Path

from replay.documents import TraceChecker
from replay.errors import TraceError
from replay.external import ExternalTarget
from replay.judge import Mode
from replay.report import ReplayReport
from replay.run import BOTH_MODES, recommended_profile, replay_all, replay_on

USAGE_ERROR = 2
DIVERGED = 1
_MODES = {"as-profile": (Mode.AS_PROFILE,), "recommended": (Mode.RECOMMENDED,), "both": BOTH_MODES}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec replay",
        description="Replay model traces against a CAPIF implementation.",
        epilog="exit status: 0 no trace diverged (replayed, not replayable, or the target lacks what it "
        "needs); 1 one diverged; 2 bad input",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="TRACE_OR_RESULTS_JSON")
    parser.add_argument("--mode", choices=list(_MODES), default="both", help="default: both")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the replay report as JSON")
    parser.add_argument("--target", type=Path, metavar="TARGET_JSON", help="replay on this deployment")
    parser.add_argument("--spec-dir", type=Path, help="catalogue folder (default: the installed one)")
    return parser


def _replay(arguments: argparse.Namespace) -> ReplayReport:
    traces = TraceChecker(arguments.spec_dir).read(arguments.files)
    modes = _MODES[arguments.mode]
    if arguments.target is None:
        recommended = recommended_profile(arguments.spec_dir)
        with tempfile.TemporaryDirectory(prefix="capifsec-replay-") as workdir:
            return replay_all(traces, Path(workdir), modes=modes, recommended=recommended)
    if len(modes) != 1:
        raise TraceError(
            "with --target, --mode says how that target is configured: as-profile or recommended"
        )
    target = ExternalTarget.from_file(arguments.target, arguments.spec_dir)
    target.check_reachable()
    reference = recommended_profile(arguments.spec_dir)
    replays = tuple(replay_on(trace, target, modes[0], reference) for trace in traces)
    return ReplayReport(replays, sum(replay.seconds for replay in replays))


def main(argv: Sequence[str]) -> int:
    """Entry point of ``capifsec replay``; see the module docstring for the exit codes."""
    try:
        arguments = _parser().parse_args(list(argv))
    except SystemExit as exit_request:
        return 0 if exit_request.code == 0 else USAGE_ERROR
    logging.basicConfig(level=logging.CRITICAL)
    try:
        report = _replay(arguments)
    except TraceError as error:
        print(f"capifsec replay: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as error:  # a defect: one line, never a traceback
        print(f"capifsec replay: internal error: {error!r}", file=sys.stderr)
        return DIVERGED
    for replay in report.replays:
        for line in replay.lines():
            print(line)
    print()
    for line in report.summary_lines():
        print(line)
    if arguments.json is not None:
        try:
            arguments.json.write_text(json.dumps(report.to_json(), indent=2) + "\n", "utf-8")
        except OSError as error:
            print(f"capifsec replay: cannot write {arguments.json}: {error.strerror}", file=sys.stderr)
            return USAGE_ERROR
    return DIVERGED if report.diverged else 0
