"""IEEE-754 events in an array pass (see ``ieee``): which elements overflowed or
underflowed, which non-finite elements are operations without a real value (domain errors),
and the warnings that name the first node and element where each happened.

The array engine runs with every floating-point exception trapped, so these masks are
computed only for a gate that raised one: the fast path pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DomainError
from ..gates.registry import GATES
from ..graph.graph import CONST, Graph
from ..numformat import format_value
from .ieee import STRICT_HINT, TINY, UNDERFLOW_GATES, underflow_cause
from .trace import Note

Array = Any


def _finite(array: Array, shape: tuple[int, ...]) -> Array:
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.isfinite(array), shape)


def fresh(value: Array, operands: Sequence[Array], elementwise: bool) -> Array:
    """Non-finite elements whose operands are finite: where inf or nan was produced (not
    merely passed on). For a structural gate, all of it if every operand is finite."""
    shape = np.shape(value)
    bad = ~_finite(value, shape)
    if elementwise:
        for operand in operands:
            bad = bad & _finite(operand, shape)
        return bad
    finite = all(bool(np.isfinite(operand).all()) for operand in operands)
    return bad if finite else np.zeros(shape, dtype=bool)


def undefined(gate: str, operands: Sequence[Array], value: Array) -> Array:
    """Elements without a real value (log of 0 or less, x / 0, 0 ** -1, a negative base to a
    fractional power, sqrt of a negative number), as opposed to overflow."""
    shape = np.shape(value)
    with np.errstate(all="ignore"):
        mask = np.isnan(value)
        a = np.broadcast_to(operands[0], shape)
        if gate == "div":
            mask = mask | (np.broadcast_to(operands[1], shape) == 0)
        elif gate == "pow":
            mask = mask | ((a == 0) & (np.broadcast_to(operands[1], shape) < 0))
        elif gate == "log":
            mask = mask | (a == 0)
    return np.broadcast_to(mask, shape)


def underflowed(gate: str, operands: Sequence[Array], value: Array) -> Array:
    """Elements whose exact value is not 0 but whose double is 0 or subnormal."""
    shape = np.shape(value)
    if gate not in UNDERFLOW_GATES:
        return np.zeros(shape, dtype=bool)
    with np.errstate(all="ignore"):
        mask = np.abs(value) < TINY
        for operand in operands:
            mask = mask & np.broadcast_to(np.isfinite(operand) & (np.abs(operand) >= TINY),
                                          shape)
    return np.broadcast_to(mask, shape)


def first(mask: Array) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if np.ndim(mask) else ()


def index_text(index: Sequence[int]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def element_text(graph: Graph, values: Sequence[Array], node: int, mask: Array) -> str:
    """`` at element [i] (with x[i] = ..., 2 of 4 elements)``: the first element of
    ``mask`` and, for an elementwise gate, the operands there."""
    index = first(mask)
    count, size = int(np.count_nonzero(mask)), int(np.size(mask))
    parts: list[str] = []
    if graph.gates[node] in GATES or graph.gates[node] in graph.user_gates:  # elementwise
        shape = np.shape(mask)
        for a in graph.args[node]:
            if graph.gates[a] == CONST:
                continue
            element = np.broadcast_to(values[a], shape)[index]
            where = index_text(index) if np.ndim(values[a]) else ""
            parts.append(f"{graph.names[a]}{where} = {format_value(element)}")
    shown = f"with {', '.join(parts)}" if parts else ""
    if size > 1:
        shown += ("; " if shown else "") + f"{count} of {size} elements"
    where = f" at element {index_text(index)}" if index else ""
    return where + (f" ({shown})" if shown else "")


def value_at(value: Array, mask: Array) -> str:
    return format_value(np.asarray(value)[first(mask)] if np.ndim(mask) else value)


def forward_notes(graph: Graph, values: Sequence[Array]) -> list[Note]:
    """Warnings at the first node with a non-finite element, and the first underflow."""
    notes = []
    for node, value in enumerate(values):
        bad = ~_finite(value, np.shape(value))
        if bad.any():
            kind = "not a number" if np.isnan(np.asarray(value)[first(bad)]) else "overflow"
            text = (f"{kind}: the value is {value_at(value, bad)}"
                    f"{element_text(graph, values, node, bad)}")
            output = values[graph.output]
            if node != graph.output and not _finite(output, np.shape(output)).all():
                text += f"; the output {graph.names[graph.output]} is not finite"
            notes.append(Note(node, f"{text}; IEEE-754 arithmetic carries it on; {STRICT_HINT}"))
            break
    low = first_underflow(graph, values)
    if low is not None:
        node, mask = low
        notes.append(Note(node, f"{underflow_cause(float(np.asarray(values[node])[first(mask)]))}"
                                f"{element_text(graph, values, node, mask)}; {STRICT_HINT}"))
    return notes


def underflow_hint(graph: Graph, values: Sequence[Array], operands: Sequence[int],
                   elements: Sequence[Any]) -> str:
    """For a domain error: say so when an operand's element is 0 because it underflowed."""
    for a, element in zip(operands, elements, strict=True):
        gate = graph.gates[a]
        if element == 0 and gate in UNDERFLOW_GATES and a < len(values) and \
                underflowed(gate, [values[b] for b in graph.args[a]], values[a]).any():
            return (f"; {graph.names[a]} has 0s only because {graph.describe(a)} underflowed "
                    "(their exact values are not 0)")
    return ""


def first_underflow(graph: Graph, values: Sequence[Array]) -> tuple[int, Array] | None:
    for node, gate in enumerate(graph.gates):
        if gate in UNDERFLOW_GATES:
            mask = underflowed(gate, [values[a] for a in graph.args[node]], values[node])
            if mask.any():
                return node, mask
    return None


def strict_error(graph: Graph, values: Sequence[Array], node: int, value: Array,
                 mask: Array, cause: str) -> DomainError:
    """Strict mode: the element where overflow or underflow happened is an error."""
    return DomainError(f"{cause} at node {graph.names[node]} = {graph.describe(node)}"
                       f"{element_text(graph, values, node, mask)}; --strict refuses it",
                       source=graph.source, span=graph.span(node))
