"""The backward pass as a walk: one step per edge, from the output back, as data.

Steps are read from a finished Trace (nothing is computed here): the start (the gradient
arriving at the output), one step per edge (upstream × local = downstream), a sum step
right after the last gradient arrives at a value used more than once (the copy gate), and
the end (the gradient of every input). Each node's gradient is named at the step that
completes it (``completes``): its one edge, or its sum.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.trace import Trace, Value

START, EDGE, SUM, DONE = "start", "edge", "sum", "done"


@dataclass(frozen=True)
class Step:
    """One step of the walk.

    ``edge``: gate ``node`` sends ``downstream = upstream × local`` to ``source`` (input
    ``position`` of the gate; ``formula`` is the local gradient as sympy derived it); when
    this is the only gradient ``source`` receives, ``completes`` is set and ``total`` is
    ``source``'s gradient.
    ``sum``: ``node`` (used ``len(parts)`` times) gets the sum ``total`` of ``parts``.
    ``start``: ``total`` is the gradient arriving at the output ``node``.
    ``done``: the input gradients follow in ``parts`` (in the graph's input order).
    """

    kind: str
    node: int
    source: int = -1
    position: int = -1
    upstream: Value = None
    local: Value = None
    formula: str = ""
    downstream: Value = None
    parts: tuple[Value, ...] = ()
    total: Value = None
    completes: bool = False


def backward_steps(trace: Trace) -> list[Step]:
    """The walk of ``trace``'s backward pass, in the order the engine took it."""
    graph = trace.graph
    arrivals: dict[int, int] = {}
    for node in edge_sources(trace):
        arrivals[node] = arrivals.get(node, 0) + 1
    received: dict[int, list[Value]] = {}
    steps = [Step(START, graph.output, total=trace.grads[graph.output])]
    for edge in trace.edges():
        parts = received.setdefault(edge.source, [])
        parts.append(edge.downstream)
        alone = arrivals[edge.source] == 1
        steps.append(Step(EDGE, edge.node, edge.source, edge.position, edge.upstream,
                          edge.local, trace.local_formula(edge), edge.downstream,
                          total=trace.grads[edge.source] if alone else None,
                          completes=alone))
        if len(parts) == arrivals[edge.source] > 1:
            steps.append(Step(SUM, edge.source, parts=tuple(parts),
                              total=trace.grads[edge.source]))
    inputs = tuple(trace.grads[node] for node in graph.inputs.values())
    steps.append(Step(DONE, graph.output, parts=inputs))
    return steps


def edge_sources(trace: Trace) -> list[int]:
    """The node each edge of the trace sends its gradient to, in backward order."""
    args = trace.graph.args
    return [args[node][position]
            for node, position in zip(trace.edge_nodes, trace.edge_positions, strict=True)]
