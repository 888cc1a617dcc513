"""The float engine's fast path: forward and backward on the compiled tape (``tape.py``).

For float arithmetic and built-in gates only. Whenever the tape cannot run a pass through
(a math function raises: a domain error, an overflow the math module reports), the pass is
done again by the reference loop (``engine.reference``), which settles or reports it; so the
result is always the reference loop's, double for double. The trace's edges are worked out only when
something reads them (``TapeTrace``); notes come from the same functions as the reference's.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from math import isfinite
from typing import Any

from ..gates.arithmetic import FLOAT
from ..graph.graph import Graph
from . import reference
from .ieee import forward_notes, gradient_notes, is_strict, refuse_forward
from .tape import BackwardTape, backward_tape, edge_lists, forward_tape, run_backward, run_forward
from .trace import Trace, Value

_NUMERIC_ERRORS = (ArithmeticError, ValueError)


class TapeTrace(Trace):
    """A Trace whose four edge lists are worked out (``tape.edge_lists``) on first access."""

    def __init__(self, graph: Graph, values: list[float], grads: list[float],
                 tape: BackwardTape) -> None:
        self._edges: dict[str, list[Any]] = {}
        super().__init__(graph, values, grads)
        self._tape: BackwardTape | None = tape

    def _edge_list(self, name: str) -> list[Any]:
        tape = getattr(self, "_tape", None)
        if tape is not None:
            self._tape = None
            lists = edge_lists(self.graph, self.values, self.grads, tape)
            self._edges.update(zip(("nodes", "positions", "locals", "downstreams"), lists,
                                   strict=True))
        return self._edges[name]

    def edge_count(self) -> int:
        """How many edges, without working them out: one per operand that takes a gradient
        of each node the backward tape visits."""
        tape = getattr(self, "_tape", None)
        if tape is None:
            return super().edge_count()
        operands = chain.from_iterable(map(self.graph.args.__getitem__, tape.out))
        return sum(map(self.graph.requires_grad.__getitem__, operands))

    def _set_edge_list(self, name: str, edges: list[Any]) -> None:
        if getattr(self, "_tape", None) is not None:
            self._edge_list(name)  # the others stay consistent with what they were
        self._edges[name] = edges

    @property
    def edge_nodes(self) -> list[int]:
        return self._edge_list("nodes")

    @edge_nodes.setter
    def edge_nodes(self, edges: list[int]) -> None:
        self._set_edge_list("nodes", edges)

    @property
    def edge_positions(self) -> list[int]:
        return self._edge_list("positions")

    @edge_positions.setter
    def edge_positions(self, edges: list[int]) -> None:
        self._set_edge_list("positions", edges)

    @property
    def edge_locals(self) -> list[Value]:
        return self._edge_list("locals")

    @edge_locals.setter
    def edge_locals(self, edges: list[Value]) -> None:
        self._set_edge_list("locals", edges)

    @property
    def edge_downstreams(self) -> list[Value]:
        return self._edge_list("downstreams")

    @edge_downstreams.setter
    def edge_downstreams(self, edges: list[Value]) -> None:
        self._set_edge_list("downstreams", edges)


def usable(graph: Graph, inputs: Mapping[str, Value], upstream: Value = None) -> bool:
    """Whether the tape can run this evaluation: built-in gates, every input value and the
    upstream gradient a float (anything else takes the reference loop)."""
    return not graph.user_gates and (upstream is None or type(upstream) is float) and \
        all(type(value) is float for value in inputs.values())


def forward_on_tape(graph: Graph, inputs: Mapping[str, Value]) -> list[Value]:
    """Every node's value, as ``reference.forward`` gives it in float arithmetic."""
    return _forward(graph, inputs)[0]


def _forward(graph: Graph, inputs: Mapping[str, Value]) -> tuple[list[Value], bool]:
    """The values, and whether the tape gave them (else the reference loop did)."""
    tape = forward_tape(graph) if usable(graph, inputs) else None
    if tape is None:
        return reference.forward(graph, inputs), False
    reference.check_inputs(graph, inputs)
    try:
        values = run_forward(tape, inputs)
    except _NUMERIC_ERRORS:
        return reference.forward(graph, inputs), False
    if is_strict():
        refuse_forward(graph, values)
    return values, True


def backward_on_tape(graph: Graph, values: list[Value], upstream: Value = None) -> Trace:
    """The trace, as ``reference.backward`` gives it in float arithmetic."""
    tape = backward_tape(graph) if upstream is None or type(upstream) is float else None
    if tape is None:
        return reference.backward(graph, values, FLOAT, upstream)
    try:
        grads, kinks = run_backward(tape, values, 1.0 if upstream is None else upstream)
    except _NUMERIC_ERRORS:
        return reference.backward(graph, values, FLOAT, upstream)
    trace = TapeTrace(graph, values, grads, tape)
    args = graph.args
    for node in kinks:  # the same notes, in the same (backward) order, as the reference's
        reference.noted_kink_locals(trace, node, [values[a] for a in args[node]], FLOAT)
    reference.note_unused_inputs(trace, tape.needed)
    trace.notes[:0] = forward_notes(graph, values)
    if not isfinite(sum(grads)):  # else every gradient is finite: no edge to warn about
        gradient_notes(trace)
    return trace


def evaluate_on_tape(graph: Graph, inputs: Mapping[str, Value], upstream: Value = None) -> Trace:
    """Forward then backward; if the tape's forward pass did not run through, the reference
    loop does both passes."""
    values, taped = _forward(graph, inputs)
    if not taped:
        return reference.backward(graph, values, FLOAT, upstream)
    return backward_on_tape(graph, values, upstream)
