"""A CAPIF deployment on one host: a CCF, one provider (AMF, APF, AEF) and the AEF's ``hello`` API.

Everything lives in one data directory: the CAPIF CA (which certifies the CCF's and the AEF's server
certificates out of band, and, as the CCF's CA, every invoker and provider function), the CCF's SQLite
database, the token signing key, the provider functions' keys and certificates, and the ids the CCF
assigned. Starting on an existing directory reuses all of it: the CCF restarts with every committed
onboarding, registration and security context; the APF re-publishes the interfaces (their ports may
have changed) with an update of the same API.

AEF interfaces (CAPIF-2e), one per method as published in ``InterfaceDescription``: ``psk``
(``/psk``, PSK), ``pki`` (``/pki``, PKI), ``oauth`` (``/oauth``, OAUTH). ``api_names`` publishes the
example API under further names too, each a service API of its own on the same interfaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

from cryptography import x509

from impl import pki
from impl.aef import AefConfig, AefService, CcfLocation, InterfaceSpec
from impl.apitypes.enums import SecurityMethod
from impl.capif8.azf import RofCredential
from impl.capif8.rof import ResourceOwnerFunction, rof_client_tls
from impl.capif8.server import AzfService, AzfServiceConfig
from impl.ccf import CapifCoreFunction, CcfConfig
from impl.ccf.authority import PkiCertificateAuthority
from impl.ccf.service import CCF_URN_PREFIX, AefEndpoint, CcfService, CcfServiceConfig
from impl.clock import Clock, system_clock
from impl.credential_files import CredentialFileError, load_credential, save_credential
from impl.deployment.files import (
    DeploymentError,
    load_signing_key,
    load_state,
    save_signing_key,
    save_state,
    state_text,
)
from impl.deployment.provider import ApfClient, RegisteredFunction, RegisteredProvider, register_provider
from impl.http import HttpsClient
from impl.interconnect import Agreement, InterconnectConfig, InterconnectedCcfService
from impl.invoker import ApiInvoker, CcfEndpoint
from impl.lifecycle import Service
from impl.settings import Capif8, MethodUpdatePropagation, Settings, log_unsafe
from impl.store import Database, StoreError
from impl.store.secrets import SecretPurpose
from impl.tls import Capif1eClientTls, CertificateClientTls
from impl.tokens import ClaimSet, SigningKey, TokenIssuer, TrustedKey, TrustedKeySet

CCF_ID = "ccf-capifsec"
HELLO_API = "hello"
DEFAULT_INTERFACES = (
    InterfaceSpec("psk", (SecurityMethod.PSK,), "/psk"),
    InterfaceSpec("pki", (SecurityMethod.PKI,), "/pki"),
    InterfaceSpec("oauth", (SecurityMethod.OAUTH,), "/oauth"),
)
_CERTIFICATE_VALIDITY = timedelta(days=365)
_CA_VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class DeploymentPorts:
    """Where to listen; 0 means an ephemeral port. ``aef_interfaces`` maps interface names to ports."""

    ccf_capif1e: int = 0
    ccf_capif345: int = 0
    aef_capif3: int = 0
    aef_interfaces: Mapping[str, int] = field(default_factory=dict)
    azf_capif8: int = 0


def _server_profile(common_name: str, host: str, uri: str | None = None) -> pki.CertificateProfile:
    addresses: tuple[IPv4Address | IPv6Address, ...] = ()
    names: tuple[str, ...] = ()
    try:
        addresses = (ip_address(host),)
    except ValueError:
        names = (host,)
    return pki.CertificateProfile(
        common_name,
        dns_names=names,
        ip_addresses=addresses,
        uris=(uri,) if uri else (),
        server_auth=True,
        client_auth=True,
        validity=_CERTIFICATE_VALIDITY,
    )


def _api_id_key(api_name: str) -> str:
    """Where the deployment state keeps an API's ``apiId`` (``helloApiId`` for ``hello``)."""
    return f"{api_name}ApiId"


class Deployment(Service):
    """``with Deployment(data_dir, settings) as deployment:`` runs a CCF and an AEF on ``host``."""

    def __init__(
        self,
        data_dir: Path,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        ports: DeploymentPorts | None = None,
        clock: Clock = system_clock,
        api_names: tuple[str, ...] = (HELLO_API,),
        ccf_id: str = CCF_ID,
        interconnect: InterconnectConfig | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.ccf_id = ccf_id
        self.interconnect = interconnect
        self.peer_ca_certificates: tuple[x509.Certificate, ...] = ()
        self.peer_token_keys: tuple[TrustedKey, ...] = ()
        self.agreements: list[Agreement] = []
        self.settings = settings
        self.host = host
        self.ports = ports or DeploymentPorts()
        self.clock = clock
        self.api_names = api_names
        self._ccf: CcfService | InterconnectedCcfService | None = None
        self._azf: AzfService | None = None
        self._aef: AefService | None = None
        self._apf: ApfClient | None = None
        self._ca: pki.CertificateAuthority | None = None

    @property
    def ccf(self) -> CcfService:
        if self._ccf is None:
            raise DeploymentError("the deployment is not running")
        return self._ccf

    @property
    def interconnected_ccf(self) -> InterconnectedCcfService:
        """The CCF with its CAPIF-6/6e endpoint (a deployment built with ``interconnect``)."""
        ccf = self.ccf
        if not isinstance(ccf, InterconnectedCcfService):
            raise DeploymentError("the deployment is not interconnected")
        return ccf

    def agree(self, agreement: Agreement) -> None:
        """Add an interconnection agreement (kept, and given again to the CCF after a restart)."""
        self.agreements = [item for item in self.agreements if item.ccf_id != agreement.ccf_id] + [agreement]
        self.interconnected_ccf.interconnect.agree(agreement)

    @property
    def azf(self) -> AzfService:
        """The CCF's CAPIF-8 endpoint (contribution 003), when the settings have CAPIF-8."""
        if self._azf is None:
            raise DeploymentError("the deployment runs no CAPIF-8 (capif8=not-supported, or not running)")
        return self._azf

    def register_rof(self, rof_id: str, res_owner_ids: Iterable[str]) -> RofCredential:
        """The operator registers a ROF for ``res_owner_ids``; its credential (``rof-authentication``)."""
        return self.azf.azf.register_rof(rof_id, frozenset(res_owner_ids), now=self.clock())

    def rof(self, credential: RofCredential) -> ResourceOwnerFunction:
        """A ROF client with ``credential``, connecting to this CCF's CAPIF-8 as the settings say."""
        return ResourceOwnerFunction(
            self.host,
            self.azf.port,
            credential=credential,
            tls=rof_client_tls(self.settings, credential, self.ca.certificate),
        )

    @property
    def aef(self) -> AefService:
        if self._aef is None:
            raise DeploymentError("the deployment is not running")
        return self._aef

    @property
    def ca(self) -> pki.CertificateAuthority:
        if self._ca is None:
            raise DeploymentError("the deployment is not running")
        return self._ca

    @property
    def ca_certificate_path(self) -> Path:
        return self.data_dir / "ca" / pki.CA_CERTIFICATE_FILE

    def start(self) -> None:
        """Start the CCF, provision the provider once, start the AEF and (re)publish its API."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_unsafe(self.settings, f"the deployment in {self.data_dir}")
        state = load_state(self.data_dir)
        if state.get("ccfId", self.ccf_id) != self.ccf_id:
            raise DeploymentError(f"{self.data_dir} holds the CCF {state['ccfId']}, not {self.ccf_id}")
        state["ccfId"] = self.ccf_id
        try:
            self._ca = self.ensure_authority()
            signing_key = self._signing_key(state)
            self._start_ccf(signing_key, self.ports.ccf_capif1e, self.ports.ccf_capif345)
            provider = self._provider(state)
            self._start_aef(provider)
            self._publish(state, provider)
        except (CredentialFileError, pki.PkiError, StoreError) as error:
            self.stop()
            raise DeploymentError(str(error)) from error
        except BaseException:
            self.stop()
            raise

    def ensure_authority(self) -> pki.CertificateAuthority:
        """The deployment's CAPIF CA, created in the data directory on first use."""
        directory = self.data_dir / "ca"
        if (directory / pki.CA_CERTIFICATE_FILE).exists():
            try:
                return pki.CertificateAuthority.load(directory)
            except pki.PkiError as error:
                raise DeploymentError(str(error)) from error
        authority = pki.CertificateAuthority.create(
            "capifsec CAPIF CA", now=self.clock() - timedelta(hours=1), validity=_CA_VALIDITY
        )
        authority.save(directory)
        return authority

    def token_key(self) -> TrustedKey:
        """The public half of the CCF's token-signing key, created in the data directory on first use
        (what peers' AEFs trust when their CCF lets them, ``aef-trusted-token-keys``)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self._signing_key(load_state(self.data_dir)).trusted_key(self.ccf_id)

    def _signing_key(self, state: dict[str, object]) -> SigningKey:
        path = self.data_dir / "ccf" / "token-signing-key.pem"
        kid = state_text(state, "tokenKeyId")
        if kid is not None and path.exists():
            return load_signing_key(path, kid)
        key = SigningKey.generate(f"{self.ccf_id}-token-key-{self.clock().strftime('%Y%m%d%H%M%S')}")
        save_signing_key(path, key)
        state["tokenKeyId"] = key.kid
        save_state(self.data_dir, state)
        return key

    def _credential(self, directory: Path, name: str, profile: pki.CertificateProfile) -> pki.CertifiedKey:
        if (directory / f"{name}.pem").exists():
            return load_credential(directory, name)
        credential = self.ca.issue_certified_key(profile, now=self.clock() - timedelta(minutes=5))
        save_credential(directory, name, credential)
        return credential

    def _start_ccf(self, signing_key: SigningKey, capif1e_port: int, capif345_port: int) -> None:
        credential = self._credential(
            self.data_dir / "ccf",
            "server",
            _server_profile(self.ccf_id, self.host, CCF_URN_PREFIX + self.ccf_id),
        )
        service_config = CcfServiceConfig(
            ccf_id=self.ccf_id,
            ca=self.ca,
            credential=credential,
            token_signing_key=signing_key,
            database_path=self.data_dir / "ccf" / "ccf.sqlite3",
            settings=self.settings,
            host=self.host,
            capif1e_port=capif1e_port,
            capif345_port=capif345_port,
            clock=self.clock,
        )
        ccf = (
            CcfService(service_config)
            if self.interconnect is None
            else InterconnectedCcfService(service_config, self.interconnect)
        )
        ccf.start()
        self._ccf = ccf
        if self.settings.capif8 is Capif8.SUPPORTED:
            self._azf = AzfService(ccf, AzfServiceConfig(self.host, self.ports.azf_capif8))
            self._azf.start()
        for agreement in self.agreements:
            self.interconnected_ccf.interconnect.agree(agreement)

    def _provider(self, state: dict[str, object]) -> RegisteredProvider:
        directory = self.data_dir / "provider"
        domain_id = state_text(state, "providerDomainId")
        if domain_id is not None:
            functions = {}
            for role in ("amf", "apf", "aef"):
                func_id = state_text(state, f"{role}Id")
                if func_id is None:
                    raise DeploymentError(f"the deployment state lacks {role}Id")
                functions[role] = RegisteredFunction(func_id, load_credential(directory, role))
            return RegisteredProvider(domain_id, functions["amf"], functions["apf"], functions["aef"])
        secret = self.ccf.core.operator.create_secret(SecretPurpose.PROVIDER_REGISTRATION, now=self.clock())
        with HttpsClient(Capif1eClientTls(self.ca.certificate), self.host, self.ccf.capif1e_port) as client:
            provider = register_provider(client, secret)
        for role, function in (("amf", provider.amf), ("apf", provider.apf), ("aef", provider.aef)):
            save_credential(directory, role, function.credential)
            state[f"{role}Id"] = function.func_id
        state["providerDomainId"] = provider.domain_id
        save_state(self.data_dir, state)
        return provider

    def _start_aef(self, provider: RegisteredProvider) -> None:
        aef_id = provider.aef.func_id
        server_credential = self._credential(
            self.data_dir / "provider", "aef-server", _server_profile(aef_id, self.host)
        )
        interfaces = tuple(
            InterfaceSpec(
                spec.name, spec.methods, spec.api_prefix, self.ports.aef_interfaces.get(spec.name, 0)
            )
            for spec in DEFAULT_INTERFACES
        )
        aef = AefService(
            AefConfig(
                aef_id=aef_id,
                ccf_id=self.ccf_id,
                ccf=CcfLocation(self.host, self.ccf.capif345_port, self.host),
                ca_certificate=self.ca.certificate,
                capif3_credential=provider.aef.credential,
                server_credential=server_credential,
                trusted_token_keys=TrustedKeySet([self.ccf.token_key, *self.peer_token_keys]),
                interfaces=interfaces,
                api_names=self.api_names,
                settings=self.settings,
                host=self.host,
                capif3_port=self.ports.aef_capif3,
                clock=self.clock,
                peer_ca_certificates=self.peer_ca_certificates,
            )
        )
        aef.start()
        self._aef = aef
        self.ccf.set_aef_endpoint(aef_id, AefEndpoint(self.host, aef.capif3_port, self.host))
        self._apf = ApfClient(
            CertificateClientTls(self.ca.certificate, credential=provider.apf.credential),
            self.host,
            self.ccf.capif345_port,
            server_name=self.host,
            apf_id=provider.apf.func_id,
        )

    def _publish(self, state: dict[str, object], provider: RegisteredProvider) -> None:
        assert self._apf is not None
        for api_name in self.api_names:
            api_id = state_text(state, _api_id_key(api_name))
            description = self._description(api_name)
            if api_id is None:
                api_id = self._apf.publish(description)
                state[_api_id_key(api_name)] = api_id
                save_state(self.data_dir, state)
            else:
                self._apf.update(api_id, description)
            self.aef.bind_api_id(api_name, api_id)

    def _description(self, api_name: str) -> dict[str, object]:
        """The example API as the APF publishes it; shareable with interconnected providers when the
        deployment interconnects (TS 29.222 ``shareableInfo``, TS 23.222 8.25.2.1)."""
        description: dict[str, object] = dict(self.aef.service_api_description(api_name))
        if self.interconnect is not None:
            description["shareableInfo"] = {"isShareable": True}
        return description

    def api_id(self, api_name: str) -> str:
        """The ``apiId`` the CCF assigned to the example API published as ``api_name``."""
        api_id = state_text(load_state(self.data_dir), _api_id_key(api_name))
        if api_id is None:
            raise DeploymentError(f"the {api_name} API is not published")
        return api_id

    @property
    def hello_api_id(self) -> str:
        return self.api_id(HELLO_API)

    def update_methods(
        self, interface_name: str, methods: Iterable[SecurityMethod], *, propagate: bool | None = None
    ) -> None:
        """Contribution 004: the AEF changes an interface's security methods, and the APF informs the
        CCF (:meth:`propagate_method_updates`): at once under ``method-update-propagation=immediate``;
        under ``delayed`` only when :meth:`propagate_method_updates` is called, the CCF meanwhile
        selecting the AEF's old methods (which the AEF refuses). ``propagate`` overrides the setting
        (a replayed or demonstrated update that reaches the CCF in the same step)."""
        if self._apf is None:
            raise DeploymentError("the deployment is not running")
        self.aef.set_methods(interface_name, methods)
        if propagate is None:
            propagate = self.settings.method_update_propagation is MethodUpdatePropagation.IMMEDIATE
        if propagate:
            self.propagate_method_updates()

    def propagate_method_updates(self) -> None:
        """The APF updates each published API with the AEF's current methods (TS 29.222
        Update_Service_API): contexts using a method the AEF no longer offers become stale at the CCF."""
        if self._apf is None:
            raise DeploymentError("the deployment is not running")
        for api_name in self.api_names:
            self._apf.update(self.api_id(api_name), self._description(api_name))

    def onboarding_secret(self, lifetime: timedelta = timedelta(hours=1)) -> str:
        """A one-time onboarding secret, as the CCF operator hands it to an invoker out of band."""
        return self.ccf.core.operator.create_secret(
            SecretPurpose.INVOKER_ONBOARDING, now=self.clock(), lifetime=lifetime
        )

    def mint_onboarding_secret(self, lifetime: timedelta = timedelta(hours=1)) -> str:
        """A one-time onboarding secret written into the CCF database of this data directory, whether
        or not a deployment is running on it (SQLite WAL lets another process write meanwhile)."""
        database_path = self.data_dir / "ccf" / "ccf.sqlite3"
        state = load_state(self.data_dir)
        kid = state_text(state, "tokenKeyId")
        ccf_id = state_text(state, "ccfId") or self.ccf_id
        if not database_path.exists() or kid is None:
            raise DeploymentError(f"{self.data_dir} holds no CCF yet: start the services on it first")
        authority = self.ensure_authority()
        signing_key = load_signing_key(self.data_dir / "ccf" / "token-signing-key.pem", kid)
        try:
            with Database(database_path) as database:
                core = CapifCoreFunction(
                    config=CcfConfig(ccf_id=ccf_id, api_root=""),
                    database=database,
                    authority=PkiCertificateAuthority(authority),
                    token_signer=TokenIssuer(
                        signing_key, ccf_id=ccf_id, claim_set=ClaimSet(str(self.settings.token_claims))
                    ),
                    settings=self.settings,
                )
                return core.operator.create_secret(
                    SecretPurpose.INVOKER_ONBOARDING, now=self.clock(), lifetime=lifetime
                )
        except StoreError as error:
            raise DeploymentError(f"cannot use the CCF database: {error}") from error

    def invoker(self, notification_destination: str = "https://127.0.0.1:9/notifications") -> ApiInvoker:
        """A new (not yet onboarded) API invoker configured for this deployment's CCF; it trusts the
        AEFs of interconnected providers too (their CAs, given out of band)."""
        return ApiInvoker(
            CcfEndpoint(self.host, self.ccf.capif1e_port, self.host),
            self.ca.certificate,
            notification_destination=notification_destination,
            aefpsk_derivation=self.settings.aefpsk_derivation,
            aef_ca_certificates=self.peer_ca_certificates,
            mismatch_authentication=self.settings.mismatch_authentication,
        )

    def restart_ccf(self) -> None:
        """Stop the CCF and start it again on the same ports and database (a CCF restart)."""
        ccf = self.ccf
        capif1e_port, capif345_port = ccf.capif1e_port, ccf.capif345_port
        signing_key = ccf.config.token_signing_key
        if isinstance(ccf, InterconnectedCcfService) and self.interconnect is not None:
            self.interconnect = replace(self.interconnect, capif6_port=ccf.capif6_port)
        if self._azf is not None:
            self.ports = replace(self.ports, azf_capif8=self._azf.port)
            self._azf.stop()
            self._azf = None
        ccf.stop()
        self._ccf = None
        self._start_ccf(signing_key, capif1e_port, capif345_port)
        self.ccf.set_aef_endpoint(
            self.aef.config.aef_id, AefEndpoint(self.host, self.aef.capif3_port, self.host)
        )

    def stop(self) -> None:
        """Stop the AEF and the CCF. Idempotent."""
        if self._apf is not None:
            self._apf.close()
            self._apf = None
        if self._aef is not None:
            self._aef.stop()
            self._aef = None
        if self._azf is not None:
            self._azf.stop()
            self._azf = None
        if self._ccf is not None:
            self._ccf.stop()
            self._ccf = None
