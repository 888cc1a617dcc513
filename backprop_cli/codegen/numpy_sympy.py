"""sympy's printer of numpy code: the formulas of user-defined gates on arrays (built-in
gates are printed from their rows' trees, ``numpy_parts.NumpyTreePrinter``, without sympy)."""

from __future__ import annotations

import sympy as sp

from ..gates.generate import numpy_piecewise
from .common import Printer


class NumpyPrinter(Printer):
    """Local gradients as numpy code, elementwise, with the engine's conventions at kinks
    (``np.heaviside(x, 0)``: relu'(0) = 0; ``np.sign(0)`` = 0; 1/2 at a max/min tie)."""

    def _module_format(self, fqn: str, register: bool = True) -> str:
        return "np." + fqn.split(".")[-1] if fqn.startswith("math.") else \
            str(super()._module_format(fqn, register))

    def _call(self, function: str, *args: sp.Expr) -> str:
        return f"np.{function}({', '.join(self._print(a) for a in args)})"

    def _print_Heaviside(self, expr: sp.Expr) -> str:
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"np.heaviside({self._print(expr.args[0])}, {float(at_zero)!r})"

    def _print_sign(self, expr: sp.Expr) -> str:
        return self._call("sign", expr.args[0])

    def _print_abs(self, expr: sp.Expr) -> str:
        return self._call("abs", expr.args[0])

    _print_Abs = _print_abs

    def _print_relu(self, expr: sp.Expr) -> str:
        return f"np.maximum(0.0, {self._print(expr.args[0])})"

    def _print_sigmoid(self, expr: sp.Expr) -> str:
        return f"(1 / (1 + np.exp({self._print(-expr.args[0])})))"

    def _print_sech(self, expr: sp.Expr) -> str:  # numpy's cosh overflows to inf: 1/inf = 0
        return f"(1 / np.cosh({self._print(expr.args[0])}))"

    def _fold(self, function: str, expr: sp.Expr) -> str:
        text = str(self._print(expr.args[0]))
        for arg in expr.args[1:]:
            text = f"np.{function}({text}, {self._print(arg)})"
        return text

    def _print_Max(self, expr: sp.Expr) -> str:
        return self._fold("maximum", expr)

    def _print_Piecewise(self, expr: sp.Expr) -> str:
        return numpy_piecewise(self, expr)

    def _print_Min(self, expr: sp.Expr) -> str:
        return self._fold("minimum", expr)
