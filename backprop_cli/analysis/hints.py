"""Hints on a wrong answer: which usual mistake gives the number the student wrote.

A wrong answer is compared with quantities the trace holds (never shown to the student):
the right answer negated, the local gradient of an edge alone, one branch of a fan-out,
the node's forward value, another input's gradient, the right answer off by an upstream
factor. The first that agrees (by the answer's own tolerance) names the mistake; the hint's
text names nodes, never numbers, so ``--hide`` may show it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace

from ..engine.paths import path_edge, path_node
from ..engine.trace import Edge, Trace
from ..graph.graph import INPUT
from .expectations import Hint, Value, Verdict, agrees

SIGN, LOCAL, BRANCH, FORWARD, OTHER_INPUT, UPSTREAM = (
    "sign", "local-only", "one-branch", "forward-value", "other-input", "upstream-factor")
HINT_CLASSES = (SIGN, LOCAL, BRANCH, FORWARD, OTHER_INPUT, UPSTREAM)
Candidate = tuple[Value, Hint]


def with_hints(trace: Trace, verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts, each wrong one with the hint its answer matches (if any)."""
    return [verdict if verdict.right else replace(verdict, hint=hint_for(trace, verdict))
            for verdict in verdicts]


def hint_for(trace: Trace, verdict: Verdict) -> Hint | None:
    """The first usual mistake whose number agrees with the wrong answer."""
    expected, computed = verdict.expectation.expected, verdict.computed
    with warnings.catch_warnings():  # a candidate may overflow or divide by 0: no match
        warnings.simplefilter("ignore")
        for value, hint in _candidates(trace, verdict.expectation.path, computed):
            try:
                if not agrees(value, computed, verdict.allowed) and \
                        agrees(expected, value, verdict.allowed):
                    return hint
            except (ArithmeticError, TypeError, ValueError):
                continue
    return None


def downstream_mistakes(trace: Trace, edge: Edge) -> list[Candidate]:
    """The numbers the usual mistakes give for an edge's downstream gradient, each with its
    hint (for a page that compares answers itself), in the order ``hint_for`` tries them."""
    with warnings.catch_warnings():  # a candidate may overflow or divide by 0
        warnings.simplefilter("ignore")
        return [_sign(edge.downstream), *_downstream_mistakes(trace, edge, edge.downstream)]


def gradient_mistakes(trace: Trace, node: int) -> list[Candidate]:
    """The numbers the usual mistakes give for a node's gradient, each with its hint."""
    computed = trace.grads[node]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [_sign(computed), *_gradient_mistakes(trace, node, computed)]


def _sign(computed: Value) -> Candidate:
    return -computed, Hint(SIGN, "the sign is flipped")


def _candidates(trace: Trace, path: str, computed: Value) -> Iterator[Candidate]:
    yield _sign(computed)
    parts = path.split(".")
    if parts[0] == "grad" or parts[:1] + parts[2:] == ["node", "grad"]:
        yield from _gradient_mistakes(trace, path_node(trace, parts[1]), computed)
    elif parts[0] == "edge" and parts[3] == "downstream":
        yield from _downstream_mistakes(trace, path_edge(trace, path), computed)
    elif parts[0] == "edge" and parts[3] == "local":
        yield path_edge(trace, path).downstream, Hint(
            UPSTREAM, "this is upstream × local, the downstream gradient; the local "
                      "gradient is the gate's own derivative alone")


def _downstream_mistakes(trace: Trace, edge: Edge, computed: Value) -> Iterator[Candidate]:
    yield from _edge_mistakes(trace, edge)
    yield from _upstream_factors(computed, [edge.upstream], "this edge's upstream")


def _gradient_mistakes(trace: Trace, node: int, computed: Value) -> Iterator[Candidate]:
    graph = trace.graph
    name = graph.names[node]
    uses = [edge for edge in trace.edges() if edge.source == node]
    for edge in uses:
        yield from _edge_mistakes(trace, edge)
    if len(uses) > 1:
        for edge in uses:
            yield edge.downstream, Hint(BRANCH, f"{name} is used {len(uses)} times and this "
                                                "is one branch: its gradient is the sum of "
                                                "the gradients of all its branches")
    yield trace.values[node], Hint(FORWARD, f"this is the forward value of {name}, not its "
                                            "gradient")
    for other, at in graph.inputs.items() if graph.gates[node] == INPUT else ():
        if at != node and graph.requires_grad[at]:
            yield trace.grads[at], Hint(OTHER_INPUT, f"this is the gradient with respect to "
                                                     f"{other}, not {name}")
    upstreams = [trace.grads[trace.output]] + [edge.upstream for edge in uses]
    yield from _upstream_factors(computed, upstreams, "an upstream gradient")


def _edge_mistakes(trace: Trace, edge: Edge) -> Iterator[Candidate]:
    """The local gradient alone (when an upstream other than 1 makes it differ)."""
    if edge.local is not None and not agrees(edge.local, edge.downstream, 0.0):
        gate = f"{trace.graph.names[edge.node]} = {trace.graph.describe(edge.node)}"
        yield edge.local, Hint(LOCAL, f"this is the local gradient of {gate} alone: "
                                      "multiply it by the upstream gradient "
                                      "(downstream = upstream × local)")


def _upstream_factors(computed: Value, upstreams: list[Value],
                      which: str) -> Iterator[Candidate]:
    hint = Hint(UPSTREAM, f"off by a factor of {which}: check where the upstream "
                          "gradient is multiplied in (once per edge)")
    for upstream in upstreams:
        for value in _scaled(computed, upstream):
            yield value, hint


def _scaled(value: Value, factor: Value) -> list[Value]:
    """``value`` times and divided by ``factor``; none when their shapes do not fit."""
    try:
        return [value * factor, value / factor]
    except (ArithmeticError, TypeError, ValueError):
        return []
