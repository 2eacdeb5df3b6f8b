"""The CAPIF CA: certificate contents (TS 33.310 clauses 6.1.3a/6.1.4a), CSR refusals, atomic store."""

import base64
import ipaddress
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import given, settings
from hypothesis import strategies as st
from OpenSSL import crypto

from impl.ccf.authority import PkiCertificateAuthority
from impl.ccf.identity import Role
from impl.pki import (
    CA_CERTIFICATE_FILE,
    CA_PRIVATE_KEY_FILE,
    CaStoreError,
    CertificateAuthority,
    CertificateProfile,
    CertifiedKey,
    CsrError,
    PkiError,
    certificate_pem,
    generate_private_key,
    load_certificate_pem,
    load_csr,
    make_csr,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INVOKER = CertificateProfile("invoker-7", uris=("urn:capif:invoker:invoker-7",), client_auth=True)


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("test CCF CA", now=NOW - timedelta(days=1))


def _csr_with(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone")])
    )
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    csr = builder.sign(key, algorithm)
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_ca_certificate_is_a_self_signed_ecdsa_ca(ca: CertificateAuthority) -> None:
    certificate = ca.certificate
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert constraints.critical and constraints.value.ca
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert isinstance(public_key.curve, ec.SECP256R1)
    certificate.verify_directly_issued_by(certificate)
    assert certificate.not_valid_before_utc == NOW - timedelta(days=1)


def test_server_certificate_profile(ca: CertificateAuthority) -> None:
    profile = CertificateProfile(
        "aef-1",
        dns_names=("aef1.capif.test",),
        ip_addresses=(ipaddress.IPv4Address("127.0.0.1"),),
        server_auth=True,
        validity=timedelta(days=30),
    )
    issued = ca.issue_certified_key(profile, now=NOW)
    certificate = issued.certificate
    certificate.verify_directly_issued_by(ca.certificate)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert names.get_values_for_type(x509.DNSName) == ["aef1.capif.test"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.IPv4Address("127.0.0.1")]
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert certificate.not_valid_before_utc == NOW
    assert certificate.not_valid_after_utc == NOW + timedelta(days=30)
    assert certificate.serial_number > 0
    assert certificate.signature_hash_algorithm is not None
    assert certificate.signature_hash_algorithm.name == "sha256"


def test_certificates_get_distinct_serials(ca: CertificateAuthority) -> None:
    serials = {ca.issue_certified_key(INVOKER, now=NOW).certificate.serial_number for _ in range(5)}
    assert len(serials) == 5


def test_certificate_for_csr_certifies_the_csr_key_with_the_ca_chosen_names(ca: CertificateAuthority) -> None:
    key = generate_private_key()
    csr = make_csr(key, "requested-name", dns_names=("evil.example",))
    certificate = ca.issue_certificate_for_csr(csr, INVOKER, now=NOW)
    assert certificate.public_key() == key.public_key()
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "invoker-7"
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == []
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:capif:invoker:invoker-7"]
    assert load_certificate_pem(certificate_pem(certificate)) == certificate


def test_rsa_csr_of_2048_bits_is_accepted(ca: CertificateAuthority) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = ca.issue_certificate_for_csr(_csr_with(key), INVOKER, now=NOW)
    assert certificate.public_key() == key.public_key()


def _tampered_signature_csr() -> str:
    der = bytearray(
        x509.load_pem_x509_csr(make_csr(generate_private_key(), "x").encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-5] ^= 0x01  # inside the ECDSA signature value
    return x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()


def _der(tag: int, body: bytes) -> bytes:
    length = len(body)
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    encoded = bytes([length]) if length < 0x80 else bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + encoded + body


def _sha1_signed_csr() -> str:
    """A valid CSR signed with ECDSA-with-SHA1 (cryptography's builder refuses SHA-1, so the
    CertificationRequest is assembled by hand: RFC 2986 clause 4.2)."""
    key = generate_private_key()
    info = x509.load_pem_x509_csr(make_csr(key, "x").encode()).tbs_certrequest_bytes
    ecdsa_with_sha1 = _der(0x30, bytes.fromhex("06072a8648ce3d0401"))
    signature = key.sign(info, ec.ECDSA(hashes.SHA1()))
    der = _der(0x30, info + ecdsa_with_sha1 + _der(0x03, b"\0" + signature))
    return x509.load_der_x509_csr(der).public_bytes(serialization.Encoding.PEM).decode()


def _swapped_key_csr() -> str:
    """A CSR whose subject key is not the key that signed it (no proof of possession)."""
    csr = x509.load_pem_x509_csr(make_csr(generate_private_key(), "x").encode())
    other = x509.load_pem_x509_csr(make_csr(generate_private_key(), "x").encode())
    der = csr.public_bytes(serialization.Encoding.DER)
    own_key = csr.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    foreign_key = other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    swapped = der.replace(own_key, foreign_key)
    return x509.load_der_x509_csr(swapped).public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(
    ("make_bad_csr", "reason"),
    [
        pytest.param(lambda: "not a csr", "not a usable PEM", id="not-pem"),
        pytest.param(lambda: "", "not a usable PEM", id="empty"),
        pytest.param(lambda: "x" * 20_000, "longer than", id="oversized"),
        pytest.param(_tampered_signature_csr, "does not verify", id="tampered-signature"),
        pytest.param(_swapped_key_csr, "does not verify", id="key-not-the-signer"),
        pytest.param(
            lambda: _csr_with(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
            "below 2048",
            id="rsa-1024",
        ),
        pytest.param(lambda: _csr_with(ec.generate_private_key(ec.SECP521R1())), "secp521r1", id="p521"),
        pytest.param(lambda: _csr_with(ed25519.Ed25519PrivateKey.generate()), "not accepted", id="ed25519"),
        pytest.param(_sha1_signed_csr, "sha1", id="sha1-signature"),
    ],
)
def test_bad_csrs_are_refused_with_the_reason(
    ca: CertificateAuthority, make_bad_csr: object, reason: str
) -> None:
    assert callable(make_bad_csr)
    bad_csr = make_bad_csr()
    with pytest.raises(CsrError, match=reason):
        load_csr(bad_csr)
    with pytest.raises(CsrError):
        ca.issue_certificate_for_csr(bad_csr, INVOKER, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000)))
def test_arbitrary_input_is_refused_only_with_csr_error(data: bytes | str) -> None:
    with pytest.raises(CsrError):
        load_csr(data)


REFERENCE_CSR_DER = x509.load_pem_x509_csr(make_csr(generate_private_key(), "x").encode()).public_bytes(
    serialization.Encoding.DER
)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(REFERENCE_CSR_DER) * 8 - 1))
def test_any_single_bit_flip_in_a_csr_is_refused(position: int) -> None:
    der = bytearray(REFERENCE_CSR_DER)
    der[position // 8] ^= 1 << (position % 8)
    pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der))
    pem += b"-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(CsrError):
        load_csr(pem)


@pytest.mark.parametrize("unused_bits", [1, 2, 4])
def test_a_signature_bit_string_with_unused_bits_is_refused(unused_bits: int) -> None:
    """A non-zero "unused bits" octet in the signature BIT STRING is not DER; the signature still
    verifies when the bits it declares unused are zero (so the CSR here is one whose signature ends
    in four zero bits), and the CSR must be refused on its encoding."""
    csr = next(
        csr
        for csr in (
            x509.load_pem_x509_csr(make_csr(generate_private_key(), "x").encode()) for _ in range(2000)
        )
        if csr.signature[-1] & 0x0F == 0
    )
    signature = csr.signature
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[len(der) - len(signature) - 1] = unused_bits
    pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der))
    pem += b"-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(CsrError, match="bit string"):
        load_csr(pem)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"common_name": "x"}, "serverAuth and/or clientAuth", id="no-usage"),
        pytest.param({"common_name": "x", "server_auth": True}, "DNS name or IP address", id="server-no-san"),
        pytest.param({"common_name": "", "client_auth": True}, "common name", id="no-name"),
        pytest.param(
            {"common_name": "x", "client_auth": True, "validity": timedelta(0)}, "positive", id="no-validity"
        ),
    ],
)
def test_inconsistent_profiles_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(PkiError, match=message):
        CertificateProfile(**arguments)  # type: ignore[arg-type]


def test_issuance_refusals(ca: CertificateAuthority) -> None:
    with pytest.raises(PkiError, match="timezone-aware"):
        ca.issue_certified_key(INVOKER, now=datetime(2026, 3, 1))
    with pytest.raises(PkiError, match="outlive"):
        ca.issue_certified_key(
            CertificateProfile("x", client_auth=True, validity=timedelta(days=4000)), now=NOW
        )
    with pytest.raises(PkiError, match="not valid at now"):
        ca.issue_certified_key(INVOKER, now=NOW - timedelta(days=2))
    with pytest.raises(PkiError, match="does not belong"):
        CertifiedKey(ca.issue_certified_key(INVOKER, now=NOW).certificate, generate_private_key())


def test_save_load_round_trip_key_mode_0600(tmp_path: Path, ca: CertificateAuthority) -> None:
    directory = tmp_path / "ccf-ca"
    ca.save(directory)
    assert stat.S_IMODE((directory / CA_PRIVATE_KEY_FILE).stat().st_mode) == 0o600
    assert sorted(path.name for path in directory.iterdir()) == [CA_CERTIFICATE_FILE, CA_PRIVATE_KEY_FILE]
    loaded = CertificateAuthority.load(directory)
    assert loaded.certificate == ca.certificate
    issued = loaded.issue_certified_key(INVOKER, now=NOW)
    issued.certificate.verify_directly_issued_by(ca.certificate)


def test_saving_again_replaces_both_files(tmp_path: Path, ca: CertificateAuthority) -> None:
    ca.save(tmp_path)
    other = CertificateAuthority.create("second CA", now=NOW)
    other.save(tmp_path)
    assert CertificateAuthority.load(tmp_path).certificate == other.certificate
    assert sorted(path.name for path in tmp_path.iterdir()) == [CA_CERTIFICATE_FILE, CA_PRIVATE_KEY_FILE]


def test_load_refuses_missing_garbled_or_mismatched_stores(tmp_path: Path, ca: CertificateAuthority) -> None:
    with pytest.raises(CaStoreError):
        CertificateAuthority.load(tmp_path / "absent")
    ca.save(tmp_path / "garbled")
    (tmp_path / "garbled" / CA_CERTIFICATE_FILE).write_text("garbage")
    with pytest.raises(CaStoreError):
        CertificateAuthority.load(tmp_path / "garbled")
    ca.save(tmp_path / "mixed")
    CertificateAuthority.create("another CA", now=NOW).save(tmp_path / "other")
    (tmp_path / "mixed" / CA_PRIVATE_KEY_FILE).write_bytes(
        (tmp_path / "other" / CA_PRIVATE_KEY_FILE).read_bytes()
    )
    with pytest.raises(CaStoreError, match="does not belong"):
        CertificateAuthority.load(tmp_path / "mixed")


def test_an_end_entity_certificate_cannot_act_as_ca(tmp_path: Path, ca: CertificateAuthority) -> None:
    issued = ca.issue_certified_key(INVOKER, now=NOW)
    assert isinstance(issued.private_key, ec.EllipticCurvePrivateKey)
    with pytest.raises(CaStoreError, match="not a CA"):
        CertificateAuthority(issued.certificate, issued.private_key)


def _verified_at(ca: CertificateAuthority, certificate: x509.Certificate, moment: datetime) -> str | None:
    """OpenSSL's path validation of ``certificate`` with its clock at ``moment``: None, or the error."""
    store = crypto.X509Store()
    store.add_cert(crypto.X509.from_cryptography(ca.certificate))
    store.set_time(moment.replace(tzinfo=None))
    try:
        crypto.X509StoreContext(store, crypto.X509.from_cryptography(certificate)).verify_certificate()
    except crypto.X509StoreContextError as error:
        return str(error)
    return None


def test_a_certificate_the_ccf_issued_an_instant_ago_verifies_on_a_clock_that_trails(
    ca: CertificateAuthority,
) -> None:
    """The invoker presents its certificate at once; OpenSSL reads ``time(NULL)``, the coarse clock,
    which can still show the previous second: the CCF's certificates start before their issuance
    (a certificate starting at the issuing second is refused as not yet valid, the cause of a flaky
    peer-fault test under load)."""
    issued_at = NOW + timedelta(seconds=7, microseconds=1_000)
    trailing = NOW + timedelta(seconds=6, microseconds=999_000)
    csr = make_csr(generate_private_key(), "anything")
    pem = PkiCertificateAuthority(ca).issue_for_csr(csr, subject_id="INV1", role=Role.INVOKER, now=issued_at)
    assert _verified_at(ca, load_certificate_pem(pem), trailing) is None
    exact = ca.issue_certificate(generate_private_key().public_key(), INVOKER, now=issued_at)
    assert "not yet valid" in (_verified_at(ca, exact, trailing) or "")


def test_backdating_is_bounded_by_the_validity() -> None:
    with pytest.raises(PkiError):
        CertificateProfile("x", client_auth=True, validity=timedelta(hours=1), backdate=timedelta(hours=1))
    with pytest.raises(PkiError):
        CertificateProfile("x", client_auth=True, backdate=timedelta(seconds=-1))
