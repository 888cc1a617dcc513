"""Composite gates opened into the primitive gates the lecture draws.

``expand_composites(graph)`` returns a new graph in which every composite gate is replaced
by its definition: ``sigmoid(a)`` becomes ``1 / (1 + exp(-a))``, the chain neg, exp, add,
div of the lecture's gate-by-gate sigmoid neuron. Each definition is written in the tool's
own language and built by its own parser, so the inner gates are exactly what typing the
definition gives. The node that held the composite keeps its name, so bindings, inputs
and the output still refer to it; the inner nodes get fresh names (``t1``, ``t2``, ... not
used by the program) and the composite's source position. Values and gradients are the
same up to rounding.

(Issue 3 also expands composites for its own commands; when both exist, keep one function
with this signature and let ``backprop draw --expand`` call it.)
"""

from __future__ import annotations

from functools import cache

from .graph import CONST, INPUT, Graph, build
from .registry import GATES
from .syntax import parse

COMPOSITES: dict[str, str] = {
    "sigmoid": "1 / (1 + exp(-a))",
}


@cache
def definition(gate: str) -> Graph:
    """The composite's definition as a graph whose inputs are the gate's parameters."""
    return build(parse(COMPOSITES[gate]))


def expand_composites(graph: Graph) -> Graph:
    """The same circuit with every composite gate replaced by its primitive gates."""
    if not any(gate in COMPOSITES for gate in graph.gates):
        return graph
    expanded = Graph(source=graph.source)
    names = _Names(set(graph.names))
    mapping: list[int] = []
    for node, gate in enumerate(graph.gates):
        if gate in COMPOSITES:
            mapping.append(_splice(expanded, graph, node, mapping, names))
        else:
            args = tuple(mapping[a] for a in graph.args[node])
            mapping.append(_append(expanded, graph, node, gate, args, graph.names[node]))
            if gate == CONST:
                expanded.literals[mapping[-1]] = graph.literals[node]
            if node in graph.attrs:
                expanded.attrs[mapping[-1]] = graph.attrs[node]
    expanded.inputs = {name: mapping[node] for name, node in graph.inputs.items()}
    expanded.bindings = {name: mapping[node] for name, node in graph.bindings.items()}
    expanded.output = mapping[graph.output]
    expanded.uses_arrays = graph.uses_arrays
    return expanded


class _Names:
    """Fresh names ``t1``, ``t2``, ... that the program does not use."""

    def __init__(self, used: set[str]) -> None:
        self.used = used
        self.counter = 0

    def fresh(self) -> str:
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.used:
                self.used.add(name)
                return name


def _append(graph: Graph, origin: Graph, node: int, gate: str, args: tuple[int, ...],
            name: str) -> int:
    """A new node at the source position of ``origin``'s ``node``."""
    graph.names.append(name)
    graph.gates.append(gate)
    graph.args.append(args)
    graph.lines.append(origin.lines[node])
    graph.columns.append(origin.columns[node])
    graph.requires_grad.append(origin.requires_grad[node] if gate == INPUT else (
        gate != CONST and any(graph.requires_grad[a] for a in args)))
    return len(graph.gates) - 1


def _splice(graph: Graph, origin: Graph, node: int, mapping: list[int], names: _Names) -> int:
    """Append the composite's definition, wired to the node's operands; its last node."""
    template = definition(origin.gates[node])
    operands = dict(zip(GATES[origin.gates[node]].params, origin.args[node], strict=True))
    inner: list[int] = []
    for t_node, t_gate in enumerate(template.gates):
        if t_gate == INPUT:
            inner.append(mapping[operands[template.names[t_node]]])
            continue
        args = tuple(inner[a] for a in template.args[t_node])
        if t_gate == CONST:
            name = template.literals[t_node]
        elif t_node == template.output:
            name = origin.names[node]
        else:
            name = names.fresh()
        inner.append(_append(graph, origin, node, t_gate, args, name))
        if t_gate == CONST:
            graph.literals[inner[-1]] = template.literals[t_node]
    return inner[template.output]
