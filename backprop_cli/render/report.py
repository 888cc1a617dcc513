"""The report a trace is shown as: sections of text cells, shared by every table format.

Renderers lay these cells out; nothing here computes a gradient, it only reads the trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..graph import CONST, INPUT
from ..numformat import format_value
from ..trace import Trace
from .mathcells import Derivative, ExactNumber, MathCell, Name, gate_formula

LARGE_GRAPH_NODES = 200


@dataclass
class Section:
    """A titled table: header cells, rows of text cells, and which columns are numbers.

    ``key`` names the section for ``--table`` and the flat formats (``nodes``, ``edges``, ...).
    ``math`` optionally gives, per column, a math cell for every row (for LaTeX).
    """

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()
    styles: dict[int, str] = field(default_factory=dict)
    key: str = ""
    math: dict[int, list[MathCell]] = field(default_factory=dict)

    def add_math(self, column: int, cell: MathCell) -> None:
        self.math.setdefault(column, []).append(cell)


@dataclass
class Report:
    """The sections in order, and lines to print after them."""

    sections: list[Section]
    footer: list[str] = field(default_factory=list)


def is_large(trace: Trace) -> bool:
    return len(trace.graph) > LARGE_GRAPH_NODES


def build_report(trace: Trace, precision: int | None = None, full: bool = False,
                 math: bool = False) -> Report:
    """Forward nodes, backward edges and input gradients; only gradients if the graph is big.

    ``math`` adds math cells (names, formulas, derivatives) for LaTeX.
    """
    if is_large(trace) and not full:
        report = Report([gradient_section(trace, precision)], [_summary_line(trace)])
    else:
        report = Report([forward_section(trace, precision), backward_section(trace, precision),
                         gradient_section(trace, precision)])
    if math:
        for section in report.sections:
            _MATH[section.key](trace, section, precision)
    return report


def forward_section(trace: Trace, precision: int | None) -> Section:
    graph = trace.graph
    section = Section("Forward pass", ["node", "gate", "computes", "value", "gradient"],
                      numeric=frozenset({3, 4}), styles={3: "green", 4: "red"}, key="nodes")
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
                      numeric=frozenset({2, 4, 5}), styles={2: "red", 5: "red"}, key="edges")
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
                      numeric=frozenset({1}), styles={1: "red"}, key="gradients")
    for name, grad in trace.gradients.items():
        section.rows.append([f"d{out}/d{name}", format_value(grad, precision)])
    return section


def _summary_line(trace: Trace) -> str:
    graph = trace.graph
    return (f"{len(graph):,} nodes ({graph.gate_count():,} gates), {trace.edge_count():,} edges: "
            "showing the output and input gradients only; use --full for every node and edge, "
            "or --format json")


def _forward_math(trace: Trace, section: Section, precision: int | None) -> None:
    graph = trace.graph
    for node, gate in enumerate(graph.gates):
        if gate == CONST:
            continue
        section.add_math(0, Name(graph.names[node]))
        section.add_math(2, Name(graph.names[node]) if gate == INPUT else gate_formula(graph, node))
        _exact_math(trace, section, (3, 4), (trace.values[node], trace.grads[node]),
                    precision)


def _backward_math(trace: Trace, section: Section, precision: int | None) -> None:
    graph = trace.graph
    for edge in trace.edges():
        section.add_math(0, gate_formula(graph, edge.node, target=True))
        section.add_math(1, Name(graph.names[edge.source]))
        section.add_math(3, gate_formula(graph, edge.node, edge.position))
        _exact_math(trace, section, (2, 4, 5), (edge.upstream, edge.local, edge.downstream),
                    precision)


def _gradient_math(trace: Trace, section: Section, precision: int | None) -> None:
    out = trace.graph.names[trace.output]
    for name, grad in trace.gradients.items():
        section.add_math(0, Derivative(out, name))
        _exact_math(trace, section, (1,), (grad,), precision)


def _exact_math(trace: Trace, section: Section, columns: tuple[int, ...],
                values: tuple[Any, ...], precision: int | None) -> None:
    """In exact mode, numbers are typeset from their sympy value, with the decimal beside."""
    if not trace.exact:
        return
    for column, value in zip(columns, values, strict=True):
        section.add_math(column, ExactNumber(value, format_value(float(value), precision)))


_MATH = {"nodes": _forward_math, "edges": _backward_math, "gradients": _gradient_math}
