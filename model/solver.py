"""The one place where Z3 is asked questions.

Solvers are made with a fixed random seed and a per-query timeout; a check answers ``True`` (sat,
with a model to read) or ``False`` (unsat). "unknown" is never an answer: it raises
:class:`SolverError` with Z3's reason, which the verifier reports as the verdict ``error``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import z3
from z3 import z3core, z3types

MACRO = True


class SolverError(RuntimeError):
    """Z3 answered "unknown" (timeout, incompleteness); never to be read as a pass."""


@dataclass(frozen=True)
class SolverSettings:
    """How every solver is configured."""

    seed: int = 7
    timeout_ms: int = 60_000
    rlimit: int = 0
    """a limit on the solver's own count of work per query (0: none): unlike the timeout, where it
    stops does not depend on how busy the machine is"""

    def limited(self, work: int) -> SolverSettings:
        """These settings with each query limited to at most ``work`` of Z3's count of work."""
        return replace(self, rlimit=min(work, self.rlimit) if self.rlimit else work)


def new_solver(settings: SolverSettings, context: z3.Context) -> z3.Solver:
    """A solver in ``context`` with the fixed seed and timeout of ``settings``."""
    solver = z3.Solver(ctx=context)
    solver.set("random_seed", settings.seed)
    solver.set("timeout", settings.timeout_ms)
    if settings.rlimit:
        solver.set("rlimit", settings.rlimit)
    solver.set("smt.macro_finder", MACRO)
    return solver


def new_finite_domain_solver(settings: SolverSettings, context: z3.Context) -> z3.Solver:
    """A solver for finite-domain problems (Booleans and bit-vectors, bit-blasted to SAT) in
    ``context``, with the fixed seed and timeout of ``settings``."""
    solver = z3.SolverFor("QF_FD", ctx=context)
    solver.set("random_seed", settings.seed)
    solver.set("timeout", settings.timeout_ms)
    if settings.rlimit:
        solver.set("rlimit", settings.rlimit)
    # Variables false first: runs with the fewest facts, steps and dishonest entities are found
    # sooner (the canonical run does not depend on it; the search for it takes a tenth less).
    solver.set("sat.phase", "always_false")
    return solver


def assert_all(solver: z3.Solver, terms: Iterable[z3.BoolRef]) -> None:
    """Add the Boolean ``terms`` to ``solver`` (as ``solver.add``, without its cast of every term in
    Python, which costs more than the solving when hundreds of clauses go in)."""
    context = solver.ctx.ref()
    for term in terms:
        z3core.Z3_solver_assert(context, solver.solver, term.as_ast())


def is_sat(solver: z3.Solver, assumptions: Sequence[z3.BoolRef] = ()) -> bool:
    """Check ``solver`` under ``assumptions``: True when sat, False when unsat, else :class:`SolverError`."""
    # The assumptions go to Z3's C API as they are: z3.Solver.check casts each one in Python first,
    # which costs more than many a query with hundreds of activation literals.
    array = (z3types.Ast * len(assumptions))(*(literal.as_ast() for literal in assumptions))
    context = solver.ctx
    answer = z3.CheckSatResult(
        z3core.Z3_solver_check_assumptions(context.ref(), solver.solver, len(assumptions), array)
    )
    if answer == z3.sat:
        return True
    if answer == z3.unsat:
        return False
    raise SolverError(f"Z3 answered unknown: {solver.reason_unknown()}")
