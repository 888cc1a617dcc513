"""The report a trace is shown as: sections of text cells, shared by every table format.

Renderers lay these cells out; nothing here computes a gradient, it only reads the trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import CONST
from ..numformat import format_value
from ..trace import Trace

LARGE_GRAPH_NODES = 200


@dataclass
class Section:
    """A titled table: header cells, rows of text cells, and which columns are numbers."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()
    styles: dict[int, str] = field(default_factory=dict)


@dataclass
class Report:
    """The sections in order, and lines to print after them."""

    sections: list[Section]
    footer: list[str] = field(default_factory=list)


def is_large(trace: Trace) -> bool:
    return len(trace.graph) > LARGE_GRAPH_NODES


def build_report(trace: Trace, precision: int | None = None, full: bool = False) -> Report:
    """Forward nodes, backward edges and input gradients; only gradients if the graph is big."""
    if is_large(trace) and not full:
        return Report([gradient_section(trace, precision)], [_summary_line(trace)])
    return Report([forward_section(trace, precision), backward_section(trace, precision),
                   gradient_section(trace, precision)])


def forward_section(trace: Trace, precision: int | None) -> Section:
    graph = trace.graph
    section = Section("Forward pass", ["node", "gate", "computes", "value", "gradient"],
                      numeric=frozenset({3, 4}), styles={3: "green", 4: "red"})
    for node, gate in enumerate(graph.gates):
        if gate == CONST:
            continue
        section.rows.append([graph.names[node], gate, graph.describe(node),
                             format_value(trace.values[node], precision),
                             format_value(trace.grads[node], precision)])
    return section


def backward_section(trace: Trace, precision: int | None) -> Section:
    graph = trace.graph
    section = Section("Backward pass: downstream = upstream × local",
                      ["gate", "input", "upstream", "local gradient", "local", "downstream"],
                      numeric=frozenset({2, 4, 5}), styles={2: "red", 5: "red"})
    for edge in trace.edges():
        section.rows.append([
            f"{graph.names[edge.node]} = {graph.describe(edge.node)}",
            graph.names[edge.source],
            format_value(edge.upstream, precision),
            trace.local_formula(edge),
            format_value(edge.local, precision),
            format_value(edge.downstream, precision),
        ])
    return section


def gradient_section(trace: Trace, precision: int | None) -> Section:
    out = trace.graph.names[trace.output]
    value = format_value(trace.value, precision)
    section = Section(f"Gradients of {out} = {value}", ["gradient", "value"],
                      numeric=frozenset({1}), styles={1: "red"})
    for name, grad in trace.gradients.items():
        section.rows.append([f"d{out}/d{name}", format_value(grad, precision)])
    return section


def _summary_line(trace: Trace) -> str:
    graph = trace.graph
    return (f"{len(graph):,} nodes ({graph.gate_count():,} gates), {trace.edge_count():,} edges: "
            "showing the output and input gradients only; use --full for every node and edge, "
            "or --format json")
