"""``evaluate``: the one dispatcher that picks the engine for a graph and its inputs.

- arrays (an array input, array gate or array upstream): ``engine.arrays``;
- floats, built-in gates, ``TAPE_MIN_NODES`` nodes or more: the compiled tape
  (``engine.tape_passes``: the same trace as the reference loop, faster);
- everything else (small graphs, user-defined gates, ``--exact``): the reference loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..gates.arithmetic import FLOAT, Arithmetic
from ..gcpause import paused_gc
from ..graph.graph import Graph
from .reference import backward, forward
from .trace import Trace, Value

# graphs from this size on run on the compiled tape (the same trace, faster); smaller ones
# gain nothing worth its import at start-up
TAPE_MIN_NODES = 64


def _is_array(value: object) -> bool:
    """A vector, matrix or higher array (a list or anything with ndim >= 1)."""
    return isinstance(value, list | tuple) or bool(getattr(value, "ndim", 0))


def evaluate(graph: Graph, inputs: Mapping[str, Value], arithmetic: Arithmetic = FLOAT,
             upstream: Value = None) -> Trace:
    """Forward then backward: the whole trace of ``graph`` at ``inputs``.

    Array values or array gates take the numpy path (``engine.arrays``); numbers take the
    reference loop (in float arithmetic with built-in gates, graphs of ``TAPE_MIN_NODES``
    nodes or more run on the compiled tape: ``engine.tape_passes``). An input named ``e``
    or ``pi`` shadows the constant.
    """
    if len(inputs) > len(graph.inputs):
        graph = graph.with_constants_as_inputs(inputs)
    if graph.uses_arrays or _is_array(upstream) or any(map(_is_array, inputs.values())):
        from .arrays import evaluate_arrays

        return evaluate_arrays(graph, inputs, arithmetic.exact, upstream)
    with paused_gc():
        if arithmetic is FLOAT and not graph.user_gates and len(graph) >= TAPE_MIN_NODES:
            from .tape_passes import evaluate_on_tape

            return evaluate_on_tape(graph, inputs, upstream)
        return backward(graph, forward(graph, inputs, arithmetic), arithmetic, upstream)
