"""The boundary cases of the generated test suite: requests at the edge of a check, each a goal for
bounded search and, optionally, clock steps made just before the request. The model decides every
outcome (:mod:`model.outcome`); these entries only say where to look.

* the 30 s clock skew on ``exp`` (TS 33.122 Annex C): a token used when the clock is at ``exp`` + 30 s,
  and one second later;
* an empty intersection of the invoker's preferences and the AEF's methods (TS 33.122 clause 6.3.1.2);
* a method update between negotiation and use, per method (contribution 004);
* a revocation between a token's issue and its use (TS 33.122 clauses 6.2 and 6.7);
* a token used at an AEF, or for an API, outside its scope (TS 33.122 Annex C: both the aefId and the
  API name are checked);
* *isolation* cases: a refusal by a check where what an implementation checks before it passes, so
  that the check is the only thing that refuses (an implementation without it accepts): a fetch by an
  AEF the attacker controls (no AEF-side check after the CCF's), a CCF the attacker controls that is
  interconnected and offers a method the AEF supports, a certificate from a CA the AEF's TLS accepts,
  a forged ROF that holds a certificate the AzF's TLS accepts, a token signed with a key the AEF
  trusts whose iss names another CCF, a CCF without an agreement whose
  certificate another CCF the attacker controls issued from a CA the receiver's TLS accepts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Boundary:
    """A boundary case: a state where a request of ``action`` is accepted (``refused_by`` None) or
    refused by ``refused_by``, with ``condition`` (over the request parameters and the state); the
    steps ``before`` (an action and its arguments, named by request parameters) are made just before
    the request."""

    subject: str
    case: str
    statement: str
    action: str
    refused_by: str | None = None
    condition: str = "true"
    before: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    required: bool = True
    """False for an isolation case: where to look for a sharper refusal, which a profile may not allow
    (no interconnection, no dishonest party of that kind): not reaching it fails no audit"""


BOUNDARIES = (
    Boundary(
        "expiry-skew",
        "at-limit",
        "A token presented when the clock is at its exp plus the 30 s skew (TS 33.122 Annex C).",
        "oauth-invoke",
        before=(("token-at-skew-limit", (("t", "t"),)),),
    ),
    Boundary(
        "expiry-skew",
        "one-second-past",
        "A token presented one second after its exp plus the 30 s skew (TS 33.122 Annex C).",
        "oauth-invoke",
        before=(("token-expires", (("t", "t"),)),),
    ),
    Boundary(
        "method-intersection",
        "empty",
        "A negotiation where no method the invoker prefers is one the AEF supports (TS 33.122 6.3.1.2).",
        "negotiate",
        refused_by="selection-in-aef-methods",
        condition="forall n:method. !(prefers(i, n) & published(h, a, n))",
    ),
    *(
        Boundary(
            "method-update",
            method.lower(),
            f"{method} negotiated, withdrawn from the AEF by a method update, then used (contribution 004).",
            action,
            refused_by="aef-current-method",
        )
        for method, action in (("PSK", "psk-session"), ("PKI", "pki-session"), ("OAUTH", "oauth-invoke"))
    ),
    Boundary(
        "revocation",
        "token-issued-before",
        "A token issued before its invoker was offboarded, used after (TS 33.122 clauses 6.2, 6.7).",
        "oauth-invoke",
        refused_by="aef-revocation",
        condition="revoked(j)",
    ),
    Boundary(
        "token-scope",
        "other-aef",
        "A token whose scope names the API at another AEF only (TS 33.122 Annex C).",
        "oauth-invoke-attacker",
        refused_by="aef-checks-scope",
        condition="!tok_scope(t, a, x) & (exists b:aef. tok_scope(t, b, x))",
    ),
    Boundary(
        "token-scope",
        "other-api",
        "A token whose scope names another API of this AEF only (TS 33.122 Annex C).",
        "oauth-invoke-attacker",
        refused_by="aef-checks-scope",
        condition="!tok_scope(t, a, x) & (exists y:api. tok_scope(t, a, y))",
    ),
    Boundary(
        "ccf-releases-to-that-aef",
        "asked-by-an-attacker-aef",
        "An AEF the attacker controls asks its CCF for an invoker's AEFPSK negotiated for another AEF: "
        "only the CCF's check stands (TS 33.122 clause 6.5.2.1, TS 29.222 GET trustedInvokers).",
        "aef-fetch-psk",
        refused_by="ccf-releases-to-that-aef",
        condition="!honest_aef(a)",
        required=False,
    ),
    Boundary(
        "home-resolved",
        "interconnected-attacker",
        "A CCF the attacker controls, interconnected with the AEF's CCF, answers for an invoker it is not "
        "the home CCF of, with a method the AEF offers (contribution 002 NOTE X).",
        "fetch-from-attacker",
        refused_by="home-resolved",
        condition="interconnected(c, d) & supports(a, m)",
        required=False,
    ),
    Boundary(
        "certificate-trusted",
        "ca-the-tls-accepts",
        "The attacker presents a certificate naming an invoker of another provider that negotiated PKI, "
        "from the CA of a CCF "
        "interconnected with the AEF's (which the AEF's TLS accepts), not the root CA the AEF's CCF gave "
        "for that invoker (TS 33.122 clause 6.5.2.2).",
        "pki-session-attacker",
        refused_by="certificate-trusted",
        condition=(
            "exists r0:ccf, c0:ccf, r1:ccf. cert_of(ct, r0, i) & aef_at(a, c0) & ccf_root(c0, i, a, r1)"
            " & interconnected(c0, r0) & !home(i, c0) & home(i, r1) & honest_ccf(r1)"
        ),
        required=False,
    ),
    Boundary(
        "aef-checks-signature",
        "issuer-not-the-signer",
        "A token signed with the key of a CCF the attacker controls, which the AEF trusts, whose iss names "
        "another CCF (TS 33.122 clause 6.5.2.3, TS 29.222 AccessTokenClaims).",
        "oauth-invoke-attacker",
        refused_by="aef-checks-signature",
        condition="tok_other_iss(t) & (exists c0:ccf. tok_sig(t, c0) & trusts_signer(a, c0))",
        required=False,
    ),
    Boundary(
        "agreement-peer",
        "certified-by-an-agreed-ccf",
        "A CCF the attacker controls, without an interconnection agreement with the AEF's CCF, relays a "
        "token request to it with a CCF certificate from the CA of another CCF the attacker controls, one "
        "that has an agreement (which the receiver's TLS accepts) (contribution 000 7.2.1, 7.2.3).",
        "token-relayed-by-attacker",
        refused_by="agreement-peer",
        condition="exists e0:ccf. !honest_ccf(e0) & e0 != d & interconnected(c, e0)",
        required=False,
    ),
    Boundary(
        "azf-authenticates-rof",
        "attacker-holds-a-certificate",
        "The attacker, holding the certificate of an invoker of its own onboarded at the CCF (from the CA "
        "the AzF's TLS trusts), records an authorization as a ROF it is not (contribution 003 6.2.2).",
        "rof-authorization-forged",
        refused_by="azf-authenticates-rof",
        condition="exists j:invoker. !honest_inv(j) & onboarded(j) & home(j, c)",
        required=False,
    ),
)
"""Every boundary case, in the order the suite is generated."""
