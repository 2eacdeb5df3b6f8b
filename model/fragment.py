"""The fragment where the unbounded proofs are complete: no quantifier alternation cycle among sorts.

Z3 decides a formula completely when it is in the effectively propositional fragment (EPR), or more
generally when its quantifier alternations are stratified: every ``forall x:A. ... exists y:B`` (in the
polarity the formula is used) is an edge from sort A to sort B of the skolem functions it needs, and
the edges must not close a cycle, or those functions build terms without end and the solver may answer
"unknown". The proofs assume the axioms and guards, and both assume and refute the properties and
lemmas (an invariant is a hypothesis before a step and a goal after it), so those are the formulas
checked here, definitions unfolded with each of their cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from model.syntax import And, Atom, Formula, Iff, Implies, Not, Or, Quant

Edge = tuple[str, str]


@dataclass(frozen=True)
class Use:
    """A formula the proofs use, where it comes from, and whether they assume it, refute it or both."""

    origin: str
    formula: Formula
    assumed: bool = True
    refuted: bool = False


def alternation_edges(
    formula: Formula, positive: bool, cases: Callable[[str], Sequence[Formula]]
) -> set[Edge]:
    """The sort edges of ``formula`` used with ``positive`` polarity; ``cases`` gives the bodies of a
    definition (empty for a relation)."""
    edges: set[Edge] = set()

    def walk(node: Formula, positive: bool, universal: tuple[str, ...]) -> None:
        match node:
            case Quant(universal=is_universal, binders=binders, body=body):
                sorts = tuple(sort for _, sort in binders)
                if is_universal == positive:
                    walk(body, positive, universal + sorts)
                    return
                edges.update((outer, inner) for outer in universal for inner in sorts)
                walk(body, positive, universal)
            case Not(body=body):
                walk(body, not positive, universal)
            case And(parts=parts) | Or(parts=parts):
                for part in parts:
                    walk(part, positive, universal)
            case Implies(left=left, right=right):
                walk(left, not positive, universal)
                walk(right, positive, universal)
            case Iff(left=left, right=right):
                for side in (left, right):
                    walk(side, positive, universal)
                    walk(side, not positive, universal)
            case Atom(relation=relation):
                for body in cases(relation):
                    walk(body, positive, universal)
            case _:
                pass

    walk(formula, positive, ())
    return edges


def alternation_cycle(
    uses: Iterable[Use], cases: Callable[[str], Sequence[Formula]]
) -> tuple[list[str], Mapping[Edge, list[str]]] | None:
    """A cycle of sorts that the edges of ``uses`` close (as its list of sorts, first repeated last),
    with the origins of each edge; None when there is none."""
    origins: dict[Edge, list[str]] = {}
    for use in uses:
        for positive in [p for p, wanted in ((True, use.assumed), (False, use.refuted)) if wanted]:
            for edge in alternation_edges(use.formula, positive, cases):
                if use.origin not in origins.setdefault(edge, []):
                    origins[edge].append(use.origin)
    successors: dict[str, list[str]] = {}
    for source, target in sorted(origins):
        successors.setdefault(source, []).append(target)
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(sort: str) -> list[str] | None:
        state[sort] = 1
        path.append(sort)
        for target in successors.get(sort, []):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found is not None:
                    return found
        path.pop()
        state[sort] = 2
        return None

    for sort in sorted(successors):
        if sort not in state:
            cycle = visit(sort)
            if cycle is not None:
                edges = list(pairwise(cycle))
                return cycle, {edge: origins[edge] for edge in edges}
    return None
