"""Trace: the finished forward and backward pass, which every renderer reads."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..gates.registry import GATES
from ..graph.graph import CONST, INPUT, Graph
from ..numformat import format_value

Value = Any  # a float, or a sympy number in exact mode; a numpy array in an array trace

# Views of a Trace made by later stages (the tables as HTML, the picture as SVG). The
# package's front (backprop_cli/__init__.py) fills this in, so that a notebook displays a
# Trace while this stage imports nothing above it: "html" takes the trace, "draw" the trace
# and draw's options.
VIEWS: dict[str, Callable[..., Any]] = {}


class Note(NamedTuple):
    """A warning about one node (a kink, an unused input, ...)."""

    node: int
    message: str


class Edge(NamedTuple):
    """One edge of the backward pass: ``node`` sends ``downstream`` to ``source``.

    ``local`` is None for a structural array gate (``@``, ``sum``, ...): its local
    gradient is a rule (see ``Trace.local_formula``), applied without a Jacobian.
    """

    node: int
    position: int
    source: int
    upstream: Value
    local: Value
    downstream: Value


@dataclass
class Trace:
    """Every node's value and gradient, every edge's upstream, local and downstream gradient.

    Edges are stored in backward order (from the output back), as flat parallel lists.
    ``grads[i]`` is d output / d node i (0 for nodes the output does not depend on).
    In an array trace (``arrays``) every value and gradient is a numpy array (0-d for a
    scalar), each gradient of its node's shape.
    """

    graph: Graph
    values: list[Value]
    grads: list[Value]
    exact: bool = False
    edge_nodes: list[int] = field(default_factory=list)
    edge_positions: list[int] = field(default_factory=list)
    edge_locals: list[Value] = field(default_factory=list)
    edge_downstreams: list[Value] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    arrays: bool = False

    @property
    def output(self) -> int:
        return self.graph.output

    @property
    def value(self) -> Value:
        """The output's forward value."""
        return self.values[self.graph.output]

    @property
    def gradients(self) -> dict[str, Value]:
        """d output / d input, for every input, in order of first use (class labels, which
        take no gradient, are left out)."""
        requires = self.graph.requires_grad
        return {name: self.grads[node] for name, node in self.graph.inputs.items()
                if requires[node]}

    def loss_name(self) -> str:
        """What the gradients are of: the output's name, or ``L`` when the output is a
        non-scalar array (its gradients are those of a loss L given dL/d output = the
        upstream gradient)."""
        if self.arrays and getattr(self.value, "ndim", None):
            return "L"
        return self.graph.names[self.graph.output]

    def shape(self, node: int) -> tuple[int, ...]:
        """A node's shape (``()`` for a scalar)."""
        return tuple(getattr(self.values[node], "shape", ()))

    def grad(self, name: str) -> Value:
        """d output / d node, for an input or any named node."""
        return self.grads[self.graph.node_named(name)]

    def node_value(self, name: str) -> Value:
        return self.values[self.graph.node_named(name)]

    def edge_count(self) -> int:
        return len(self.edge_nodes)

    def edge(self, index: int) -> Edge:
        node = self.edge_nodes[index]
        position = self.edge_positions[index]
        return Edge(node, position, self.graph.args[node][position], self.grads[node],
                    self.edge_locals[index], self.edge_downstreams[index])

    def edges(self) -> list[Edge]:
        return [self.edge(i) for i in range(self.edge_count())]

    def local_formula(self, edge: Edge) -> str:
        """The sympy-derived local gradient of the edge, written in the graph's names (for a
        structural array gate, the rule that gives the downstream gradient)."""
        return local_formula(self.graph, edge.node, edge.position, self.loss_name())

    def warning(self, note: Note) -> str:
        """A note as a warning line: ``NODE = FORMULA: message``."""
        graph, node = self.graph, note.node
        where = f"{graph.names[node]} = {graph.describe(node)}" if graph.args[node] else \
            graph.names[node]
        return f"{where}: {note.message}"

    def gate_nodes(self) -> list[int]:
        """Nodes that are gates (not inputs or constants), in forward order."""
        return [i for i, gate in enumerate(self.graph.gates) if gate not in (INPUT, CONST)]

    def _repr_html_(self) -> str | None:
        """The forward and backward tables as HTML, for Jupyter (None: no view registered)."""
        view = VIEWS.get("html")
        return None if view is None else str(view(self))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """A short text form for IPython (the dataclass's repr holds every value)."""
        printer.text(f"<Trace {self.graph.names[self.output]} = {format_value(self.value)}: "
                     f"{len(self.graph)} nodes, {self.edge_count()} edges>")

    def draw(self, *, precision: int | None = None, values: bool = True, grads: bool = True,
             expand: bool = False, title: str = "") -> Any:
        """The circuit as ``backprop draw`` draws it, as an SVG picture that a notebook
        displays (``.svg`` is its text, ``.save(path)`` writes it): ``precision`` decimals,
        ``values``/``grads`` off to leave them out, ``expand`` to open composite gates."""
        return VIEWS["draw"](self, precision=precision, values=values, grads=grads,
                             expand=expand, title=title)


_PARAM_RE = re.compile(r"\b([ab]|out)\b")


def _param_re(params: tuple[str, ...]) -> re.Pattern[str]:
    if params in (("a",), ("a", "b")):
        return _PARAM_RE
    return re.compile(r"\b(" + "|".join(map(re.escape, (*params, "out"))) + r")\b")


def formula_pieces(params: tuple[str, ...], formula: str) -> list[tuple[str, str | None]]:
    """A derivative formula split at its parameter names (and ``out``): pairs of literal
    text and the name that follows it (None after the last piece)."""
    parts = _param_re(params).split(formula)
    return [(parts[i], parts[i + 1] if i + 1 < len(parts) else None)
            for i in range(0, len(parts), 2)]


def local_formula(graph: Graph, node: int, position: int, loss: str | None = None) -> str:
    """Substitute the node's operand names into the gate's derivative formula (for a
    structural array gate, its vector-Jacobian rule)."""
    gate = graph.gates[node]
    if gate not in GATES and gate not in graph.user_gates:
        from ..gates.array_gates import rule

        names = [graph.operand_name(a) for a in graph.args[node]]
        return rule(gate, position, names, graph.operand_name(node),
                    loss or graph.operand_name(graph.output), graph.attrs.get(node, ()))
    spec = graph.spec(gate)
    operands = {p: graph.operand_name(a) for p, a in zip(spec.params, graph.args[node],
                                                            strict=True)}
    operands["out"] = graph.operand_name(node)
    return _param_re(spec.params).sub(lambda m: operands[m.group(1)],
                                      spec.partial_formulas[position])
