"""A security method update at the AEF's provider reaches the invoker of the other provider
(contribution 004 across CAPIF-6/6e): a's APF updates the published API, a's CCF updates it at b; the
AEF tells b's invoker still using the old method of the mismatch; the invoker re-negotiates through
its home CCF and invokes with the new method."""

from __future__ import annotations

from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.invoker import ConnectionFailedError, RefusedError
from tests.interconnect.conftest import interconnected, visitor


def test_a_method_update_reaches_the_invoker_of_the_other_provider(tmp_path: Path) -> None:
    with interconnected(tmp_path) as providers:
        guest = visitor(providers["b"], providers["a"])
        old = guest.negotiate("/psk")
        guest.invoke(old)
        providers["a"].update_methods("psk", [SecurityMethod.PKI])
        with pytest.raises(ConnectionFailedError):
            guest.invoker.invoke(old, "/greeting")
        with pytest.raises(RefusedError) as mismatch:
            guest.invoker.check_authentication(old.target)
        assert mismatch.value.status == 403 and mismatch.value.is_method_mismatch
        rediscovered = guest.invoker.discover(api_name="hello", aef_id=providers["a"].aef.config.aef_id)
        target = next(item for item in rediscovered if item.api_prefix == "/psk")
        assert target.methods == (SecurityMethod.PKI,)
        renegotiated = guest.invoker.negotiate([target])[0]
        assert renegotiated.method is SecurityMethod.PKI
        answer = guest.invoke(renegotiated)
        assert isinstance(answer, dict) and answer["securityMethod"] == "PKI"
