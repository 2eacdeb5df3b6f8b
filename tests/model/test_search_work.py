"""Bounded search and inference take turns: while inference may still prove a property, a depth whose
search would cost more than ``Bounds.search_work`` waits for inference's turn; the search then goes on
without the limit, so a violation past the limit is still found, at its shortest length, as the same
canonical trace."""

from __future__ import annotations

from model.catalogue import Catalogue
from model.verify import Bounds, ProfileVerifier, Verdict

PROFILE, PROPERTY = "opencapif-observed", "token-subject"
"""A violation of 4 steps, whose inference fails quickly."""


def test_a_violation_past_the_work_limit_is_still_found(catalogue: Catalogue) -> None:
    unlimited = ProfileVerifier(catalogue, PROFILE, bounds=Bounds(search_work=0)).run([PROPERTY])
    limited = ProfileVerifier(catalogue, PROFILE, bounds=Bounds(search_work=1)).run([PROPERTY])
    (expected,), (found,) = unlimited.properties, limited.properties
    assert expected.verdict == found.verdict == Verdict.VIOLATED
    assert found.trace == expected.trace


def test_the_limit_stops_the_search_before_the_dear_depth(catalogue: Catalogue) -> None:
    verifier = ProfileVerifier(catalogue, PROFILE)
    goal = verifier.system.expand(catalogue.properties[PROPERTY].formula)
    assert verifier.first_violation(goal, range(5), work=1) == (None, -1)
    assert verifier.first_violation(goal, range(5)) == (4, 4)
