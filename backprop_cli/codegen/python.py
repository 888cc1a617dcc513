"""A circuit as Python code, the two ways the lecture writes backprop (text only; never run).
Circuits of arrays are written with numpy by ``numpy_flat`` and ``numpy_modular``;
``write.python_code`` picks the writer.

``flat_code``: the forward pass one intermediate per line, then the backward pass
``grad_<name>`` lines in reverse order, ``+=`` where a value fans out.
``modular_code``: one class per gate type whose ``forward()`` caches what ``backward()``
needs and whose ``backward(upstream)`` returns upstream × local for each input; then the
circuit as gate objects.

Both print the output and the input gradients at the end and need only ``import math``.
The local gradients are the sympy-derived ones (the same the engine evaluates, with the
same conventions at kinks), printed as Python from the formula trees of the gate rows (no
sympy at run time; a user-defined gate's are printed by sympy).
"""

from __future__ import annotations

import re

from ..engine.trace import Trace
from ..graph.graph import CONST, INPUT, Graph
from .names import Local, Names, Templates, class_name
from .tree_code import forward_expression, gate_locals, tree_templates

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


def _guarded(gate: str, position: int, local: Local, out: str, base: str) -> Local:
    """The two local gradients that are not defined everywhere their gate is (a constant
    base such as ``e`` or 2 needs no guard)."""
    if gate == "sqrt":
        return local.renamed(f"(0.5 / {out} if {out} else math.inf)")
    if gate == "pow" and position == 1 and not _positive_literal(base):
        return local.renamed(f"({local.code} if {base} > 0 else math.nan)")
    return local


def _positive_literal(code: str) -> bool:
    if code in ("math.e", "math.pi"):
        return True
    try:
        return float(code) > 0
    except ValueError:
        return False


def _gradient_line(target: str, assigned: set[str], upstream: str, local: Local) -> str:
    operator = "+=" if target in assigned else "="
    assigned.add(target)
    return f"{target} {operator} {local.product(upstream)}"


def with_helpers(lines: list[str]) -> str:
    """The code, with the helper functions it calls defined after ``import math``."""
    called = set(_HELPER_CALL.findall("\n".join(lines)))
    helpers = [line for name in HELPERS if name in called for line in ["", *HELPERS[name]]]
    return "\n".join([*lines[:1], *helpers, *lines[1:]]) + "\n"


def _header(trace: Trace, names: Names) -> list[str]:
    graph = trace.graph
    lines = ["import math", "", "# inputs"]
    for node in graph.inputs.values():
        lines.append(f"{names.values[node]} = {float(trace.values[node])!r}")
    return lines


def _footer(trace: Trace, names: Names) -> list[str]:
    graph = trace.graph
    out = graph.names[graph.output]
    lines = ["", f'print("{out} =", {names.values[graph.output]})']
    for name, node in graph.inputs.items():
        lines.append(f'print("d{out}/d{name} =", {names.grads[node]})')
    return lines


def flat_code(trace: Trace) -> str:
    """The lecture's flat forward and backward code for the trace's circuit."""
    graph, names = trace.graph, Names(trace.graph)
    lines = _header(trace, names)
    lines.append("\n# forward pass")
    for node in range(graph.output + 1):
        if graph.gates[node] in (INPUT, CONST):
            continue
        operands = [names.operand(a) for a in graph.args[node]]
        code = forward_expression(graph, graph.gates[node], operands)
        lines.append(f"{names.values[node]} = {code}")
    lines.append("\n# backward pass")
    upstream = trace.grads[graph.output]
    lines.append(f"{names.grads[graph.output]} = {float(upstream)!r}")
    assigned = {names.grads[graph.output]}
    templates = Templates(graph, names, tree_templates(graph))
    for edge in trace.edges():
        gate = graph.gates[edge.node]
        local = _guarded(gate, edge.position, templates.local(edge.node, edge.position),
                         names.values[edge.node], names.operand(graph.args[edge.node][0]))
        lines.append(_gradient_line(names.grads[edge.source], assigned,
                                    names.grads[edge.node], local))
    lines.extend(_unused_inputs(trace, names, assigned))
    lines.extend(_footer(trace, names))
    return with_helpers(lines)


def _unused_inputs(trace: Trace, names: Names, assigned: set[str]) -> list[str]:
    out = trace.graph.names[trace.graph.output]
    return [f"{names.grads[node]} = 0.0  # {name} does not affect {out}"
            for name, node in trace.graph.inputs.items() if names.grads[node] not in assigned]


# ------------------------------------------------------------------------ modular style

def gate_class(graph: Graph, gate: str) -> list[str]:
    """``class MulGate`` with forward() caching what backward() needs."""
    params = list(graph.spec(gate).params)
    locals_ = gate_locals(graph, gate, [f"self.{p}" for p in params], "self.out")
    needed = set().union(*(local.uses for local in locals_))
    if gate == "pow":
        needed |= {"self.a"}
    lines = [f"class {class_name(gate)}:", f"    def forward(self, {', '.join(params)}):"]
    forward = forward_expression(graph, gate, params)
    for param in params:
        if f"self.{param}" in needed:
            lines.append(f"        self.{param} = {param}")
    if "self.out" in needed or gate == "sqrt":
        lines += [f"        self.out = {forward}", "        return self.out"]
    else:
        lines.append(f"        return {forward}")
    downstream = []
    for k, local in enumerate(locals_):
        downstream.append(_guarded(gate, k, local, "self.out", "self.a").product("upstream"))
    lines += ["", "    def backward(self, upstream):",
              f"        return {', '.join(downstream)}"]
    return lines


def modular_code(trace: Trace) -> str:
    """Gate classes, one gate object per node, and the forward and backward passes."""
    graph, names = trace.graph, Names(trace.graph)
    nodes = [n for n in range(graph.output + 1) if graph.gates[n] not in (INPUT, CONST)]
    lines = ["import math", ""]
    for gate in dict.fromkeys(graph.gates[n] for n in nodes):
        lines += ["", *gate_class(graph, gate), ""]
    lines += ["", *_header(trace, names)[2:], "", "# one gate object per gate of the circuit"]
    for node in nodes:
        lines.append(f"{names.gate_object(node)} = {class_name(graph.gates[node])}()")
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


def _backward_call(trace: Trace, names: Names, node: int, assigned: set[str]) -> list[str]:
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
