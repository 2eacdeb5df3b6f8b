"""Onboarded API invokers (TS 29.222 CAPIF_API_Invoker_Management_API)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from impl.apitypes.invoker import APIInvokerEnrolmentDetails
from impl.store.database import Transaction


@dataclass(frozen=True)
class InvokerRecord:
    api_invoker_id: str
    ccf_id: str
    onboarded: bool
    enrolment: APIInvokerEnrolmentDetails
    certificate_serial: str


def insert_invoker(
    tx: Transaction,
    enrolment: APIInvokerEnrolmentDetails,
    *,
    ccf_id: str,
    certificate_serial: str,
    now: int,
) -> None:
    assert enrolment.api_invoker_id is not None
    tx.execute(
        "INSERT INTO invokers (api_invoker_id, ccf_id, state, enrolment_json, certificate_serial,"
        " onboarded_at)"
        " VALUES (?, ?, 'onboarded', ?, ?, ?)",
        (enrolment.api_invoker_id, ccf_id, _stored(enrolment), certificate_serial, now),
    )


def invoker(tx: Transaction, api_invoker_id: str) -> InvokerRecord | None:
    row = tx.row(
        "SELECT i.api_invoker_id, i.ccf_id, i.state, i.enrolment_json, i.certificate_serial, c.pem"
        " FROM invokers i JOIN certificates c ON c.serial = i.certificate_serial WHERE i.api_invoker_id = ?",
        (api_invoker_id,),
    )
    if row is None:
        return None
    stored = APIInvokerEnrolmentDetails.read(json.loads(row["enrolment_json"]), creating=False)
    information = replace(stored.onboarding_information, api_invoker_certificate=row["pem"])
    enrolment = replace(stored, onboarding_information=information)
    return InvokerRecord(
        api_invoker_id=row["api_invoker_id"],
        ccf_id=row["ccf_id"],
        onboarded=row["state"] == "onboarded",
        enrolment=enrolment,
        certificate_serial=row["certificate_serial"],
    )


def onboarded_invoker_ids(tx: Transaction, ccf_id: str) -> list[str]:
    rows = tx.rows(
        "SELECT api_invoker_id FROM invokers WHERE ccf_id = ? AND state = 'onboarded' ORDER BY"
        " api_invoker_id",
        (ccf_id,),
    )
    return [row["api_invoker_id"] for row in rows]


def update_invoker(
    tx: Transaction, enrolment: APIInvokerEnrolmentDetails, *, certificate_serial: str
) -> None:
    tx.execute(
        "UPDATE invokers SET enrolment_json = ?, certificate_serial = ? WHERE api_invoker_id = ?",
        (_stored(enrolment), certificate_serial, enrolment.api_invoker_id),
    )


def mark_offboarded(tx: Transaction, api_invoker_id: str, *, now: int) -> None:
    tx.execute(
        "UPDATE invokers SET state = 'offboarded', offboarded_at = ? WHERE api_invoker_id = ?",
        (now, api_invoker_id),
    )


def _stored(enrolment: APIInvokerEnrolmentDetails) -> str:
    """The enrolment as accepted; the certificate lives in ``certificates``, the API list is recomputed."""
    return json.dumps({key: value for key, value in enrolment.to_json().items() if key != "apiList"})
