"""A running CAPIF core function: the core over SQLite behind two HTTPS endpoints.

* CAPIF-1e (:mod:`impl.ccf.service.capif1e`): :class:`~impl.tls.Capif1eServerTls`, client certificate
  optional at the handshake (onboarding comes before the invoker has one) and required per request
  elsewhere; TLS 1.2 only when AEFPSK follows TS 33.122 Annex A.1 (``annex-a1-tls12``), TLS 1.2 and 1.3
  with the ``tls13-exporter`` mapping.
* CAPIF-3/4/5 (:mod:`impl.ccf.service.capif345`): :class:`~impl.tls.CertificateServerTls`, client
  certificate required at the handshake; TLS 1.2 and 1.3 (TS 33.210 clause 6.2).

Both use the CCF's certificate, issued by the CAPIF CA with serverAuth and clientAuth (it is the client
when it notifies AEFs) and the ``subjectAltName`` URI ``urn:capifsec:ccf:<ccfId>`` that AEFs check.
Access tokens are signed by a :class:`~impl.tokens.TokenIssuer` in the claim set of the
``token-claims`` setting. A restart on the same database file loses nothing committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from impl import pki
from impl.capif8 import store as capif8_store
from impl.capif8.azf import RecordedAuthorizations
from impl.ccf import CapifCoreFunction, CcfConfig
from impl.ccf.authority import PkiCertificateAuthority
from impl.ccf.service.capif1e import Capif1eApi
from impl.ccf.service.capif345 import Capif345Api
from impl.ccf.service.notifier import AefEndpoint, Notifier
from impl.clock import Clock, system_clock
from impl.http import HttpsServer, Router
from impl.lifecycle import Service, start_all
from impl.problem_responses import domain_error_response
from impl.settings import AefpskDerivation, Capif8, Settings
from impl.store import Database
from impl.tls import Capif1eServerTls, CertificateClientTls, CertificateServerTls, ClientAuth, TlsVersion
from impl.tokens import ClaimSet, SigningKey, TokenIssuer, TrustedKey

CCF_URN_PREFIX = "urn:capifsec:ccf:"
_API_ENDPOINTS = {
    "api-invoker-management": "capif1e",
    "capif-security": "capif1e",
    "api-provider-management": "capif345",
    "published-apis": "capif345",
}


@dataclass(frozen=True)
class CcfServiceConfig:
    """What a running CCF needs: identity, CA, own credential, token key, database, settings, where
    to listen (port 0: an ephemeral port), and the clock that decides expiry."""

    ccf_id: str
    ca: pki.CertificateAuthority
    credential: pki.CertifiedKey
    token_signing_key: SigningKey
    database_path: Path
    settings: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    capif1e_port: int = 0
    capif345_port: int = 0
    clock: Clock = system_clock


class CcfService(Service):
    """``with CcfService(config) as ccf:`` serves both endpoints until the block ends."""

    def __init__(self, config: CcfServiceConfig) -> None:
        self.config = config
        self._database = Database(config.database_path)
        self._issuer = TokenIssuer(
            config.token_signing_key,
            ccf_id=config.ccf_id,
            claim_set=ClaimSet(str(config.settings.token_claims)),
        )
        capif8 = config.settings.capif8 is Capif8.SUPPORTED
        if capif8:
            capif8_store.create_tables(self._database)
        self.core = CapifCoreFunction(
            config=CcfConfig(ccf_id=config.ccf_id, api_root=""),
            database=self._database,
            authority=PkiCertificateAuthority(config.ca),
            token_signer=self._issuer,
            settings=config.settings,
            resource_owners=RecordedAuthorizations() if capif8 else None,
        )
        self.notifier = Notifier(CertificateClientTls(config.ca.certificate, credential=config.credential))
        capif1e_version = (
            TlsVersion.TLS1_3
            if config.settings.aefpsk_derivation is AefpskDerivation.TLS13_EXPORTER
            else TlsVersion.TLS1_2
        )
        self._capif1e = HttpsServer(
            self._capif1e_router(),
            Capif1eServerTls(
                config.credential, client_cas=config.ca.certificate, maximum_version=capif1e_version
            ),
            host=config.host,
            port=config.capif1e_port,
            error_response=domain_error_response,
        )
        self._capif345 = HttpsServer(
            self._capif345_router(),
            CertificateServerTls(
                config.credential, client_cas=config.ca.certificate, client_auth=ClientAuth.REQUIRED
            ),
            host=config.host,
            port=config.capif345_port,
            error_response=domain_error_response,
        )

    def _capif1e_router(self) -> Router:
        """The CAPIF-1e routes (a subclass serving more, e.g. interconnection, overrides this)."""
        return Capif1eApi(self.core, self.notifier, self.config.clock, self._locate).router()

    def _capif345_router(self) -> Router:
        """The CAPIF-3/4/5 routes (a subclass serving more overrides this)."""
        return Capif345Api(self.core, self.notifier, self.config.clock, self._locate).router()

    @property
    def token_key(self) -> TrustedKey:
        """The public key AEFs trust for this CCF's access tokens (given to them out of band)."""
        return self._issuer.trusted_key

    @property
    def capif1e_port(self) -> int:
        return self._capif1e.port

    @property
    def capif345_port(self) -> int:
        return self._capif345.port

    def set_aef_endpoint(self, aef_id: str, endpoint: AefEndpoint) -> None:
        """Where AEF ``aef_id`` receives ``revoke-authorization`` (TS 29.222 names no such address)."""
        self.notifier.set_aef_endpoint(aef_id, endpoint)

    def _locate(self, resource_path: str) -> str:
        """``{apiRoot}`` + the core's resource path, the apiRoot being the endpoint serving that API."""
        api = resource_path.split("/")[1]
        server = self._capif1e if _API_ENDPOINTS.get(api) == "capif1e" else self._capif345
        return server.base_url + resource_path

    def start(self) -> None:
        """Listen on both endpoints."""
        start_all([self._capif1e, self._capif345])

    def stop(self) -> None:
        """Stop both endpoints and close the database (everything committed stays)."""
        self._capif1e.stop()
        self._capif345.stop()
        self._database.close()
