"""The CCF's HTTPS binding: the TS 29.222 routes of :class:`~impl.ccf.CapifCoreFunction` on a CAPIF-1e
endpoint and a CAPIF-3/4/5 endpoint, caller authentication from the TLS peer, error translation, and
delivery of revocation notifications to AEFs (CAPIF-3) and invokers."""

from impl.ccf.service.notifier import AefEndpoint, Notifier
from impl.ccf.service.server import CCF_URN_PREFIX, CcfService, CcfServiceConfig

__all__ = ["CCF_URN_PREFIX", "AefEndpoint", "CcfService", "CcfServiceConfig", "Notifier"]
