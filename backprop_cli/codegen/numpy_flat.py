"""A circuit of arrays as flat Python with numpy, the way the lecture writes array backprop
(text only; never run here).

The forward pass is one intermediate per line (``t1 = x.dot(W1)``); the backward pass is
``grad_<name>`` lines in reverse order, ``+=`` where a value fans out. An elementwise gate's
downstream gradient is upstream × the sympy-derived local gradient, summed over the axes
broadcasting added (``grad_b1 = np.sum(grad_t2, axis=0)``); a structural gate's is its
vector-Jacobian rule (``grad_W2 = h.T.dot(grad_s)``, ``grad_h = grad_s.dot(W2.T)``). The
code needs only ``import numpy as np``; the loss gates (softmax, cross-entropy, hinge) use
a few short helper functions printed at the top. The inputs are embedded as ``np.array``
literals, so the code runs as printed and prints the numbers ``backprop eval`` shows.
"""

from __future__ import annotations

from collections import Counter

from ..engine.trace import Trace
from ..gates.array_gates import ARRAY_GATES
from ..graph.graph import CONST, INPUT
from ..language.subscripts import format_subscript
from .names import Templates
from .numpy_parts import (
    NUMPY_TREE,
    ArrayNames,
    footer,
    header,
    seed_line,
    sympy_numpy_printer,
    unused_inputs,
    user_printer,
)
from .numpy_rules import forward_code, structural_gradient, unbroadcast_code
from .tree_code import tree_templates


class _Backward:
    """The backward lines: one per edge, ``+=`` at fan-out, copies where a later ``+=``
    would otherwise write through a shared array."""

    def __init__(self, trace: Trace, names: ArrayNames) -> None:
        self.trace, self.names = trace, names
        self.templates = Templates(trace.graph, names, tree_templates(
            trace.graph, NUMPY_TREE, sympy_numpy_printer))
        self.fan_in = Counter(edge.source for edge in trace.edges())
        self.assigned = {names.grads[trace.graph.output]}
        self.lines: list[str] = []

    def edge(self, node: int, position: int) -> None:
        graph, names = self.trace.graph, self.names
        source = graph.args[node][position]
        target = names.grads[source]
        if graph.gates[node] == "index":
            self._index(node, target, source)
            return
        if graph.gates[node] in ARRAY_GATES:
            code, shared = structural_gradient(self.trace, names, node, position)
        else:
            code, shared = self._elementwise(node, position, source)
        self.assign(target, code, shared and self.fan_in[source] > 1)

    def assign(self, target: str, code: str, copy: bool) -> None:
        if target in self.assigned:
            self.lines.append(f"{target} += {code}")
            return
        self.assigned.add(target)
        self.lines.append(f"{target} = {f'np.copy({code})' if copy else code}")

    def _elementwise(self, node: int, position: int, source: int) -> tuple[str, bool]:
        upstream = self.names.grads[node]
        product = self.templates.local(node, position).product(upstream)
        shape, target = self.trace.shape(node), self.trace.shape(source)
        summed = unbroadcast_code(product, shape, target)
        return summed, summed == upstream

    def _index(self, node: int, target: str, source: int) -> None:
        subscript = format_subscript(self.trace.graph.attrs[node])
        upstream = self.names.grads[node]
        if target in self.assigned:
            self.lines.append(f"{target}[{subscript}] += {upstream}")
            return
        self.assigned.add(target)
        self.lines += [f"{target} = np.zeros({self.trace.shape(source)!r})",
                       f"{target}[{subscript}] = {upstream}"]


def flat_numpy_code(trace: Trace) -> str:
    """The lecture's flat forward and backward code for a circuit of arrays."""
    graph, printer, names = trace.graph, user_printer(trace.graph), ArrayNames(trace)
    lines = header(trace, names)
    lines.append("\n# forward pass")
    for node in range(graph.output + 1):
        if graph.gates[node] not in (INPUT, CONST):
            lines.append(f"{names.values[node]} = {forward_code(trace, names, printer, node)}")
    lines += ["\n# backward pass", seed_line(trace, names)]
    backward = _Backward(trace, names)
    for edge in trace.edges():
        backward.edge(edge.node, edge.position)
    lines += backward.lines
    lines += unused_inputs(trace, names, backward.assigned)
    lines += footer(trace, names)
    return "\n".join(lines) + "\n"
