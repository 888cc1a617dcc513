"""sympy's side of the code writers, for user-defined gates only (built-in gates are
printed from their rows' formula trees, ``tree_code`` and ``numpy_parts``): the printer of
local gradients, a gate's sympy definition and local gradients, and its forward expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from ..gates.arithmetic import literal_value
from ..gates.symbolic import GATES_BY_NAME, OUT
from ..graph.graph import Graph
from .names import Local

__all__ = [
    "GateMath",
    "Printer",
    "gate_math",
    "literal_symbol",
    "local_formula",
    "sympy_local",
    "sympy_local_list",
    "user_forward",
]



class Printer(PythonCodePrinter):  # type: ignore[misc]
    """Python for the local gradients, with the engine's conventions at kinks."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True})

    def _print_Heaviside(self, expr: sp.Expr) -> str:
        x = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        if at_zero == 0:
            return f"(1.0 if {x} > 0 else 0.0)"
        return f"(1.0 if {x} > 0 else {float(at_zero)!r} if {x} == 0 else 0.0)"

    def _print_sign(self, expr: sp.Expr) -> str:
        x = self._print(expr.args[0])
        return f"(1.0 if {x} > 0 else -1.0 if {x} < 0 else 0.0)"

    def _print_abs(self, expr: sp.Expr) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_relu(self, expr: sp.Expr) -> str:
        return f"max(0.0, {self._print(expr.args[0])})"

    def _print_sigmoid(self, expr: sp.Expr) -> str:
        return f"sigmoid({self._print(expr.args[0])})"

    def _print_sech(self, expr: sp.Expr) -> str:
        return f"sech({self._print(expr.args[0])})"

    def factor(self, expr: sp.Expr) -> str:
        """The expression as the right factor of a product (parenthesised when needed)."""
        return str(self.parenthesize(expr, PRECEDENCE["Mul"], strict=True))


@dataclass(frozen=True)
class GateMath:
    """A gate's sympy parameters, definition and local gradients (``OUT`` is its output)."""

    params: tuple[sp.Symbol, ...]
    expr: sp.Expr
    partials: tuple[sp.Expr, ...]


def gate_math(graph: Graph, gate: str) -> GateMath:
    """The sympy side of a built-in or user-defined gate."""
    user = graph.user_gates.get(gate)
    if user is not None:
        return GateMath(tuple(user.symbols), user.expr, tuple(user.numeric_partials))
    definition = GATES_BY_NAME[gate]
    return GateMath(definition.params, definition.expr, definition.numeric_partials())


def literal_symbol(text: str) -> sp.Expr:
    """A constant's literal as a sympy number for printing local gradients."""
    if text in ("pi", "e"):
        return sp.pi if text == "pi" else sp.E
    stripped = text.lstrip("-")
    # a decimal as the double it is (sympy would expand 1e-1000000000000's digits first)
    return sp.Integer(text) if stripped.isdigit() else sp.Float(literal_value(text))


def user_forward(graph: Graph, gate: str, operands: Sequence[str],
                 printer: Printer | None = None) -> str:
    """A user-defined gate's body applied to operands, as code printed by sympy."""
    printer = printer or Printer()
    gm = gate_math(graph, gate)
    symbols = [sp.Symbol(text, real=True) for text in operands]
    return str(printer.doprint(gm.expr.xreplace(dict(zip(gm.params, symbols, strict=True)))))


def local_formula(gm: GateMath, position: int, operands: Sequence[sp.Expr],
                  out: sp.Expr) -> sp.Expr:
    mapping: dict[sp.Expr, sp.Expr] = dict(zip(gm.params, operands, strict=True))
    mapping[OUT] = out
    return gm.partials[position].xreplace(mapping)


def sympy_local(local: sp.Expr, code: str) -> Local:
    """A local gradient sympy wrote, as the code writers use it."""
    value = int(local) if local in (1, -1) else None
    return Local(code, value, bool(local.is_Pow and local.exp == -1),
                 frozenset(str(s) for s in local.free_symbols))


def sympy_local_list(graph: Graph, gate: str, operands: Sequence[str], out: str,
                     constants: Sequence[str | None], printer: Printer) -> list[Local]:
    """Each local gradient of the gate as code printed by sympy (a user-defined gate)."""
    symbols = [literal_symbol(text) if text is not None else sp.Symbol(name, real=True)
               for name, text in zip(operands, constants, strict=True)]
    gm = gate_math(graph, gate)
    locals_ = [local_formula(gm, k, symbols, sp.Symbol(out, real=True))
               for k in range(len(gm.params))]
    return [sympy_local(local, printer.factor(local)) for local in locals_]
