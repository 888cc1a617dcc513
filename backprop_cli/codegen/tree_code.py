"""Local gradients as Python code from the gate rows' formula trees (no sympy): the
scalar code writers' templates. User-defined gates are printed by sympy (``common``),
imported only for them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, ClassVar

from ..gates.formula import ONE, Printer, Tree, names_in, operand_tree, substitute
from ..gates.registry import GATES
from ..graph.graph import Graph
from .names import PYTHON_CODE, Local, TemplateWriter

MATH_FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")


class PythonPrinter(Printer):
    """A formula tree as Python with the math module: the engine's conventions at kinks."""

    constants: ClassVar[dict[str, str]] = {"e": "math.e", "pi": "math.pi"}
    functions: ClassVar[dict[str, str]] = {name: f"math.{name}" for name in MATH_FUNCTIONS}

    def bracket(self, tree: Tree) -> str:
        condition = self.condition(tree)
        tie = Fraction(tree[4])
        if tree[2] not in (">", "<"):  # a comparison: its tie is the relation's own
            return f"(1.0 if {condition} else 0.0)"
        if tie == 0:
            return f"(1.0 if {condition} else 0.0)"
        if tie == 1:
            return f"(1.0 if {condition.replace(' > ', ' >= ').replace(' < ', ' <= ')} else 0.0)"
        equal = condition.replace(" > ", " == ").replace(" < ", " == ")
        return f"(1.0 if {condition} else {float(tie)!r} if {equal} else 0.0)"

    def call(self, name: str, args: list[Tree]) -> str:
        if name == "sign":
            x = self.print(args[0])
            return f"(1.0 if {x} > 0 else -1.0 if {x} < 0 else 0.0)"
        return super().call(name, args)


PYTHON = PythonPrinter()
MINUS_ONE: Tree = ("n", "-1")


def tree_local(tree: Tree, printer: Printer = PYTHON) -> Local:
    """A local gradient's tree (operands put in) as code."""
    value = 1 if tree == ONE else -1 if tree == MINUS_ONE else None
    reciprocal = tree[0] == "^" and tree[2] == MINUS_ONE
    return Local(printer.factor(tree), value, reciprocal, names_in(tree))


def python_sympy_printer() -> Any:
    """sympy's printer of Python code, for user-defined gates (imports sympy)."""
    from .common import Printer as SympyPrinter

    return SympyPrinter()


def gate_locals(graph: Graph, gate: str, operands: list[str], out: str,
                constants: tuple[str | None, ...] = (), printer: Printer = PYTHON,
                user_printer: Callable[[], Any] = python_sympy_printer) -> list[Local]:
    """Each local gradient of the gate as code, in terms of ``operands`` (code names, or
    the constants' literals where ``constants`` gives them) and ``out``: a built-in gate's
    from its rows' trees with ``printer``, a user-defined gate's by sympy with
    ``user_printer()``."""
    constants = constants or (None,) * len(operands)
    if gate in graph.user_gates:
        from .common import sympy_local_list

        return sympy_local_list(graph, gate, operands, out, constants, user_printer())
    spec = GATES[gate]
    values = {p: operand_tree(name, literal)
              for p, name, literal in zip(spec.params, operands, constants, strict=True)}
    values["out"] = ("v", out)
    return [tree_local(substitute(tree, values), printer) for tree in spec.code_trees]


def tree_templates(graph: Graph, printer: Printer = PYTHON,
                   user_printer: Callable[[], Any] = python_sympy_printer) -> TemplateWriter:
    """Local gradients with placeholders for the operands (``__p0``, ``__out``)."""

    def template(gate: str, position: int, constants: tuple[str | None, ...]) -> Local:
        operands = [f"__p{k}" for k in range(len(constants))]
        return gate_locals(graph, gate, operands, "__out", constants, printer,
                           user_printer)[position]

    return template


def forward_expression(graph: Graph, gate: str, operands: Sequence[str],
                       printer: Any = None) -> str:
    """A gate applied to operands written as code: ``w0 * x0``, ``math.exp(s)`` (a
    user-defined gate's body printed by sympy, with ``printer`` if given)."""
    if gate in graph.user_gates:
        from .common import user_forward

        return user_forward(graph, gate, operands, printer)
    mapping = dict(zip(("a", "b", "c"), operands, strict=False))
    return PYTHON_CODE[gate].format(**mapping)
