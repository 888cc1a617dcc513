"""JSON: one document with every node, edge and input gradient (schema ``backprop/1``)."""

from __future__ import annotations

import json
import math
from typing import Any

from ..graph import CONST, INPUT
from ..trace import Trace, Value

SCHEMA = "backprop/1"


def _number(value: Value) -> float | str:
    """A JSON number; non-finite values become the strings "inf", "-inf", "nan"."""
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def _with_exact(record: dict[str, Any], key: str, value: Value, exact: bool) -> None:
    record[key] = _number(value)
    if exact:
        record[f"{key}_exact"] = str(value)


def trace_document(trace: Trace) -> dict[str, Any]:
    """The trace as plain data, ready for ``json.dumps``."""
    graph, exact = trace.graph, trace.exact
    document: dict[str, Any] = {"schema": SCHEMA, "output": graph.names[trace.output]}
    _with_exact(document, "value", trace.value, exact)
    _with_exact(document, "upstream", trace.grads[trace.output], exact)
    document["gradients"] = {name: _number(g) for name, g in trace.gradients.items()}
    if exact:
        document["gradients_exact"] = {name: str(g) for name, g in trace.gradients.items()}
    document["inputs"] = {name: _number(trace.values[node])
                          for name, node in graph.inputs.items()}
    document["nodes"] = [_node(trace, node) for node in range(len(graph))
                         if graph.gates[node] != CONST]
    document["edges"] = [_edge(trace, index) for index in range(trace.edge_count())]
    document["warnings"] = [note.message for note in trace.notes]
    document["exact"] = exact
    return document


def _node(trace: Trace, node: int) -> dict[str, Any]:
    graph = trace.graph
    record: dict[str, Any] = {
        "name": graph.names[node],
        "gate": graph.gates[node],
        "inputs": [graph.names[a] for a in graph.args[node]],
        "expression": graph.describe(node) if graph.gates[node] != INPUT else graph.names[node],
        "line": graph.lines[node],
        "column": graph.columns[node],
    }
    _with_exact(record, "value", trace.values[node], trace.exact)
    _with_exact(record, "grad", trace.grads[node], trace.exact)
    return record


def _edge(trace: Trace, index: int) -> dict[str, Any]:
    edge = trace.edge(index)
    names = trace.graph.names
    record: dict[str, Any] = {"node": names[edge.node], "input": names[edge.source],
                              "position": edge.position}
    _with_exact(record, "upstream", edge.upstream, trace.exact)
    record["local_formula"] = trace.local_formula(edge)
    _with_exact(record, "local", edge.local, trace.exact)
    _with_exact(record, "downstream", edge.downstream, trace.exact)
    return record


INDENT_MAX_NODES = 200


def render_json(trace: Trace) -> str:
    """Indented for small graphs; one compact line for large ones (the C encoder is ~10x
    faster without indentation)."""
    indent = 2 if len(trace.graph) <= INDENT_MAX_NODES else None
    return json.dumps(trace_document(trace), indent=indent) + "\n"
