"""``capifsec serve``: run the CCF and the provider's AEF (with its example API) for real use.

    capifsec serve --data-dir DIR [--profile P] [--spec-dir DIR] [--host H] [--ccf-port N]
                   [--provider-port N] [--aef-capif3-port N] [--aef-port NAME=N]...
    capifsec serve --data-dir DIR --onboarding-secret [--lifetime-hours H]
    capifsec serve --data-dir DIR --providers N [--profile P]           (interconnected, on loopback)
    capifsec serve --data-dir DIR --ccf-id ID --peer FILE... [--capif6-port N] [--provider-domain D]
    ... [--ca-certificate F --ca-key F [--ccf-certificate F --ccf-key F]]  (the operator's own PKI)

The first form provisions the data directory on first use (CAPIF CA, CCF and AEF certificates, token
signing key, provider registration, publication of the ``hello`` API), serves until SIGINT or SIGTERM,
and writes ``endpoints.json`` into the data directory (what ``capifsec invoker onboard --endpoints``
reads). Restarting on the same directory keeps every onboarding, registration and security context. The
second form mints a one-time onboarding secret (the out-of-band onboarding credential, TS 33.122
clause 6.1) into the directory's CCF, running or not, prints it and exits. The interconnection forms
and the operator's own CA and certificates are described in :mod:`impl.serve_interconnect`.

Exit status: 0 after a clean stop (or a minted secret), 1 when the services fail, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType

from impl.atomic_file import write_file
from impl.catalogue_profiles import DEFAULT_PROFILE, ProfileError, settings_for_profile
from impl.deployment import CCF_ID, DEFAULT_INTERFACES, Deployment, DeploymentError, DeploymentPorts
from impl.deployment.interconnected import InterconnectedDeployment
from impl.interconnect import Agreement, InterconnectConfig
from impl.malloc_arenas import SERVICE_ARENAS, limit_malloc_arenas
from impl.serve_interconnect import (
    OperatorPki,
    interconnect,
    load_agreements,
    prepare_peers,
    take_operator_pki,
    write_own_agreement,
    write_providers,
)
from impl.settings import Interconnection

USAGE_ERROR = 2
PROVIDER_NAMES = ("a", "b", "c", "d", "e", "f", "g", "h")
FAILED = 1
ENDPOINTS_FILE = "endpoints.json"
DEFAULT_PORTS = {
    "ccf": 8443,
    "provider": 8444,
    "capif6": 8445,
    "aef-capif3": 9443,
    "psk": 9001,
    "pki": 9002,
    "oauth": 9003,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec serve",
        description="Run the CAPIF services.",
        epilog="exit status: 0 after a clean stop (or a minted secret); 1 the services fail; 2 bad input",
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="where the services keep their state")
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
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on and to publish")
    parser.add_argument("--ccf-port", type=int, default=DEFAULT_PORTS["ccf"], help="CCF CAPIF-1e port")
    parser.add_argument(
        "--provider-port", type=int, default=DEFAULT_PORTS["provider"], help="CCF CAPIF-3/4/5 port"
    )
    parser.add_argument(
        "--aef-capif3-port", type=int, default=DEFAULT_PORTS["aef-capif3"], help="AEF CAPIF-3 port"
    )
    parser.add_argument(
        "--aef-port", action="append", default=[], metavar="NAME=PORT", help="AEF interface port"
    )
    parser.add_argument(
        "--onboarding-secret", action="store_true", help="mint a one-time onboarding secret and exit"
    )
    parser.add_argument("--lifetime-hours", type=float, default=24.0, help="lifetime of a minted secret")
    parser.add_argument(
        "--providers", type=int, default=1, choices=range(1, 9), metavar="N", help="interconnected providers"
    )
    parser.add_argument("--ccf-id", default=CCF_ID, help=f"this CCF's identifier (default {CCF_ID})")
    parser.add_argument("--provider-domain", help="this provider's domain (default provider-<ccf-id>)")
    parser.add_argument(
        "--capif6-port", type=int, default=DEFAULT_PORTS["capif6"], help="CAPIF-6/6e port (with --peer)"
    )
    parser.add_argument(
        "--peer", action="append", default=[], type=Path, metavar="FILE", help="a peer CCF's agreement file"
    )
    for name in ("ca-certificate", "ca-key", "ccf-certificate", "ccf-key"):
        parser.add_argument(f"--{name}", type=Path, help=f"the operator's own {name.replace('-', ' ')} (PEM)")
    return parser


def _interface_ports(pairs: Sequence[str]) -> dict[str, int]:
    ports = {spec.name: DEFAULT_PORTS[spec.name] for spec in DEFAULT_INTERFACES}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or name not in ports or not value.isdigit() or int(value) > 65535:
            raise ValueError(
                f"--aef-port expects NAME=PORT with NAME one of {', '.join(ports)}, got {pair!r}"
            )
        ports[name] = int(value)
    return ports


def _check_port(name: str, value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"{name} must be 0 to 65535")


def endpoints_document(deployment: Deployment, profile: str) -> dict[str, object]:
    """What an invoker or operator needs to reach the services."""
    aef = deployment.aef
    return {
        "profile": profile,
        "caCertificate": str(deployment.ca_certificate_path.resolve()),
        "aefpskDerivation": str(deployment.settings.aefpsk_derivation),
        "ccf": {
            "host": deployment.host,
            "capif1ePort": deployment.ccf.capif1e_port,
            "capif345Port": deployment.ccf.capif345_port,
        },
        "aef": {
            "aefId": aef.config.aef_id,
            "capif3Port": aef.capif3_port,
            "interfaces": {
                name: {
                    "port": interface.port,
                    "apiPrefix": interface.api_prefix,
                    "securityMethods": sorted(method.value for method in interface.methods),
                }
                for name, interface in aef.interfaces.items()
            },
        },
    }


def _serve_providers(
    providers: InterconnectedDeployment, data_dir: Path, profile: str, stop: threading.Event
) -> None:
    with providers:
        path = write_providers(providers, data_dir)
        print(f"capifsec serve: profile {profile}, {len(providers.names)} interconnected providers")
        for deployment in providers.providers.values():
            print(
                f"  {deployment.ccf_id}: CAPIF-1e :{deployment.ccf.capif1e_port},"
                f" CAPIF-6/6e :{deployment.interconnected_ccf.capif6_port}, data in {deployment.data_dir}"
            )
        print(f"  providers        {path}")
        sys.stdout.flush()
        stop.wait()
    print("capifsec serve: stopped")


def _serve(
    deployment: Deployment,
    profile: str,
    stop: threading.Event,
    agreements: Sequence[Agreement] = (),
) -> None:
    with deployment:
        if deployment.interconnect is not None:
            own = write_own_agreement(deployment, deployment.interconnect.provider_domain)
            unreachable = interconnect(deployment, agreements)
            print(
                f"  CAPIF-6/6e       :{deployment.interconnected_ccf.capif6_port}; agreement for peers: {own}"
            )
            for peer in unreachable:
                print(f"  peer {peer} not reachable yet: it learns this CCF's APIs when it starts")
        document = endpoints_document(deployment, profile)
        write_file(
            deployment.data_dir / ENDPOINTS_FILE, json.dumps(document, indent=2).encode(), private=False
        )
        host = deployment.host
        print(f"capifsec serve: profile {profile}, data in {deployment.data_dir}")
        print(f"  CCF CAPIF-1e     https://{host}:{deployment.ccf.capif1e_port}")
        print(f"  CCF CAPIF-3/4/5  https://{host}:{deployment.ccf.capif345_port}")
        for name, interface in deployment.aef.interfaces.items():
            methods = "/".join(sorted(method.value for method in interface.methods))
            print(f"  AEF {name:<12} https://{host}:{interface.port}{interface.api_prefix} ({methods})")
        print(f"  AEF CAPIF-3      https://{host}:{deployment.aef.capif3_port}")
        print(f"  CAPIF CA         {deployment.ca_certificate_path}")
        print(f"  endpoints        {deployment.data_dir / ENDPOINTS_FILE}")
        print(f"  onboarding secret: capifsec serve --data-dir {deployment.data_dir} --onboarding-secret")
        sys.stdout.flush()
        stop.wait()
    print("capifsec serve: stopped")


def _mint(deployment: Deployment, lifetime: timedelta) -> int:
    """Print a fresh onboarding secret of the directory's CCF; 2 when there is none yet."""
    try:
        print(deployment.mint_onboarding_secret(lifetime))
    except DeploymentError as error:
        print(f"capifsec serve: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as error:  # a defect or an unusable database: one line, never a traceback
        print(f"capifsec serve: cannot mint a secret: {error!r}", file=sys.stderr)
        return FAILED
    return 0


def main(argv: Sequence[str]) -> int:
    """Entry point of ``capifsec serve``; see the module docstring for the exit codes."""
    try:
        arguments = _parser().parse_args(list(argv))
    except SystemExit as exit_request:
        return 0 if exit_request.code == 0 else USAGE_ERROR
    try:
        settings = settings_for_profile(
            arguments.profile, arguments.spec_dir, allow_unsafe=arguments.allow_unsafe
        )
        for name in ("ccf_port", "provider_port", "aef_capif3_port"):
            _check_port(f"--{name.replace('_', '-')}", getattr(arguments, name))
        ports = DeploymentPorts(
            ccf_capif1e=arguments.ccf_port,
            ccf_capif345=arguments.provider_port,
            aef_capif3=arguments.aef_capif3_port,
            aef_interfaces=_interface_ports(arguments.aef_port),
        )
        if arguments.lifetime_hours <= 0:
            raise ValueError("--lifetime-hours must be positive")
    except (ProfileError, ValueError) as error:
        print(f"capifsec serve: {error}", file=sys.stderr)
        return USAGE_ERROR
    limit_malloc_arenas(SERVICE_ARENAS)  # before any service thread (see impl.malloc_arenas)
    stop = threading.Event()
    if arguments.providers > 1:
        if settings.interconnection is not Interconnection.SUPPORTED:
            print(f"capifsec serve: profile {arguments.profile} has no interconnection", file=sys.stderr)
            return USAGE_ERROR
        providers = InterconnectedDeployment(
            arguments.data_dir, settings, providers=PROVIDER_NAMES[: arguments.providers], host=arguments.host
        )
        return _until_stopped(
            lambda: _serve_providers(providers, arguments.data_dir, arguments.profile, stop), stop
        )
    try:
        agreements = load_agreements(arguments.peer)
        operator = OperatorPki(
            arguments.ca_certificate, arguments.ca_key, arguments.ccf_certificate, arguments.ccf_key
        )
        operator.check()
        _check_port("--capif6-port", arguments.capif6_port)
        if agreements and settings.interconnection is not Interconnection.SUPPORTED:
            raise ValueError(f"profile {arguments.profile} has no interconnection (--peer)")
    except ValueError as error:
        print(f"capifsec serve: {error}", file=sys.stderr)
        return USAGE_ERROR
    domain = arguments.provider_domain or f"provider-{arguments.ccf_id}"
    deployment = Deployment(
        arguments.data_dir,
        settings,
        host=arguments.host,
        ports=ports,
        ccf_id=arguments.ccf_id,
        interconnect=InterconnectConfig(domain, capif6_port=arguments.capif6_port) if agreements else None,
    )
    prepare_peers(deployment, agreements)
    if arguments.onboarding_secret:
        return _mint(deployment, timedelta(hours=arguments.lifetime_hours))
    try:
        take_operator_pki(arguments.data_dir, arguments.ccf_id, operator)
    except DeploymentError as error:
        print(f"capifsec serve: {error}", file=sys.stderr)
        return USAGE_ERROR
    return _until_stopped(lambda: _serve(deployment, arguments.profile, stop, agreements), stop)


def _until_stopped(run: Callable[[], None], stop: threading.Event) -> int:
    """Run the services until SIGINT or SIGTERM sets ``stop``; the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        run()
    except (DeploymentError, OSError) as error:
        print(f"capifsec serve: {error}", file=sys.stderr)
        return FAILED
    except Exception as error:  # a defect: reported in one line, never as a traceback
        print(f"capifsec serve: internal error: {error!r}", file=sys.stderr)
        return FAILED
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0
