"""Another CAPIF implementation as a replay :class:`~replay.target.Target`, described in a JSON file
(``capifsec-target/1``, ``spec/schema/target.schema.json``; ``docs/replay.md`` explains each member).

The replayer reaches such a target through its TS 29.222 REST APIs and CAPIF-2e interfaces only. Its
operator describes, out of band, what those APIs do not carry: per provider the CCF's CAPIF-1e URL,
the CA, where onboarding secrets come from (a list, spent one per invoker, or a command printing a
fresh one each time it runs) and the AEFs with the APIs they publish; optionally the commands that
perform the out-of-band operations (each one present gives the target that
:class:`~replay.target.Capability`).

:meth:`ExternalTarget.from_file` checks the description before anything runs (the schema, the CA
files, the placeholders of each command) and :meth:`ExternalTarget.check_reachable` that each CCF
answers a TLS handshake with a certificate of its CA; a fault in either is bad input. A description
that runs short while traces run (no onboarding secret left) ends those traces "target lacks ...".
"""

from __future__ import annotations

import json
import string
import subprocess
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from jsonschema import Draft202012Validator

from impl import pki
from impl.apitypes.enums import SecurityMethod
from impl.catalogue_profiles import ProfileError, locate_spec_dir
from impl.credential_files import CredentialFileError, load_private_key
from impl.http import HttpClientError, HttpsClient
from impl.invoker import CcfEndpoint
from impl.settings import AefpskDerivation
from impl.tls import Capif1eClientTls, TlsError
from replay.documents import read_json
from replay.errors import TargetLacksError, TraceError
from replay.target import (
    AttackerAef,
    AttackerCcf,
    Capability,
    NetworkPosition,
    TargetAef,
    TargetApi,
    TargetError,
    TargetInterface,
    TargetProvider,
    TargetRof,
)

SCHEMA_FILE = Path("schema") / "target.schema.json"
DEFAULT_NOTIFICATION_DESTINATION = "https://127.0.0.1:9/notifications"
COMMAND_TIMEOUT_SECONDS = 60.0
OPERATIONS: Mapping[str, tuple[Capability, frozenset[str]]] = {
    "setMethods": (Capability.METHOD_UPDATE, frozenset({"aefId", "interface", "methods"})),
    "setAudience": (Capability.POLICY, frozenset({"provider", "aefId", "api", "invokers"})),
    "advanceClock": (Capability.CLOCK, frozenset({"time"})),
}
"""Operation -> the capability it gives and the placeholders its command may use."""
EVERYONE = "*"


@dataclass(frozen=True)
class Command:
    """A program and its arguments, run without a shell, ``{placeholders}`` replaced."""

    name: str
    argv: tuple[str, ...]

    def run(self, values: Mapping[str, str] | None = None) -> str:
        """Its standard output; :class:`TargetError` when it cannot run or exits non-zero."""
        argv = [_substitute(argument, values or {}) for argument in self.argv]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise TargetError(f"the {self.name} command did not run: {error}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [""])[-1]
            raise TargetError(f"the {self.name} command exited with {done.returncode}: {last}")
        return done.stdout


def _substitute(argument: str, values: Mapping[str, str]) -> str:
    return string.Formatter().vformat(argument, (), dict(values))


def _placeholders(argument: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(argument) if name is not None}


@dataclass
class SecretSource:
    """Onboarding secrets of one provider: a list spent in order, or a command."""

    provider: str
    listed: list[str] = field(default_factory=list)
    command: Command | None = None

    def next(self) -> str:
        if self.command is not None:
            secret = self.command.run().strip()
            if not secret or "\n" in secret:
                raise TargetError(f"the {self.command.name} command printed no single-line secret")
            return secret
        if not self.listed:
            raise TargetLacksError(f"onboarding secrets at {self.provider}: the description's list is spent")
        return self.listed.pop(0)


@dataclass(frozen=True)
class ExternalProvider:
    """One provider of the description: what the replayer sees of it, its AEFs, its secrets and the
    AEFs whose keys the tester holds."""

    provider: TargetProvider
    aefs: tuple[TargetAef, ...]
    secrets: SecretSource
    attacker_aefs: tuple[AttackerAef, ...] = ()


class ExternalTarget:
    """A CAPIF deployment the replayer did not start (see the module docstring)."""

    def __init__(
        self,
        providers: Sequence[ExternalProvider],
        *,
        operations: Mapping[str, Command] | None = None,
        links: Sequence[tuple[str, str]] = (),
        aefpsk_derivation: AefpskDerivation = AefpskDerivation.ANNEX_A1_TLS12,
        notification_destination: str = DEFAULT_NOTIFICATION_DESTINATION,
    ) -> None:
        self._providers = {entry.provider.name: entry for entry in providers}
        self._operations = dict(operations or {})
        self.capabilities = frozenset(OPERATIONS[name][0] for name in self._operations)
        self.aefpsk_derivation = aefpsk_derivation
        self.notification_destination = notification_destination
        self._links = frozenset(frozenset(pair) for pair in links)
        self._changed_methods: dict[tuple[str, str], frozenset[SecurityMethod]] = {}
        self._restricted: set[tuple[str, str, str]] = set()

    @classmethod
    def from_file(cls, path: Path, spec_dir: Path | None = None) -> ExternalTarget:
        """Read and check a target description; :class:`TraceError` (bad input) when it is not one."""
        document = read_json(path)
        _check_schema(document, str(path), spec_dir)
        providers = [_provider(entry, path) for entry in document["providers"]]
        names = [entry.provider.name for entry in providers]
        if len(set(names)) != len(names):
            raise TraceError(f"{path}: two providers have the same name")
        aef_ids = [aef.aef_id for entry in providers for aef in entry.aefs] + [
            attacker.aef.aef_id for entry in providers for attacker in entry.attacker_aefs
        ]
        if len(set(aef_ids)) != len(aef_ids):
            raise TraceError(f"{path}: two AEFs have the same aefId")
        operations = {
            name: _command(f"{name}", argv, OPERATIONS[name][1], path)
            for name, argv in document.get("operations", {}).items()
        }
        links = [(first, second) for first, second in document.get("interconnections", [])]
        unknown = sorted({name for pair in links for name in pair} - set(names))
        if unknown:
            raise TraceError(f"{path}: interconnections name no provider {', '.join(unknown)}")
        return cls(
            providers,
            operations=operations,
            links=links,
            aefpsk_derivation=AefpskDerivation(
                document.get("aefpskDerivation", AefpskDerivation.ANNEX_A1_TLS12)
            ),
            notification_destination=document.get(
                "notificationDestination", DEFAULT_NOTIFICATION_DESTINATION
            ),
        )

    def check_reachable(self, timeout: float = 10.0) -> None:
        """Each provider's CCF completes a TLS handshake on CAPIF-1e with a certificate of its CA;
        :class:`TraceError` naming the first that does not."""
        for entry in self._providers.values():
            provider = entry.provider
            ccf = provider.ccf
            tls = Capif1eClientTls(provider.ca_certificate)
            try:
                with HttpsClient(
                    tls, ccf.host, ccf.port, server_name=ccf.server_name, timeout=timeout
                ) as client:
                    client.connect()
            except (TlsError, HttpClientError, OSError) as error:
                raise TraceError(
                    f"target {provider.name}: its CCF at https://{ccf.host}:{ccf.port} gave no TLS session"
                    f" with a certificate of its CA: {error}"
                ) from None

    def providers(self, wanted: int) -> Sequence[TargetProvider]:
        return [entry.provider for entry in self._providers.values()]

    def attacker_ccfs(self, wanted: int) -> Sequence[AttackerCcf]:
        """None: a CCF the attacker controls needs the target's CCFs to agree with one the replayer
        runs, which a description cannot yet say."""
        return []

    def interconnected(self, first: str, second: str) -> bool:
        return frozenset((first, second)) in self._links

    @property
    def network(self) -> NetworkPosition | None:
        """None: the replayer stands on the CAPIF-6/6e links between another implementation's CCFs only
        if their operator routes them through it, which a description cannot yet say."""
        return None

    def aefs(self, provider: str, wanted: int) -> Sequence[TargetAef]:
        return self._providers[provider].aefs

    def attacker_aefs(self, provider: str, wanted: int) -> Sequence[AttackerAef]:
        return self._providers[provider].attacker_aefs

    def rofs(self, provider: str, wanted: int) -> Sequence[TargetRof]:
        """None: a description cannot yet name resource owner functions (CAPIF-8 has no 3GPP API)."""
        return []

    def onboarding_secret(self, provider: str) -> str:
        return self._providers[provider].secrets.next()

    def reset(self) -> None:
        """Undo what the last trace changed: interfaces back to their methods, every API open."""
        for (aef_id, interface), methods in list(self._changed_methods.items()):
            self.set_methods(aef_id, interface, methods)
        self._changed_methods.clear()
        for provider, aef_id, api in sorted(self._restricted):
            self._operation("setAudience").run(
                {"provider": provider, "aefId": aef_id, "api": api, "invokers": EVERYONE}
            )
        self._restricted.clear()

    def change_aef_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        """Not offered: a description names one method-update operation, which informs the CCF at once."""
        raise TargetError(f"{aef_id}: a method update that reaches the CCF later is not offered")

    def inform_ccf(self, aef_id: str) -> None:
        raise TargetError(f"{aef_id}: a method update that reaches the CCF later is not offered")

    def set_methods(self, aef_id: str, interface: str, methods: frozenset[SecurityMethod]) -> None:
        initial = self._initial_methods(aef_id, interface)
        self._operation("setMethods").run(
            {"aefId": aef_id, "interface": interface, "methods": ",".join(sorted(methods))}
        )
        if methods == initial:
            self._changed_methods.pop((aef_id, interface), None)
        else:
            self._changed_methods.setdefault((aef_id, interface), initial)

    def set_audience(self, provider: str, aef_id: str, api_name: str, invoker_ids: Sequence[str]) -> None:
        invokers = ",".join(invoker_ids)
        self._operation("setAudience").run(
            {"provider": provider, "aefId": aef_id, "api": api_name, "invokers": invokers}
        )
        self._restricted.add((provider, aef_id, api_name))

    def advance_clock(self, moment: datetime) -> None:
        self._operation("advanceClock").run({"time": moment.isoformat()})

    def _operation(self, name: str) -> Command:
        command = self._operations.get(name)
        if command is None:
            raise TargetLacksError(f"the {name} operation")
        return command

    def _initial_methods(self, aef_id: str, interface: str) -> frozenset[SecurityMethod]:
        for entry in self._providers.values():
            for aef in (*entry.aefs, *(attacker.aef for attacker in entry.attacker_aefs)):
                for item in aef.interfaces if aef.aef_id == aef_id else ():
                    if item.name == interface:
                        return item.methods
        raise TargetError(f"the description lists no interface {interface} at {aef_id}")


def _check_schema(document: object, where: str, spec_dir: Path | None) -> None:
    try:
        schema_path = (spec_dir or locate_spec_dir()) / SCHEMA_FILE
        validator = Draft202012Validator(json.loads(schema_path.read_text("utf-8")))
    except (ProfileError, OSError, ValueError) as error:
        raise TraceError(f"cannot read the target description format: {error}") from None
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    if errors:
        place = "/" + "/".join(str(part) for part in errors[0].absolute_path)
        raise TraceError(f"{where} is not a capifsec target description: {errors[0].message} at {place}")


def _endpoint(url: str, where: str) -> CcfEndpoint:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        raise TraceError(f"{where}: {url} has no valid port") from None
    if not parts.hostname:
        raise TraceError(f"{where}: {url} names no host")
    return CcfEndpoint(parts.hostname, port, parts.hostname)


def _certificate(path: Path, where: str) -> x509.Certificate:
    try:
        return pki.load_certificate_pem(path.read_bytes())
    except OSError as error:
        raise TraceError(f"{where}: cannot read {path}: {error.strerror}") from None
    except pki.PkiError as error:
        raise TraceError(f"{where}: {path} is no PEM certificate: {error}") from None


def _command(name: str, argv: Sequence[str], allowed: frozenset[str], path: Path) -> Command:
    try:
        used = set().union(*(_placeholders(argument) for argument in argv))
    except ValueError as error:
        raise TraceError(f"{path}: the {name} command is malformed: {error}") from None
    unknown = sorted(used - allowed)
    if unknown:
        known = ", ".join(f"{{{item}}}" for item in sorted(allowed)) or "none"
        raise TraceError(
            f"{path}: the {name} command uses {', '.join(f'{{{item}}}' for item in unknown)}; known: {known}"
        )
    return Command(name, tuple(argv))


def _aef(entry: dict[str, Any]) -> TargetAef:
    return TargetAef(
        entry["aefId"],
        tuple(TargetApi(api["name"], api["resource"]) for api in entry["apis"]),
        tuple(
            TargetInterface(item["name"], frozenset(SecurityMethod(m) for m in item["securityMethods"]))
            for item in entry["interfaces"]
        ),
    )


def _attacker_aef(entry: dict[str, Any], path: Path, where: str) -> AttackerAef:
    certificate = _certificate(path.parent / entry["certificate"], where)
    try:
        credential = pki.CertifiedKey(certificate, load_private_key(path.parent / entry["privateKey"]))
    except (CredentialFileError, pki.PkiError) as error:
        raise TraceError(f"{where}: attacker AEF {entry['aefId']}: {error}") from None
    return AttackerAef(_aef(entry), _endpoint(entry["capif3"], where), credential)


def _provider(entry: dict[str, Any], path: Path) -> ExternalProvider:
    name = entry["name"]
    where = f"{path}: provider {name}"
    provider = TargetProvider(
        name,
        _endpoint(entry["capif1e"], where),
        _certificate(path.parent / entry["caCertificate"], where),
        entry.get("ccfId", name),
        entry.get("tokenKeyId"),
    )
    aefs = tuple(_aef(aef) for aef in entry["aefs"])
    attackers = tuple(_attacker_aef(aef, path, where) for aef in entry.get("attackerAefs", ()))
    secrets = entry["onboardingSecrets"]
    if isinstance(secrets, list):
        source = SecretSource(name, listed=list(secrets))
    else:
        command = _command(f"onboardingSecrets of {name}", secrets["command"], frozenset(), path)
        source = SecretSource(name, command=command)
    return ExternalProvider(provider, aefs, source, attackers)
