"""``--get PATH``: one number (or formula) out of a trace, named by a dotted path.

    value                         the output's value
    upstream                      the gradient given to the output (1 unless --upstream)
    grad.NAME                     d output / d NAME (an input or any node)
    node.NAME.value | .grad       a node's value, or d output / d node
    edge.NODE.INPUT.FIELD         the edge from gate NODE back to its operand INPUT (a name,
                                  or the operand's position 0, 1 when a name is used twice);
                                  FIELD is upstream, local, downstream or formula

NAME is a node name as the tables show it (``c_2`` for the second ``c``).
"""

from __future__ import annotations

from ..errors import InputError
from ..graph.graph import CONST
from .trace import Edge, Trace, Value

NODE_FIELDS = ("value", "grad")
EDGE_FIELDS = ("upstream", "local", "downstream", "formula")
PATHS = ("value", "upstream", "grad.NAME", "node.NAME.value", "node.NAME.grad",
         "edge.NODE.INPUT.upstream", "edge.NODE.INPUT.local", "edge.NODE.INPUT.downstream",
         "edge.NODE.INPUT.formula")
LISTED_MAX = 12


def get_path(trace: Trace, path: str) -> Value | str:
    """The value at ``path``; an unknown path is an InputError naming the valid choices."""
    parts = path.split(".")
    head = parts[0]
    if parts == ["value"]:
        return trace.value
    if parts == ["upstream"]:
        return trace.grads[trace.output]
    if head == "grad" and len(parts) == 2:
        return trace.grads[_node(trace, parts[1], path)]
    if head == "node" and len(parts) == 3:
        node = _node(trace, parts[1], path)
        if parts[2] == "value":
            return trace.values[node]
        if parts[2] == "grad":
            return trace.grads[node]
        raise _unknown_field(path, parts[2], NODE_FIELDS)
    if head == "edge" and len(parts) == 4:
        return _edge_field(trace, parts, path)
    raise InputError(f"unknown path {path!r} for --get: use one of {', '.join(PATHS)}")


def _node(trace: Trace, name: str, path: str) -> int:
    graph = trace.graph
    for node, node_name in enumerate(graph.names):
        if node_name == name and graph.gates[node] != CONST:
            return node
    if name in graph.bindings:
        return graph.bindings[name]
    names = [n for n, gate in zip(graph.names, graph.gates, strict=True) if gate != CONST]
    raise InputError(f"no node named {name!r} in --get {path}: the nodes are {_listed(names)}")


def _edge_field(trace: Trace, parts: list[str], path: str) -> Value | str:
    node = _node(trace, parts[1], path)
    field = parts[3]
    edge = _find_edge(trace, node, parts[2], path, field)
    if field == "formula":
        return trace.local_formula(edge)
    if field in EDGE_FIELDS:
        return getattr(edge, field)
    raise _unknown_field(path, field, EDGE_FIELDS)


def _find_edge(trace: Trace, node: int, operand: str, path: str, field: str) -> Edge:
    graph = trace.graph
    edges = [edge for edge in trace.edges() if edge.node == node]
    if operand.isdigit():
        found = [edge for edge in edges if edge.position == int(operand)]
    else:
        found = [edge for edge in edges if graph.names[edge.source] == operand]
    if len(found) == 1:
        return found[0]
    name = graph.names[node]
    if len(found) > 1:
        raise InputError(f"{name} uses {operand} more than once: write its position instead "
                         f"({', '.join(f'edge.{name}.{e.position}.{field}' for e in found)})")
    choices = [graph.names[e.source] for e in edges]
    if not choices:
        raise InputError(f"no edge back from {name} in --get {path}: the backward pass "
                         f"does not go through {name}")
    raise InputError(f"no edge from {name} back to {operand!r} in --get {path}: "
                     f"its edges go to {_listed(choices)}")


def _unknown_field(path: str, field: str, fields: tuple[str, ...]) -> InputError:
    return InputError(f"unknown field {field!r} in --get {path}: use one of {', '.join(fields)}")


def _listed(names: list[str]) -> str:
    if len(names) <= LISTED_MAX:
        return ", ".join(names)
    return ", ".join(names[:LISTED_MAX]) + f", ... ({len(names)} in all)"


def path_node(trace: Trace, name: str) -> int:
    """The node a path names by ``name`` (as ``grad.NAME`` and ``node.NAME`` resolve it)."""
    return _node(trace, name, f"node.{name}")


def path_edge(trace: Trace, path: str) -> Edge:
    """The edge an ``edge.NODE.INPUT.FIELD`` path names."""
    parts = path.split(".")
    return _find_edge(trace, _node(trace, parts[1], path), parts[2], path, parts[3])
