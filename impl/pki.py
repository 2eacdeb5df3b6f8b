"""A CAPIF certificate authority: ECDSA keys, CSRs and end-entity certificates.

Certificates follow the TLS certificate profiles of TS 33.310 clauses 6.1.3a (client) and 6.1.4a
(server), which contribution 004 (CAPIF-1e) and contribution 003 (CAPIF-8) refer to: ECDSA P-256 with
SHA-256, ``subjectAltName`` carrying the identities, ``extendedKeyUsage`` ``serverAuth`` and/or
``clientAuth``, a random positive serial number. The CCF issues the API invoker's certificate from the
CSR the invoker sends in ``onboardingInformation.apiInvokerPublicKey`` (TS 29.222 clause 8.4,
TS 33.122 clause 6.1); :func:`load_csr` refuses bad CSRs with :class:`CsrError` before anything is
signed. Time is always the explicit ``now`` (an aware datetime).
"""

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from impl.atomic_file import write_file

CA_CERTIFICATE_FILE = "ca-certificate.pem"
CA_PRIVATE_KEY_FILE = "ca-private-key.pem"
MAX_CSR_PEM_LENGTH = 16 * 1024
MIN_RSA_KEY_BITS = 2048
ACCEPTED_CURVES = (ec.SECP256R1, ec.SECP384R1)
ACCEPTED_CSR_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CertificatePublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class PkiError(Exception):
    """A certificate authority operation was refused (message says why)."""


class CsrError(PkiError):
    """A certificate signing request is unusable: not PEM, bad signature, weak or unsupported key."""


class CaStoreError(PkiError):
    """A stored certificate authority is missing, unreadable, or its key and certificate disagree."""


@dataclass(frozen=True)
class CertificateProfile:
    """What an end-entity certificate says (TS 33.310 clauses 6.1.3a and 6.1.4a).

    At least one of ``server_auth``/``client_auth`` is required; a server certificate needs at least
    one DNS name or IP address in ``subjectAltName`` (TS 33.310 clause 6.1.4a).
    """

    common_name: str
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[IpAddress, ...] = ()
    uris: tuple[str, ...] = ()
    server_auth: bool = False
    client_auth: bool = False
    validity: timedelta = timedelta(days=365)
    backdate: timedelta = timedelta(0)
    """How long before the issuing moment ``notBefore`` lies (RFC 5280 clause 4.1.2.5 leaves it to the
    CA), so that a relying party whose clock trails the CA's a little does not refuse a certificate
    issued an instant ago: OpenSSL checks validity against ``time(NULL)``, which reads the kernel's
    coarse clock, a scheduler tick (and under load tens of milliseconds) behind the precise one."""

    def __post_init__(self) -> None:
        if not self.common_name:
            raise PkiError("a certificate needs a common name")
        if not (self.server_auth or self.client_auth):
            raise PkiError("a certificate needs serverAuth and/or clientAuth extended key usage")
        if self.server_auth and not (self.dns_names or self.ip_addresses):
            raise PkiError("a server certificate needs a DNS name or IP address subjectAltName")
        if self.validity <= timedelta(0):
            raise PkiError("the validity period must be positive")
        if not timedelta(0) <= self.backdate < self.validity:
            raise PkiError("the backdating must be at least zero and shorter than the validity period")

    def alt_names(self) -> list[x509.GeneralName]:
        """The ``subjectAltName`` entries, DNS names first, then IP addresses, then URIs."""
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in self.dns_names]
        names += [x509.IPAddress(address) for address in self.ip_addresses]
        names += [x509.UniformResourceIdentifier(uri) for uri in self.uris]
        return names

    def extended_key_usage(self) -> x509.ExtendedKeyUsage:
        """``serverAuth`` and/or ``clientAuth`` (TS 33.310 clauses 6.1.3a, 6.1.4a)."""
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] if self.server_auth else []
        usages += [ExtendedKeyUsageOID.CLIENT_AUTH] if self.client_auth else []
        return x509.ExtendedKeyUsage(usages)


@dataclass(frozen=True)
class CertifiedKey:
    """An end-entity private key and the certificate that certifies it."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def __post_init__(self) -> None:
        if self.certificate.public_key() != self.private_key.public_key():
            raise PkiError("the private key does not belong to the certificate")


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise PkiError("now must be a timezone-aware datetime")
    return now


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 private key (TS 33.310 clause 6.1.1)."""
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: callers store it with file mode 0600."""
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    """The certificate in PEM, as TS 29.222 carries it (e.g. ``apiInvokerCertificate``)."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate_pem(pem: str | bytes) -> x509.Certificate:
    """Parse one PEM certificate; :class:`PkiError` if it is not one."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except (ValueError, x509.InvalidVersion) as error:
        raise PkiError(f"not a PEM certificate: {error}") from error


def load_certificates_pem(pem: bytes) -> tuple[x509.Certificate, ...]:
    """Parse a bundle of one or more PEM certificates; :class:`PkiError` if it holds none or is malformed."""
    try:
        return tuple(x509.load_pem_x509_certificates(pem))
    except (ValueError, x509.InvalidVersion) as error:
        raise PkiError(f"not a bundle of PEM certificates: {error}") from error


def make_csr(
    private_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    *,
    dns_names: tuple[str, ...] = (),
    uris: tuple[str, ...] = (),
) -> str:
    """A PEM PKCS#10 CSR signed with ``private_key`` (what an API invoker puts into
    ``onboardingInformation.apiInvokerPublicKey``, TS 29.222 clause 8.4)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(common_name))
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    alt_names += [x509.UniformResourceIdentifier(uri) for uri in uris]
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    csr = builder.sign(private_key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _check_public_key(public_key: object) -> CertificatePublicKey:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ACCEPTED_CURVES):
            raise CsrError(f"elliptic curve {public_key.curve.name} is not accepted (P-256, P-384)")
        return public_key
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_KEY_BITS:
            raise CsrError(f"RSA key of {public_key.key_size} bits is below {MIN_RSA_KEY_BITS}")
        return public_key
    raise CsrError(f"key type {type(public_key).__name__} is not accepted (ECDSA or RSA)")


def load_csr(pem: str | bytes) -> x509.CertificateSigningRequest:
    """Parse and check a PEM CSR: size, syntax, supported key, SHA-2 signature that verifies.

    TS 33.310 clause 6.1.1 key and hash requirements: ECDSA P-256/P-384 or RSA of at least
    2048 bits, SHA-256 or stronger. Any failure is a :class:`CsrError` naming the reason.
    """
    data = pem.encode("utf-8", "replace") if isinstance(pem, str) else pem
    if len(data) > MAX_CSR_PEM_LENGTH:
        raise CsrError(f"CSR longer than {MAX_CSR_PEM_LENGTH} octets")
    try:
        csr = x509.load_pem_x509_csr(data)
        public_key = csr.public_key()
        hash_algorithm = csr.signature_hash_algorithm
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion) as error:
        raise CsrError(f"not a usable PEM certificate signing request: {error}") from error
    _check_public_key(public_key)
    if not isinstance(hash_algorithm, ACCEPTED_CSR_HASHES):
        name = hash_algorithm.name if hash_algorithm else "none"
        raise CsrError(f"CSR signature hash {name} is not accepted (SHA-256 or stronger)")
    if not csr.is_signature_valid:
        raise CsrError("CSR signature does not verify (no proof of possession of the private key)")
    if not csr.public_bytes(serialization.Encoding.DER).endswith(b"\x00" + csr.signature):
        # The signature BIT STRING must say "0 unused bits" (X.690 clause 11.2: DER); the parser
        # accepts other counts when the trailing bits happen to be zero, and the signature still
        # verifies over the same octets, so without this a CSR has more than one encoding.
        raise CsrError("CSR signature is not a DER bit string of whole octets")
    return csr


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class CertificateAuthority:
    """A CAPIF CA (for example the CCF's): ECDSA P-256 self-signed root that issues end-entity
    certificates for CAPIF-1e/2e/3/4/5/6/8 TLS (TS 33.310 clauses 6.1.3a, 6.1.4a)."""

    def __init__(self, certificate: x509.Certificate, private_key: ec.EllipticCurvePrivateKey) -> None:
        if certificate.public_key() != private_key.public_key():
            raise CaStoreError("the CA private key does not belong to the CA certificate")
        try:
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound as error:
            raise CaStoreError("the CA certificate has no basicConstraints") from error
        if not constraints.ca:
            raise CaStoreError("the CA certificate is not a CA (basicConstraints cA=false)")
        self.certificate = certificate
        self._private_key = private_key

    @classmethod
    def create(
        cls, common_name: str, *, now: datetime, validity: timedelta = timedelta(days=3650)
    ) -> "CertificateAuthority":
        """A new root CA valid from ``now`` for ``validity``: basicConstraints cA (path length 0),
        keyUsage keyCertSign and cRLSign, subject key identifier."""
        _require_aware(now)
        private_key = generate_private_key()
        name = _name(common_name)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), False)
            .sign(private_key, hashes.SHA256())
        )
        return cls(certificate, private_key)

    def save(self, directory: Path) -> None:
        """Write the CA to ``directory`` (created if needed): certificate PEM (0644) and private key
        PEM (0600), each by write-to-temporary, fsync, rename, so a crash leaves the old file or the
        new one, never half of one. :meth:`load` checks that the two belong together."""
        directory.mkdir(parents=True, exist_ok=True)
        write_file(directory / CA_PRIVATE_KEY_FILE, private_key_pem(self._private_key), private=True)
        certificate = self.certificate.public_bytes(serialization.Encoding.PEM)
        write_file(directory / CA_CERTIFICATE_FILE, certificate, private=False)
        _fsync_directory(directory)

    @classmethod
    def load(cls, directory: Path) -> "CertificateAuthority":
        """Read a CA written by :meth:`save`; :class:`CaStoreError` if absent, unreadable,
        not an ECDSA CA, or if key and certificate do not match."""
        try:
            certificate_data = (directory / CA_CERTIFICATE_FILE).read_bytes()
            key_data = (directory / CA_PRIVATE_KEY_FILE).read_bytes()
            certificate = x509.load_pem_x509_certificate(certificate_data)
            private_key = serialization.load_pem_private_key(key_data, password=None)
        except (OSError, ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion) as error:
            raise CaStoreError(f"cannot load the CA from {directory.name!r}: {error}") from error
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise CaStoreError("the CA private key is not an ECDSA key")
        return cls(certificate, private_key)

    def issue_certificate(
        self, public_key: CertificatePublicKey, profile: CertificateProfile, *, now: datetime
    ) -> x509.Certificate:
        """Certify ``public_key`` per ``profile``, valid from ``now`` (less ``profile.backdate``) until
        ``now`` plus ``profile.validity``.

        Refused (:class:`PkiError`) when the CA itself is not valid at ``now`` or would expire
        before the certificate does.
        """
        _require_aware(now)
        _check_public_key(public_key)
        not_after = now + profile.validity
        if not self.certificate.not_valid_before_utc <= now <= self.certificate.not_valid_after_utc:
            raise PkiError("the CA certificate is not valid at now")
        if not_after > self.certificate.not_valid_after_utc:
            raise PkiError("the certificate would outlive the CA certificate")
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(profile.common_name))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - profile.backdate)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(profile.extended_key_usage(), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._private_key.public_key()),
                critical=False,
            )
        )
        alt_names = profile.alt_names()
        if alt_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        return builder.sign(self._private_key, hashes.SHA256())

    def issue_certificate_for_csr(
        self, csr_pem: str | bytes, profile: CertificateProfile, *, now: datetime
    ) -> x509.Certificate:
        """Check the CSR (:func:`load_csr`) and certify its key. The CA decides the identities:
        ``profile`` gives subject and ``subjectAltName``; the CSR's requested names are ignored."""
        csr = load_csr(csr_pem)
        return self.issue_certificate(_check_public_key(csr.public_key()), profile, now=now)

    def issue_certified_key(self, profile: CertificateProfile, *, now: datetime) -> CertifiedKey:
        """A fresh ECDSA P-256 key and its certificate (for CCFs, AEFs, test peers)."""
        private_key = generate_private_key()
        certificate = self.issue_certificate(private_key.public_key(), profile, now=now)
        return CertifiedKey(certificate, private_key)
