"""The ``capifsec`` command line. It parses arguments and dispatches; the work lives in the packages.

    capifsec check [--out DIR] [--json FILE] [--no-fixes]   (verify every profile, fixes, replay its traces)
    capifsec verify [--profile P]... [--property X]... [--option ID=VALUE]... [--json FILE] [--fixes]
                    [--invariant] [--no-hints]
    capifsec fixes [--profile P]... [--property X]... [--json FILE] [--space-values N]
    capifsec trace FILE [--profile P --property X] [--fixes FILE]
    capifsec docs [--results FILE] [--fixes FILE] [--out DIR]
    capifsec report --profile P --out FILE.md|FILE.html|FILE.docx [--results FILE] [--fixes FILE]
    capifsec diff --profile BEFORE --profile AFTER [--json FILE]
    capifsec traces [--profile P]... --out DIR   (the test suite the model writes for implementations)
    capifsec demo | serve | invoker | replay | mutants ...   (impl.demo, impl.serve, impl.invoker.cli,
    replay, replay.mutants)

Every command that reads the catalogue takes ``--spec-dir DIR``; every ``--json FILE`` takes ``-`` for
standard output (the other output then goes to standard error). Exit status: see :data:`EXIT_STATUS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from rich.console import Console

from capifsec.commands import run_check, run_docs, run_fixes, run_trace, run_verify
from capifsec.files import STDOUT, UsageError, count, output_file, output_folder
from capifsec.publishing import report_file, run_diff, run_report
from capifsec.suite import run_traces
from model.fixes import DEFAULT_MAX_CHANGES
from model.space import DEFAULT_MAX_VALUES

USAGE_ERROR = 2
EXIT_STATUS = {
    "check": "0 every property proved on 'recommended' and no replay diverged; 1 a property fails on "
    "'recommended', a check errors or a replay diverges; 2 bad input",
    "verify": "0 every verified property on 'recommended' proved; 1 one fails there or a check errors; "
    "2 bad input",
    "fixes": "0 fixes computed (a cell with none is a finding, not a failure); 2 bad input",
    "trace": "0 printed; 2 bad input (unreadable file, not a trace, no such trace)",
    "docs": "0 pages written; 2 bad input (malformed results or fixes, a folder capifsec did not write)",
    "report": "0 report written; 2 bad input (unknown profile or format, malformed results or fixes)",
    "diff": "0 compared; 2 bad input (not two known profiles, malformed results or fixes)",
    "traces": "0 suite written and every coverage obligation met; 1 written but an obligation is "
    "unmet; 2 bad input",
}
"""Exit status per command; bad input is a one-line message on standard error, never a traceback."""
DELEGATED = {
    "demo": "run a CCF, an AEF and invokers on loopback through every method (see 'capifsec demo --help')",
    "serve": "run the CAPIF services for real use (see 'capifsec serve --help')",
    "invoker": "the API invoker client (see 'capifsec invoker --help')",
    "replay": "replay traces or a 'verify --json' file on the implementation (see 'capifsec replay --help')",
    "mutants": "replay a generated suite on implementations with one security check removed, print the "
    "kill rate (see 'capifsec mutants --help')",
}


def _workers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=count(1), default=min(2, os.cpu_count() or 1), help="worker processes (default 2)"
    )


def _spec_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec-dir", metavar="DIR", help="catalogue folder (default: the one shipped)")


def _json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--json", metavar="FILE", type=output_file, help=f"write {what} as JSON ('-': stdout)"
    )


def _selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", action="append", help="profile id (repeatable; default: all)")
    parser.add_argument("--property", action="append", help="property id (repeatable; default: all)")


def _max_changes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-changes",
        type=count(1),
        default=DEFAULT_MAX_CHANGES,
        help=f"largest fix searched, in option changes (default {DEFAULT_MAX_CHANGES})",
    )
    parser.add_argument(
        "--space-values",
        type=count(0),
        help="largest set of option values searched for each property's design space, the sets under "
        f"which it holds whatever the other options are (0: none; default {DEFAULT_MAX_VALUES}, or 0 when "
        "--profile picks profiles: the design space is about no one profile)",
    )


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=text,
        description=text[0].upper() + text[1:] + ".",
        epilog=f"exit status: {EXIT_STATUS[name]}",
    )


def parser() -> argparse.ArgumentParser:
    """The command line's argument parser."""
    top = argparse.ArgumentParser(
        prog="capifsec",
        description="CAPIF security: formal model and reference implementation",
        epilog="exit status: "
        + "; ".join(f"{name}: {text}" for name, text in EXIT_STATUS.items())
        + "; demo, serve, invoker, replay, mutants: see their --help",
    )
    commands = top.add_subparsers(dest="command", required=True)
    check = _command(
        commands,
        "check",
        "verify every profile, compute minimal fixes, replay the traces on the implementation",
    )
    check.add_argument(
        "--out",
        metavar="DIR",
        type=output_folder,
        default="out/check",
        help="where results, fixes and the replay report go (default out/check)",
    )
    _json(check, "the verify results with the replay totals (member 'replay')")
    check.add_argument(
        "--no-fixes",
        dest="fixes",
        action="store_false",
        help="skip the minimal fixes (capifsec docs then computes them when it needs them)",
    )
    _workers(check)
    _max_changes(check)
    _spec_dir(check)
    verify = _command(commands, "verify", "prove the catalogue's properties on its profiles")
    _selection(verify)
    verify.add_argument(
        "--option", action="append", default=[], metavar="ID=VALUE", help="override an option"
    )
    _json(verify, "the results (with traces)")
    verify.add_argument(
        "--depth", type=count(0), default=8, help="counterexample search bound in steps (default 8)"
    )
    verify.add_argument("--fixes", action="store_true", help="also compute the minimal fixes of what fails")
    verify.add_argument(
        "--invariant",
        action="store_true",
        help="print why each proved property holds: the clauses of its minimised inductive invariant",
    )
    verify.add_argument(
        "--hints",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let the lemmas of the catalogue join the candidate invariants (default: yes; no proof "
        "needs them)",
    )
    _max_changes(verify)
    _workers(verify)
    _spec_dir(verify)
    fixes = _command(
        commands,
        "fixes",
        "compute the minimal option changes that prove each failing cell, and for each property the "
        "minimal option values under which it holds across the design space",
    )
    _selection(fixes)
    _json(fixes, "the fixes")
    _max_changes(fixes)
    _workers(fixes)
    _spec_dir(fixes)
    trace = _command(commands, "trace", "print a trace as its numbered steps")
    trace.add_argument("file", help="a trace file, or a 'capifsec verify --json' file")
    trace.add_argument("--profile", help="in a results file: the profile of the trace")
    trace.add_argument("--property", help="in a results file: the property (or witness) of the trace")
    trace.add_argument(
        "--fixes", metavar="FILE", help="a 'capifsec fixes --json' file: print the cell's fixes"
    )
    _spec_dir(trace)
    docs = _command(commands, "docs", "write the generated documentation pages and figures")
    docs.add_argument(
        "--results",
        metavar="FILE",
        help="a 'capifsec verify --json' file (default: the last 'capifsec check' "
        "output, else a verification run now)",
    )
    docs.add_argument(
        "--fixes",
        metavar="FILE",
        help="a 'capifsec fixes --json' file (default: fixes.json beside the results, else computed now)",
    )
    docs.add_argument(
        "--out", metavar="DIR", type=output_folder, default="docs/generated", help="output folder (replaced)"
    )
    _workers(docs)
    _max_changes(docs)
    _spec_dir(docs)
    report = _command(commands, "report", "write a contribution-ready report on one profile")
    report.add_argument("--profile", required=True, help="the profile reported on")
    report.add_argument(
        "--out", required=True, metavar="FILE", type=report_file, help="the report: .md, .html or .docx"
    )
    _documents(report)
    diff = _command(commands, "diff", "show which verdicts, traces and fixes change between two profiles")
    diff.add_argument("--profile", action="append", help="the profile before, then the profile after")
    _json(diff, "the differences")
    _documents(diff)
    traces = _command(
        commands, "traces", "write the test suite the model generates for implementations, with its audit"
    )
    traces.add_argument("--profile", action="append", help="profile id (repeatable; default: all)")
    traces.add_argument(
        "--out", metavar="DIR", type=output_folder, required=True, help="the suite's folder (replaced)"
    )
    traces.add_argument(
        "--results",
        metavar="FILE",
        help="a 'capifsec verify --json' file of this catalogue: its counterexamples and witnesses are "
        "reused instead of verifying again",
    )
    _workers(traces)
    _spec_dir(traces)
    for name, text in DELEGATED.items():
        commands.add_parser(name, help=text, add_help=False)
    return top


def _documents(parser: argparse.ArgumentParser) -> None:
    """Where results and fixes come from: files, or computed now for the profiles asked about."""
    parser.add_argument(
        "--results", metavar="FILE", help="a 'capifsec verify --json' file (default: verify now)"
    )
    parser.add_argument(
        "--fixes", metavar="FILE", help="a 'capifsec fixes --json' file (default: compute now)"
    )
    _workers(parser)
    _max_changes(parser)
    _spec_dir(parser)


def _delegate(command: str, rest: Sequence[str]) -> int:
    # Imported here, not at the top: the implementation adds a quarter of a second to every start
    # of `capifsec verify` and of each of its worker processes, which never use it.
    if command == "demo":
        from impl.demo import main as entry  # noqa: PLC0415
    elif command == "serve":
        from impl.serve import main as entry  # noqa: PLC0415
    elif command == "replay":
        from replay import main as entry  # noqa: PLC0415
    elif command == "mutants":
        from replay.mutants import main as entry  # noqa: PLC0415
    else:
        from impl.invoker.cli import main as entry  # noqa: PLC0415
    return entry(list(rest))


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in DELEGATED:
        return _delegate(words[0], words[1:])
    arguments = parser().parse_args(words)
    to_stdout = getattr(arguments, "json", None) == STDOUT
    plain = to_stdout or not sys.stdout.isatty()
    console = Console(stderr=to_stdout, width=200) if plain else Console()
    handlers: dict[str, Callable[[argparse.Namespace, Console], int]] = {
        "check": run_check,
        "verify": run_verify,
        "fixes": run_fixes,
        "trace": run_trace,
        "docs": run_docs,
        "report": run_report,
        "diff": run_diff,
        "traces": run_traces,
    }
    try:
        return handlers[arguments.command](arguments, console)
    except UsageError as problem:
        sys.stderr.write(f"capifsec: {problem}\n")
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
