"""How interconnection joins the CCF's CAPIF-1e and CAPIF-3/4/5 routes: the same TS 29.222 operations,
handed to :mod:`impl.interconnect` when they concern another provider, to the core otherwise.

CAPIF-1e (the home CCF): a security method request or update naming a peer's AEF, a token request
whose scope names one, Discover (its own APIs and the peers'), and offboarding (then the revocation
reaches the peers). The gate of :mod:`impl.ccf.service.gate` has authenticated the caller and checked
its role before any of these runs. CAPIF-3/4/5 (the AEF's CCF): an AEF asking
for, or revoking, an invoker of another provider; and a publication, update or withdrawal, which is
shared with the peers once the core committed it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from impl.apitypes.discover import DiscoveredAPIs, DiscoverQuery
from impl.apitypes.publish import ServiceAPIDescription
from impl.apitypes.security import SecurityNotification, ServiceSecurity
from impl.ccf import Caller, CapifCoreFunction
from impl.ccf.service.capif1e import Capif1eApi
from impl.ccf.service.capif345 import Capif345Api
from impl.ccf.service.notifier import Notifier
from impl.ccf.service.requests import created, ok, query_pairs, token_form
from impl.clock import Clock
from impl.http import Request, Response
from impl.interconnect.aef_ccf import HOME_HINT, AefCcf
from impl.interconnect.home import HomeCcf, names_a_peer
from impl.interconnect.publications import Publications
from impl.store.invokers import invoker

TRUSTED_INVOKERS = "capif-security"


def _supplied_ccf(request: Request) -> str | None:
    """The CCF an invoker names for the AEFs of its security method request (``ccf-id``, non-standard:
    the ``ccfId`` Discover showed; acted on only under ``negotiation-routing=invoker-supplied``)."""
    named = request.query.get(HOME_HINT)
    return named[0] if named and named[0] else None


class InterconnectedCapif1eApi(Capif1eApi):
    """CAPIF-1e of a home CCF with peers."""

    def __init__(
        self,
        core: CapifCoreFunction,
        notifier: Notifier,
        clock: Clock,
        locate: Callable[[str], str],
        home: HomeCcf,
    ) -> None:
        super().__init__(core, notifier, clock, locate)
        self._home = home

    def _names_a_peer(self, request: Request) -> ServiceSecurity | None:
        body = ServiceSecurity.read(request.json())
        with self._core.parts.database.transaction() as tx:
            return body if names_a_peer(tx, body) else None

    def create_context(self, request: Request, caller: Caller) -> Response:
        remote = self._names_a_peer(request)
        if remote is None:
            return super().create_context(request, caller)
        invoker_id = request.path_params["apiInvokerId"]
        answer = self._home.negotiate(
            caller,
            invoker_id,
            remote,
            keying=request.peer.capif1e_keying,
            now=self._clock(),
            creating=True,
            supplied_ccf_id=_supplied_ccf(request),
        )
        location = self._core.parts.config.location(TRUSTED_INVOKERS, "trustedInvokers", invoker_id)
        return created(answer.to_json(), self._locate(location))

    def update_context(self, request: Request, caller: Caller) -> Response:
        remote = self._names_a_peer(request)
        if remote is None:
            return super().update_context(request, caller)
        answer = self._home.negotiate(
            caller,
            request.path_params["apiInvokerId"],
            remote,
            keying=request.peer.capif1e_keying,
            now=self._clock(),
            creating=False,
            supplied_ccf_id=_supplied_ccf(request),
        )
        return ok(answer.to_json())

    def token(self, request: Request, caller: Caller) -> Response:
        form = token_form(request)
        if not self._home.names_peer_aefs(form):
            return super().token(request, caller)
        issued = self._home.token(caller, request.path_params["securityId"], form, now=self._clock())
        return ok(issued.access_token_rsp(), headers={"Cache-Control": "no-store"})

    def discover(self, request: Request, caller: Caller) -> Response:
        query = query_pairs(request)
        local = self._core.discovery.discover(caller, query)
        remote = self._home.discover(caller.id, DiscoverQuery.read(query))
        return ok(DiscoveredAPIs(local.service_api_descriptions + remote).to_json())

    def offboard(self, request: Request, caller: Caller) -> Response:
        holders = self._home.holders(request.path_params["onboardingId"])
        response = super().offboard(request, caller)
        self._home.propagate_revocation(request.path_params["onboardingId"], holders, detail="offboarded")
        return response


class InterconnectedCapif345Api(Capif345Api):
    """CAPIF-3/4/5 of an AEF's CCF with peers."""

    def __init__(
        self,
        core: CapifCoreFunction,
        notifier: Notifier,
        clock: Clock,
        locate: Callable[[str], str],
        *,
        aef_ccf: AefCcf,
        publications: Publications,
    ) -> None:
        super().__init__(core, notifier, clock, locate)
        self._aef_ccf = aef_ccf
        self._publications = publications

    def _is_local(self, api_invoker_id: str) -> bool:
        with self._core.parts.database.transaction() as tx:
            return invoker(tx, api_invoker_id) is not None

    def security_information(self, request: Request, caller: Caller) -> Response:
        api_invoker_id = request.path_params["apiInvokerId"]
        if self._is_local(api_invoker_id):
            query = {name: values for name, values in request.query.items() if name != HOME_HINT}
            return super().security_information(replace(request, query=query), caller)
        answer = self._aef_ccf.security_information(
            caller, api_invoker_id, query_pairs(request), now=self._clock()
        )
        return ok(answer.to_json())

    def revoke(self, request: Request, caller: Caller) -> Response:
        api_invoker_id = request.path_params["apiInvokerId"]
        if self._is_local(api_invoker_id):
            return super().revoke(request, caller)
        notification = SecurityNotification.read(request.json())
        self._aef_ccf.revoke_by_aef(caller, api_invoker_id, notification.api_ids, now=self._clock())
        return Response.no_content()

    def revoke_all(self, request: Request, caller: Caller) -> Response:
        api_invoker_id = request.path_params["apiInvokerId"]
        if self._is_local(api_invoker_id):
            return super().revoke_all(request, caller)
        self._aef_ccf.revoke_by_aef(caller, api_invoker_id, None, now=self._clock())
        return Response.no_content()

    def publish(self, request: Request, caller: Caller) -> Response:
        response = super().publish(request, caller)
        self._publications.share(_described(response), now=self._clock())
        return response

    def update_published(self, request: Request, caller: Caller) -> Response:
        response = super().update_published(request, caller)
        self._publications.share(_described(response), now=self._clock())
        return response

    def unpublish(self, request: Request, caller: Caller) -> Response:
        response = super().unpublish(request, caller)
        self._publications.withdraw(request.path_params["serviceApiId"])
        return response


def _described(response: Response) -> ServiceAPIDescription:
    """The description the core answered with (it committed exactly this)."""
    return ServiceAPIDescription.read(json.loads(response.body), creating=False)
