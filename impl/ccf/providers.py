"""API provider management: registering provider domains and their AEF/APF/AMF (TS 29.222 clause 8.9).

``regSec`` of a registration is a one-time secret of purpose ``provider-registration`` that the CCF
operator created and handed to the provider out of band (TS 23.222 clause 8.23 leaves the form of this
"security information" open). It is spent on success and never stored. Updates and deregistration
are authenticated by the AMF's client certificate (CAPIF-5), so their ``regSec`` is not checked.
"""

from __future__ import annotations

from datetime import datetime

from impl.apitypes.enums import ApiProviderFuncRole
from impl.apitypes.problems import (
    Cause,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    invalid_body,
)
from impl.apitypes.provider import APIProviderEnrolmentDetails, APIProviderFunctionDetails
from impl.apitypes.reader import negotiated_features
from impl.ccf.certificates import issue_certificate
from impl.ccf.core import CoreParts, Created, new_id
from impl.ccf.identity import Caller, Role
from impl.ccf.security_targets import mark_stale_entries
from impl.store import apis, providers
from impl.store.certificates import revoke_certificate
from impl.store.database import Transaction, epoch
from impl.store.providers import DomainRecord, FunctionRecord
from impl.store.secrets import SecretPurpose, consume_secret

API_NAME = "api-provider-management"


class ProviderManagement:
    """CAPIF_API_Provider_Management_API (TS 29.222 clause 8.9)."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def register(self, body: object, *, now: datetime) -> Created[APIProviderEnrolmentDetails]:
        """``POST /registrations``: spend ``regSec``, certify each function's CSR, assign the ids.

        The domain must include an AMF, the only function that can later update or deregister it.
        """
        request = APIProviderEnrolmentDetails.read(body, creating=True)
        _require_amf(request)
        dom_id = new_id("DOM")
        config = self._parts.config
        with self._parts.database.transaction() as tx:
            spent = consume_secret(
                tx,
                request.reg_sec,
                ccf_id=config.ccf_id,
                purpose=SecretPurpose.PROVIDER_REGISTRATION,
                consumer=dom_id,
                now=epoch(now),
            )
            if not spent:
                raise UnauthorizedError(Cause.CREDENTIAL_INVALID, "regSec is unknown, spent or expired")
            enrolment = _with_domain_id(request, dom_id, ())
            providers.insert_domain(tx, enrolment, ccf_id=config.ccf_id, now=epoch(now))
            functions = tuple(
                self._register_function(tx, function, dom_id, index, now)
                for index, function in enumerate(request.api_prov_funcs)
            )
        return Created(
            _with_domain_id(request, dom_id, functions), config.location(API_NAME, "registrations", dom_id)
        )

    def update(
        self, caller: Caller, registration_id: str, body: object, *, now: datetime
    ) -> APIProviderEnrolmentDetails:
        """``PUT /registrations/{registrationId}`` by an AMF of the domain: the body lists the domain's
        functions as they shall be: listed ones with an id are updated (a new CSR gets a new
        certificate), ones without an id are added, unlisted ones removed (refused while an APF has
        published APIs or an AEF is in a published profile)."""
        request = APIProviderEnrolmentDetails.read(body, creating=False)
        if request.api_prov_dom_id != registration_id:
            reason = "must be the registrationId of the URI"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/apiProvDomId", reason)
        _require_amf(request)
        with self._parts.database.transaction() as tx:
            current = self._managed_domain(tx, caller, registration_id)
            existing = {record.api_prov_func_id: record for record in current.functions}
            kept: list[APIProviderFunctionDetails] = []
            for index, function in enumerate(request.api_prov_funcs):
                if function.api_prov_func_id is None:
                    kept.append(self._register_function(tx, function, registration_id, index, now))
                else:
                    record = existing.pop(function.api_prov_func_id, None)
                    kept.append(self._update_function(tx, function, record, index, now))
            for removed in existing.values():
                self._remove_function(tx, removed, now)
            enrolment = _with_domain_id(request, registration_id, tuple(kept))
            providers.update_domain(tx, enrolment)
        return enrolment

    def deregister(self, caller: Caller, registration_id: str, *, now: datetime) -> None:
        """``DELETE /registrations/{registrationId}`` by an AMF of the domain: unpublish the domain's
        APIs, revoke its functions' certificates, delete the domain; security contexts at its AEFs
        become stale."""
        with self._parts.database.transaction() as tx:
            current = self._managed_domain(tx, caller, registration_id)
            aef_ids: set[str] = set()
            for record in current.functions:
                for api in apis.apis_of_apf(tx, record.api_prov_func_id):
                    aef_ids.update(profile.aef_id for profile in api.description.aef_profiles)
                    apis.delete_api(tx, api.api_id)
            for record in current.functions:
                revoke_certificate(tx, record.certificate_serial, now=epoch(now), reason="deregistered")
                providers.delete_function(tx, record.api_prov_func_id)
            providers.delete_domain(tx, registration_id)
            mark_stale_entries(tx, self._parts.config.ccf_id, aef_ids)

    def _managed_domain(self, tx: Transaction, caller: Caller, registration_id: str) -> DomainRecord:
        """The domain, if the caller is one of its AMFs; decided from the caller's own record first,
        so an AMF learns nothing of other domains (403 whether ``registration_id`` exists or not)."""
        own = providers.function(tx, caller.id) if caller.role is Role.AMF else None
        if own is None or own.api_prov_dom_id != registration_id:
            raise ForbiddenError(
                Cause.REQUEST_NOT_AUTHORIZED, "only an AMF of the provider domain may do this"
            )
        found = providers.domain(tx, registration_id)
        if found is None or found.ccf_id != self._parts.config.ccf_id:
            raise NotFoundError(
                Cause.RESOURCE_NOT_FOUND, f"no registered API provider domain {registration_id}"
            )
        return found

    def _register_function(
        self, tx: Transaction, function: APIProviderFunctionDetails, dom_id: str, index: int, now: datetime
    ) -> APIProviderFunctionDetails:
        role = function.api_prov_func_role
        func_id = new_id(str(role))
        certificate = issue_certificate(
            self._parts,
            tx,
            function.reg_info.api_prov_pub_key,
            role=Role.of_function(role),
            subject_id=func_id,
            now=now,
            pointer=f"/apiProvFuncs/{index}/regInfo/apiProvPubKey",
        )
        details = function.assigned(func_id, certificate.pem)
        providers.insert_function(
            tx,
            details,
            api_prov_dom_id=dom_id,
            ccf_id=self._parts.config.ccf_id,
            certificate_serial=certificate.serial,
        )
        return details

    def _update_function(
        self,
        tx: Transaction,
        function: APIProviderFunctionDetails,
        record: FunctionRecord | None,
        index: int,
        now: datetime,
    ) -> APIProviderFunctionDetails:
        pointer = f"/apiProvFuncs/{index}"
        if record is None:
            reason = "is not a function of this provider domain"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, pointer + "/apiProvFuncId", reason)
        if function.api_prov_func_role is not record.details.api_prov_func_role:
            reason = "a registered function keeps its role"
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, pointer + "/apiProvFuncRole", reason)
        serial, pem = record.certificate_serial, record.details.reg_info.api_prov_cert
        if function.reg_info.api_prov_pub_key != record.details.reg_info.api_prov_pub_key:
            certificate = issue_certificate(
                self._parts,
                tx,
                function.reg_info.api_prov_pub_key,
                role=Role.of_function(function.api_prov_func_role),
                subject_id=record.api_prov_func_id,
                now=now,
                pointer=pointer + "/regInfo/apiProvPubKey",
            )
            revoke_certificate(tx, serial, now=epoch(now), reason="superseded")
            serial, pem = certificate.serial, certificate.pem
        assert pem is not None
        details = function.assigned(record.api_prov_func_id, pem)
        providers.update_function(tx, details, certificate_serial=serial)
        return details

    def _remove_function(self, tx: Transaction, record: FunctionRecord, now: datetime) -> None:
        in_use = apis.apis_of_apf(tx, record.api_prov_func_id) or apis.apis_at_aef(
            tx, record.api_prov_func_id
        )
        if in_use:
            detail = f"function {record.api_prov_func_id} is in use by published service APIs"
            raise ForbiddenError(Cause.FUNCTION_IN_USE, detail)
        revoke_certificate(tx, record.certificate_serial, now=epoch(now), reason="deregistered")
        providers.delete_function(tx, record.api_prov_func_id)


def _require_amf(request: APIProviderEnrolmentDetails) -> None:
    roles = {function.api_prov_func_role for function in request.api_prov_funcs}
    if ApiProviderFuncRole.AMF not in roles:
        reason = "must include an AMF (it manages the registration)"
        raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/apiProvFuncs", reason)


def _with_domain_id(
    request: APIProviderEnrolmentDetails, dom_id: str, functions: tuple[APIProviderFunctionDetails, ...]
) -> APIProviderEnrolmentDetails:
    return APIProviderEnrolmentDetails(
        reg_sec=request.reg_sec,
        api_prov_funcs=functions or request.api_prov_funcs,
        api_prov_dom_id=dom_id,
        api_prov_dom_info=request.api_prov_dom_info,
        supp_feat=negotiated_features(request.supp_feat),
    )
