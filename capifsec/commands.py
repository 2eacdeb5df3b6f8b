"""The handlers of the model's commands (check, verify, fixes, trace, docs): each reads its arguments,
calls ``model`` and ``publish``, prints, and returns the exit status."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from capifsec.files import UsageError, read_json, write_json
from model.catalogue import Catalogue, CatalogueError, load_catalogue
from model.fixes import fixes_document as make_fixes_document
from model.fixes import minimal_fixes
from model.report import errors, failures_on, results_json
from model.runner import Job, verify
from model.space import DEFAULT_MAX_VALUES
from model.verify import Bounds, PropertyResult, Verdict
from publish import DocsError, check_results, write_site
from publish.figures import FigureError, check_trace
from publish.fixes import check_fixes, fixes_of
from publish.invariants import clause_words
from publish.terminal import fixes_line, space_line, trace_lines, verdict_table

RECOMMENDED = "recommended"
USAGE_ERROR = 2
CHECK_OUT = Path("out/check")
"""Where ``capifsec check`` writes by default (``capifsec docs`` reads it from there)."""


def catalogue_from(arguments: argparse.Namespace) -> Catalogue:
    try:
        return load_catalogue(Path(arguments.spec_dir) if arguments.spec_dir else None)
    except CatalogueError as problem:
        raise UsageError(str(problem)) from None


def _check_names(kind: str, asked: Sequence[str], known: Sequence[str]) -> None:
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise UsageError(f"unknown {kind} {', '.join(unknown)}; known: {', '.join(known)}")


def _options(catalogue: Catalogue, pairs: Sequence[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key or not value:
            raise UsageError(f"--option expects ID=VALUE, got {pair!r}")
        option = catalogue.options.get(key)
        if option is None:
            raise UsageError(f"unknown option '{key}'; known: {', '.join(catalogue.options)}")
        allowed = [v.id for v in option.values]
        if value not in allowed:
            raise UsageError(f"option '{key}' has no value '{value}'; allowed: {', '.join(allowed)}")
        options[key] = value
    return options


def _selection(arguments: argparse.Namespace, catalogue: Catalogue) -> tuple[list[str], list[str]]:
    profiles = arguments.profile or list(catalogue.profiles)
    _check_names("profile(s)", profiles, list(catalogue.profiles))
    properties = arguments.property or list(catalogue.properties)
    _check_names("property(ies)", properties, list(catalogue.properties))
    return profiles, properties


def verified(catalogue: Catalogue, job: Job, workers: int, console: Console) -> dict[str, Any]:
    """Verify ``job`` with a live progress bar; the ``verify --json`` document."""
    total = len(job.profiles) * len(job.properties or catalogue.properties)
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
            description = f"{result.profile} / {result.property}: {result.verdict}"
            progress.update(task, advance=1, description=description)

        reports = verify(catalogue, job, workers=workers, on_result=advance)
    document = results_json(reports)
    document["failed"] = len(failures_on(reports, RECOMMENDED) + errors(reports))
    return document


def computed_fixes(
    catalogue: Catalogue,
    profiles: Sequence[str] | None,
    properties: Sequence[str] | None,
    arguments: argparse.Namespace,
    console: Console,
) -> dict[str, Any]:
    """The ``capifsec fixes --json`` document for ``profiles`` x ``properties``, with the design space
    of each of ``properties``."""
    start = time.perf_counter()
    space_values = arguments.space_values
    if space_values is None:
        space_values = 0 if getattr(arguments, "profile", None) else DEFAULT_MAX_VALUES
    with console.status("computing minimal fixes"):
        cells, spaces, costs = minimal_fixes(
            catalogue,
            profiles,
            properties,
            max_changes=arguments.max_changes,
            space_values=space_values,
            workers=arguments.workers,
            bounds=Bounds(counterexample_depth=getattr(arguments, "depth", 8)),
        )
    return make_fixes_document(cells, spaces, costs, time.perf_counter() - start)


def run_verify(arguments: argparse.Namespace, console: Console) -> int:
    catalogue = catalogue_from(arguments)
    profiles, properties = _selection(arguments, catalogue)
    overrides = _options(catalogue, arguments.option)
    bounds = Bounds(counterexample_depth=arguments.depth)
    job = Job(profiles, properties, overrides, bounds=bounds, hints=arguments.hints)
    results = verified(catalogue, job, arguments.workers, console)
    fixes = computed_fixes(catalogue, profiles, properties, arguments, console) if arguments.fixes else None
    print_results(results, properties, fixes, console)
    if arguments.invariant:
        print_certificates(catalogue, results, console)
    if arguments.json:
        write_json(arguments.json, {key: value for key, value in results.items() if key != "failed"})
    if results["failed"]:
        console.print(f"[bold red]{results['failed']} check(s) failed on '{RECOMMENDED}' or errored[/]")
        return 1
    return 0


def print_results(
    results: Mapping[str, Any], properties: Sequence[str], fixes: Mapping[str, Any] | None, console: Console
) -> None:
    """The verdict table, each counterexample as numbered steps (with its cell's fixes when known), and
    the cells neither proved nor violated."""
    console.print(verdict_table(results, properties))
    for result in results["results"]:
        if result["trace"] is not None:
            console.print(f"\n[bold]{result['profile']} / {result['property']}[/]: {result['detail']}")
            cell = fixes_of(fixes, result["profile"], result["property"])
            for line in trace_lines(result["trace"], cell):
                console.print(f"  {line}", markup=False, highlight=False)
    unsettled = [r for r in results["results"] if r["verdict"] not in (Verdict.PROVED, Verdict.VIOLATED)]
    if unsettled:
        console.print("\n[bold]Not proved and not violated[/]")
        for result in unsettled:
            line = f"  {result['profile']} / {result['property']}: {result['verdict']}: {result['detail']}"
            console.print(line, highlight=False)
    elapsed = sum(entry["seconds"] for entry in results["profiles"])
    console.print(
        f"\n{len(results['profiles'])} profile(s), {len(results['results'])} checks, "
        f"{elapsed:.1f} s of verification work"
    )


def print_certificates(catalogue: Catalogue, results: Mapping[str, Any], console: Console) -> None:
    """Why each proof holds: the clauses of its minimised, independently checked inductive invariant,
    in the domain's words."""
    for result in results["results"]:
        if not result["invariant"]:
            continue
        console.print(
            f"\n[bold]{result['profile']} / {result['property']}[/]: why it holds "
            f"({len(result['invariant'])} clauses, checked independently)"
        )
        for number, clause in enumerate(result["invariant"], start=1):
            console.print(f"  {number}. {clause_words(catalogue, clause)}", markup=False, highlight=False)


def run_fixes(arguments: argparse.Namespace, console: Console) -> int:
    catalogue = catalogue_from(arguments)
    profiles, properties = _selection(arguments, catalogue)
    document = computed_fixes(catalogue, profiles, properties, arguments, console)
    for cell in document["fixes"]:
        console.print(f"[bold]{cell['profile']} / {cell['property']}[/] ({cell['verdict']})")
        console.print(f"  {fixes_line(cell)}", markup=False, highlight=False)
        for end in cell["open_ends"]:
            changes = ", ".join(f"{o} = {v}" for o, v in end["changes"].items())
            console.print(f"  (not searched further: {changes}: {end['why']})", markup=False, highlight=False)
    if document["design_space"]:
        console.print("\n[bold]Design space[/] (the minimal option values under which each property holds)")
    for entry in document["design_space"]:
        console.print(f"  {space_line(entry)}", markup=False, highlight=False)
    costs = document["costs"]
    console.print(
        f"\n{len(document['fixes'])} cell(s) not proved; {costs['designs']} design(s) verified "
        f"({costs['invariants']} invariants, {costs['searches']} counterexample and "
        f"{costs['witness_searches']} witness searches) "
        f"in {costs['seconds']:.1f} s"
    )
    if arguments.json:
        write_json(arguments.json, document)
    return 0


def run_check(arguments: argparse.Namespace, console: Console) -> int:
    """The main job: verify every property on every profile, compute the minimal fixes of what fails,
    then replay every trace against the implementation, as the trace's profile and as ``recommended``."""
    catalogue = catalogue_from(arguments)
    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    properties = list(catalogue.properties)
    results = verified(catalogue, Job(list(catalogue.profiles)), arguments.workers, console)
    fixes = computed_fixes(catalogue, None, None, arguments, console) if arguments.fixes else None
    print_results(results, properties, fixes, console)
    results_path, fixes_path, report = out / "results.json", out / "fixes.json", out / "replay.json"
    failed = results.pop("failed")
    write_json(str(results_path), results)
    if fixes is None:
        fixes_path.unlink(missing_ok=True)  # an earlier run's fixes would not match these results
    else:
        write_json(str(fixes_path), fixes)
    console.print(f"\n[bold]Replaying the traces of {results_path} against the implementation[/]")
    from replay import main as replay_main  # noqa: PLC0415  (see capifsec.cli)

    replayed = replay_main([str(results_path), "--json", str(report)])
    if replayed == USAGE_ERROR:
        return USAGE_ERROR
    written = f"; minimal fixes: {fixes_path}" if fixes is not None else ""
    console.print(f"results: {results_path}{written}; replay report: {report}")
    if arguments.json:
        write_json(arguments.json, {**results, "replay": read_json(report)["totals"]})
    return max(1 if failed else 0, replayed)


def _trace_in(document: Any, arguments: argparse.Namespace, path: Path) -> dict[str, Any]:
    """The trace of ``document``: itself, or the one of a results document that the selection names."""
    if not isinstance(document, dict):
        raise UsageError(f"{path} is neither a capifsec trace nor a 'capifsec verify --json' document")
    if "results" not in document:
        if arguments.profile or arguments.property:
            raise UsageError(f"{path} is a single trace: --profile and --property apply to a results file")
        return document
    entries = [
        (entry["profile"], entry.get("property") or entry.get("witness"), entry["trace"])
        for section in ("results", "witnesses")
        for entry in document.get(section, [])
        if isinstance(entry, dict) and entry.get("trace") is not None
    ]
    chosen = [
        (profile, subject, trace)
        for profile, subject, trace in entries
        if arguments.profile in (None, profile) and arguments.property in (None, subject)
    ]
    if len(chosen) == 1:
        trace: dict[str, Any] = chosen[0][2]
        return trace
    available = ", ".join(f"{profile} / {subject}" for profile, subject, _ in entries) or "none"
    if not chosen:
        raise UsageError(f"{path} has no trace for that selection; traces in it: {available}")
    raise UsageError(
        f"{path} holds {len(chosen)} traces: choose one with --profile and --property ({available})"
    )


def run_trace(arguments: argparse.Namespace, console: Console) -> int:
    path = Path(arguments.file)
    trace = _trace_in(read_json(path), arguments, path)
    try:
        check_trace(trace)
    except FigureError as problem:
        raise UsageError(f"{path}: {problem}") from None
    fixes = None
    if arguments.fixes:
        fixes_document = read_json(Path(arguments.fixes))
        try:
            check_fixes(catalogue_from(arguments), fixes_document)
        except DocsError as problem:
            raise UsageError(str(problem)) from None
        fixes = fixes_of(fixes_document, trace["profile"], trace["subject"])
    console.print(f"[bold]{trace['profile']} / {trace['subject']}[/] ({trace['kind']})")
    for line in trace_lines(trace, fixes):
        console.print(f"  {line}", markup=False, highlight=False)
    return 0


def run_docs(arguments: argparse.Namespace, console: Console) -> int:
    """Write the generated pages: from ``--results`` (and ``--fixes``), else from the last ``capifsec
    check`` output, else from a verification run now; never pages without results."""
    catalogue = catalogue_from(arguments)
    results_path = Path(arguments.results) if arguments.results else CHECK_OUT / "results.json"
    if arguments.results or results_path.exists():
        console.print(f"results: {results_path}")
        results = read_json(results_path)
    else:
        console.print(f"no --results and no 'capifsec check' output in {CHECK_OUT}: verifying first")
        results = verified(catalogue, Job(list(catalogue.profiles)), arguments.workers, console)
        results.pop("failed")
    fixes_path = Path(arguments.fixes) if arguments.fixes else results_path.parent / "fixes.json"
    if arguments.fixes or fixes_path.exists():
        console.print(f"minimal fixes: {fixes_path}")
        fixes = read_json(fixes_path)
    else:
        fixes = computed_fixes(catalogue, None, None, arguments, console)
    try:
        check_results(catalogue, results)
        check_fixes(catalogue, fixes)
        written = write_site(catalogue, results, Path(arguments.out), fixes)
    except DocsError as problem:
        raise UsageError(str(problem)) from None
    console.print(f"{len(written)} file(s) written to {arguments.out}")
    return 0
