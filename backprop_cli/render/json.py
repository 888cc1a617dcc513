"""JSON: one document with every node, edge and input gradient (schema ``backprop/1``)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..engine.trace import Trace, Value
from ..graph.graph import CONST, INPUT, Graph
from ..numformat import as_float, exact_text

if TYPE_CHECKING:
    from ..analysis.jacobian import Jacobian


def label_inputs(graph: Graph) -> list[str]:
    from ..graph.array_calls import label_inputs as labels

    return labels(graph)

SCHEMA = "backprop/1"


def _number(value: Value) -> Any:
    """A JSON number; non-finite values become the strings "inf", "-inf", "nan"; an array
    becomes nested lists of those; a structural gate's local gradient (None) is null."""
    if value is None:
        return None
    if getattr(value, "ndim", 0):
        import numpy as np

        if value.dtype.kind == "f" and np.isfinite(value).all():
            return (value + 0.0).tolist()  # -0.0 is written 0.0
        return _nested(value, _number)
    number = as_float(value)
    return number if math.isfinite(number) else repr(number)


def _exact_text(value: Value) -> Any:
    if value is None:
        return None
    if getattr(value, "ndim", 0):
        return _nested(value, exact_text)
    return exact_text(value[()] if hasattr(value, "ndim") else value)


def _nested(array: Any, leaf: Any) -> list[Any]:
    return [_nested(row, leaf) if getattr(row, "ndim", 0) else leaf(row) for row in array]


def _with_exact(record: dict[str, Any], key: str, value: Value, exact: bool) -> None:
    record[key] = _number(value)
    if exact:
        record[f"{key}_exact"] = _exact_text(value)


def document_head(trace: Trace) -> dict[str, Any]:
    """The document's fields before ``nodes``: output, value, gradients, inputs."""
    graph, exact = trace.graph, trace.exact
    document: dict[str, Any] = {"schema": SCHEMA, "output": graph.names[trace.output]}
    _with_exact(document, "value", trace.value, exact)
    _with_exact(document, "upstream", trace.grads[trace.output], exact)
    document["gradients"] = {name: _number(g) for name, g in trace.gradients.items()}
    if exact:
        document["gradients_exact"] = {name: _exact_text(g)
                                       for name, g in trace.gradients.items()}
    document["inputs"] = {name: _number(trace.values[node])
                          for name, node in graph.inputs.items()}
    return document


def trace_document(trace: Trace) -> dict[str, Any]:
    """The trace as plain data, ready for ``json.dumps``."""
    graph, exact = trace.graph, trace.exact
    document = document_head(trace)
    document["nodes"] = [_node(trace, node) for node in range(len(graph))
                         if graph.gates[node] != CONST]
    document["edges"] = [_edge(trace, index) for index in range(trace.edge_count())]
    document["warnings"] = [trace.warning(note) for note in trace.notes]
    document["exact"] = exact
    if trace.arrays:
        document["arrays"] = True
        document["loss"] = trace.loss_name()
        document["labels"] = label_inputs(graph)
        document["constant_inputs"] = [name for name, node in graph.inputs.items()
                                       if not graph.requires_grad[node]
                                       and name not in document["labels"]]
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
    if trace.arrays:
        record["shape"] = list(trace.shape(node))
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
INDENT_MAX_ENTRIES = 2000


def jacobian_records(trace: Trace, results: Sequence[Jacobian]) -> list[dict[str, Any]]:
    """``--jacobian`` in JSON: one record per edge (the matrix only when it was formed)."""
    names = trace.graph.names
    records = []
    for result in results:
        record: dict[str, Any] = {
            "node": names[result.edge.node], "input": names[result.edge.source],
            "position": result.edge.position, "rows": list(result.rows),
            "columns": list(result.columns), "entries": result.entries,
            "bytes_float64": result.entries * 8, "method": result.method,
            "matrix": None if result.matrix is None else _number(result.matrix),
            "product": None if result.product is None else _number(result.product),
            "downstream": _number(result.edge.downstream),
            "max_difference": result.max_difference,
        }
        records.append(record)
    return records


def is_compact(trace: Trace) -> bool:
    """One line for a large graph (the C encoder is ~10x faster without indentation), or
    for large arrays; indented otherwise."""
    if len(trace.graph) > INDENT_MAX_NODES:
        return True
    return trace.arrays and \
        sum(getattr(v, "size", 1) for v in trace.values) > INDENT_MAX_ENTRIES


def streamed_json(trace: Trace) -> Iterator[str] | None:
    """The compact document as pieces of text, written without a dict per node and edge
    (see ``json_text``); None when that writer does not apply."""
    from .json_text import json_chunks

    return json_chunks(trace, document_head(trace)) if is_compact(trace) else None


def render_json_pieces(trace: Trace,
                       jacobians: Sequence[Jacobian] | None = None) -> Iterator[str]:
    """``render_json`` in pieces (a large document is never held as one string)."""
    pieces = streamed_json(trace) if jacobians is None else None
    if pieces is not None:
        return pieces
    document = trace_document(trace)
    if jacobians is not None:
        document["jacobians"] = jacobian_records(trace, jacobians)
    import json

    return iter([json.dumps(document, indent=None if is_compact(trace) else 2) + "\n"])


def render_json(trace: Trace, jacobians: Sequence[Jacobian] | None = None) -> str:
    """The document: indented for small graphs, one line for large ones."""
    return "".join(render_json_pieces(trace, jacobians))
