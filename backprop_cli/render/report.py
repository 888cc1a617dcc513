"""The report a trace is shown as: sections of text cells, shared by every table format.

Renderers lay these cells out; nothing here computes a gradient, it only reads the trace.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..engine.trace import Trace
from ..graph.graph import CONST, INPUT
from ..numformat import LECTURE, Rounding, as_float, format_float, format_value

if TYPE_CHECKING:
    from ..analysis.jacobian import Jacobian
    from .mathcells import MathCell

LARGE_GRAPH_NODES = 200


@dataclass
class Section:
    """A titled table: header cells, rows of text cells, and which columns are numbers.

    ``key`` names the section for ``--table`` and the flat formats (``nodes``, ``edges``, ...).
    ``math`` optionally gives, per column, a math cell for every row (for LaTeX).
    In a terminal too narrow for it (``render/fit.py``), the columns ``short`` names are
    written short first (header -> short header and cells), then the ``spare`` ones are left
    out, least needed first.
    """

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()
    styles: dict[int, str] = field(default_factory=dict)
    key: str = ""
    math: dict[int, list[MathCell]] = field(default_factory=dict)
    short: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    spare: tuple[str, ...] = ()

    def add_math(self, column: int, cell: MathCell) -> None:
        self.math.setdefault(column, []).append(cell)

    def without(self, header: str) -> Section:
        """The same section without the column named ``header`` (``--steps`` shows the
        forward table without its gradient column)."""
        drop = self.headers.index(header)

        def moved(column: int) -> int:
            return column - (column > drop)

        return replace(self, headers=[h for i, h in enumerate(self.headers) if i != drop],
                       rows=[[c for i, c in enumerate(row) if i != drop] for row in self.rows],
                       numeric=frozenset(moved(i) for i in self.numeric if i != drop),
                       styles={moved(i): s for i, s in self.styles.items() if i != drop},
                       math={moved(i): cells for i, cells in self.math.items() if i != drop})


@dataclass
class Report:
    """The sections in order, and lines to print after them."""

    sections: list[Section]
    footer: list[str] = field(default_factory=list)


def is_large(trace: Trace) -> bool:
    return len(trace.graph) > LARGE_GRAPH_NODES


def build_report(trace: Trace, rounding: Rounding = LECTURE, full: bool = False,
                 jacobians: Sequence[Jacobian] | None = None,
                 math_cells: bool = False) -> Report:
    """Forward nodes, backward edges and input gradients; only gradients if the graph is big.
    With ``jacobians`` (``--jacobian``), their sections follow. ``math_cells`` adds math
    cells (names, formulas, derivatives) for LaTeX and Markdown."""
    extra = jacobian_sections(trace, jacobians, rounding) if jacobians is not None else []
    if is_large(trace) and not full:
        report = Report([gradient_section(trace, rounding), *extra], [_summary_line(trace)])
    else:
        report = Report([forward_section(trace, rounding), backward_section(trace, rounding),
                         gradient_section(trace, rounding), *extra])
    if math_cells:
        for section in report.sections:
            if section.key in _MATH:
                _MATH[section.key](trace, section, rounding)
    return report


def forward_section(trace: Trace, rounding: Rounding) -> Section:
    graph = trace.graph
    if trace.arrays:
        return _array_forward_section(trace, rounding)
    section = Section("Forward pass", ["node", "gate", "computes", "value", "gradient"],
                      numeric=frozenset({3, 4}), styles={3: "green", 4: "red"}, key="nodes",
                      spare=("gate", "computes"))
    for node, gate in enumerate(graph.gates):
        if gate == CONST:
            continue
        section.rows.append([graph.names[node], gate, graph.describe(node),
                             format_value(trace.values[node], rounding),
                             format_value(trace.grads[node], rounding)])
    return section


def _array_forward_section(trace: Trace, rounding: Rounding) -> Section:
    """With a shape column; arrays in full when small, summarised when large."""
    graph = trace.graph
    section = Section("Forward pass", ["node", "gate", "computes", "shape", "value", "gradient"],
                      numeric=frozenset({4, 5}), styles={4: "green", 5: "red"}, key="nodes",
                      spare=("gate", "computes"))
    for node, gate in enumerate(graph.gates):
        if gate == CONST:
            continue
        held = gate == INPUT and not graph.requires_grad[node]
        gradient = "none" if held else format_value(trace.grads[node], rounding)
        section.rows.append([graph.names[node], gate, graph.describe(node),
                             shape_text(trace.shape(node)),
                             format_value(trace.values[node], rounding), gradient])
    return section


def shape_text(shape: tuple[int, ...]) -> str:
    """``2x3`` for a matrix, ``4`` for a vector, ``scalar``."""
    return "x".join(str(n) for n in shape) if shape else "scalar"


def backward_section(trace: Trace, rounding: Rounding) -> Section:
    graph = trace.graph
    section = Section("Backward pass: downstream = upstream × local",
                      ["gate", "input", "upstream", "local gradient", "local", "downstream"],
                      numeric=frozenset({2, 4, 5}), styles={2: "red", 5: "red"}, key="edges",
                      short={"gate": ("node", [])}, spare=("local gradient",))
    for edge in trace.edges():
        section.short["gate"][1].append(graph.names[edge.node])
        section.rows.append([
            f"{graph.names[edge.node]} = {graph.describe(edge.node)}",
            graph.names[edge.source],
            format_value(edge.upstream, rounding),
            trace.local_formula(edge),
            format_value(edge.local, rounding),
            format_value(edge.downstream, rounding),
        ])
    return section


def gradient_section(trace: Trace, rounding: Rounding) -> Section:
    out = trace.graph.names[trace.output]
    loss = trace.loss_name()
    value = format_value(trace.value, rounding)
    title = f"Gradients of {out} = {value}" if loss == out else \
        f"Gradients of L, given dL/d{out} = the upstream gradient " \
        f"{format_value(trace.grads[trace.output], rounding)}"
    section = Section(title, ["gradient", "value"], numeric=frozenset({1}), styles={1: "red"},
                      key="gradients")
    for name, grad in trace.gradients.items():
        section.rows.append([f"d{loss}/d{name}", format_value(grad, rounding)])
    return section


def _summary_line(trace: Trace) -> str:
    graph = trace.graph
    return (f"{len(graph):,} nodes ({graph.gate_count():,} gates), {trace.edge_count():,} edges: "
            "showing the output and input gradients only; use --full for every node and edge, "
            "or --format json")


def jacobian_sections(trace: Trace, results: Sequence[Jacobian],
                      rounding: Rounding) -> list[Section]:
    """Each formed Jacobian as a matrix, then one summary row per edge: the check that
    Jᵀ · upstream equals the implicit downstream gradient, or the memory it would take."""
    from ..analysis.jacobian import memory_text

    graph = trace.graph
    sections: list[Section] = []
    summary = Section("Jacobians against the backward pass (Jᵀ · upstream = downstream?)",
                      ["gate", "input", "Jacobian", "Jᵀ · upstream", "downstream",
                       "max difference"], numeric=frozenset({3, 4, 5}), key="jacobians")
    for result in results:
        edge = result.edge
        out, source = graph.names[edge.node], graph.names[edge.source]
        gate = f"{out} = {graph.describe(edge.node)}"
        size = f"{_size(result.rows)} x {_size(result.columns)} = {result.entries:,} entries"
        if result.matrix is None:
            summary.rows.append([gate, source, f"{size}: not formed; it would take "
                                 f"{memory_text(result.entries)}", "", "", ""])
            continue
        sections.append(_matrix_section(result, out, source, gate, rounding))
        summary.rows.append([gate, source, size, format_value(result.product, rounding),
                             format_value(result.implicit, rounding),
                             format_value(result.max_difference, rounding)])
    return [*sections, summary]


def _size(shape: tuple[int, ...]) -> str:
    return f"{int(math.prod(shape)):,}"


def _matrix_section(result: Jacobian, out: str, source: str, gate: str,
                    rounding: Rounding) -> Section:
    assert result.matrix is not None
    title = f"Jacobian d{out}/d{source} at {gate} ({result.method})"
    columns = _element_labels(source, result.columns)
    section = Section(title, ["", *columns], numeric=frozenset(range(1, len(columns) + 1)),
                      key="jacobian")
    for label, row in zip(_element_labels(out, result.rows), result.matrix.tolist(),
                          strict=True):
        section.rows.append([label, *(format_float(v, rounding) for v in row)])
    return section


def _element_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    if not shape:
        return [name]
    return [f"{name}[{','.join(str(i) for i in index)}]"
            for index in itertools.product(*(range(n) for n in shape))]


# Math cells are built only for LaTeX and Markdown, so render/mathcells.py is imported there.

def _forward_math(trace: Trace, section: Section, rounding: Rounding) -> None:
    from .mathcells import Name, gate_formula

    graph = trace.graph
    for node, gate in enumerate(graph.gates):
        if gate == CONST:
            continue
        section.add_math(0, Name(graph.names[node]))
        section.add_math(2, Name(graph.names[node]) if gate == INPUT else gate_formula(graph, node))
        _exact_math(trace, section, (3, 4), (trace.values[node], trace.grads[node]),
                    rounding)


def _backward_math(trace: Trace, section: Section, rounding: Rounding) -> None:
    from .mathcells import Name, gate_formula

    graph = trace.graph
    for edge in trace.edges():
        section.add_math(0, gate_formula(graph, edge.node, target=True))
        section.add_math(1, Name(graph.names[edge.source]))
        section.add_math(3, gate_formula(graph, edge.node, edge.position))
        _exact_math(trace, section, (2, 4, 5), (edge.upstream, edge.local, edge.downstream),
                    rounding)


def _gradient_math(trace: Trace, section: Section, rounding: Rounding) -> None:
    from .mathcells import Derivative

    loss = trace.loss_name()
    for name, grad in trace.gradients.items():
        section.add_math(0, Derivative(loss, name))
        _exact_math(trace, section, (1,), (grad,), rounding)


def _exact_math(trace: Trace, section: Section, columns: tuple[int, ...],
                values: tuple[Any, ...], rounding: Rounding) -> None:
    """In exact mode (numbers, not arrays), values are typeset from their sympy value, with
    the decimal beside."""
    if not trace.exact or trace.arrays:
        return
    from .mathcells import ExactNumber

    for column, value in zip(columns, values, strict=True):
        section.add_math(column, ExactNumber(value, format_value(as_float(value), rounding)))


_MATH = {"nodes": _forward_math, "edges": _backward_math, "gradients": _gradient_math}
