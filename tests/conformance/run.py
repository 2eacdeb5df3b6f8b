"""How a conformance case records capifsec's answers and compares them with what the case states.

An answer is described as ``"<status> <kind>"``: ``ProblemDetails`` (``application/problem+json``),
``AccessTokenErr <error>`` at the token endpoint, the TS 29.222 resource type the case names for a
success with a body, nothing more for a body-less answer. OpenCAPIF's free-text ``title``, ``detail``
and ``cause`` strings are its own and are not compared; the case states what capifsec's say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from impl.http import ClientResponse
from tests.conformance.cases import Case


def describe(response: ClientResponse, resource: str = "") -> str:
    """The answer's status and the kind of its body."""
    if response.media_type == "application/problem+json":
        return f"{response.status} ProblemDetails"
    if response.status >= 400:
        document = response.json()
        assert isinstance(document, dict) and "error" in document, response.body
        return f"{response.status} AccessTokenErr {document['error']}"
    return f"{response.status} {resource}".rstrip()


@dataclass
class Run:
    """The answers of one case's checked requests, in order."""

    case: Case
    answers: list[str] = field(default_factory=list)

    def check(self, response: ClientResponse, resource: str = "") -> ClientResponse:
        """Record the answer to the case's next checked request and compare it with the case."""
        answer = describe(response, resource)
        index = len(self.answers)
        self.answers.append(answer)
        assert index < len(self.case.checks), f"{self.case.tag}: unexpected check {answer}"
        expected = self.case.checks[index]
        assert answer == expected.capifsec, (
            f"{self.case.tag} check {index + 1} ({expected.request}): capifsec answered {answer}, "
            f"the case states {expected.capifsec}; body: {response.body[:300]!r}"
        )
        return response

    def done(self) -> None:
        """Every check the case states was made."""
        assert len(self.answers) == len(self.case.checks), f"{self.case.tag}: {self.answers}"
