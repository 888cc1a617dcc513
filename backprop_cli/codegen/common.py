"""What the Python and numpy writers share: the printer of local gradients, the allocator of
Python names, a gate's sympy side (definition and local gradients) and its forward expression,
the local-gradient templates of the flat style, and the gate classes' names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from ..gates.arithmetic import literal_value
from ..gates.symbolic import GATES_BY_NAME, OUT
from ..gates.table import GATES as TABLE
from ..graph.graph import CONST, Graph

# names the generated code uses itself (``sigmoid`` and ``sech`` are helper functions)
RESERVED = frozenset({"math", "print", "down", "upstream", "self", "sigmoid", "sech"})
# each built-in gate as Python: its row's code, or else how it is written
PYTHON_CODE = {row.name: row.python or row.pattern for row in TABLE}
CONSTANT_CODE = {"pi": "math.pi", "e": "math.e"}


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


class Names:
    """Python identifiers for values, gradients and gate objects, never colliding."""

    def __init__(self, graph: Graph, reserved: frozenset[str] = RESERVED) -> None:
        self.graph = graph
        self.used: set[str] = set(reserved)
        self.values = [self._claim(name) if gate not in (CONST,) else ""
                       for name, gate in zip(graph.names, graph.gates, strict=True)]
        self.grads = [self._claim(f"grad_{value}") if value else "" for value in self.values]
        self.objects: list[str] = ["" for _ in graph.names]

    def _claim(self, name: str) -> str:
        while name in self.used:
            name += "_"
        self.used.add(name)
        return name

    def gate_object(self, node: int) -> str:
        if not self.objects[node]:
            self.objects[node] = self._claim(f"{self.graph.gates[node]}_{self.values[node]}")
        return self.objects[node]

    def operand(self, node: int) -> str:
        """A value as written in code: its variable, or a constant's literal."""
        if self.graph.gates[node] != CONST:
            return self.values[node]
        text = self.graph.literals[node]
        return CONSTANT_CODE.get(text, f"({text})" if text.startswith("-") else text)

    def symbol(self, node: int) -> sp.Expr:
        """A value as a sympy atom for printing local gradients: constants as numbers."""
        if self.graph.gates[node] != CONST:
            return sp.Symbol(self.values[node], real=True)
        text = self.graph.literals[node]
        if text in ("pi", "e"):
            return sp.pi if text == "pi" else sp.E
        stripped = text.lstrip("-")
        # a decimal as the double it is (sympy would expand 1e-1000000000000's digits first)
        return sp.Integer(text) if stripped.isdigit() else sp.Float(literal_value(text))


def forward_expression(graph: Graph, gate: str, operands: Sequence[str],
                       printer: Printer) -> str:
    """A gate applied to operands written as code: ``w0 * x0``, ``math.exp(s)``."""
    if gate in graph.user_gates:
        gm = gate_math(graph, gate)
        symbols = [sp.Symbol(text, real=True) for text in operands]
        return str(printer.doprint(gm.expr.xreplace(dict(zip(gm.params, symbols,
                                                             strict=True)))))
    mapping = dict(zip(("a", "b"), operands, strict=False))
    return PYTHON_CODE[gate].format(**mapping)


def local_formula(gm: GateMath, position: int, operands: Sequence[sp.Expr],
                  out: sp.Expr) -> sp.Expr:
    mapping: dict[sp.Expr, sp.Expr] = dict(zip(gm.params, operands, strict=True))
    mapping[OUT] = out
    return gm.partials[position].xreplace(mapping)


def times(upstream: str, local: sp.Expr, code: str) -> str:
    """``upstream * local`` as code; a reciprocal local becomes a division."""
    if local.is_Pow and local.exp == -1 and code.startswith("1/"):
        return f"{upstream} / {code[2:]}"
    return f"{upstream} * {code}"


class Templates:
    """Local gradients printed once per gate, input and pattern of constant operands, with
    placeholders (``__p0``, ``__out``: names no program can use) filled in per edge."""

    _PLACEHOLDER = re.compile(r"__(p\d+|out)\b")

    def __init__(self, graph: Graph, names: Names, printer: Printer) -> None:
        self.graph, self.names, self.printer = graph, names, printer
        self.cache: dict[tuple[object, ...], tuple[sp.Expr, str]] = {}
        self.maths: dict[str, GateMath] = {}  # sympy's partials once per gate, not per edge

    def local(self, node: int, position: int) -> tuple[sp.Expr, str]:
        graph = self.graph
        args = graph.args[node]
        constants = tuple(graph.literals.get(a) if graph.gates[a] == CONST else None
                          for a in args)
        key = (graph.gates[node], position, constants)
        if key not in self.cache:
            operands = [self.names.symbol(a) if constants[k] is not None
                        else sp.Symbol(f"__p{k}", real=True) for k, a in enumerate(args)]
            gate = graph.gates[node]
            if gate not in self.maths:
                self.maths[gate] = gate_math(graph, gate)
            local = local_formula(self.maths[gate], position, operands,
                                  sp.Symbol("__out", real=True))
            self.cache[key] = (local, self.printer.factor(local))
        local, template = self.cache[key]
        filled = {f"__p{k}": self.names.values[a] for k, a in enumerate(args)}
        filled["__out"] = self.names.values[node]
        # the expression keeps its placeholders: callers only ask whether it is 1, -1 or a
        # reciprocal, which renaming does not change
        return local, self._PLACEHOLDER.sub(lambda m: filled[m.group(0)], template)


def class_name(gate: str) -> str:
    """The modular style's class of a gate: ``mul`` -> ``MulGate``."""
    return "".join(part.capitalize() for part in gate.split("_")) + "Gate"
