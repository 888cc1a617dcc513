"""A circuit as Python code, the two ways the lecture writes backprop (text only; never run).
Circuits of arrays are written with numpy by ``npcode`` and ``npmodular``.

``flat_code``: the forward pass one intermediate per line, then the backward pass
``grad_<name>`` lines in reverse order, ``+=`` where a value fans out.
``modular_code``: one class per gate type whose ``forward()`` caches what ``backward()``
needs and whose ``backward(upstream)`` returns upstream × local for each input; then the
circuit as gate objects.

Both print the output and the input gradients at the end and need only ``import math``.
The local gradients are the sympy-derived ones (the same the engine evaluates, with the
same conventions at kinks), printed as Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from ..engine.trace import Trace
from ..gates.registry import GATES
from ..gates.symbolic import GATES_BY_NAME, OUT
from ..graph.graph import CONST, INPUT, Graph

RESERVED = frozenset({"math", "print", "down", "upstream", "self", "sigmoid", "sech"})
MATH_FUNCTIONS = frozenset({"exp", "log", "sqrt", "sin", "cos", "tan", "tanh"})
FUNCTION_CODE = {"sigmoid": "sigmoid({a})", "relu": "max(0.0, {a})"}
# what the tool computes, written out where plain math.exp or math.cosh would overflow
# (sigmoid(-1000) is 0 and tanh'(800) is 0, but math.exp(1000) raises OverflowError)
HELPERS = {
    "sigmoid": ['def sigmoid(x):',
                '    """1 / (1 + exp(-x)), with exp never overflowing."""',
                '    if x >= 0:',
                '        return 1 / (1 + math.exp(-x))',
                '    z = math.exp(x)',
                '    return z / (1 + z)'],
    "sech": ['def sech(x):',
             '    """1 / cosh(x), with exp never overflowing: 2 e^-|x| / (1 + e^-2|x|)."""',
             '    t = math.exp(-abs(x))',
             '    return 2 * t / (1 + t * t)'],
}
# searched in the code this module generated from the graph (user names are identifiers)
_HELPER_CALL = re.compile(r"(?<![\w.])(sigmoid|sech)\(")
CONSTANT_CODE = {"pi": "math.pi", "e": "math.e"}


class _Printer(PythonCodePrinter):  # type: ignore[misc]
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


class _Names:
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
        return sp.Integer(text) if stripped.isdigit() else sp.Float(text)


def forward_expression(graph: Graph, gate: str, operands: Sequence[str],
                       printer: _Printer) -> str:
    """A gate applied to operands written as code: ``w0 * x0``, ``math.exp(s)``."""
    if gate in graph.user_gates:
        gm = gate_math(graph, gate)
        symbols = [sp.Symbol(text, real=True) for text in operands]
        return str(printer.doprint(gm.expr.xreplace(dict(zip(gm.params, symbols,
                                                             strict=True)))))
    mapping = dict(zip(("a", "b"), operands, strict=False))
    if gate in FUNCTION_CODE:
        return FUNCTION_CODE[gate].format(**mapping)
    text = str(GATES[gate].pattern.format(**mapping))
    return f"math.{text}" if gate in MATH_FUNCTIONS else text


def _local(gm: GateMath, position: int, operands: Sequence[sp.Expr], out: sp.Expr) -> sp.Expr:
    mapping: dict[sp.Expr, sp.Expr] = dict(zip(gm.params, operands, strict=True))
    mapping[OUT] = out
    return gm.partials[position].xreplace(mapping)


def _guarded(gate: str, position: int, local: sp.Expr, code: str, out: str, base: str) -> str:
    """The two local gradients that are not defined everywhere their gate is."""
    if gate == "sqrt":
        return f"(0.5 / {out} if {out} else math.inf)"
    if gate == "pow" and position == 1:
        return f"({code} if {base} > 0 else math.nan)"
    return code


def _gradient_line(target: str, assigned: set[str], upstream: str, local: sp.Expr,
                   code: str) -> str:
    operator = "+=" if target in assigned else "="
    assigned.add(target)
    if local == 1:
        return f"{target} {operator} {upstream}"
    if local == -1:
        return f"{target} {operator} -{upstream}"
    return f"{target} {operator} {times(upstream, local, code)}"


def times(upstream: str, local: sp.Expr, code: str) -> str:
    """``upstream * local`` as code; a reciprocal local becomes a division."""
    if local.is_Pow and local.exp == -1 and code.startswith("1/"):
        return f"{upstream} / {code[2:]}"
    return f"{upstream} * {code}"


def with_helpers(lines: list[str]) -> str:
    """The code, with the helper functions it calls defined after ``import math``."""
    called = set(_HELPER_CALL.findall("\n".join(lines)))
    helpers = [line for name in HELPERS if name in called for line in ["", *HELPERS[name]]]
    return "\n".join([*lines[:1], *helpers, *lines[1:]]) + "\n"


def _header(trace: Trace, names: _Names) -> list[str]:
    graph = trace.graph
    lines = ["import math", "", "# inputs"]
    for node in graph.inputs.values():
        lines.append(f"{names.values[node]} = {float(trace.values[node])!r}")
    return lines


def _footer(trace: Trace, names: _Names) -> list[str]:
    graph = trace.graph
    out = graph.names[graph.output]
    lines = ["", f'print("{out} =", {names.values[graph.output]})']
    for name, node in graph.inputs.items():
        lines.append(f'print("d{out}/d{name} =", {names.grads[node]})')
    return lines


def flat_code(trace: Trace) -> str:
    """The lecture's flat forward and backward code for the trace's circuit."""
    graph, printer, names = trace.graph, _Printer(), _Names(trace.graph)
    lines = _header(trace, names)
    lines.append("\n# forward pass")
    for node in range(graph.output + 1):
        if graph.gates[node] in (INPUT, CONST):
            continue
        operands = [names.operand(a) for a in graph.args[node]]
        code = forward_expression(graph, graph.gates[node], operands, printer)
        lines.append(f"{names.values[node]} = {code}")
    lines.append("\n# backward pass")
    upstream = trace.grads[graph.output]
    lines.append(f"{names.grads[graph.output]} = {float(upstream)!r}")
    assigned = {names.grads[graph.output]}
    templates = _Templates(graph, names, printer)
    for edge in trace.edges():
        gate = graph.gates[edge.node]
        local, code = templates.local(edge.node, edge.position)
        code = _guarded(gate, edge.position, local, code,
                        names.values[edge.node], names.operand(graph.args[edge.node][0]))
        lines.append(_gradient_line(names.grads[edge.source], assigned,
                                    names.grads[edge.node], local, code))
    lines.extend(_unused_inputs(trace, names, assigned))
    lines.extend(_footer(trace, names))
    return with_helpers(lines)


class _Templates:
    """Local gradients printed once per gate, input and pattern of constant operands, with
    placeholders (``__p0``, ``__out``: names no program can use) filled in per edge."""

    _PLACEHOLDER = re.compile(r"__(p\d+|out)\b")

    def __init__(self, graph: Graph, names: _Names, printer: _Printer) -> None:
        self.graph, self.names, self.printer = graph, names, printer
        self.cache: dict[tuple[object, ...], tuple[sp.Expr, str]] = {}

    def local(self, node: int, position: int) -> tuple[sp.Expr, str]:
        graph = self.graph
        args = graph.args[node]
        constants = tuple(graph.literals.get(a) if graph.gates[a] == CONST else None
                          for a in args)
        key = (graph.gates[node], position, constants)
        if key not in self.cache:
            operands = [self.names.symbol(a) if constants[k] is not None
                        else sp.Symbol(f"__p{k}", real=True) for k, a in enumerate(args)]
            local = _local(gate_math(graph, graph.gates[node]), position, operands,
                           sp.Symbol("__out", real=True))
            self.cache[key] = (local, self.printer.factor(local))
        local, template = self.cache[key]
        filled = {f"__p{k}": self.names.values[a] for k, a in enumerate(args)}
        filled["__out"] = self.names.values[node]
        # the expression keeps its placeholders: callers only ask whether it is 1, -1 or a
        # reciprocal, which renaming does not change
        return local, self._PLACEHOLDER.sub(lambda m: filled[m.group(0)], template)


def _unused_inputs(trace: Trace, names: _Names, assigned: set[str]) -> list[str]:
    out = trace.graph.names[trace.graph.output]
    return [f"{names.grads[node]} = 0.0  # {name} does not affect {out}"
            for name, node in trace.graph.inputs.items() if names.grads[node] not in assigned]


# ------------------------------------------------------------------------ modular style

def _class_name(gate: str) -> str:
    return "".join(part.capitalize() for part in gate.split("_")) + "Gate"


def gate_class(graph: Graph, gate: str, printer: _Printer) -> list[str]:
    """``class MulGate`` with forward() caching what backward() needs."""
    gm = gate_math(graph, gate)
    params = [str(p) for p in gm.params]
    cached = {f"self.{p}": sp.Symbol(f"self.{p}", real=True) for p in params}
    out = sp.Symbol("self.out", real=True)
    locals_ = [_local(gm, k, list(cached.values()), out) for k in range(len(params))]
    needed = set().union(*(local.free_symbols for local in locals_))
    if gate == "pow":
        needed |= {cached["self.a"]}
    lines = [f"class {_class_name(gate)}:", f"    def forward(self, {', '.join(params)}):"]
    forward = forward_expression(graph, gate, params, printer)
    for param in params:
        if cached[f"self.{param}"] in needed:
            lines.append(f"        self.{param} = {param}")
    if out in needed or gate == "sqrt":
        lines += [f"        self.out = {forward}", "        return self.out"]
    else:
        lines.append(f"        return {forward}")
    downstream = []
    for k, local in enumerate(locals_):
        code = _guarded(gate, k, local, printer.factor(local), "self.out", "self.a")
        downstream.append("upstream" if local == 1 else "-upstream" if local == -1
                          else times("upstream", local, code))
    lines += ["", "    def backward(self, upstream):",
              f"        return {', '.join(downstream)}"]
    return lines


def modular_code(trace: Trace) -> str:
    """Gate classes, one gate object per node, and the forward and backward passes."""
    graph, printer, names = trace.graph, _Printer(), _Names(trace.graph)
    nodes = [n for n in range(graph.output + 1) if graph.gates[n] not in (INPUT, CONST)]
    lines = ["import math", ""]
    for gate in dict.fromkeys(graph.gates[n] for n in nodes):
        lines += ["", *gate_class(graph, gate, printer), ""]
    lines += ["", *_header(trace, names)[2:], "", "# one gate object per gate of the circuit"]
    for node in nodes:
        lines.append(f"{names.gate_object(node)} = {_class_name(graph.gates[node])}()")
    lines.append("\n# forward pass")
    for node in nodes:
        operands = ", ".join(names.operand(a) for a in graph.args[node])
        lines.append(f"{names.values[node]} = {names.gate_object(node)}.forward({operands})")
    lines.append("\n# backward pass")
    lines.append(f"{names.grads[graph.output]} = {float(trace.grads[graph.output])!r}")
    assigned = {names.grads[graph.output]}
    for node in _backward_nodes(trace):
        lines += _backward_call(trace, names, node, assigned)
    lines.extend(_unused_inputs(trace, names, assigned))
    lines.extend(_footer(trace, names))
    return with_helpers(lines)


def _backward_nodes(trace: Trace) -> list[int]:
    return list(dict.fromkeys(trace.edge_nodes))


def _backward_call(trace: Trace, names: _Names, node: int, assigned: set[str]) -> list[str]:
    graph = trace.graph
    args = graph.args[node]
    targets = [names.grads[a] if graph.requires_grad[a] else "_" for a in args]
    call = f"{names.gate_object(node)}.backward({names.grads[node]})"
    real = [t for t in targets if t != "_"]
    if len(set(real)) == len(real) and not assigned.intersection(real):
        assigned.update(real)
        return [f"{', '.join(targets)} = {call}"]
    lines = [f"down = {call}"]
    for index, target in enumerate(targets):
        if target != "_":
            source = "down" if len(args) == 1 else f"down[{index}]"
            operator = "+=" if target in assigned else "="
            assigned.add(target)
            lines.append(f"{target} {operator} {source}")
    return lines


def python_code(trace: Trace, style: str = "flat") -> str:
    """``flat`` or ``modular`` Python for the trace's circuit (numpy for arrays)."""
    if trace.arrays:
        from .numpy_flat import flat_numpy_code
        from .numpy_modular import modular_numpy_code

        return modular_numpy_code(trace) if style == "modular" else flat_numpy_code(trace)
    return modular_code(trace) if style == "modular" else flat_code(trace)

