"""The handlers of the commands that make documents for people from one or two profiles: ``report``
(markdown, HTML or Word, by the file's suffix) and ``diff``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from capifsec.commands import catalogue_from, computed_fixes, verified
from capifsec.files import UsageError, read_json, write_json
from model.catalogue import Catalogue
from model.runner import Job
from publish import DocsError, check_results
from publish.diff import diff_lines, profile_diff
from publish.fixes import check_fixes
from publish.report import FORMATS, report_content, write_report


def _documents(
    catalogue: Catalogue, profiles: list[str], arguments: argparse.Namespace, console: Console
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Results and fixes for ``profiles``: from ``--results``/``--fixes`` when given, else computed now."""
    if arguments.results:
        results = read_json(Path(arguments.results))
    else:
        results = verified(catalogue, Job(profiles), arguments.workers, console)
        results.pop("failed")
    if arguments.fixes:
        fixes = read_json(Path(arguments.fixes))
    else:
        fixes = computed_fixes(catalogue, profiles, None, arguments, console)
    try:
        check_results(catalogue, results)
        check_fixes(catalogue, fixes)
    except DocsError as problem:
        raise UsageError(str(problem)) from None
    covered = {entry["profile"] for entry in results["results"]}
    missing = [p for p in profiles if p not in covered]
    if missing:
        raise UsageError(f"the results document has no results for {', '.join(missing)}")
    return results, fixes


def _known(catalogue: Catalogue, profiles: list[str]) -> None:
    unknown = [p for p in profiles if p not in catalogue.profiles]
    if unknown:
        raise UsageError(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(catalogue.profiles)}")


def run_report(arguments: argparse.Namespace, console: Console) -> int:
    catalogue = catalogue_from(arguments)
    _known(catalogue, [arguments.profile])
    results, fixes = _documents(catalogue, [arguments.profile], arguments, console)
    start = time.perf_counter()
    written = write_report(report_content(catalogue, arguments.profile, results, fixes), Path(arguments.out))
    elapsed = time.perf_counter() - start
    console.print(f"{len(written)} file(s) written ({', '.join(map(str, written))}) in {elapsed:.2f} s")
    return 0


def report_file(text: str) -> str:
    """An argparse type: a report file whose suffix names a known format and whose folder exists."""
    path = Path(text)
    if path.suffix not in FORMATS:
        raise argparse.ArgumentTypeError(f"{text}: the suffix names the format, one of {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist (create it first)")
    return text


def run_diff(arguments: argparse.Namespace, console: Console) -> int:
    catalogue = catalogue_from(arguments)
    if len(arguments.profile or []) != 2:
        raise UsageError("diff compares two profiles: give --profile twice (before, then after)")
    before, after = arguments.profile
    _known(catalogue, [before, after])
    results, fixes = _documents(catalogue, [before, after], arguments, console)
    diff = profile_diff(catalogue, results, fixes, before, after)
    for line in diff_lines(diff):
        console.print(line, markup=False, highlight=False)
    if arguments.json:
        write_json(arguments.json, diff)
    return 0
