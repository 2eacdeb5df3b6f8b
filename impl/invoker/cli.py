"""``capifsec invoker``: an API invoker on the command line, its state in a directory.

    capifsec invoker --state-dir S onboard --secret SECRET (--endpoints FILE | --ccf HOST:PORT --ca-cert FILE)
                     [--peer-ca FILE ...] [--notification-destination URL]
                     [--aefpsk-derivation annex-a1-tls12|tls13-exporter]
    capifsec invoker --state-dir S discover [--api-name NAME] [--aef-id ID]
    capifsec invoker --state-dir S invoke --api-name NAME [--aef-id ID] [--method PSK|PKI|OAUTH]
                     [--resource PATH]
    capifsec invoker --state-dir S offboard

``--peer-ca`` (repeatable) names the CA certificate of another provider interconnected with the
invoker's CCF (TS 23.222 clause 8.25): the invoker then accepts that provider's AEFs, which its home
CCF discovers for it, as servers (the home CA alone authenticates the CCF). ``--aef-id`` picks one
AEF among those discovered, e.g. the other provider's.

``invoke`` discovers the API, picks an interface offering the method, negotiates it (PUT, or POST
``update`` once a context exists), obtains a token for OAUTH, sends check-authentication and invokes;
when the AEF reports a security method mismatch (or a PSK handshake is refused and check-authentication
explains it) it discovers and negotiates again, once (contribution 004). It prints the answer as JSON.

Exit status: 0 on success, 1 when a CAPIF function refuses or cannot be reached, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.invoker.client import ApiInvoker, CcfEndpoint
from impl.invoker.errors import ConnectionFailedError, InvokerError, RefusedError
from impl.invoker.state import InvokerState
from impl.invoker.targets import AefTarget
from impl.settings import AefpskDerivation

USAGE_ERROR = 2
FAILED = 1
DEFAULT_NOTIFICATIONS = "https://127.0.0.1:9/capif-notifications"


class UsageError(Exception):
    """Bad command-line input."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capifsec invoker",
        description="A CAPIF API invoker.",
        epilog="exit status: 0 success; 1 a CAPIF function refuses or cannot be reached; 2 bad input",
    )
    parser.add_argument("--state-dir", type=Path, required=True, help="where the invoker keeps its identity")
    commands = parser.add_subparsers(dest="command", required=True)
    onboard = commands.add_parser("onboard", help="onboard at a CCF with a one-time secret")
    onboard.add_argument("--secret", required=True, help="the onboarding secret from the CCF operator")
    onboard.add_argument("--endpoints", type=Path, help="endpoints.json written by capifsec serve")
    onboard.add_argument("--ccf", help="HOST:PORT of the CCF's CAPIF-1e endpoint")
    onboard.add_argument("--ca-cert", type=Path, help="the CAPIF CA certificate (PEM)")
    onboard.add_argument(
        "--peer-ca",
        type=Path,
        action="append",
        default=[],
        help="the CA certificate (PEM) of an interconnected provider whose AEFs it may call; repeatable",
    )
    onboard.add_argument("--notification-destination", default=DEFAULT_NOTIFICATIONS)
    onboard.add_argument("--aefpsk-derivation", choices=[value.value for value in AefpskDerivation])
    discover = commands.add_parser("discover", help="list the service APIs the invoker may use")
    discover.add_argument("--api-name")
    discover.add_argument("--aef-id", help="only this AEF's interfaces")
    invoke = commands.add_parser("invoke", help="negotiate and invoke a service API")
    invoke.add_argument("--api-name", required=True)
    invoke.add_argument("--aef-id", help="invoke at this AEF (default: the first discovered)")
    invoke.add_argument("--method", choices=[method.value for method in SecurityMethod])
    invoke.add_argument("--resource", default="/greeting")
    commands.add_parser("offboard", help="offboard from the CCF")
    return parser


def _onboarding_state(arguments: argparse.Namespace) -> InvokerState:
    derivation = AefpskDerivation(arguments.aefpsk_derivation) if arguments.aefpsk_derivation else None
    if arguments.endpoints is not None:
        try:
            document = json.loads(arguments.endpoints.read_text("utf-8"))
            host, port = str(document["ccf"]["host"]), int(document["ccf"]["capif1ePort"])
            ca_path = Path(document["caCertificate"])
            derivation = derivation or AefpskDerivation(document["aefpskDerivation"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UsageError(f"cannot read {arguments.endpoints}: {error}") from None
    elif arguments.ccf and arguments.ca_cert:
        host, _, port_text = arguments.ccf.rpartition(":")
        if not host or not port_text.isdigit():
            raise UsageError("--ccf expects HOST:PORT")
        port, ca_path = int(port_text), arguments.ca_cert
    else:
        raise UsageError("onboard needs --endpoints, or --ccf and --ca-cert")
    return InvokerState(
        CcfEndpoint(host, port, host),
        _certificate(ca_path, "the CA certificate"),
        derivation or AefpskDerivation.ANNEX_A1_TLS12,
        arguments.notification_destination,
        peer_ca_certificates=tuple(_certificate(path, "the peer CA") for path in arguments.peer_ca),
    )


def _certificate(path: Path, what: str) -> x509.Certificate:
    try:
        return pki.load_certificate_pem(path.read_bytes())
    except (OSError, pki.PkiError) as error:
        raise UsageError(f"cannot read {what} {path}: {error}") from None


def _pick(targets: Sequence[AefTarget], method: SecurityMethod | None) -> AefTarget:
    usable = [target for target in targets if method is None or method in target.methods]
    if not usable:
        raise InvokerError(f"no discovered interface offers {method.value if method else 'any method'}")
    return usable[0]


def _attempt(
    invoker: ApiInvoker, api_name: str, aef_id: str | None, method: SecurityMethod | None, resource: str
) -> object:
    target = _pick(invoker.discover(api_name=api_name, aef_id=aef_id), method)
    negotiated = invoker.negotiate([target], preferred=[method] if method else None)[0]
    token = None
    if negotiated.method is SecurityMethod.OAUTH:
        token = invoker.obtain_token(target.aef_id, [target.api_name])
    invoker.check_authentication(target)
    return invoker.invoke(negotiated, resource, token=token)


def _invoke(
    invoker: ApiInvoker, api_name: str, aef_id: str | None, method: SecurityMethod | None, resource: str
) -> object:
    """One attempt, and after a method mismatch (or a refused PSK handshake) a second one with a fresh
    discovery and negotiation (contribution 004)."""
    try:
        return _attempt(invoker, api_name, aef_id, method, resource)
    except RefusedError as refusal:
        if not refusal.is_method_mismatch:
            raise
    except ConnectionFailedError as failure:
        if not failure.handshake_refused:
            raise
    return _attempt(invoker, api_name, aef_id, method, resource)


def _run(arguments: argparse.Namespace) -> object:
    directory: Path = arguments.state_dir
    if arguments.command == "onboard":
        state = _onboarding_state(arguments)
        with state.invoker() as invoker:
            identity = invoker.onboard(arguments.secret)
        directory.mkdir(parents=True, exist_ok=True)
        state.onboarded(identity).save(directory)
        return {"apiInvokerId": identity.api_invoker_id}
    state = InvokerState.load(directory)
    with state.invoker() as invoker:
        if arguments.command == "discover":
            return [
                {
                    "aefId": t.aef_id,
                    "apiName": t.api_name,
                    "apiId": t.api_id,
                    "interface": t.interface.to_json(),
                }
                for t in invoker.discover(api_name=arguments.api_name, aef_id=arguments.aef_id)
            ]
        if arguments.command == "invoke":
            method = SecurityMethod(arguments.method) if arguments.method else None
            return _invoke(invoker, arguments.api_name, arguments.aef_id, method, arguments.resource)
        invoker.offboard()
        return {"offboarded": invoker.identity.api_invoker_id}


def main(argv: Sequence[str]) -> int:
    """Entry point of ``capifsec invoker``; see the module docstring for the exit codes."""
    try:
        arguments = _parser().parse_args(list(argv))
    except SystemExit as exit_request:
        return 0 if exit_request.code == 0 else USAGE_ERROR
    try:
        print(json.dumps(_run(arguments), indent=2))
    except UsageError as error:
        print(f"capifsec invoker: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (InvokerError, OSError) as error:
        print(f"capifsec invoker: {error}", file=sys.stderr)
        return FAILED
    except Exception as error:  # a defect: reported in one line, never as a traceback
        print(f"capifsec invoker: internal error: {error!r}", file=sys.stderr)
        return FAILED
    return 0
