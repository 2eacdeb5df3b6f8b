"""How the AEF refuses a CAPIF-2e request: status, ``cause`` and ``WWW-Authenticate`` (TS 29.122
ProblemDetails; RFC 6750 clause 3 for bearer tokens).

* 401 ``CREDENTIAL_MISSING``: no credential (no PSK, client certificate or bearer token).
* 401 ``CREDENTIAL_INVALID``: a credential the AEF does not accept: unknown, offboarded or revoked
  invoker, certificate not the one the CCF recorded, any token refusal (one opaque answer, TS 33.122
  clause 6.5.2.3).
* 403 ``API_INVOKER_NOT_AUTHORIZED``: authenticated, but not authorized for the API or interface.
* 403 ``SECURITY_METHOD_MISMATCH``: contribution 004 (TS 33.122 clause 6.7 proposal): the invoker uses
  a security method this interface is no longer configured for (or not the one it negotiated); it
  must re-negotiate with the CCF (``POST trustedInvokers/{id}/update``). With the
  ``mismatch-indication`` setting ``off`` the AEF gives the answer it gives to any other refusal in
  the same place instead (``CREDENTIAL_INVALID`` on a service request, ``API_INVOKER_NOT_AUTHORIZED``
  on check-authentication), saying nothing of why.
"""

from __future__ import annotations

from impl.apitypes.enums import SecurityMethod
from impl.http import ProblemDetails
from impl.settings import MismatchIndication

SECURITY_METHOD_MISMATCH = "SECURITY_METHOD_MISMATCH"
_REALM = 'Bearer realm="capif-aef"'


def _challenge(bearer: bool, error: str | None = None) -> dict[str, str]:
    if not bearer:
        return {}
    return {"WWW-Authenticate": _REALM + (f', error="{error}"' if error else "")}


def missing_credential(*, bearer: bool) -> ProblemDetails:
    """No PSK session, client certificate or bearer token."""
    return ProblemDetails(
        401,
        detail="this interface needs a CAPIF-2e credential (TLS-PSK, client certificate or access token)",
        cause="CREDENTIAL_MISSING",
        headers=_challenge(bearer),
    )


def not_authenticated(*, bearer: bool) -> ProblemDetails:
    """A credential the AEF does not accept (deliberately the same answer for every reason)."""
    return ProblemDetails(
        401,
        detail="the API invoker could not be authenticated",
        cause="CREDENTIAL_INVALID",
        headers=_challenge(bearer, "invalid_token"),
    )


def not_authorized(what: str) -> ProblemDetails:
    """Authenticated, but ``what`` (an API or an interface) is not authorized for the invoker."""
    return ProblemDetails(
        403, detail=f"the API invoker is not authorized for {what}", cause="API_INVOKER_NOT_AUTHORIZED"
    )


def method_mismatch(
    used: SecurityMethod,
    supported: frozenset[SecurityMethod],
    indication: MismatchIndication,
    *,
    otherwise: ProblemDetails,
) -> ProblemDetails:
    """The invoker's method is not (or no longer) accepted here (contribution 004); ``otherwise``
    is the answer without indication."""
    if indication is MismatchIndication.OFF:
        return otherwise
    offered = ", ".join(method.value for method in SecurityMethod if method in supported)
    return ProblemDetails(
        403,
        detail=(
            f"security method {used.value} does not match this interface (it accepts {offered}); "
            "re-negotiate with the CAPIF core function"
        ),
        cause=SECURITY_METHOD_MISMATCH,
    )
