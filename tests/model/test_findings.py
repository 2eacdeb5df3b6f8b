"""The findings the issue names, each on a profile with exactly one option changed."""

from __future__ import annotations

import pytest

from model.catalogue import Catalogue
from model.verify import ProfileVerifier, Verdict


@pytest.mark.parametrize(
    ("profile", "overrides", "prop"),
    [
        pytest.param(
            "recommended",
            {"aef-trusted-token-keys": "any-interconnected-ccf"},
            "token-origin",
            id="any-ccf-key",
        ),
        pytest.param(
            "recommended",
            {"home-ccf-resolution": "invoker-supplied"},
            "home-ccf-binding",
            id="unvalidated-home-binding",
        ),
        pytest.param(
            "recommended",
            {"home-ccf-resolution": "invoker-supplied"},
            "invoker-authentication",
            id="unvalidated-home-authn",
        ),
        pytest.param(
            "recommended", {"aef-scope-check": "api-only"}, "token-scope", id="no-own-aefid-in-scope"
        ),
        pytest.param("opencapif-observed", {}, "token-subject", id="opencapif-token-subject"),
        pytest.param(
            "recommended", {"capif6-protection": "none"}, "interconnect-channel", id="capif6-unprotected"
        ),
        pytest.param("recommended", {"capif6-protection": "none"}, "psk-secrecy", id="capif6-psk-in-clear"),
        pytest.param(
            "recommended", {"rof-authentication": "none"}, "rof-authorization", id="rof-unauthenticated"
        ),
    ],
)
def test_violation(catalogue: Catalogue, profile: str, overrides: dict[str, str], prop: str) -> None:
    report = ProfileVerifier(catalogue, profile, overrides=overrides).run([prop])
    (result,) = report.properties
    assert result.verdict == Verdict.VIOLATED, result.detail
    assert result.trace is not None
    assert result.trace["options"] == {**catalogue.profiles[profile].options, **overrides}
    assert result.trace["violation"]["instance"], "the violated instance is named"


def test_validated_home_is_as_good_as_resolved(catalogue: Catalogue) -> None:
    overrides = {"home-ccf-resolution": "invoker-supplied-validated"}
    report = ProfileVerifier(catalogue, "recommended", overrides=overrides).run(
        ["home-ccf-binding", "invoker-authentication"]
    )
    assert [r.verdict for r in report.properties] == [Verdict.PROVED, Verdict.PROVED]
