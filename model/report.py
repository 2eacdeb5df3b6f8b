"""Verification results as data: the ``capifsec verify --json`` document, and the results that fail.

What people read (pages, figures, step lists, reports) is made from this document in ``publish/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model.verify import ProfileReport, PropertyResult, Verdict


def results_json(reports: Sequence[ProfileReport]) -> dict[str, Any]:
    """The ``--json`` document: one entry per (profile, property), then the witnesses."""
    return {
        "results": [result.to_json() for report in reports for result in report.properties],
        "witnesses": [
            {
                "profile": report.profile,
                "witness": witness.id,
                "applicable": witness.applicable,
                "found": witness.found,
                "seconds": round(witness.seconds, 3),
                "trace": witness.trace,
            }
            for report in reports
            for witness in report.witnesses
        ],
        "profiles": [
            {"profile": r.profile, "seconds": round(r.seconds, 3), "invariant_clauses": r.invariant_size}
            for r in reports
        ],
    }


def failures_on(reports: Sequence[ProfileReport], profile: str) -> list[PropertyResult]:
    """Results on ``profile`` that are not proved."""
    return [
        r
        for report in reports
        if report.profile == profile
        for r in report.properties
        if r.verdict != Verdict.PROVED
    ]


def errors(reports: Sequence[ProfileReport]) -> list[PropertyResult]:
    return [r for report in reports for r in report.properties if r.verdict == Verdict.ERROR]
