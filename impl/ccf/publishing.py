"""Publishing service APIs (TS 29.222 clause 8.2, CAPIF_Publish_Service_API) by an APF.

An APF publishes only for AEFs of its own provider domain. An AEF exposes an API name at most once
(token scopes name APIs by ``aefId:apiName``, TS 33.122 Annex C). An update that changes an AEF's
security methods is contribution 004's security method update: the new methods are recorded, and
security contexts whose selected method the AEF no longer supports are marked stale.
"""

from __future__ import annotations

from datetime import datetime

from impl.apitypes.enums import ApiProviderFuncRole
from impl.apitypes.problems import Cause, ForbiddenError, NotFoundError, invalid_body
from impl.apitypes.publish import ServiceAPIDescription
from impl.ccf.core import CoreParts, Created, new_id
from impl.ccf.identity import Caller, Role
from impl.ccf.security_targets import mark_stale_entries
from impl.store import apis, providers
from impl.store.apis import ApiRecord
from impl.store.database import Transaction, epoch

API_NAME = "published-apis"


class PublishService:
    """CAPIF_Publish_Service_API (TS 29.222 clause 8.2)."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def publish(
        self, caller: Caller, apf_id: str, body: object, *, now: datetime
    ) -> Created[ServiceAPIDescription]:
        """``POST /{apfId}/service-apis``."""
        _require_apf(caller, apf_id)
        request = ServiceAPIDescription.read(body, creating=True)
        api_id = new_id("API")
        description = request.with_api_id(api_id)
        with self._parts.database.transaction() as tx:
            self._check_profiles(tx, apf_id, description)
            apis.insert_api(tx, description, ccf_id=self._parts.config.ccf_id, apf_id=apf_id, now=epoch(now))
        location = self._parts.config.location(API_NAME, apf_id, "service-apis", api_id)
        return Created(description, location)

    def list(self, caller: Caller, apf_id: str) -> tuple[ServiceAPIDescription, ...]:
        """``GET /{apfId}/service-apis``."""
        _require_apf(caller, apf_id)
        with self._parts.database.transaction() as tx:
            return tuple(record.description for record in apis.apis_of_apf(tx, apf_id))

    def get(self, caller: Caller, apf_id: str, service_api_id: str) -> ServiceAPIDescription:
        """``GET /{apfId}/service-apis/{serviceApiId}``."""
        _require_apf(caller, apf_id)
        with self._parts.database.transaction() as tx:
            return _own_api(tx, apf_id, service_api_id).description

    def update(
        self, caller: Caller, apf_id: str, service_api_id: str, body: object, *, now: datetime
    ) -> ServiceAPIDescription:
        """``PUT /{apfId}/service-apis/{serviceApiId}``: replace the description; contexts at the
        old and new AEFs whose selected method is no longer supported become stale (contribution 004)."""
        _require_apf(caller, apf_id)
        request = ServiceAPIDescription.read(body, creating=False)
        if request.api_id is not None and request.api_id != service_api_id:
            raise invalid_body(Cause.MANDATORY_IE_INCORRECT, "/apiId", "must be the serviceApiId of the URI")
        description = request.with_api_id(service_api_id)
        with self._parts.database.transaction() as tx:
            current = _own_api(tx, apf_id, service_api_id)
            self._check_profiles(tx, apf_id, description)
            apis.replace_api(tx, description, now=epoch(now))
            mark_stale_entries(
                tx, self._parts.config.ccf_id, _aef_ids(current.description) | _aef_ids(description)
            )
        return description

    def unpublish(self, caller: Caller, apf_id: str, service_api_id: str, *, now: datetime) -> None:
        """``DELETE /{apfId}/service-apis/{serviceApiId}``: contexts naming it become stale."""
        _require_apf(caller, apf_id)
        with self._parts.database.transaction() as tx:
            current = _own_api(tx, apf_id, service_api_id)
            apis.delete_api(tx, service_api_id)
            mark_stale_entries(tx, self._parts.config.ccf_id, _aef_ids(current.description))

    def _check_profiles(self, tx: Transaction, apf_id: str, description: ServiceAPIDescription) -> None:
        apf = providers.function(tx, apf_id)
        if apf is None:
            raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, f"{apf_id} is not a registered APF")
        for index, profile in enumerate(description.aef_profiles):
            aef = providers.function(tx, profile.aef_id)
            if (
                aef is None
                or aef.api_prov_dom_id != apf.api_prov_dom_id
                or aef.details.api_prov_func_role is not ApiProviderFuncRole.AEF
            ):
                reason = "is not an AEF of the publishing APF's provider domain"
                raise invalid_body(Cause.MANDATORY_IE_INCORRECT, f"/aefProfiles/{index}/aefId", reason)
            holder = apis.api_id_named_at_aef(tx, profile.aef_id, description.api_name)
            if holder is not None and holder != description.api_id:
                detail = f"AEF {profile.aef_id} already exposes an API named {description.api_name}"
                raise ForbiddenError(Cause.API_ALREADY_PUBLISHED_AT_AEF, detail)


def _require_apf(caller: Caller, apf_id: str) -> None:
    if not caller.is_(Role.APF, apf_id):
        raise ForbiddenError(Cause.REQUEST_NOT_AUTHORIZED, "only the APF itself may use its publications")


def _own_api(tx: Transaction, apf_id: str, service_api_id: str) -> ApiRecord:
    record = apis.api(tx, service_api_id)
    if record is None or record.apf_id != apf_id:
        raise NotFoundError(
            Cause.RESOURCE_NOT_FOUND, f"the APF has no published service API {service_api_id}"
        )
    return record


def _aef_ids(description: ServiceAPIDescription) -> set[str]:
    return {profile.aef_id for profile in description.aef_profiles}
