"""Registered API provider domains and their functions (TS 29.222 CAPIF_API_Provider_Management_API)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from impl.apitypes.provider import APIProviderEnrolmentDetails, APIProviderFunctionDetails
from impl.apitypes.reader import Fields
from impl.store.database import Transaction


@dataclass(frozen=True)
class FunctionRecord:
    api_prov_func_id: str
    api_prov_dom_id: str
    ccf_id: str
    details: APIProviderFunctionDetails
    certificate_serial: str


@dataclass(frozen=True)
class DomainRecord:
    api_prov_dom_id: str
    ccf_id: str
    api_prov_dom_info: str | None
    supp_feat: str | None
    functions: tuple[FunctionRecord, ...]


def insert_domain(tx: Transaction, enrolment: APIProviderEnrolmentDetails, *, ccf_id: str, now: int) -> None:
    tx.execute(
        "INSERT INTO provider_domains (api_prov_dom_id, ccf_id, enrolment_json, registered_at) VALUES (?,"
        " ?, ?, ?)",
        (enrolment.api_prov_dom_id, ccf_id, _domain_json(enrolment), now),
    )


def update_domain(tx: Transaction, enrolment: APIProviderEnrolmentDetails) -> None:
    tx.execute(
        "UPDATE provider_domains SET enrolment_json = ? WHERE api_prov_dom_id = ?",
        (_domain_json(enrolment), enrolment.api_prov_dom_id),
    )


def delete_domain(tx: Transaction, api_prov_dom_id: str) -> None:
    tx.execute("DELETE FROM provider_domains WHERE api_prov_dom_id = ?", (api_prov_dom_id,))


def insert_function(
    tx: Transaction,
    details: APIProviderFunctionDetails,
    *,
    api_prov_dom_id: str,
    ccf_id: str,
    certificate_serial: str,
) -> None:
    tx.execute(
        "INSERT INTO provider_functions"
        " (api_prov_func_id, api_prov_dom_id, ccf_id, role, details_json, certificate_serial)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            details.api_prov_func_id,
            api_prov_dom_id,
            ccf_id,
            str(details.api_prov_func_role),
            _function_json(details),
            certificate_serial,
        ),
    )


def update_function(tx: Transaction, details: APIProviderFunctionDetails, *, certificate_serial: str) -> None:
    tx.execute(
        "UPDATE provider_functions SET details_json = ?, certificate_serial = ? WHERE api_prov_func_id = ?",
        (_function_json(details), certificate_serial, details.api_prov_func_id),
    )


def delete_function(tx: Transaction, api_prov_func_id: str) -> None:
    tx.execute("DELETE FROM provider_functions WHERE api_prov_func_id = ?", (api_prov_func_id,))


def domain(tx: Transaction, api_prov_dom_id: str) -> DomainRecord | None:
    row = tx.row(
        "SELECT api_prov_dom_id, ccf_id, enrolment_json FROM provider_domains WHERE api_prov_dom_id = ?",
        (api_prov_dom_id,),
    )
    if row is None:
        return None
    stored = json.loads(row["enrolment_json"])
    rows = tx.rows(
        "SELECT api_prov_func_id FROM provider_functions WHERE api_prov_dom_id = ? ORDER BY rowid",
        (api_prov_dom_id,),
    )
    functions = tuple(record for r in rows if (record := function(tx, r["api_prov_func_id"])) is not None)
    return DomainRecord(
        api_prov_dom_id=row["api_prov_dom_id"],
        ccf_id=row["ccf_id"],
        api_prov_dom_info=stored.get("apiProvDomInfo"),
        supp_feat=stored.get("suppFeat"),
        functions=functions,
    )


def function(tx: Transaction, api_prov_func_id: str) -> FunctionRecord | None:
    row = tx.row(
        "SELECT f.api_prov_func_id, f.api_prov_dom_id, f.ccf_id, f.details_json, f.certificate_serial, c.pem"
        " FROM provider_functions f JOIN certificates c ON c.serial = f.certificate_serial"
        " WHERE f.api_prov_func_id = ?",
        (api_prov_func_id,),
    )
    if row is None:
        return None
    stored = APIProviderFunctionDetails.read(Fields(json.loads(row["details_json"]), ""))
    details = replace(stored, reg_info=replace(stored.reg_info, api_prov_cert=row["pem"]))
    return FunctionRecord(
        api_prov_func_id=row["api_prov_func_id"],
        api_prov_dom_id=row["api_prov_dom_id"],
        ccf_id=row["ccf_id"],
        details=details,
        certificate_serial=row["certificate_serial"],
    )


def _domain_json(enrolment: APIProviderEnrolmentDetails) -> str:
    """The domain's own attributes; ``regSec`` is never stored, the functions have their own rows."""
    return json.dumps({"apiProvDomInfo": enrolment.api_prov_dom_info, "suppFeat": enrolment.supp_feat})


def _function_json(details: APIProviderFunctionDetails) -> str:
    return json.dumps(details.to_json())
