"""Who a CCF-issued certificate names: the ``subjectAltName`` URI ``urn:capifsec:<role>:<id>``.

The CCF's CA writes exactly one such URI into every certificate it issues (invokers at onboarding,
provider functions at registration, :mod:`impl.ccf.authority`; the CCF's own as ``ccf``), so after TLS
has verified the chain to the CAPIF CA, the URI is the peer's identity (TS 33.122 clause 5.2).
"""

from __future__ import annotations

from cryptography import x509

URN_PREFIX = "urn:capifsec:"


def certified_identity(certificate: x509.Certificate) -> tuple[str, str] | None:
    """``(role, id)`` of the certificate's one ``urn:capifsec:`` URI, or None (none, or several)."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    found = [
        uri for uri in names.get_values_for_type(x509.UniformResourceIdentifier) if uri.startswith(URN_PREFIX)
    ]
    if len(found) != 1:
        return None
    role, separator, entity_id = found[0].removeprefix(URN_PREFIX).partition(":")
    return (role, entity_id) if separator and role and entity_id else None


def certified_as(certificate: x509.Certificate | None, role: str) -> str | None:
    """The id the certificate names for ``role`` (``invoker``, ``aef``, ``ccf``...), or None."""
    identity = None if certificate is None else certified_identity(certificate)
    return identity[1] if identity is not None and identity[0] == role else None
