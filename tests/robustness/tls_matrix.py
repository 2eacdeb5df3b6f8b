"""What the TLS negative matrix (issue 13, suite item 3) sends: a raw ClientHello of a protocol version
below TLS 1.2, and one HTTPS request per client credential, each reduced to an :class:`Outcome`."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from impl import pki
from impl.http import HttpClientError, HttpsClient
from impl.tls import ClientTls, TlsError

LEGACY_VERSIONS = {"SSL 3.0": 0x0300, "TLS 1.0": 0x0301, "TLS 1.1": 0x0302}
_LEGACY_SUITES = (0xC013, 0xC014, 0xC009, 0xC00A, 0x002F, 0x0035, 0x000A)
_HANDSHAKE_RECORD = 0x16

READ_LIMIT = 30.0
"""Seconds a probe waits for each answer: a time-out reads as a refusal, so it is generous (an accepted
request slowed by the shared machine's load must not read as refused; refusals come at once)."""


def legacy_client_hello(version: int) -> bytes:
    """A ClientHello offering only ``version`` (no ``supported_versions`` extension) and CBC suites."""
    suites = b"".join(suite.to_bytes(2, "big") for suite in _LEGACY_SUITES)
    body = version.to_bytes(2, "big") + os.urandom(32) + b"\x00"
    body += len(suites).to_bytes(2, "big") + suites + b"\x01\x00"
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16" + min(version, 0x0301).to_bytes(2, "big") + len(handshake).to_bytes(2, "big") + handshake


def server_answers_legacy_hello(host: str, port: int, version: int) -> bool:
    """Whether the server goes on with a handshake (a handshake record back) for ``version``; an alert
    or a closed connection is a refusal."""
    with socket.create_connection((host, port), timeout=READ_LIMIT) as sock:
        sock.sendall(legacy_client_hello(version))
        try:
            first = sock.recv(1)
        except (ConnectionResetError, TimeoutError):
            return False
    return bool(first) and first[0] == _HANDSHAKE_RECORD


@dataclass(frozen=True)
class Outcome:
    """What one request met: ``status`` (None when TLS or the connection refused it) and why."""

    status: int | None
    detail: str

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        return self.status is None or self.status in (401, 403)


@dataclass(frozen=True)
class Probe:
    """One request on one reference point."""

    host: str
    port: int
    method: str
    path: str
    body: object = None

    def send(self, tls: ClientTls, headers: Mapping[str, str] | None = None) -> Outcome:
        try:
            with HttpsClient(tls, self.host, self.port, timeout=READ_LIMIT) as client:
                if self.body is None:
                    response = client.request(self.method, self.path, headers=headers)
                else:
                    response = client.post_json(self.path, self.body, headers=headers)
        except (TlsError, HttpClientError) as error:
            return Outcome(None, f"{type(error).__name__}: {error}")
        problem = response.problem()
        return Outcome(response.status, problem.cause or "" if problem else "")


def client_credential(
    authority: pki.CertificateAuthority, name: str, *, starts: datetime, validity: timedelta
) -> pki.CertifiedKey:
    """A client certificate of ``authority`` valid from ``starts`` for ``validity``."""
    profile = pki.CertificateProfile(name, client_auth=True, validity=validity)
    return authority.issue_certified_key(profile, now=starts)


def expired(authority: pki.CertificateAuthority) -> pki.CertifiedKey:
    """Valid for one minute, ended long ago (right after the CA's own start)."""
    starts = authority.certificate.not_valid_before_utc + timedelta(minutes=1)
    assert starts + timedelta(minutes=2) < datetime.now(UTC)
    return client_credential(authority, "expired", starts=starts, validity=timedelta(minutes=1))


def not_yet_valid(authority: pki.CertificateAuthority) -> pki.CertifiedKey:
    return client_credential(
        authority, "not-yet-valid", starts=datetime.now(UTC) + timedelta(days=30), validity=timedelta(days=1)
    )
