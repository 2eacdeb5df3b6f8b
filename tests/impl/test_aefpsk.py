"""AEFPSK derivation (TS 33.122 Annex A.1, KDF of TS 33.220 Annex B.2) and its TLS 1.3 mapping.

Known answers were computed outside Python (``openssl dgst -sha256 -mac HMAC`` over the hand-written
``S`` below); the tests also rebuild ``S`` by hand and run the ``hmac`` module on it.
"""

import datetime
import hashlib
import hmac
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st
from OpenSSL import SSL

from impl.aefpsk import (
    AefpskInputError,
    ServiceApiInterface,
    derive_aefpsk,
    derive_aefpsk_tls12,
    derive_aefpsk_tls13,
    kdf_input,
)

FQDN_INTERFACE = ServiceApiInterface(fqdn="AEF.Example.org.", port=8443, api_prefix="/exposure")
IPV6_INTERFACE = ServiceApiInterface(ipv6_addr="2001:DB8:0:0:0:0:0:1")
IPV4_INTERFACE = ServiceApiInterface(ipv4_addr="192.0.2.10", port=8080, api_prefix="/capif")
MASTER_SECRET = bytes(range(48))
SESSION_ID = bytes(range(0xA0, 0xC0))

KNOWN_ANSWERS = [
    pytest.param(
        MASTER_SECRET,
        SESSION_ID,
        FQDN_INTERFACE,
        "7a6165662e6578616d706c652e6f72673a383434332f6578706f73757265001d"
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf0020",
        "0303bb7f8c0dd683e7a93c0456a797de2c3164fa713aa8ee34ebc3fe60b7f3af",
        id="fqdn-port-prefix",
    ),
    pytest.param(
        b"\x0b" * 48,
        b"\x01",
        IPV6_INTERFACE,
        "7a5b323030313a6462383a3a315d3a3434330011010001",
        "bc3f865b74e36b56214e064badfc5cd6015c304de5dddcf54c8f713e4566b3ba",
        id="ipv6-default-port",
    ),
]


@pytest.mark.parametrize(("master_secret", "session_id", "interface", "s_hex", "aefpsk_hex"), KNOWN_ANSWERS)
def test_tls12_known_answers(
    master_secret: bytes, session_id: bytes, interface: ServiceApiInterface, s_hex: str, aefpsk_hex: str
) -> None:
    s = bytes.fromhex(s_hex)
    assert kdf_input(0x7A, interface.kdf_p0(), session_id) == s
    assert hmac.new(master_secret, s, hashlib.sha256).hexdigest() == aefpsk_hex
    assert derive_aefpsk_tls12(master_secret, session_id, interface).hex() == aefpsk_hex


def test_tls13_known_answer() -> None:
    calls: list[tuple[bytes, int, bytes]] = []

    def exporter(label: bytes, length: int, context: bytes) -> bytes:
        calls.append((label, length, context))
        return b"\x42" * length

    aefpsk = derive_aefpsk_tls13(exporter, IPV4_INTERFACE)
    assert calls == [(b"EXPORTER-3GPP-CAPIF-AEFPSK", 32, b"192.0.2.10:8080/capif")]
    s = bytes.fromhex("7a3139322e302e322e31303a383038302f636170696600150000")
    assert hmac.new(b"\x42" * 32, s, hashlib.sha256).digest() == aefpsk
    assert aefpsk.hex() == "23cb53ec80da1cb5330749177eaedcac605e1a0ed8bdab6ba8a4f3f841f5df50"


@pytest.mark.parametrize(
    ("interface", "p0"),
    [
        (FQDN_INTERFACE, b"aef.example.org:8443/exposure"),
        (IPV6_INTERFACE, b"[2001:db8::1]:443"),
        (IPV4_INTERFACE, b"192.0.2.10:8080/capif"),
        (ServiceApiInterface(fqdn="localhost", port=1), b"localhost:1"),
    ],
)
def test_p0_encoding(interface: ServiceApiInterface, p0: bytes) -> None:
    assert interface.kdf_p0() == p0


def test_from_interface_description() -> None:
    described = ServiceApiInterface.from_interface_description(
        {"fqdn": "aef.example.org", "port": 8443, "apiPrefix": "/exposure", "securityMethods": ["PSK"]}
    )
    assert described.kdf_p0() == FQDN_INTERFACE.kdf_p0()
    assert (
        ServiceApiInterface.from_interface_description({"ipv4Addr": "192.0.2.10"}).kdf_p0()
        == b"192.0.2.10:443"
    )


@pytest.mark.parametrize(
    "description",
    [
        {},
        {"fqdn": "a.example", "ipv4Addr": "192.0.2.1"},
        {"fqdn": 7},
        {"fqdn": "a.example", "port": "443"},
        {"fqdn": "a.example", "port": 0},
        {"fqdn": "a.example", "port": 65536},
        {"fqdn": "a.example", "port": True},
        {"fqdn": "a.example", "apiPrefix": "exposure"},
        {"fqdn": "a.example", "apiPrefix": "/a b"},
        {"fqdn": "a.example", "apiPrefix": 5},
        {"fqdn": "-bad.example"},
        {"fqdn": "a..example"},
        {"fqdn": ""},
        {"fqdn": "a" * 64 + ".example"},
        {"fqdn": "exämple.org"},
        {"ipv4Addr": "256.0.0.1"},
        {"ipv4Addr": "01.2.3.4"},
        {"ipv6Addr": "2001:db8::zz"},
        {"ipv6Addr": "192.0.2.1"},
        {"fqdn": "a.example", "apiPrefix": "/" + "x" * 70_000},
    ],
)
def test_bad_interface_description_is_refused(description: dict[str, object]) -> None:
    with pytest.raises(AefpskInputError):
        ServiceApiInterface.from_interface_description(description)


@pytest.mark.parametrize(
    ("master_secret", "session_id"),
    [
        (MASTER_SECRET, b""),  # no session ID: no AEFPSK under Annex A.1
        (MASTER_SECRET, bytes(33)),
        (MASTER_SECRET[:47], SESSION_ID),
        (MASTER_SECRET + b"\x00", SESSION_ID),
        (b"", SESSION_ID),
    ],
)
def test_tls12_input_validation(master_secret: bytes, session_id: bytes) -> None:
    with pytest.raises(AefpskInputError):
        derive_aefpsk_tls12(master_secret, session_id, FQDN_INTERFACE)


def test_kdf_input_lengths() -> None:
    assert kdf_input(0x7A, b"", b"\xff" * 300) == b"\x7a\x00\x00" + b"\xff" * 300 + b"\x01\x2c"
    assert len(kdf_input(0x7A, bytes(0xFFFF))) == 1 + 0xFFFF + 2
    with pytest.raises(AefpskInputError):
        kdf_input(0x7A, bytes(0x10000))
    with pytest.raises(AefpskInputError):
        kdf_input(0x100, b"")
    with pytest.raises(AefpskInputError):
        derive_aefpsk(b"", FQDN_INTERFACE, SESSION_ID)


def test_tls13_exporter_of_wrong_length_is_refused() -> None:
    with pytest.raises(AefpskInputError):
        derive_aefpsk_tls13(lambda label, length, context: b"\x00" * 16, FQDN_INTERFACE)


HOSTS = st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z][a-z0-9]{0,10}){0,3}", fullmatch=True)
PREFIXES = st.from_regex(r"(/[a-z0-9]{1,8}){0,3}", fullmatch=True)
INTERFACES = st.builds(ServiceApiInterface, fqdn=HOSTS, port=st.integers(1, 65535), api_prefix=PREFIXES)
SESSION_IDS = st.binary(min_size=1, max_size=32)


@given(INTERFACES, INTERFACES, SESSION_IDS, SESSION_IDS)
def test_different_p0_or_p1_give_different_keys(
    first: ServiceApiInterface, second: ServiceApiInterface, first_id: bytes, second_id: bytes
) -> None:
    same_inputs = first.kdf_p0() == second.kdf_p0() and first_id == second_id
    same_keys = derive_aefpsk_tls12(MASTER_SECRET, first_id, first) == derive_aefpsk_tls12(
        MASTER_SECRET, second_id, second
    )
    assert same_inputs == same_keys


@given(st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=40))
def test_kdf_input_is_injective(p0: bytes, p1: bytes, q0: bytes, q1: bytes) -> None:
    """Length fields make S unambiguous: moving bytes between P0 and P1 changes S."""
    assert (kdf_input(0x7A, p0, p1) == kdf_input(0x7A, q0, q1)) == ((p0, p1) == (q0, q1))


@given(INTERFACES, INTERFACES)
def test_distinct_interfaces_have_distinct_p0(
    first: ServiceApiInterface, second: ServiceApiInterface
) -> None:
    assert (first.kdf_p0() == second.kdf_p0()) == (
        (first.fqdn, first.port, first.api_prefix) == (second.fqdn, second.port, second.api_prefix)
    )


# Real TLS on 127.0.0.1: both ends of a CAPIF-1e session derive the same AEFPSK.


@pytest.fixture(scope="module")
def server_credentials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ccf.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("ccf.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("ccf")
    certificate_path, key_path = folder / "cert.pem", folder / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate_path, key_path


def tls12_master_secret(key_log: Path) -> bytes:
    """The NSS key log line ``CLIENT_RANDOM <random> <master secret>`` of the one connection."""
    lines = [line.split() for line in key_log.read_text().splitlines() if line.startswith("CLIENT_RANDOM")]
    assert len(lines) == 1
    return bytes.fromhex(lines[0][2])


def test_both_ends_of_a_tls12_session_derive_the_same_aefpsk(
    server_credentials: tuple[Path, Path], tmp_path: Path
) -> None:
    certificate_path, key_path = server_credentials
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certificate_path, key_path)
    server_context.maximum_version = ssl.TLSVersion.TLSv1_2
    server_context.options |= ssl.OP_NO_TICKET  # a session ID, not a ticket (TS 33.122 Annex A.1)
    server_context.keylog_filename = str(tmp_path / "server.keys")
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(certificate_path)
    client_context.maximum_version = ssl.TLSVersion.TLSv1_2
    client_context.keylog_filename = str(tmp_path / "client.keys")
    server_ends: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            connection, _ = listener.accept()
            with server_context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
                assert tls.session is not None
                server_ends.append(tls.session.id)

        server = threading.Thread(target=serve)
        server.start()
        with client_context.wrap_socket(
            socket.create_connection(listener.getsockname()), server_hostname="ccf.test"
        ) as tls:
            assert tls.version() == "TLSv1.2"
            assert tls.session is not None
            client_session_id = tls.session.id
            tls.sendall(b"x")
        server.join(timeout=10)
    (server_session_id,) = server_ends
    client_key = derive_aefpsk_tls12(
        tls12_master_secret(tmp_path / "client.keys"), client_session_id, FQDN_INTERFACE
    )
    server_key = derive_aefpsk_tls12(
        tls12_master_secret(tmp_path / "server.keys"), server_session_id, FQDN_INTERFACE
    )
    assert client_key == server_key
    assert client_key != derive_aefpsk_tls12(
        tls12_master_secret(tmp_path / "client.keys"), client_session_id, IPV4_INTERFACE
    )


def tls13_session_keys(certificate_path: Path, key_path: Path) -> tuple[bytes, bytes]:
    """Run one TLS 1.3 handshake with pyOpenSSL; return (client AEFPSK, server AEFPSK)."""
    server_context = SSL.Context(SSL.TLS_METHOD)
    server_context.set_min_proto_version(SSL.TLS1_3_VERSION)
    server_context.use_certificate_file(str(certificate_path))
    server_context.use_privatekey_file(str(key_path))
    client_context = SSL.Context(SSL.TLS_METHOD)
    client_context.set_min_proto_version(SSL.TLS1_3_VERSION)
    client_context.load_verify_locations(str(certificate_path))
    client_context.set_verify(SSL.VERIFY_PEER)
    server_keys: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            connection, _ = listener.accept()
            tls = SSL.Connection(server_context, connection)
            tls.set_accept_state()
            tls.do_handshake()
            server_keys.append(derive_aefpsk_tls13(tls.export_keying_material, FQDN_INTERFACE))
            tls.recv(1)
            connection.close()

        server = threading.Thread(target=serve)
        server.start()
        connection = socket.create_connection(listener.getsockname())
        tls = SSL.Connection(client_context, connection)
        tls.set_tlsext_host_name(b"ccf.test")
        tls.set_connect_state()
        tls.do_handshake()
        assert tls.get_protocol_version_name() == "TLSv1.3"
        client_key = derive_aefpsk_tls13(tls.export_keying_material, FQDN_INTERFACE)
        tls.sendall(b"x")
        server.join(timeout=10)
        connection.close()
    (server_key,) = server_keys
    return client_key, server_key


def test_both_ends_of_a_tls13_session_derive_the_same_aefpsk(server_credentials: tuple[Path, Path]) -> None:
    first_client, first_server = tls13_session_keys(*server_credentials)
    second_client, second_server = tls13_session_keys(*server_credentials)
    assert first_client == first_server
    assert second_client == second_server
    assert first_client != second_client  # a fresh CAPIF-1e session gives a fresh AEFPSK
