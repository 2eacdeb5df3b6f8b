"""Start and stop a CAPIF deployment (CCF, provider with AMF/APF/AEF, the AEF's example API) on one
host with a data directory; used by the demo, by ``capifsec serve`` and by the end-to-end tests."""

from impl.deployment.deployment import CCF_ID, DEFAULT_INTERFACES, HELLO_API, Deployment, DeploymentPorts
from impl.deployment.files import DeploymentError

__all__ = ["CCF_ID", "DEFAULT_INTERFACES", "HELLO_API", "Deployment", "DeploymentError", "DeploymentPorts"]
