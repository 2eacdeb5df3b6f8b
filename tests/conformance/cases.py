"""The 34 OpenCAPIF cases as data: per checked request, what OpenCAPIF's suite expects and what
capifsec answers; where they differ, the clause capifsec follows; where capifsec answered wrongly
before issue 12, what it answered. `docs/conformance.md` shows this table (checked by
:mod:`tests.conformance.test_conformance_table`).

An answer is `"<status> <kind>"` (see :func:`tests.conformance.run.describe`). `note` says in
words what differs beyond the status, e.g. in the content OpenCAPIF compares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

ROLE_RULE = (
    "TS 29.222 Table 5.1-1 (consumers) and TS 23.222 clause 6.2 (reference points); RFC 9110 clause "
    "15.5.4: 403 for an authenticated caller the operation is not for (401 is for a missing or invalid "
    "credential, clause 15.5.2)"
)
OWN_ONLY = (
    "TS 29.222 Table 5.1-1: an invoker acts on its own resources only; RFC 9110 clause 15.5.4: 403, "
    "the same whether or not the named invoker exists"
)


class Outcome(StrEnum):
    SAME = "same as OpenCAPIF"
    DIFFERENT = "deliberately different"
    FIXED = "was wrong, fixed"


@dataclass(frozen=True)
class Check:
    """One checked request of a case."""

    request: str
    opencapif: str
    capifsec: str
    note: str = ""

    @property
    def differs(self) -> bool:
        return self.opencapif != self.capifsec or bool(self.note)


@dataclass(frozen=True)
class Case:
    """One OpenCAPIF case (its Robot Framework tag) and what capifsec answers to its requests."""

    tag: str
    summary: str
    checks: tuple[Check, ...]
    clause: str = ""
    before: str = ""

    @property
    def outcome(self) -> Outcome:
        if self.before:
            return Outcome.FIXED
        return Outcome.DIFFERENT if any(check.differs for check in self.checks) else Outcome.SAME


AEF_NEEDS = (
    "TS 29.222 clause 7.8 (`supportedFeatures` is negotiated by the request that creates the "
    "resource, and the AEF's GET negotiates nothing); TS 33.122 clause 6.5.2: the AEF obtains the "
    "security information it needs, not the invoker's notification settings"
)
AEFPSK_TO_AEF = (
    "TS 33.122 clause 6.5.2.1 and Annex A.1: the invoker derives AEFPSK itself; the CCF gives it, and "
    "the authorization scope, to the AEF only"
)
WITHOUT_SETTINGS = (
    "the same securityInfo and notificationDestination, without the invoker's websockNotifConfig and "
    "supportedFeatures"
)
WITH_AEFPSK = (
    "the AEFPSK as authenticationInfo and the scope as authorizationInfo, which the invoker's answer "
    "never carries; not the invoker's websockNotifConfig and supportedFeatures"
)
NEW_ID = (
    "TS 29.222 clause 8.4.4: `APIInvokerEnrolmentDetails.apiInvokerId` shall be present in every "
    "request but the onboarding POST"
)
TOKEN_ROLE = ROLE_RULE + "; the TS 29.222 OpenAPI lists 403 ProblemDetails for the token endpoint"

CREATED = Check("PUT trustedInvokers/{own id}, the invoker", "201 ServiceSecurity", "201 ServiceSecurity")
NEGOTIATED = (
    Check("GET allServiceAPIs, the invoker", "200 DiscoveredAPIs", "200 DiscoveredAPIs"),
    Check("PUT trustedInvokers/{own id} from the discovery", "201 ServiceSecurity", "201 ServiceSecurity"),
)


def _token(request: str, opencapif: str, capifsec: str, note: str = "") -> tuple[Check, ...]:
    return (*NEGOTIATED, Check(request, opencapif, capifsec, note))


_SECURITY = (
    Case("capif_security_api-1", "the invoker creates its security context", (CREATED,)),
    Case(
        "capif_security_api-2",
        "the AEF creates an invoker's security context",
        (Check("PUT trustedInvokers/{invoker}, the AEF", "401 ProblemDetails", "403 ProblemDetails"),),
        ROLE_RULE,
    ),
    Case(
        "capif_security_api-3",
        "the AEF creates the context of an unknown invoker",
        (Check("PUT trustedInvokers/not-valid, the AEF", "401 ProblemDetails", "403 ProblemDetails"),),
        ROLE_RULE,
    ),
    Case(
        "capif_security_api-4",
        "the invoker creates the context of an unknown invoker",
        (Check("PUT trustedInvokers/not-valid, the invoker", "404 ProblemDetails", "403 ProblemDetails"),),
        OWN_ONLY,
    ),
    Case(
        "capif_security_api-5",
        "the AEF retrieves the invoker's context",
        (
            CREATED,
            Check(
                "GET trustedInvokers/{invoker}, the AEF",
                "200 ServiceSecurity",
                "200 ServiceSecurity",
                "OpenCAPIF expects the created context without authenticationInfo and authorizationInfo; "
                f"capifsec answers {WITHOUT_SETTINGS}",
            ),
        ),
        AEF_NEEDS,
    ),
    Case(
        "capif_security_api-6",
        "the AEF retrieves the context of an unknown invoker",
        (Check("GET trustedInvokers/not-valid, the AEF", "404 ProblemDetails", "404 ProblemDetails"),),
    ),
    Case(
        "capif_security_api-7",
        "the invoker retrieves its own context",
        (
            CREATED,
            Check("GET trustedInvokers/{own id}, the invoker", "401 ProblemDetails", "403 ProblemDetails"),
        ),
        ROLE_RULE,
    ),
    Case(
        "capif_security_api-8",
        "the AEF deletes the invoker's context",
        (
            CREATED,
            Check("DELETE trustedInvokers/{invoker}, the AEF", "204", "204"),
            Check("GET trustedInvokers/{invoker}, the AEF", "404 ProblemDetails", "404 ProblemDetails"),
        ),
    ),
    Case(
        "capif_security_api-9",
        "the invoker deletes its own context",
        (
            CREATED,
            Check("DELETE trustedInvokers/{own id}, the invoker", "401 ProblemDetails", "403 ProblemDetails"),
        ),
        ROLE_RULE,
        before="204: the context was deleted, though Revoke_Authorization is the AEF's",
    ),
    Case(
        "capif_security_api-10",
        "the invoker deletes the context of an unknown invoker",
        (Check("DELETE trustedInvokers/not-valid, the invoker", "401 ProblemDetails", "403 ProblemDetails"),),
        ROLE_RULE,
        before="404, and 403 for an invoker with a context: an existence oracle across invokers",
    ),
    Case(
        "capif_security_api-11",
        "the AEF deletes the context of an unknown invoker",
        (Check("DELETE trustedInvokers/not-valid, the AEF", "404 ProblemDetails", "404 ProblemDetails"),),
    ),
    Case(
        "capif_security_api-12",
        "the invoker updates its context; the AEF retrieves it",
        (
            CREATED,
            Check(
                "POST trustedInvokers/{own id}/update, a new destination",
                "200 ServiceSecurity",
                "200 ServiceSecurity",
            ),
            Check(
                "GET trustedInvokers/{invoker} with authentication and authorization info, the AEF",
                "200 ServiceSecurity",
                "200 ServiceSecurity",
                f"OpenCAPIF expects the update's answer; capifsec gives the AEF {WITH_AEFPSK}",
            ),
        ),
        AEFPSK_TO_AEF,
    ),
    Case(
        "capif_security_api-13",
        "the AEF updates the invoker's context",
        (
            CREATED,
            Check(
                "POST trustedInvokers/{invoker}/update, the AEF", "401 ProblemDetails", "403 ProblemDetails"
            ),
        ),
        ROLE_RULE,
    ),
    Case(
        "capif_security_api-14",
        "the AEF updates the context of an unknown invoker",
        (
            Check(
                "POST trustedInvokers/not-valid/update, the AEF", "401 ProblemDetails", "403 ProblemDetails"
            ),
        ),
        ROLE_RULE,
    ),
    Case(
        "capif_security_api-15",
        "the invoker updates the context of an unknown invoker",
        (
            Check(
                "POST trustedInvokers/not-valid/update, the invoker",
                "404 ProblemDetails",
                "403 ProblemDetails",
            ),
        ),
        OWN_ONLY,
    ),
    Case(
        "capif_security_api-16",
        "the AEF revokes the invoker for the APIs it discovered",
        (
            *NEGOTIATED,
            Check("POST trustedInvokers/{invoker}/delete, the AEF", "204", "204"),
            Check("GET trustedInvokers/{invoker}, the AEF", "404 ProblemDetails", "404 ProblemDetails"),
        ),
    ),
    Case(
        "capif_security_api-17",
        "the invoker revokes its own authorization",
        (
            CREATED,
            Check(
                "POST trustedInvokers/{own id}/delete, the invoker",
                "401 ProblemDetails",
                "403 ProblemDetails",
            ),
            Check(
                "GET trustedInvokers/{invoker}, the AEF",
                "200 ServiceSecurity",
                "200 ServiceSecurity",
                "unchanged; OpenCAPIF expects the created context without credentials, capifsec answers "
                + WITHOUT_SETTINGS,
            ),
        ),
        f"{ROLE_RULE}; {AEF_NEEDS}",
    ),
    Case(
        "capif_security_api-18",
        "the AEF revokes an unknown invoker",
        (
            CREATED,
            Check(
                "POST trustedInvokers/not-valid/delete, the AEF", "404 ProblemDetails", "404 ProblemDetails"
            ),
            Check(
                "GET trustedInvokers/{invoker} with authentication and authorization info, the AEF",
                "200 ServiceSecurity",
                "200 ServiceSecurity",
                f"unchanged; OpenCAPIF expects the created context, capifsec gives the AEF {WITH_AEFPSK}",
            ),
        ),
        AEFPSK_TO_AEF,
    ),
    Case(
        "capif_security_api-19",
        "the invoker obtains an access token",
        _token(
            "POST securities/{own id}/token",
            "200 AccessTokenRsp",
            "400 AccessTokenErr unauthorized_client",
            "service_1 is published with PSK only (OpenCAPIF's description), so the CCF selected PSK",
        ),
        "TS 33.122 clauses 6.3 and 6.5.2.3: an access token is the OAUTH method, for an AEF the CCF "
        "selected OAUTH for; RFC 6749 clause 5.2 `unauthorized_client`",
    ),
    Case(
        "capif_security_api-20",
        "the AEF obtains an access token",
        _token(
            "POST securities/{invoker}/token, the AEF",
            "401 AccessTokenErr unauthorized_client",
            "403 ProblemDetails",
        ),
        TOKEN_ROLE,
    ),
    Case(
        "capif_security_api-21",
        "the AEF obtains an access token for an unknown invoker",
        _token(
            "POST securities/not-valid/token, the AEF",
            "401 AccessTokenErr unauthorized_client",
            "403 ProblemDetails",
        ),
        TOKEN_ROLE,
    ),
    Case(
        "capif_security_api-22",
        "the invoker obtains a token from an unknown security context",
        _token(
            "POST securities/not-valid/token, client_id its own",
            "404 ProblemDetails",
            "401 AccessTokenErr invalid_client",
        ),
        "RFC 6749 clause 5.2: the token endpoint answers errors as AccessTokenErr; `invalid_client` for "
        "a client_id that does not name the security context (401 allowed)",
    ),
    Case(
        "capif_security_api-23",
        "the invoker obtains a token with an unknown client_id",
        _token(
            "POST securities/{own id}/token, client_id not-valid",
            "400 AccessTokenErr invalid_client",
            "401 AccessTokenErr invalid_client",
        ),
        "RFC 6749 clause 5.2: `invalid_client` may be answered with 401",
    ),
    Case(
        "capif_security_api-24",
        "the invoker obtains a token with an unsupported grant_type",
        _token(
            "POST securities/{own id}/token, grant_type not_valid",
            "400 AccessTokenErr unsupported_grant_type",
            "400 AccessTokenErr unsupported_grant_type",
        ),
    ),
    Case(
        "capif_security_api-25",
        "the invoker obtains a token with a malformed scope",
        _token(
            "POST securities/{own id}/token, scope not 3gpp#",
            "400 AccessTokenErr invalid_scope",
            "400 AccessTokenErr invalid_scope",
        ),
    ),
    Case(
        "capif_security_api-26",
        "the invoker obtains a token for an unknown AEF",
        _token(
            "POST securities/{own id}/token, scope 3gpp#1234:service_1",
            "400 AccessTokenErr invalid_scope",
            "400 AccessTokenErr invalid_scope",
        ),
    ),
    Case(
        "capif_security_api-27",
        "the invoker obtains a token for an unknown API",
        _token(
            "POST securities/{own id}/token, scope 3gpp#{aef}:not-valid",
            "400 AccessTokenErr invalid_scope",
            "400 AccessTokenErr invalid_scope",
        ),
    ),
)

_INVOKER_MANAGEMENT = (
    Case(
        "capif_api_invoker_management-1",
        "the invoker onboards",
        (
            Check(
                "POST onboardedInvokers with the onboarding secret",
                "201 APIInvokerEnrolmentDetails",
                "201 APIInvokerEnrolmentDetails",
            ),
        ),
    ),
    Case(
        "capif_api_invoker_management-2",
        "the invoker onboards again with the same credential and key",
        (
            Check(
                "the same POST onboardedInvokers again",
                "403 ProblemDetails",
                "401 ProblemDetails",
                "OpenCAPIF refuses the identical public key; capifsec's one-time onboarding secret is spent",
            ),
        ),
        "TS 33.122 clause 6.1 leaves the onboarding credential to the operator; capifsec's is a one-time "
        "secret; RFC 9110 clause 15.5.2: 401 for a credential no longer valid",
    ),
    Case(
        "capif_api_invoker_management-3",
        "the invoker updates its notification destination",
        (
            Check(
                "PUT onboardedInvokers/{own id}, no apiInvokerId",
                "200 APIInvokerEnrolmentDetails",
                "400 ProblemDetails",
            ),
            Check(
                "the same with the apiInvokerId",
                "200 APIInvokerEnrolmentDetails",
                "200 APIInvokerEnrolmentDetails",
            ),
        ),
        NEW_ID,
    ),
    Case(
        "capif_api_invoker_management-4",
        "the invoker updates an invoker not onboarded",
        (Check("PUT onboardedInvokers/not-valid, the invoker", "404 ProblemDetails", "403 ProblemDetails"),),
        OWN_ONLY,
    ),
    Case(
        "capif_api_invoker_management-5",
        "the invoker offboards",
        (Check("DELETE onboardedInvokers/{own id}", "204", "204"),),
    ),
    Case(
        "capif_api_invoker_management-6",
        "the invoker offboards an invoker not onboarded",
        (
            Check(
                "DELETE onboardedInvokers/not-valid, the invoker", "404 ProblemDetails", "403 ProblemDetails"
            ),
        ),
        OWN_ONLY,
    ),
    Case(
        "capif_api_invoker_management-7",
        "the invoker renews its certificate, then uses the new one",
        (
            Check(
                "PUT onboardedInvokers/{own id}, a new CSR, no apiInvokerId",
                "200 APIInvokerEnrolmentDetails",
                "400 ProblemDetails",
            ),
            Check(
                "the same with the apiInvokerId",
                "200 APIInvokerEnrolmentDetails",
                "200 APIInvokerEnrolmentDetails",
            ),
            Check(
                "PUT onboardedInvokers/{own id} with the new certificate and a new destination",
                "200 APIInvokerEnrolmentDetails",
                "200 APIInvokerEnrolmentDetails",
            ),
        ),
        NEW_ID,
    ),
)

CASES = {case.tag: case for case in (*_SECURITY, *_INVOKER_MANAGEMENT)}
"""The 34 cases by their OpenCAPIF tag."""


def counts(cases: Iterable[Case]) -> dict[Outcome, int]:
    """How many cases have each outcome."""
    tally = dict.fromkeys(Outcome, 0)
    for case in cases:
        tally[case.outcome] += 1
    return tally


def markdown_table(cases: Iterable[Case]) -> str:
    """The table `docs/conformance.md` shows: per case, its checked requests with OpenCAPIF's
    expectation and capifsec's answer, the outcome, and the clause capifsec follows."""
    lines = [
        "| Case | Requests checked | OpenCAPIF expects | capifsec answers | Outcome | Clause followed |",
        "|---|---|---|---|---|---|",
    ]
    for case in cases:
        requests = "<br>".join(f"{index}. {check.request}" for index, check in enumerate(case.checks, 1))
        expected = "<br>".join(f"{index}. {check.opencapif}" for index, check in enumerate(case.checks, 1))
        answered = "<br>".join(
            f"{index}. {check.capifsec}" + (f" ({check.note})" if check.note else "")
            for index, check in enumerate(case.checks, 1)
        )
        outcome = str(case.outcome) + (f": before, {case.before}" if case.before else "")
        cells = (f"`{case.tag}`: {case.summary}", requests, expected, answered, outcome, case.clause)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
