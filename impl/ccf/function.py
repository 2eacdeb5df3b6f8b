"""The CAPIF core function: its TS 29.222 services over one store, transport-agnostic."""

from __future__ import annotations

from impl.ccf.access_control import AccessControlService
from impl.ccf.core import CcfConfig, CoreParts
from impl.ccf.credentials import Credentials
from impl.ccf.discovery import DiscoverService
from impl.ccf.invokers import InvokerManagement
from impl.ccf.operator import Operator
from impl.ccf.ports import AccessTokenSigner, AefpskDeriver, CertificateAuthority, ResourceOwnerAuthorizations
from impl.ccf.providers import ProviderManagement
from impl.ccf.psk_deriver import SettingsAefpskDeriver
from impl.ccf.publishing import PublishService
from impl.ccf.security import SecurityService
from impl.ccf.token_endpoint import TokenEndpoint
from impl.settings import Settings
from impl.store import Database


class CapifCoreFunction:
    """One CCF: each attribute is the service of one TS 29.222 API (or the operator's functions).

    Inputs are the decoded JSON bodies / query and form pairs plus the authenticated
    :class:`~impl.ccf.identity.Caller`; outputs are the typed TS 29.222 bodies (``to_json``). Refusals
    are :class:`~impl.apitypes.problems.ProblemError` (ProblemDetails) or, at the token endpoint,
    :class:`~impl.apitypes.problems.AccessTokenError`.
    """

    def __init__(
        self,
        *,
        config: CcfConfig,
        database: Database,
        authority: CertificateAuthority,
        token_signer: AccessTokenSigner,
        settings: Settings | None = None,
        aefpsk: AefpskDeriver | None = None,
        resource_owners: ResourceOwnerAuthorizations | None = None,
    ) -> None:
        chosen = settings or Settings()
        self.parts = CoreParts(
            config=config,
            settings=chosen,
            database=database,
            authority=authority,
            token_signer=token_signer,
            aefpsk=aefpsk or SettingsAefpskDeriver(chosen.aefpsk_derivation),
            resource_owners=resource_owners,
        )
        self.invokers = InvokerManagement(self.parts)
        self.providers = ProviderManagement(self.parts)
        self.publishing = PublishService(self.parts)
        self.discovery = DiscoverService(self.parts)
        self.security = SecurityService(self.parts)
        self.tokens = TokenEndpoint(self.parts)
        self.access_control = AccessControlService(self.parts)
        self.credentials = Credentials(self.parts)
        self.operator = Operator(self.parts)
