"""IEEE-754 double arithmetic at its edges: overflow, underflow, inf and nan.

A floating-point run follows IEEE-754: a result too large for a double becomes +-inf, one
too small rounds to 0 or to a subnormal number, and inf and nan flow on through later
gates. The first node where each of these happened is named in a warning (a Note on the
trace); under ``strict()`` (the ``--strict`` option) each is an error instead. Operations
without a real value (log of 0, x / 0, sqrt of a negative number, ...) are domain errors
either way; the engines decide those.

Python's math functions raise OverflowError where IEEE-754 gives inf. The scalar engine
catches that off its hot loop and asks ``ieee_value`` for the IEEE result, which numpy's
version of the gate computes (numpy is imported only then).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from ..errors import DomainError
from ..gates.table import GATES
from ..graph.graph import CONST, Graph
from ..numformat import format_value
from .trace import Note, Trace

TINY = sys.float_info.min  # the smallest normal double, 2.2e-308
# Gates whose exact result is never 0 when every operand is a nonzero finite number: a 0 or
# subnormal result there is an underflow (the rows that say ``underflow``).
UNDERFLOW_GATES = frozenset(row.name for row in GATES if row.underflow)
STRICT_HINT = "--strict makes this an error"

_STRICT: ContextVar[bool] = ContextVar("backprop_strict", default=False)


def is_strict() -> bool:
    """Whether overflow, underflow, inf and nan are errors (``--strict``)."""
    return _STRICT.get()


@contextmanager
def strict(on: bool = True) -> Iterator[None]:
    """Run a block with strict floating point (or explicitly without, ``on=False``)."""
    token = _STRICT.set(on)
    try:
        yield
    finally:
        _STRICT.reset(token)


def ieee_value(graph: Graph, gate: str, operands: Sequence[float],
               position: int | None = None, out: float = 0.0) -> float:
    """The IEEE-754 result of a gate's value (or of its local gradient for operand
    ``position``), where the math module raised instead: numpy's elementwise version of
    the gate (for a user-defined gate, its tape on numpy's gates), with floating-point
    exceptions ignored."""
    import numpy as np

    if gate in graph.user_gates:
        from ..gates.array_kit import NUMPY_ARITHMETIC

        pair: Any = graph.user_gates[gate].functions(NUMPY_ARITHMETIC)
    else:
        from ..gates._gatetable_np import NUMPY_GATES

        pair = NUMPY_GATES[gate]
    forward, partials = cast(tuple[Callable[..., Any], tuple[Callable[..., Any], ...]], pair)
    numbers = [np.float64(v) for v in operands]
    function = forward if position is None else partials[position]
    extra = [] if position is None else [np.float64(out)]
    with np.errstate(all="ignore"):
        return float(function(*numbers, *extra))


def is_normal(value: Any) -> bool:
    """A finite number that is not 0 and not subnormal."""
    return math.isfinite(value) and abs(value) >= TINY


def operands_text(graph: Graph, values: Sequence[Any], node: int) -> str:
    """`` (with a = 1, b = 2)`` for the node's operands that are not literals."""
    shown = [f"{graph.names[a]} = {format_value(values[a])}" for a in graph.args[node]
             if graph.gates[a] != CONST]
    return f" (with {', '.join(shown)})" if shown else ""


# ----------------------------------------------------------------------------- forward

def first_non_finite(values: Sequence[float]) -> int | None:
    """The first node whose value is inf, -inf or nan: the one that produced it, since
    nodes come in forward order and inputs are finite."""
    if _finite_sum(values) or all(map(math.isfinite, values)):
        return None
    return next(i for i, v in enumerate(values) if not math.isfinite(v))


def _finite_sum(values: Sequence[float]) -> bool:
    """Whether the values sum to a finite number, which none can then be inf or nan (a
    sum that overflowed says nothing: the caller looks at each value)."""
    try:
        return math.isfinite(sum(values))
    except (OverflowError, TypeError):
        return False


def first_underflow(graph: Graph, values: Sequence[float]) -> int | None:
    """The first node whose exact result is not 0 but whose double is 0 or subnormal."""
    if not values or min(values) >= TINY or max(values) <= -TINY or \
            min(map(abs, values)) >= TINY:
        return None  # one sign and no tiny value: two cheap passes decide most graphs
    gates, args = graph.gates, graph.args
    for node, value in enumerate(values):
        if -TINY < value < TINY and gates[node] in UNDERFLOW_GATES and \
                all(is_normal(values[a]) for a in args[node]):
            return node
    return None


def overflow_message(graph: Graph, values: Sequence[Any], node: int) -> str:
    """What happened at the first non-finite node, for a warning."""
    value = values[node]
    text = f"{_kind(value)}: the value is {format_value(value)}" \
           f"{operands_text(graph, values, node)}"
    output = graph.output
    if output != node and not _all_finite(values[output]):
        text += f"; the output {graph.names[output]} is {format_value(values[output])}"
    return f"{text}; IEEE-754 arithmetic carries it on; {STRICT_HINT}"


def _kind(value: Any) -> str:
    return "not a number" if value != value else "overflow"


def underflow_cause(value: float) -> str:
    if value == 0:
        return "underflow: the value rounds to 0, though its exact value is not 0"
    return (f"underflow: the value {format_value(value)} is below the smallest normal double "
            f"({TINY:.3g}), so it keeps fewer significant digits")


def underflow_hint(graph: Graph, values: Sequence[float], operands: Sequence[int]) -> str:
    """For a domain error: say so when an operand is 0 only because it underflowed."""
    for a in operands:
        if values[a] == 0 and graph.gates[a] in UNDERFLOW_GATES and \
                all(is_normal(values[b]) for b in graph.args[a]):
            return (f"; {graph.names[a]} is 0 only because {graph.describe(a)} underflowed "
                    "(its exact value is not 0)")
    return ""


def forward_notes(graph: Graph, values: Sequence[float]) -> list[Note]:
    """Warnings for the first non-finite node and the first underflow (not strict)."""
    notes = []
    bad = first_non_finite(values)
    if bad is not None:
        notes.append(Note(bad, overflow_message(graph, values, bad)))
    low = first_underflow(graph, values)
    if low is not None:
        notes.append(Note(low, f"{underflow_cause(values[low])}"
                               f"{operands_text(graph, values, low)}; {STRICT_HINT}"))
    return notes


def refuse_forward(graph: Graph, values: Sequence[float]) -> None:
    """Strict: the first non-finite value or underflow is an error."""
    bad = first_non_finite(values)
    if bad is not None:
        value = values[bad]
        raise node_error(graph, values, bad, f"{_kind(value)}: the value is "
                                             f"{format_value(value)}", "; --strict refuses it")
    low = first_underflow(graph, values)
    if low is not None:
        raise node_error(graph, values, low, underflow_cause(values[low]),
                         "; --strict refuses underflow")


def node_error(graph: Graph, values: Sequence[Any], node: int, cause: str,
               tail: str = "") -> DomainError:
    """CAUSE at node NAME = FORMULA (with its operands)TAIL, pointing into the source."""
    return DomainError(f"{cause} at node {graph.names[node]} = {graph.describe(node)}"
                       f"{operands_text(graph, values, node)}{tail}",
                       source=graph.source, span=graph.span(node))


# ----------------------------------------------------------------------------- backward

def _all_finite(value: Any) -> bool:
    if getattr(value, "ndim", None) is not None:
        import numpy as np

        with np.errstate(all="ignore"):
            return bool(np.isfinite(value).all())
    return math.isfinite(value)


def first_bad_edge(trace: Trace) -> int | None:
    """The first edge, in backward order, whose downstream gradient is not finite.

    If every node's gradient is finite, so is every edge's (they are sums of them).
    """
    if all(map(_all_finite, trace.grads)):
        return None
    return next((i for i, d in enumerate(trace.edge_downstreams) if not _all_finite(d)), None)


def gradient_message(trace: Trace, index: int, where: str = " from here") -> str:
    """The edge where the gradient stops being finite, and the inputs it reaches."""
    edge = trace.edge(index)
    source = trace.graph.names[edge.source]
    if getattr(edge.downstream, "ndim", 0):
        text = f"the gradient for {source} is not finite{where}: {_array_product(edge)}"
    else:
        text = (f"the gradient is not finite{where}: upstream {format_value(edge.upstream)} × "
                f"local gradient {format_value(edge.local)} = "
                f"{format_value(edge.downstream)} for {source}")
    loss = trace.loss_name()
    reached = [f"d{loss}/d{name} = {_first_bad(value)}"
               for name, value in trace.gradients.items() if not _all_finite(value)]
    if reached:
        text += f"; so {', '.join(reached)}"
    return text


def _array_product(edge: Any) -> str:
    """The first non-finite element of an array edge's downstream gradient, and (for an
    elementwise gate, where the shapes agree) its upstream and local factors."""
    import numpy as np

    downstream = edge.downstream
    with np.errstate(all="ignore"):
        bad = ~np.isfinite(downstream)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    text = f"{_first_bad(downstream)}"
    factors = [edge.upstream, edge.local]
    if all(np.shape(f) == np.shape(downstream) or not np.ndim(f) for f in factors) and \
            edge.local is not None:
        upstream, local = (np.asarray(f)[index] if np.ndim(f) else f for f in factors)
        text += (f" = upstream {format_value(float(upstream))} × local gradient "
                 f"{format_value(float(local))}")
    count, size = int(np.count_nonzero(bad)), int(np.size(bad))
    return text + (f" ({count} of {size} elements)" if size > 1 else "")


def _first_bad(value: Any) -> str:
    """A number, or an array's first non-finite element with its index."""
    if not getattr(value, "ndim", 0):
        return format_value(value)
    import numpy as np

    with np.errstate(all="ignore"):
        bad = ~np.isfinite(value)
    if not bad.any():
        return format_value(value)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{format_value(value[index])} at [{', '.join(map(str, index))}]"


def gradient_notes(trace: Trace) -> None:
    """Warn at the first edge whose gradient is not finite; strict: refuse it."""
    index = first_bad_edge(trace)
    if index is None:
        return
    node = trace.edge_nodes[index]
    graph = trace.graph
    if is_strict():
        where = f" at node {graph.names[node]} = {graph.describe(node)}"
        raise DomainError(f"{gradient_message(trace, index, where)}; --strict refuses inf "
                          "and nan", source=graph.source, span=graph.span(node))
    trace.notes.append(Note(node, f"{gradient_message(trace, index)}; {STRICT_HINT}"))
