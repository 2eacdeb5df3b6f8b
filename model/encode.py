"""Translation of catalogue formulas and transition systems to Z3 terms.

Sorts become uninterpreted Z3 sorts (enums become Z3 enumeration sorts); a state is a mapping from
relation id to an interpretation, a function from argument terms to a Boolean term. Symbolic states
use fresh function symbols; the post-state of an action is expressed over its pre-state by
substitution (so a one-step check needs no frame axioms), and the initial state follows each state
relation's ``init``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

import z3
from z3 import z3core, z3types

from model.catalogue import Catalogue, Relation
from model.syntax import And, Atom, Const, Eq, Formula, Iff, Implies, Not, Or, Quant
from model.system import CompiledAction, System, update_variables

Interpretation = Callable[[Sequence[z3.ExprRef]], z3.BoolRef]
State = Mapping[str, Interpretation]
Environment = Mapping[str, z3.ExprRef]


@dataclass(frozen=True)
class Symbols:
    """The Z3 sorts and enum constants of one catalogue."""

    sorts: Mapping[str, z3.SortRef]
    constants: Mapping[str, z3.ExprRef]


def make_symbols(catalogue: Catalogue, context: z3.Context) -> Symbols:
    sorts: dict[str, z3.SortRef] = {sort: z3.DeclareSort(sort, context) for sort in catalogue.sorts}
    constants: dict[str, z3.ExprRef] = {}
    for enum in catalogue.enums.values():
        sort, values = z3.EnumSort(enum.id, list(enum.values), context)
        sorts[enum.id] = sort
        constants.update(zip(enum.values, values, strict=True))
    return Symbols(sorts, constants)


class Translator:
    """Turns formulas into Z3 terms for a given catalogue, in a Z3 context of its own."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.context = z3.Context()
        self.symbols = make_symbols(catalogue, self.context)
        self._fresh = count()

    def boolean(self, name: str) -> z3.BoolRef:
        """A fresh Boolean constant (selectors, activation literals)."""
        return z3.Bool(name, self.context)

    def sort(self, name: str) -> z3.SortRef:
        return self.symbols.sorts[name]

    def constant(self, name: str, sort: str) -> z3.ExprRef:
        return z3.Const(name, self.sort(sort))

    def symbol(self, relation: Relation, tag: str) -> z3.FuncDecl:
        domain = [self.sort(sort) for sort in relation.sorts]
        return z3.Function(f"{relation.id}{tag}", *domain, z3.BoolSort(self.context))

    def symbolic_state(self, tag: str, relations: Sequence[Relation]) -> dict[str, Interpretation]:
        """Fresh symbols for ``relations``."""
        return {relation.id: applier(self.symbol(relation, tag)) for relation in relations}

    def formula(self, formula: Formula, env: Environment, state: State) -> z3.BoolRef:
        match formula:
            case Atom(relation=relation, args=args):
                return state[relation]([self._term(arg.name, env) for arg in args])
            case Eq(left=left, right=right):
                return self._boolean(z3core.Z3_mk_eq, self._term(left.name, env), self._term(right.name, env))
            case Not(body=body):
                return self._boolean(z3core.Z3_mk_not, self.formula(body, env, state))
            case And(parts=parts):
                return self._connective(z3core.Z3_mk_and, [self.formula(part, env, state) for part in parts])
            case Or(parts=parts):
                return self._connective(z3core.Z3_mk_or, [self.formula(part, env, state) for part in parts])
            case Implies(left=left, right=right):
                premise, conclusion = self.formula(left, env, state), self.formula(right, env, state)
                return self._boolean(z3core.Z3_mk_implies, premise, conclusion)
            case Iff(left=left, right=right):
                first, second = self.formula(left, env, state), self.formula(right, env, state)
                return self._boolean(z3core.Z3_mk_eq, first, second)
            case Quant(universal=universal, binders=binders, body=body):
                bound = {name: self.constant(f"{name}!{next(self._fresh)}", sort) for name, sort in binders}
                inner = self.formula(body, {**env, **bound}, state)
                variables = list(bound.values())
                return z3.ForAll(variables, inner) if universal else z3.Exists(variables, inner)
            case Const(value=value):
                return z3.BoolVal(value, self.context)
        raise TypeError(f"not a formula: {formula!r}")

    # The connectives are built through Z3's C API: the Python wrappers check and cast every argument
    # again, which costs more than the solving of many a query. The terms are the same.

    def _boolean(self, make: Callable[..., Any], *arguments: z3.ExprRef) -> z3.BoolRef:
        return z3.BoolRef(make(self.context.ref(), *(a.as_ast() for a in arguments)), self.context)

    def _connective(self, make: Callable[..., Any], parts: Sequence[z3.BoolRef]) -> z3.BoolRef:
        array = (z3types.Ast * len(parts))(*(part.as_ast() for part in parts))
        return z3.BoolRef(make(self.context.ref(), len(parts), array), self.context)

    def _term(self, name: str, env: Environment) -> z3.ExprRef:
        if name in env:
            return env[name]
        return self.symbols.constants[name]

    def parameters(self, action: CompiledAction, tag: str) -> dict[str, z3.ExprRef]:
        """Fresh constants for the parameters of ``action``."""
        return {name: self.constant(f"{action.id}.{name}{tag}", sort) for name, sort in action.action.params}

    def post_state(
        self, action: CompiledAction, params: Environment, pre: State
    ) -> dict[str, Interpretation]:
        """The state after ``action`` with ``params``, as a function of ``pre``."""
        post = dict(pre)
        for relation_id, update in action.updates.items():
            relation = self.catalogue.relations[relation_id]
            post[relation_id] = self._updated(update, update_variables(relation), params, pre)
        return post

    def _updated(
        self, update: Formula, variables: tuple[str, ...], params: Environment, pre: State
    ) -> Interpretation:
        def interpretation(args: Sequence[z3.ExprRef]) -> z3.BoolRef:
            return self.formula(update, {**params, **dict(zip(variables, args, strict=True))}, pre)

        return interpretation

    def initial_state(self, system: System, static: State, tag: str) -> dict[str, Interpretation]:
        """The initial state: static relations from ``static``, state relations by their ``init``."""
        state: dict[str, Interpretation] = dict(static)
        for relation in system.state_relations:
            if relation.init == "any":
                state[relation.id] = applier(self.symbol(relation, tag))
            elif relation.init is not None:
                state[relation.id] = self._initialised(relation, relation.init, state)
        return state

    def _initialised(self, relation: Relation, init: Formula, state: State) -> Interpretation:
        names = tuple(name for name, _ in relation.args)

        def interpretation(args: Sequence[z3.ExprRef]) -> z3.BoolRef:
            return self.formula(init, dict(zip(names, args, strict=True)), state)

        return interpretation


def applier(symbol: z3.FuncDeclRef) -> Interpretation:
    """The application of a relation's symbol to arguments of its sorts (through Z3's C API, as the
    connectives: ``symbol(*args)`` casts every argument in Python first)."""
    context = symbol.ctx

    def apply(args: Sequence[z3.ExprRef]) -> z3.BoolRef:
        # ``symbol`` (not only its declaration) stays referenced here: it holds Z3's reference count.
        array = (z3types.Ast * len(args))(*(arg.as_ast() for arg in args))
        return z3.BoolRef(z3core.Z3_mk_app(context.ref(), symbol.as_func_decl(), len(args), array), context)

    return apply
