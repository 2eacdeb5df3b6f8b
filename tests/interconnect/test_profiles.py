"""The honest flows each contribution's profile defines, across two providers (the letters of each
contribution mapped to roles: home CCF = where the invoker is onboarded, AEF's CCF = where the AEF is
registered).

* ``ki2-conclusion`` (000 7.2): the home CCF selects the method (TS 33.122 6.3.1.2 as the baseline);
  the AEF's CCF fetches AEFPSK/root CA from the home CCF; the token is signed by the AEF's CCF and
  relayed via the home CCF; the policy falls back to the home CCF.
* ``cr-interconnect`` (001 6.X): the home CCF forwards the negotiation, the AEF's CCF selects; the
  invoker names its CCF in the Authentication Initiation Request.
* ``sol13-psk`` (002): TLS-PSK only, the AEF's CCF asking the CCF the invoker named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from impl.apitypes.enums import SecurityMethod
from impl.invoker import RefusedError
from tests.interconnect.conftest import interconnected, profile, visitor


@pytest.mark.parametrize("profile_id", ["ki2-conclusion", "cr-interconnect", "recommended"])
def test_every_method_runs_under_the_profile(tmp_path: Path, profile_id: str) -> None:
    with interconnected(tmp_path, profile(profile_id)) as providers:
        guest = visitor(providers["b"], providers["a"])
        for prefix, method in (("/psk", "PSK"), ("/pki", "PKI"), ("/oauth", "OAUTH")):
            negotiated = guest.negotiate(prefix)
            assert negotiated.method is SecurityMethod(method)
            answer = guest.invoke(negotiated)
            assert isinstance(answer, dict) and answer["apiInvokerId"] == guest.api_invoker_id


def test_solution_13_runs_psk_and_offers_nothing_else(tmp_path: Path) -> None:
    with interconnected(tmp_path, profile("sol13-psk")) as providers:
        guest = visitor(providers["b"], providers["a"])
        negotiated = guest.negotiate("/psk")
        assert negotiated.method is SecurityMethod.PSK
        assert isinstance(guest.invoke(negotiated), dict)
        with pytest.raises(RefusedError) as refusal:
            guest.negotiate("/pki")
        assert refusal.value.status == 403 and refusal.value.cause == "NO_COMMON_SECURITY_METHOD"
