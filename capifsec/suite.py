"""The handler of ``capifsec traces``: generate the test suite the model writes for implementations,
write it whole (or not at all), print its coverage audit and return the exit status."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from rich.console import Console

from capifsec.commands import catalogue_from
from capifsec.files import UsageError
from model.catalogue import Catalogue
from model.suite import INDEX as SUITE_INDEX
from model.suite import Verified, audit_lines, complete, generate, write_suite
from publish import DocsError, check_results, read_results


def _suite_folder(out: Path) -> Path:
    """``out`` made ready for a new suite: new, empty, or holding an earlier suite (replaced)."""
    if out.is_dir() and any(out.iterdir()) and not (out / SUITE_INDEX).is_file():
        raise UsageError(
            f"--out {out} holds files but no test suite ({SUITE_INDEX}); give a new or empty folder"
        )
    return out


def _verified(catalogue: Catalogue, profiles: list[str], results: str | None) -> dict[str, Verified]:
    """The counterexamples and witnesses of a ``capifsec verify --json`` file of this catalogue, per
    profile (none without ``--results``); a profile it does not cover is bad input."""
    if results is None:
        return {}
    try:
        document = read_results(Path(results))
        check_results(catalogue, document)
    except DocsError as problem:
        raise UsageError(str(problem)) from None
    verified = {profile: Verified.of(document, profile) for profile in profiles}
    missing = [profile for profile, found in verified.items() if found is None]
    if missing:
        raise UsageError(
            f"{results} has no results for {', '.join(missing)}; verify them with this catalogue first"
        )
    return {profile: found for profile, found in verified.items() if found is not None}


def run_traces(arguments: argparse.Namespace, console: Console) -> int:
    """Write the test suite: counterexamples, witnesses, coverage and boundary traces; exit 1 when the
    coverage audit finds an obligation unmet."""
    catalogue = catalogue_from(arguments)
    profiles = arguments.profile or list(catalogue.profiles)
    unknown = [name for name in profiles if name not in catalogue.profiles]
    if unknown:
        raise UsageError(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(catalogue.profiles)}")
    out = _suite_folder(Path(arguments.out))
    verified = _verified(catalogue, profiles, arguments.results)
    with console.status("generating the test suite") as status:
        suites = generate(
            catalogue,
            profiles,
            workers=arguments.workers,
            on_profile=lambda suite: status.update(f"generated {suite.profile}"),
            verified=verified,
        )
    partial = out.with_name(out.name + ".partial")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        written = write_suite(partial, suites)
        if out.is_dir():
            shutil.rmtree(out)
        partial.rename(out)
    except OSError as problem:
        raise UsageError(f"cannot write {out}: {problem.strerror}") from None
    for line in audit_lines(suites):
        console.print(line, markup=False, highlight=False)
    console.print(f"{written} file(s) written to {out}")
    if not complete(suites):
        console.print("[bold red]the coverage audit failed: obligations are unmet[/]")
        return 1
    return 0
