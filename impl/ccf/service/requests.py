"""What every CCF handler does with a request: authenticate the caller from its TLS client
certificate (for the gate, :mod:`impl.ccf.service.gate`), read the onboarding bearer credential, the
query and the token form, and answer.

TS 33.122 clause 5 (and contribution 004 for CAPIF-1e) authenticate callers by TLS client
certificates the CCF issued; the TLS layer verifies the chain to the CCF's CA, and every request is
checked against the CCF's records (:meth:`impl.ccf.credentials.Credentials.caller_for_certificate`):
there is no CRL or OCSP, so a revoked or superseded certificate is refused here, request by request.
"""

from __future__ import annotations

from collections.abc import Mapping

from impl.aef.identity import certified_identity
from impl.apitypes.problems import Cause, UnauthorizedError
from impl.ccf import Caller, CapifCoreFunction, Role
from impl.clock import Clock
from impl.http import AccessTokenErr, InvalidParam, ProblemDetails, Request, Response
from impl.http.request import FORM_URLENCODED, parse_form, unsupported_media_type

_BEARER = "bearer"


class CertificateAuthenticator:
    """The gate's authenticator of the CAPIF-1e and CAPIF-3/4/5 endpoints: the TLS client certificate
    names the caller (``urn:capifsec:<role>:<id>``), and a consumer's certificate must be one this
    CCF issued and is still live (:meth:`impl.ccf.credentials.Credentials.caller_for_certificate`)."""

    def __init__(self, core: CapifCoreFunction, clock: Clock) -> None:
        self._core = core
        self._clock = clock

    def claimed(self, request: Request) -> Caller:
        """Who the certificate names; 401 without a certificate or when it names no CAPIF role."""
        return certificate_claim(request)

    def verified(self, request: Request, claimed: Caller) -> Caller:
        """The claimed caller if the certificate is live at this CCF; 401 otherwise."""
        certificate = request.peer.certificate
        assert certificate is not None  # claimed() required it
        caller = self._core.credentials.caller_for_certificate(certificate, now=self._clock())
        if caller != claimed:
            raise UnauthorizedError(
                Cause.CREDENTIAL_INVALID,
                "the client certificate is not live at this CCF (unknown, revoked or superseded)",
            )
        return caller


def certificate_claim(request: Request) -> Caller:
    """The role and id the TLS client certificate names; 401 without one, or when it names none."""
    certificate = request.peer.certificate
    if certificate is None:
        raise UnauthorizedError(
            Cause.CREDENTIAL_MISSING, "this resource needs the client certificate the CCF issued"
        )
    identity = certified_identity(certificate)
    role = None if identity is None else Role.of_certificate(identity[0])
    if identity is None or role is None:
        raise UnauthorizedError(Cause.CREDENTIAL_INVALID, "the client certificate names no CAPIF entity")
    return Caller(role, identity[1])


def bearer_credential(request: Request) -> str | None:
    """The credential of an ``Authorization: Bearer`` header (RFC 6750 clause 2.1), else None."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() != _BEARER or not credential.strip():
        raise ProblemDetails(
            401,
            detail="the Authorization header must be 'Bearer <onboarding secret>'",
            cause="CREDENTIAL_INVALID",
            invalid_params=[InvalidParam("Authorization", "must use the Bearer scheme")],
            headers={"WWW-Authenticate": 'Bearer realm="capif"'},
        )
    return credential.strip()


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """The query as (name, value) pairs, repeated names kept (the readers refuse repeats)."""
    return [(name, value) for name, values in request.query.items() for value in values]


def token_form(request: Request) -> list[tuple[str, str]]:
    """The ``AccessTokenReq`` form as (name, value) pairs (TS 29.222 clause 8.5.2.4).

    Another media type is a 415 ProblemDetails (as the OpenAPI lists); an undecodable body is an
    ``AccessTokenErr`` ``invalid_request`` (RFC 6749 clause 5.2), as every other token refusal is.
    """
    if request.media_type != FORM_URLENCODED:
        raise unsupported_media_type(FORM_URLENCODED, request.media_type)
    try:
        return parse_form(request.body)
    except ValueError as error:
        raise AccessTokenErr("invalid_request", f"the form body is malformed: {error}") from None


def created(document: object, location: str) -> Response:
    """201 Created with the resource and its ``Location`` (TS 29.122 clause 5.2.4)."""
    return Response.json(document, status=201, headers={"Location": location})


def ok(document: object, headers: Mapping[str, str] | None = None) -> Response:
    """200 with a JSON body."""
    return Response.json(document, headers=headers)
