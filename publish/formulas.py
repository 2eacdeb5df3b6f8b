"""Formulas as the pages print them: the catalogue's syntax (``model.syntax``) with only the
parentheses precedence needs, one line or laid out as a block."""

from __future__ import annotations

from model.syntax import And, Atom, Const, Eq, Formula, Iff, Implies, Not, Or, Quant

_LEVEL = {Quant: 0, Iff: 1, Implies: 2, Or: 3, And: 4, Not: 5}


def formula_text(formula: Formula, *, block: bool = False) -> str:
    """``formula`` in the catalogue's syntax with only the parentheses its precedence needs; with
    ``block``, the leading quantifiers, the premise and the conclusion each on their own line."""

    def level(f: Formula) -> int:
        if isinstance(f, Not) and isinstance(f.body, Eq):
            return 6
        return _LEVEL.get(type(f), 6)

    def at(f: Formula, least: int) -> str:
        text = show(f)
        return f"({text})" if level(f) < least else text

    def show(f: Formula) -> str:
        match f:
            case Atom(relation=relation, args=args):
                return f"{relation}({', '.join(a.name for a in args)})" if args else relation
            case Eq(left=left, right=right):
                return f"{left.name} = {right.name}"
            case Not(body=Eq(left=left, right=right)):
                return f"{left.name} != {right.name}"
            case Not(body=body):
                return f"!{at(body, 5)}"
            case And(parts=parts):
                return " & ".join(at(part, 5) for part in parts)
            case Or(parts=parts):
                return " | ".join(at(part, 4) for part in parts)
            case Implies(left=left, right=right):
                return f"{at(left, 3)} -> {at(right, 2)}"
            case Iff(left=left, right=right):
                return f"{at(left, 2)} <-> {at(right, 2)}"
            case Quant(universal=universal, binders=binders, body=body):
                bound = ", ".join(f"{variable}:{sort}" for variable, sort in binders)
                return f"{'forall' if universal else 'exists'} {bound}. {show(body)}"
            case Const(value=value):
                return "true" if value else "false"
        raise TypeError(f"not a formula: {f!r}")

    if not block:
        return show(formula)
    lines, body = [], formula
    while isinstance(body, Quant):
        lines.append(
            f"{'forall' if body.universal else 'exists'} {', '.join(f'{v}:{s}' for v, s in body.binders)}."
        )
        body = body.body
    indent = "  " if lines else ""
    if isinstance(body, Implies):
        return "\n".join([*lines, indent + at(body.left, 3), f"{indent}-> {at(body.right, 2)}"])
    return "\n".join([*lines, indent + show(body)])
