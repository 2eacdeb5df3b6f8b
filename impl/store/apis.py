"""Published service APIs (TS 29.222 CAPIF_Publish_Service_API)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from impl.apitypes.publish import ServiceAPIDescription
from impl.store.database import Transaction


@dataclass(frozen=True)
class ApiRecord:
    api_id: str
    ccf_id: str
    apf_id: str
    description: ServiceAPIDescription


def insert_api(
    tx: Transaction, description: ServiceAPIDescription, *, ccf_id: str, apf_id: str, now: int
) -> None:
    tx.execute(
        "INSERT INTO service_apis (api_id, ccf_id, apf_id, description_json, published_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (description.api_id, ccf_id, apf_id, json.dumps(description.to_json()), now, now),
    )
    _insert_profiles(tx, description)


def replace_api(tx: Transaction, description: ServiceAPIDescription, *, now: int) -> None:
    tx.execute(
        "UPDATE service_apis SET description_json = ?, updated_at = ? WHERE api_id = ?",
        (json.dumps(description.to_json()), now, description.api_id),
    )
    tx.execute("DELETE FROM api_profiles WHERE api_id = ?", (description.api_id,))
    _insert_profiles(tx, description)


def _insert_profiles(tx: Transaction, description: ServiceAPIDescription) -> None:
    for profile in description.aef_profiles:
        tx.execute(
            "INSERT INTO api_profiles (api_id, aef_id, api_name) VALUES (?, ?, ?)",
            (description.api_id, profile.aef_id, description.api_name),
        )


def delete_api(tx: Transaction, api_id: str) -> None:
    tx.execute("DELETE FROM service_apis WHERE api_id = ?", (api_id,))


def api(tx: Transaction, api_id: str) -> ApiRecord | None:
    row = tx.row(
        "SELECT api_id, ccf_id, apf_id, description_json FROM service_apis WHERE api_id = ?", (api_id,)
    )
    return (
        None if row is None else _record(row["api_id"], row["ccf_id"], row["apf_id"], row["description_json"])
    )


def apis_of_ccf(tx: Transaction, ccf_id: str) -> list[ApiRecord]:
    rows = tx.rows(
        "SELECT api_id, ccf_id, apf_id, description_json FROM service_apis WHERE ccf_id = ? ORDER BY"
        " published_at, api_id",
        (ccf_id,),
    )
    return [_record(row["api_id"], row["ccf_id"], row["apf_id"], row["description_json"]) for row in rows]


def apis_of_apf(tx: Transaction, apf_id: str) -> list[ApiRecord]:
    rows = tx.rows(
        "SELECT api_id, ccf_id, apf_id, description_json FROM service_apis WHERE apf_id = ? ORDER BY"
        " published_at, api_id",
        (apf_id,),
    )
    return [_record(row["api_id"], row["ccf_id"], row["apf_id"], row["description_json"]) for row in rows]


def apis_at_aef(tx: Transaction, aef_id: str) -> list[ApiRecord]:
    rows = tx.rows(
        "SELECT s.api_id, s.ccf_id, s.apf_id, s.description_json FROM service_apis s"
        " JOIN api_profiles p ON p.api_id = s.api_id WHERE p.aef_id = ? ORDER BY s.published_at, s.api_id",
        (aef_id,),
    )
    return [_record(row["api_id"], row["ccf_id"], row["apf_id"], row["description_json"]) for row in rows]


def api_id_named_at_aef(tx: Transaction, aef_id: str, api_name: str) -> str | None:
    row = tx.row("SELECT api_id FROM api_profiles WHERE aef_id = ? AND api_name = ?", (aef_id, api_name))
    return None if row is None else str(row["api_id"])


def _record(api_id: str, ccf_id: str, apf_id: str, description_json: str) -> ApiRecord:
    description = ServiceAPIDescription.read(json.loads(description_json), creating=False)
    return ApiRecord(api_id=api_id, ccf_id=ccf_id, apf_id=apf_id, description=description)
