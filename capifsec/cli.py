"""The ``capifsec`` command line. It parses arguments and dispatches; the work lives in the packages.

    capifsec check [--out DIR] [--json FILE]   (verify every profile, then replay its traces)
    capifsec verify [--profile P]... [--property X]... [--option ID=VALUE]... [--json FILE]
    capifsec trace FILE
    capifsec docs [--results FILE] [--out DIR]
    capifsec demo [--profile P]          (impl.demo)
    capifsec serve ...                   (impl.serve)
    capifsec invoker ...                 (impl.invoker.cli)

Exit status: 0 on success; 1 when a verified property fails on ``recommended`` or a check errors;
2 on bad input (unknown profile, property or option, malformed catalogue, unreadable file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from model.catalogue import Catalogue, CatalogueError, load_catalogue
from model.report import errors, failures_on, results_json
from model.runner import Job, verify
from model.verify import Bounds, ProfileReport, PropertyResult, Verdict
from publish import DocsError, read_results, write_site
from publish.plain_text import SYMBOLS, trace_lines

RECOMMENDED = "recommended"
USAGE_ERROR = 2


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


def _options(pairs: Sequence[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key or not value:
            raise UsageError(f"--option expects ID=VALUE, got {pair!r}")
        options[key] = value
    return options


def _check_names(kind: str, asked: Sequence[str], known: Sequence[str]) -> None:
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise UsageError(f"unknown {kind} {', '.join(unknown)}; known: {', '.join(known)}")


def _verdict_style(verdict: str) -> str:
    return {"proved": "green", "violated": "bold red", "no-witness": "yellow", "unproved": "magenta"}.get(
        verdict, "bold red"
    )


def _table(reports: Sequence[ProfileReport], properties: Sequence[str]) -> Table:
    table = Table(title="capifsec: profiles x properties", show_lines=False)
    table.add_column("property")
    for report in reports:
        table.add_column(report.profile, justify="center")
    cells = {(r.profile, r.property): r for report in reports for r in report.properties}
    for prop in properties:
        row = [prop]
        for report in reports:
            result = cells.get((report.profile, prop))
            if result is None:
                row.append("")
                continue
            label = SYMBOLS[result.verdict]
            if result.verdict == Verdict.VIOLATED and result.trace:
                label += f" ({len(result.trace['steps'])})"
            row.append(f"[{_verdict_style(result.verdict)}]{label}[/]")
        table.add_row(*row)
    return table


def _run_verify(arguments: argparse.Namespace, console: Console) -> int:
    catalogue = _catalogue(arguments.spec)
    profiles = arguments.profile or list(catalogue.profiles)
    _check_names("profile(s)", profiles, list(catalogue.profiles))
    properties = arguments.property or list(catalogue.properties)
    _check_names("property(ies)", properties, list(catalogue.properties))
    job = Job(
        profiles=profiles,
        properties=properties,
        overrides=_options(arguments.option),
        bounds=Bounds(counterexample_depth=arguments.depth),
    )
    _validate_overrides(catalogue, job)
    total = len(profiles) * len(properties)
    with Progress(
        TextColumn("[bold]verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=total)

        def advance(result: PropertyResult) -> None:
            progress.update(
                task, advance=1, description=f"{result.profile} / {result.property}: {result.verdict}"
            )

        reports = verify(catalogue, job, workers=arguments.workers, on_result=advance)
    console.print(_table(reports, properties))
    for report in reports:
        for result in report.properties:
            if result.trace is not None:
                console.print(f"\n[bold]{result.profile} / {result.property}[/]: {result.detail}")
                for line in trace_lines(result.trace):
                    console.print(f"  {line}", markup=False, highlight=False)
    unsettled = [
        r
        for report in reports
        for r in report.properties
        if r.verdict not in (Verdict.PROVED, Verdict.VIOLATED)
    ]
    if unsettled:
        console.print("\n[bold]Not proved and not violated[/]")
        for result in unsettled:
            console.print(
                f"  {result.profile} / {result.property}: {result.verdict}: {result.detail}", highlight=False
            )
    elapsed = sum(report.seconds for report in reports)
    console.print(f"\n{len(reports)} profile(s), {total} checks, {elapsed:.1f} s of verification work")
    if arguments.json:
        _write_json(Path(arguments.json), results_json(reports))
    failed = failures_on(reports, RECOMMENDED) + errors(reports)
    if failed:
        console.print(f"[bold red]{len(failed)} check(s) failed on '{RECOMMENDED}' or errored[/]")
        return 1
    return 0


def _run_check(arguments: argparse.Namespace, console: Console) -> int:
    """The main job: verify every property on every profile, then replay every trace it wrote against
    the implementation, as the trace's profile and as ``recommended``."""
    out = Path(arguments.out)
    results = out / "results.json"
    verify_arguments = _parser().parse_args(
        ["verify", "--json", str(results), "--workers", str(arguments.workers)]
    )
    verified = _run_verify(verify_arguments, console)
    console.print(f"\n[bold]Replaying the traces of {results} against the implementation[/]")
    from replay import main as replay_main  # noqa: PLC0415  (see _delegate)

    report = out / "replay.json"
    replayed = replay_main([str(results), "--json", str(report)])
    if replayed == USAGE_ERROR:
        return USAGE_ERROR
    console.print(f"results: {results}; replay report: {report}")
    if arguments.json:
        document = _read_json(results)
        _write_json(Path(arguments.json), {**document, "replay": _read_json(report)["totals"]})
    return max(verified, replayed)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise UsageError(f"cannot read {path}: {problem}") from None


def _validate_overrides(catalogue: Catalogue, job: Job) -> None:
    for option_id, value in (job.overrides or {}).items():
        option = catalogue.options.get(option_id)
        if option is None:
            raise UsageError(f"unknown option '{option_id}'; known: {', '.join(catalogue.options)}")
        allowed = [v.id for v in option.values]
        if value not in allowed:
            raise UsageError(f"option '{option_id}' has no value '{value}'; allowed: {', '.join(allowed)}")


def _write_json(path: Path, document: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)
    except OSError as problem:
        raise UsageError(f"cannot write {path}: {problem.strerror}") from None


def _run_trace(arguments: argparse.Namespace, console: Console) -> int:
    path = Path(arguments.file)
    try:
        trace = json.loads(path.read_text(encoding="utf-8"))
        lines = trace_lines(trace)
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror}") from None
    except (ValueError, KeyError, TypeError) as problem:
        raise UsageError(f"{path} is not a capifsec trace: {problem}") from None
    console.print(f"[bold]{trace.get('profile')} / {trace.get('subject')}[/] ({trace.get('kind')})")
    for line in lines:
        console.print(f"  {line}", markup=False, highlight=False)
    return 0


def _run_docs(arguments: argparse.Namespace, console: Console) -> int:
    catalogue = _catalogue(arguments.spec)
    try:
        results = read_results(Path(arguments.results)) if arguments.results else None
        written = write_site(catalogue, results, Path(arguments.out))
    except DocsError as problem:
        raise UsageError(str(problem)) from None
    console.print(f"{len(written)} file(s) written to {arguments.out}")
    return 0


def _catalogue(spec: str | None) -> Catalogue:
    try:
        return load_catalogue(Path(spec) if spec else None)
    except CatalogueError as problem:
        raise UsageError(str(problem)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec", description="CAPIF security: formal model and reference implementation"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    main_job = commands.add_parser(
        "check", help="verify every profile, then replay its traces against the implementation"
    )
    main_job.add_argument(
        "--out", metavar="DIR", default="out/check", help="where results and the replay report go"
    )
    main_job.add_argument(
        "--json", metavar="FILE", help="write the verify results and the replay totals (member 'replay')"
    )
    main_job.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    check = commands.add_parser("verify", help="prove the catalogue's properties on its profiles")
    check.add_argument("--profile", action="append", help="profile id (repeatable; default: all)")
    check.add_argument("--property", action="append", help="property id (repeatable; default: all)")
    check.add_argument("--option", action="append", default=[], metavar="ID=VALUE", help="override an option")
    check.add_argument("--json", metavar="FILE", help="write the results (with traces) as JSON")
    check.add_argument(
        "--depth", type=int, default=8, help="counterexample search bound in steps (default 8)"
    )
    check.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    check.add_argument("--spec", metavar="DIR", help="catalogue folder (default: the one shipped)")
    show = commands.add_parser("trace", help="print a trace file as its step list")
    show.add_argument("file")
    docs = commands.add_parser("docs", help="write the generated documentation pages and figures")
    docs.add_argument("--results", metavar="FILE", help="a 'capifsec verify --json' file (default: none)")
    docs.add_argument("--out", metavar="DIR", default="docs/generated", help="output folder (replaced)")
    docs.add_argument("--spec", metavar="DIR", help="catalogue folder (default: the one shipped)")
    for name, text in DELEGATED.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


DELEGATED = {
    "demo": "run a CCF, an AEF and invokers on loopback through every method (see 'capifsec demo --help')",
    "serve": "run the CAPIF services for real use (see 'capifsec serve --help')",
    "invoker": "the API invoker client (see 'capifsec invoker --help')",
    "replay": "replay traces or a 'verify --json' file on the implementation (see 'capifsec replay --help')",
}


def _delegate(command: str, rest: Sequence[str]) -> int:
    # Imported here, not at the top: the implementation adds a quarter of a second to every start
    # of `capifsec verify` and of each of its worker processes, which never use it.
    if command == "demo":
        from impl.demo import main as entry  # noqa: PLC0415
    elif command == "serve":
        from impl.serve import main as entry  # noqa: PLC0415
    elif command == "replay":
        from replay import main as entry  # noqa: PLC0415
    else:
        from impl.invoker.cli import main as entry  # noqa: PLC0415
    return entry(list(rest))


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in DELEGATED:
        return _delegate(words[0], words[1:])
    arguments = _parser().parse_args(words)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    handlers = {"check": _run_check, "verify": _run_verify, "trace": _run_trace, "docs": _run_docs}
    try:
        return handlers[arguments.command](arguments, console)
    except UsageError as problem:
        Console(stderr=True).print(f"capifsec: {problem}", markup=False, highlight=False)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
