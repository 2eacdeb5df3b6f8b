"""The TLS profile of every CAPIF interface: versions and cipher suites.

TS 33.210 clause 6.2 (referred to by TS 33.122 and contribution 003) and TS 33.310
Annex E: TLS 1.2 and TLS 1.3 only, AEAD cipher suites with ephemeral (EC)DH key exchange. The same
holds for TLS-PSK on CAPIF-2e (TS 33.122 clause 6.5.2.1): the PSK suites below all combine the PSK
with (EC)DHE, so AEFPSK compromise does not expose past sessions.
"""

import enum


class TlsVersion(enum.Enum):
    """A permitted protocol version; the value is the name both TLS stacks report. ``NONE`` is no TLS
    at all: the plaintext connections of the unsafe ``none`` protection options
    (:mod:`impl.tls.plaintext`), never a version a TLS endpoint can be configured with."""

    TLS1_2 = "TLSv1.2"
    TLS1_3 = "TLSv1.3"
    NONE = "none"


class ClientAuth(enum.Enum):
    """Whether a server asks for a client certificate, and whether it refuses a client without one."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


CERTIFICATE_CIPHERS_TLS12 = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)
PSK_CIPHERS_TLS12 = ":".join(
    (
        "ECDHE-PSK-CHACHA20-POLY1305",
        "DHE-PSK-AES256-GCM-SHA384",
        "DHE-PSK-AES128-GCM-SHA256",
        "DHE-PSK-CHACHA20-POLY1305",
    )
)
CIPHERSUITES_TLS13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
MAX_PSK_LENGTH = 256
MAX_PSK_IDENTITY_LENGTH = 128


def is_psk_cipher(cipher_name: str) -> bool:
    """True for the TLS 1.2 PSK suites (their OpenSSL names contain ``PSK``)."""
    return "PSK" in cipher_name.split("-")
