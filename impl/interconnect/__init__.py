"""CAPIF interconnection: a CCF's CAPIF-6/6e towards the CCFs of other providers (TS 23.222 clause
8.25; contributions 000, 001, 002).

* :mod:`~impl.interconnect.agreement`: what a CCF knows and allows about each peer;
* :mod:`~impl.interconnect.client`: the CAPIF-6/6e client library (also for programs speaking for a
  CCF, e.g. a replayer playing a dishonest one), :mod:`~impl.interconnect.messages` its bodies;
* :mod:`~impl.interconnect.server`: the CAPIF-6/6e endpoint, its peer authentication and routes;
* :mod:`~impl.interconnect.home` and :mod:`~impl.interconnect.aef_ccf`: what the invoker's home CCF
  and the AEF's CCF do; :mod:`~impl.interconnect.publications`: Publish and Discover across CCFs;
  :mod:`~impl.interconnect.policy`: the access control policy across providers;
* :mod:`~impl.interconnect.binding`: how it joins the CCF's CAPIF-1e and CAPIF-3/4/5 routes;
* :mod:`~impl.interconnect.service`: a running interconnected CCF.

The CCF-to-CCF security flows have no 3GPP API yet; the one here is non-standard and documented in
``docs/interconnection.md``.
"""

from impl.interconnect.agreement import Agreement, AgreementError, PeerAddress
from impl.interconnect.client import PeerClient, PeerError, PeerRefusedError, PeerUnavailableError
from impl.interconnect.service import Interconnect, InterconnectConfig, InterconnectedCcfService

__all__ = [
    "Agreement",
    "AgreementError",
    "Interconnect",
    "InterconnectConfig",
    "InterconnectedCcfService",
    "PeerAddress",
    "PeerClient",
    "PeerError",
    "PeerRefusedError",
    "PeerUnavailableError",
]
