"""API invoker management: onboarding, update and offboarding (TS 29.222 clause 8.4; TS 33.122 6.1, 6.2).

Onboarding credential (TS 33.122 clause 6.1 leaves it to the operator): a one-time secret the CCF
operator creates (:meth:`impl.ccf.operator.Operator.create_secret`) and hands to the invoker out of
band; the invoker presents it as an HTTP bearer credential with its ``POST onboardedInvokers``, and the
HTTP layer passes it here. The CCF keeps only its SHA-256, spends it on success and refuses it when
unknown, spent or expired. The onboarding id of the created resource is the ``apiInvokerId``, which
names this CCF (:func:`impl.ccf.identity.invoker_id_of`).
"""

from __future__ import annotations

from datetime import datetime

from impl.apitypes.enums import RevocationCause
from impl.apitypes.invoker import APIInvokerEnrolmentDetails
from impl.apitypes.problems import (
    Cause,
    UnauthorizedError,
    invalid_body,
)
from impl.ccf.certificates import issue_certificate
from impl.ccf.core import CoreParts, Created, new_id
from impl.ccf.guards import onboarded_invoker, require_invoker_itself
from impl.ccf.identity import Caller, Role, invoker_id_of
from impl.ccf.notifications import PendingNotification, require_deliverable
from impl.ccf.policy import usable_apis
from impl.ccf.security_targets import aef_notifications
from impl.store import contexts, tokens
from impl.store.certificates import revoke_certificate
from impl.store.database import epoch
from impl.store.invokers import insert_invoker, mark_offboarded, update_invoker
from impl.store.secrets import SecretPurpose, consume_secret

API_NAME = "api-invoker-management"
PUBLIC_KEY_POINTER = "/onboardingInformation/apiInvokerPublicKey"


class InvokerManagement:
    """CAPIF_API_Invoker_Management_API (TS 29.222 clause 8.4)."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def onboard(
        self, body: object, *, onboarding_secret: str | None, now: datetime
    ) -> Created[APIInvokerEnrolmentDetails]:
        """``POST /onboardedInvokers``: check the onboarding secret, certify the invoker's CSR
        (``onboardingInformation.apiInvokerPublicKey``), assign the ``apiInvokerId``."""
        if not onboarding_secret:
            raise UnauthorizedError(Cause.CREDENTIAL_MISSING, "onboarding needs the onboarding secret")
        config = self._parts.config
        api_invoker_id = invoker_id_of(new_id("INV"), config.ccf_id)
        with self._parts.database.transaction() as tx:
            spent = consume_secret(
                tx,
                onboarding_secret,
                ccf_id=config.ccf_id,
                purpose=SecretPurpose.INVOKER_ONBOARDING,
                consumer=api_invoker_id,
                now=epoch(now),
            )
            if not spent:
                raise UnauthorizedError(
                    Cause.CREDENTIAL_INVALID, "the onboarding secret is unknown, spent or expired"
                )
            request = APIInvokerEnrolmentDetails.read(body, creating=True)
            require_deliverable(request.notification_destination)
            certificate = issue_certificate(
                self._parts,
                tx,
                request.onboarding_information.api_invoker_public_key,
                role=Role.INVOKER,
                subject_id=api_invoker_id,
                now=now,
                pointer=PUBLIC_KEY_POINTER,
            )
            enrolment = request.assigned(api_invoker_id, certificate.pem, ())
            insert_invoker(
                tx, enrolment, ccf_id=config.ccf_id, certificate_serial=certificate.serial, now=epoch(now)
            )
            answer = enrolment.assigned(
                api_invoker_id, certificate.pem, usable_apis(tx, config.ccf_id, api_invoker_id)
            )
        return Created(answer, config.location(API_NAME, "onboardedInvokers", api_invoker_id))

    def update(
        self, caller: Caller, onboarding_id: str, body: object, *, now: datetime
    ) -> tuple[APIInvokerEnrolmentDetails, tuple[PendingNotification, ...]]:
        """``PUT /onboardedInvokers/{onboardingId}`` by the invoker itself; a new CSR gets a new
        certificate and the previous one is revoked. Returns the enrolment and, when the certificate
        changed, a ``CREDENTIAL_UPDATED`` notification for every AEF that may hold the old one (in its
        cached security information), to be delivered before the answer."""
        require_invoker_itself(caller, onboarding_id)
        request = APIInvokerEnrolmentDetails.read(body, creating=False)
        require_deliverable(request.notification_destination)
        if request.api_invoker_id != onboarding_id:
            raise invalid_body(
                Cause.MANDATORY_IE_INCORRECT, "/apiInvokerId", "must be the onboardingId of the URI"
            )
        with self._parts.database.transaction() as tx:
            current = onboarded_invoker(tx, onboarding_id)
            serial = current.certificate_serial
            pem = current.enrolment.onboarding_information.api_invoker_certificate
            new_key = request.onboarding_information.api_invoker_public_key
            notifications: tuple[PendingNotification, ...] = ()
            if new_key != current.enrolment.onboarding_information.api_invoker_public_key:
                notifications = aef_notifications(
                    tx, onboarding_id, self._parts.config.ccf_id, RevocationCause.CREDENTIAL_UPDATED
                )
                certificate = issue_certificate(
                    self._parts,
                    tx,
                    new_key,
                    role=Role.INVOKER,
                    subject_id=onboarding_id,
                    now=now,
                    pointer=PUBLIC_KEY_POINTER,
                )
                revoke_certificate(tx, serial, now=epoch(now), reason="superseded")
                serial, pem = certificate.serial, certificate.pem
            assert pem is not None
            enrolment = request.assigned(onboarding_id, pem, ())
            update_invoker(tx, enrolment, certificate_serial=serial)
            answer = enrolment.assigned(
                onboarding_id, pem, usable_apis(tx, self._parts.config.ccf_id, onboarding_id)
            )
        return answer, notifications

    def offboard(
        self, caller: Caller, onboarding_id: str, *, now: datetime
    ) -> tuple[PendingNotification, ...]:
        """``DELETE /onboardedInvokers/{onboardingId}`` by the invoker itself (TS 33.122 clause 6.2):
        delete its security context and AEFPSKs, revoke its certificate, delete its token records,
        and return the revocation notifications for the AEFs that held its security information."""
        require_invoker_itself(caller, onboarding_id)
        with self._parts.database.transaction() as tx:
            current = onboarded_invoker(tx, onboarding_id)
            notifications = aef_notifications(tx, onboarding_id, self._parts.config.ccf_id)
            contexts.delete_context(tx, onboarding_id)
            tokens.delete_tokens_of(tx, onboarding_id)
            revoke_certificate(tx, current.certificate_serial, now=epoch(now), reason="offboarded")
            mark_offboarded(tx, onboarding_id, now=epoch(now))
        return notifications
