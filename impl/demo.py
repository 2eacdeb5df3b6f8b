"""``capifsec demo [--profile P] [--spec-dir DIR] [--allow-unsafe] [--providers N]``: a CCF, an AEF with
its example API and two API invokers on loopback, through onboarding, discovery, negotiation and
invocation with each method, the security method update of contribution 004 and offboarding, one printed
line per step. With ``--providers N`` (2 or more): N providers whose CCFs are interconnected over
CAPIF-6/6e, an invoker of the last invoking the first one's AEF with every method
(:mod:`impl.demo_interconnect`).

:func:`main` returns 0 only if every step did what it should under the profile's settings, 1 if one
did not, 2 for bad input (unknown profile, unreadable catalogue); it prints errors, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from impl.catalogue_profiles import DEFAULT_PROFILE, ProfileError, settings_for_profile
from impl.demo_interconnect import run_interconnect_demo
from impl.demo_scenario import Report, Scenario, StepRunner
from impl.deployment import Deployment, DeploymentError
from impl.settings import Interconnection, Settings

USAGE_ERROR = 2
STEP_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec demo",
        description="Run a CCF, an AEF with its example API and two API invokers on loopback, through "
        "onboarding, discovery, negotiation and invocation with each method, the security method update "
        "of contribution 004 and offboarding, one printed line per step. With --providers N (2 or more): N "
        "providers whose CCFs are interconnected over CAPIF-6/6e, an invoker of the last invoking the first "
        "one's AEF with every method.",
        epilog="exit status: 0 every step did what it should under the profile's settings; 1 one did not; "
        "2 bad input (unknown profile, unreadable catalogue)",
    )
    parser.add_argument(
        "--profile", default=DEFAULT_PROFILE, help=f"catalogue profile (default {DEFAULT_PROFILE})"
    )
    parser.add_argument(
        "--spec-dir", type=Path, help="catalogue folder (default: the installed capifsec.spec)"
    )
    parser.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="run a profile whose options leave out a check or a protection (each is logged)",
    )
    parser.add_argument(
        "--providers",
        type=int,
        default=1,
        choices=range(1, 9),
        metavar="N",
        help="number of CAPIF providers (1 to 8; 2 or more: interconnected over CAPIF-6/6e)",
    )
    return parser


def run_demo(settings: Settings, data_dir: Path, report: Report) -> bool:
    """Run every step on a fresh deployment in ``data_dir``; True if all did what they should."""
    runner = StepRunner(report)
    with Deployment(data_dir, settings) as deployment:
        scenario = Scenario(deployment, runner)
        try:
            scenario.run()
        finally:
            scenario.close()
    return bool(runner.results) and all(result.ok for result in runner.results)


def main(argv: Sequence[str]) -> int:
    """Entry point of ``capifsec demo``; see the module docstring for the exit codes."""
    parser = _parser()
    try:
        arguments = parser.parse_args(list(argv))
    except SystemExit as exit_request:
        return 0 if exit_request.code == 0 else USAGE_ERROR
    try:
        settings = settings_for_profile(
            arguments.profile, arguments.spec_dir, allow_unsafe=arguments.allow_unsafe
        )
    except ProfileError as error:
        print(f"capifsec demo: {error}", file=sys.stderr)
        return USAGE_ERROR
    logging.basicConfig(level=logging.ERROR, format="  log: %(name)s: %(message)s")
    print(
        f"capifsec demo, profile {arguments.profile}: "
        + ", ".join(f"{k}={v}" for k, v in settings.to_options().items())
    )
    for option, value in settings.unsafe_in_effect().items():
        print(f"  unsafe: {option}={value} (allowed by --allow-unsafe)")
    if arguments.providers > 1 and settings.interconnection is not Interconnection.SUPPORTED:
        print(f"capifsec demo: profile {arguments.profile} has no interconnection", file=sys.stderr)
        return USAGE_ERROR
    try:
        with tempfile.TemporaryDirectory(prefix="capifsec-demo-") as directory:
            if arguments.providers > 1:
                passed = run_interconnect_demo(
                    settings, Path(directory), print, providers=arguments.providers
                )
            else:
                passed = run_demo(settings, Path(directory), print)
    except (DeploymentError, OSError) as error:
        print(f"capifsec demo: the deployment failed: {error}", file=sys.stderr)
        return STEP_FAILED
    except Exception as error:  # a defect: reported in one line, never as a traceback
        print(f"capifsec demo: internal error: {error!r}", file=sys.stderr)
        return STEP_FAILED
    print(
        "every step did what it should under this profile"
        if passed
        else "some steps did not do what they should"
    )
    return 0 if passed else STEP_FAILED
