"""TLS for the CAPIF reference points: profile, endpoints, peer description.

TLS 1.2 and 1.3 only with AEAD, (EC)DHE suites (TS 33.210 clause 6.2, TS 33.310 Annex E):

- :class:`CertificateServerTls`, :class:`CertificateClientTls`: mutual or server-only certificate TLS
  (CAPIF-2e PKI/OAuth methods, CAPIF-3/4/5, CAPIF-6/6e, CAPIF-8), stdlib ``ssl``;
- :class:`PskServerTls`, :class:`PskClientTls`: TLS 1.2 PSK on CAPIF-2e (TS 33.122 clause 6.5.2.1);
- :class:`Capif1eServerTls`, :class:`Capif1eClientTls`: CAPIF-1e with the session keying of
  TS 33.122 Annex A.1 (:class:`Capif1eKeying`), pyOpenSSL.

Each server mode turns an accepted socket into a :class:`TlsChannel` (``accept``), each client mode a
connected one (``connect``); the channel's :class:`TlsPeer` says who is on the other end.
"""

from impl.tls.capif1e import Capif1eClientTls, Capif1eServerTls, OpenSslChannel, matches_server_name
from impl.tls.channel import ClientTls, ServerHandshake, ServerTls, StdlibChannel, TlsChannel
from impl.tls.errors import TlsConfigurationError, TlsError, TlsHandshakeError
from impl.tls.peer import Capif1eKeying, TlsPeer
from impl.tls.profile import ClientAuth, TlsVersion
from impl.tls.psk import PskLookup
from impl.tls.stdlib import (
    CertificateClientTls,
    CertificateServerTls,
    PskClientTls,
    PskServerTls,
    UnauthenticatedServerClientTls,
)

__all__ = [
    "Capif1eClientTls",
    "Capif1eKeying",
    "Capif1eServerTls",
    "CertificateClientTls",
    "CertificateServerTls",
    "ClientAuth",
    "ClientTls",
    "OpenSslChannel",
    "PskClientTls",
    "PskLookup",
    "PskServerTls",
    "ServerHandshake",
    "ServerTls",
    "StdlibChannel",
    "TlsChannel",
    "TlsConfigurationError",
    "TlsError",
    "TlsHandshakeError",
    "TlsPeer",
    "TlsVersion",
    "UnauthenticatedServerClientTls",
    "matches_server_name",
]
