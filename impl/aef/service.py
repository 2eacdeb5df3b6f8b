"""A running API exposing function: its CAPIF-2e interfaces and its CAPIF-3 endpoint.

* One HTTPS endpoint per CAPIF-2e interface (:mod:`impl.aef.interfaces`), each serving the example
  ``hello`` API (under each of the configured API names) and check-authentication under its
  ``apiPrefix``.
* One CAPIF-3 endpoint, mutual TLS required (TS 33.122 clause 5), serving ``revoke-authorization`` to
  the AEF's CCF.
* A CAPIF-3 client to the CCF (``trustedInvokers`` reads and the AEF's own revocations), with the
  certificate the CCF issued when the provider registered the AEF.

Tokens are checked against the CCF keys the AEF was given out of band, per ``aef-trusted-token-keys``:
``own-ccf`` keeps only its own CCF's keys (single provider); the other values keep every key it was
given (the hook for delegated and interconnected CCFs).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509

from impl.aef.access import AccessCheck
from impl.aef.hello_api import API_NAME, add_hello_routes, hello_api_description
from impl.aef.interfaces import AefInterface, InterfaceSpec, interface_tls
from impl.aef.revocations import RevocationList
from impl.aef.security_api import RevokeAuthorization, add_check_authentication, api_names_by_id
from impl.aef.security_info import DEFAULT_LIFETIME, CcfSecurityClient, SecurityInfoCache, kept_for
from impl.apitypes.enums import RevocationCause, SecurityMethod
from impl.apitypes.reader import JsonObject
from impl.apitypes.security import SecurityNotification
from impl.clock import Clock, system_clock
from impl.http import HttpsServer, Router
from impl.lifecycle import Service, start_all
from impl.pki import CertifiedKey
from impl.problem_responses import domain_error_response
from impl.settings import AefTrustedTokenKeys, Settings
from impl.tls import CertificateClientTls, CertificateServerTls, ClientAuth
from impl.tokens import ClaimSet, ScopeCheck, TokenVerifier, TrustedKeySet


@dataclass(frozen=True)
class CcfLocation:
    """Where the AEF reaches its CCF's CAPIF-3/4/5 endpoint."""

    host: str
    port: int
    server_name: str


@dataclass(frozen=True)
class AefConfig:
    """A running AEF's identity, credentials, trust, interfaces and settings.

    ``capif3_credential`` is the certificate the CCF issued at registration (its CAPIF-3 identity);
    ``server_credential`` the AEF's server certificate from the CAPIF CA (provisioned out of band);
    ``ca_certificate`` the CAPIF CA, trusted for the CCF's and the invokers' certificates;
    ``api_names`` the names the example API is served under, each published as its own service API;
    ``peer_ca_certificates`` the CAs of the providers its CCF is interconnected with, trusted for the
    client certificates of their invokers on CAPIF-2e (TS 23.222 clause 8.25; which certificate
    authenticates which invoker is still decided by the security information from its CCF);
    ``security_info_lifetime`` how many seconds an answer of the CCF about an invoker is used under
    ``security-info-caching=lifetime``.
    """

    aef_id: str
    ccf_id: str
    ccf: CcfLocation
    ca_certificate: x509.Certificate
    capif3_credential: CertifiedKey
    server_credential: CertifiedKey
    trusted_token_keys: TrustedKeySet
    interfaces: tuple[InterfaceSpec, ...]
    api_names: tuple[str, ...] = (API_NAME,)
    settings: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    capif3_port: int = 0
    clock: Clock = system_clock
    peer_ca_certificates: tuple[x509.Certificate, ...] = ()
    security_info_lifetime: float = DEFAULT_LIFETIME


def token_verifier(config: AefConfig) -> TokenVerifier:
    """The verifier the settings ask for (TS 33.122 clause 6.5.2.3, Annex C)."""
    keys = config.trusted_token_keys
    if config.settings.aef_trusted_token_keys is AefTrustedTokenKeys.OWN_CCF:
        keys = keys.only_issuers({config.ccf_id})
    return TokenVerifier(
        keys,
        aef_id=config.aef_id,
        claim_set=ClaimSet(str(config.settings.token_claims)),
        scope_check=ScopeCheck(str(config.settings.aef_scope_check)),
        allowed_algorithms=frozenset(key.algorithm for key in keys),
    )


class AefService(Service):
    """``with AefService(config) as aef:`` serves every interface and the CAPIF-3 endpoint."""

    def __init__(self, config: AefConfig) -> None:
        self.config = config
        self._ccf = CcfSecurityClient(
            CertificateClientTls(config.ca_certificate, credential=config.capif3_credential),
            config.ccf.host,
            config.ccf.port,
            server_name=config.ccf.server_name,
            ccf_id=config.ccf_id,
        )
        self._cache = SecurityInfoCache(
            self._ccf, lifetime=kept_for(config.settings.security_info_caching, config.security_info_lifetime)
        )
        self._revocations = RevocationList()
        self._api_ids: dict[str, str] = {}
        self._api_ids_lock = threading.Lock()
        self._access = AccessCheck(
            aef_id=config.aef_id,
            settings=config.settings,
            cache=self._cache,
            revocations=self._revocations,
            verifier=token_verifier(config),
            clock=config.clock,
        )
        self._revoker = RevokeAuthorization(
            aef_id=config.aef_id,
            ccf_id=config.ccf_id,
            cache=self._cache,
            revocations=self._revocations,
            api_names_of=self._api_names,
            clock=config.clock,
        )
        self.interfaces = {spec.name: AefInterface(spec, config.host) for spec in config.interfaces}
        self._servers = [
            (interface, self._interface_server(interface)) for interface in self.interfaces.values()
        ]
        self._capif3 = HttpsServer(
            self._revoker.router(),
            CertificateServerTls(
                config.server_credential, client_cas=config.ca_certificate, client_auth=ClientAuth.REQUIRED
            ),
            host=config.host,
            port=config.capif3_port,
            error_response=domain_error_response,
        )

    def _interface_server(self, interface: AefInterface) -> HttpsServer:
        router = Router()
        for api_name in self.config.api_names:
            add_hello_routes(router, interface, self._access, self.config.aef_id, api_name)
        add_check_authentication(router, interface, self._access)
        tls = interface_tls(
            self.config.server_credential,
            [self.config.ca_certificate, *self.config.peer_ca_certificates],
            self._access.psk_lookup(interface),
        )
        spec = next(spec for spec in self.config.interfaces if spec.name == interface.name)
        return HttpsServer(
            router, tls, host=self.config.host, port=spec.port, error_response=domain_error_response
        )

    @property
    def capif3_port(self) -> int:
        """The port of ``revoke-authorization`` (for the CCF's configuration)."""
        return self._capif3.port

    def set_methods(self, interface_name: str, methods: Iterable[SecurityMethod]) -> None:
        """Change an interface's security methods (contribution 004: the AEF updates its method; the
        APF then informs the CCF by updating the published API)."""
        self.interfaces[interface_name].set_methods(methods)

    def service_api_description(self, api_name: str = API_NAME) -> JsonObject:
        """The example API named ``api_name`` as the APF publishes it, with every interface's current
        methods."""
        if api_name not in self.config.api_names:
            raise ValueError(f"this AEF serves no API named {api_name}")
        return hello_api_description(self.config.aef_id, list(self.interfaces.values()), api_name)

    def bind_api_id(self, api_name: str, api_id: str) -> None:
        """Learn the ``apiId`` the CCF assigned to one of this AEF's APIs (from the APF)."""
        with self._api_ids_lock:
            self._api_ids[api_id] = api_name

    def _api_names(self, api_ids: Iterable[str]) -> frozenset[str] | None:
        with self._api_ids_lock:
            known = dict(self._api_ids)
        return api_names_by_id(known)(api_ids)

    def revoke(self, api_invoker_id: str, api_ids: tuple[str, ...]) -> None:
        """Revoke an invoker's authorization for ``api_ids`` here and at the CCF (TS 33.122 clause 6.6;
        ``POST trustedInvokers/{id}/delete``); raises :class:`~impl.aef.security_info.CcfUnavailableError`
        when the CCF does not confirm (the local revocation stands)."""
        self._revoker.record(api_invoker_id, self._api_names(api_ids))
        self._ccf.revoke(
            SecurityNotification(
                api_invoker_id=api_invoker_id,
                api_ids=api_ids,
                cause=RevocationCause.UNEXPECTED_REASON,
                aef_id=self.config.aef_id,
            )
        )

    def start(self) -> None:
        """Listen on every interface and on CAPIF-3."""
        start_all([*(server for _, server in self._servers), self._capif3])
        for interface, server in self._servers:
            interface.listening_on(server.port)

    def stop(self) -> None:
        """Stop every endpoint and close the CAPIF-3 client."""
        for _, server in self._servers:
            server.stop()
        self._capif3.stop()
        self._ccf.close()
