"""Forward and backward passes on numpy arrays -> Trace (the array path of ``evaluate``).

Used when an input or the upstream gradient is an array, or the program has array gates.
Every value and gradient is a numpy array (0-d for scalars). Shapes are inferred from the
input shapes and checked before anything is computed. Elementwise gates use the
sympy-derived local derivatives of ``_gatetable_np``: downstream = upstream * local, summed
over the axes broadcasting added. Structural gates apply their VJP rule (``arraygates``).
Non-finite results stop with a DomainError naming the node, the gate and the element.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DomainError, GraphError, InputError
from ..gates.array_gates import ARRAY_GATES, LabelError, ShapeMismatch, show_shape
from ..gates.array_kit import Array, Kit, kit_for, kit_with_user_gates, unbroadcast
from ..gates.kinks import KINKS
from ..graph.graph import CONST, INPUT, Graph
from ..limits import EXACT_BYTES, FLOAT_BYTES, check_memory, current, exceeded
from ..numformat import format_value
from . import ieee_arrays
from .ieee import gradient_notes, is_strict, underflow_cause
from .reference import check_inputs, literal_of, local_undefined, needed_nodes, undefined_reason
from .trace import Note, Trace

Shape = tuple[int, ...]
_EXACT_ERRORS = (ArithmeticError, ValueError, TypeError)


def trapping() -> np.errstate:
    """Overflow, underflow, 0/0, log(-1), ... raise FloatingPointError: the fast path needs
    no finiteness pass over every array; only then is the gate recomputed and judged
    (a domain error, or IEEE-754 arithmetic carrying on: ``ieee_arrays``)."""
    return np.errstate(all="raise")


def evaluate_arrays(graph: Graph, inputs: Mapping[str, Any], exact: bool = False,
                    upstream: Any = None) -> Trace:
    """Forward then backward with array values; ``upstream`` has the output's shape."""
    check_inputs(graph, inputs)
    kit = kit_with_user_gates(kit_for(exact), graph)
    arrays = {name: _input_array(kit, name, value) for name, value in inputs.items()}
    shapes = infer_shapes(graph, {name: a.shape for name, a in arrays.items()},
                          EXACT_BYTES if exact else FLOAT_BYTES)
    seed = _seed(graph, shapes, kit, upstream)
    with trapping():
        values, unusual = _forward(graph, arrays, kit)
        trace = Trace(graph, values, [], exact=exact, arrays=True)
        _backward(trace, kit, seed, shapes, unusual)
    if unusual:
        trace.notes[:0] = ieee_arrays.forward_notes(graph, values)
    return trace


def forward_arrays(graph: Graph, inputs: Mapping[str, Any], exact: bool = False) -> list[Array]:
    """Every node's value, forward only (for numerical gradients: no backward pass)."""
    check_inputs(graph, inputs)
    kit = kit_with_user_gates(kit_for(exact), graph)
    arrays = {name: _input_array(kit, name, value) for name, value in inputs.items()}
    infer_shapes(graph, {name: a.shape for name, a in arrays.items()},
                 EXACT_BYTES if exact else FLOAT_BYTES)
    with trapping():
        return _forward(graph, arrays, kit)[0]


def _input_array(kit: Kit, name: str, value: Any) -> Array:
    array = kit.convert(value)
    if not kit.exact and not all_finite(array):
        raise InputError(f"the value of {name} contains {_first_bad(array)}")
    return array


def all_finite(array: Array) -> bool:
    """No inf or nan: the sum is a quick test (finite sum => finite entries); only a sum
    that overflowed needs the elementwise check."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.sum(array))) or bool(np.isfinite(array).all())


def _first_bad(array: Array) -> str:
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    return f"{format_value(array[index])} at {_index_text(index)}"


def _index_text(index: Sequence[int]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


# ----------------------------------------------------------------------------- shapes

def infer_shapes(graph: Graph, input_shapes: Mapping[str, Shape],
                 element_bytes: int = FLOAT_BYTES) -> list[Shape]:
    """Every node's shape from the input shapes; a mismatch names the gate and position, and
    so does a shape with more elements than ``--limit array-elements`` allows, and arrays
    that would take more than ``--limit memory`` bytes together (before any is made)."""
    shapes: list[Shape] = []
    held = 0
    names, gates, args, attrs = graph.names, graph.gates, graph.args, graph.attrs
    largest = current().array_elements
    for node, gate in enumerate(gates):
        if gate == INPUT:
            shapes.append(tuple(input_shapes[names[node]]))
        elif gate == CONST:
            shapes.append(())
        else:
            operands = [shapes[a] for a in args[node]]
            try:
                shapes.append(_gate_shape(gate, operands, attrs.get(node, ())))
            except ShapeMismatch as error:
                raise GraphError(f"{gate} gate {names[node]} = {graph.describe(node)}: {error}",
                                 source=graph.source, span=graph.span(node)) from None
            if math.prod(shapes[-1]) > largest:
                raise exceeded(f"the number of elements of {names[node]} = "
                               f"{graph.describe(node)}, of shape {show_shape(shapes[-1])},",
                               math.prod(shapes[-1]), "array_elements", source=graph.source,
                               span=graph.span(node))
        held += math.prod(shapes[-1]) * _copies(graph, node)
        if held * element_bytes > current().memory:
            check_memory(f"evaluating up to {names[node]} = {graph.describe(node)}",
                         held * element_bytes, source=graph.source, span=graph.span(node))
    return shapes


def _copies(graph: Graph, node: int) -> int:
    """Arrays of a node's shape the passes hold at once: its value, its gradient and a
    local gradient per operand; a user gate's tape holds one per step as well."""
    copies = 2 + len(graph.args[node])
    gate = graph.user_gates.get(graph.gates[node]) if graph.user_gates else None
    return copies + (gate.tape_steps() if gate is not None else 0)


def _gate_shape(gate: str, operands: list[Shape], attrs: tuple[Any, ...]) -> Shape:
    spec = ARRAY_GATES.get(gate)
    if spec is not None:
        return spec.shape(operands, attrs)
    try:
        return tuple(np.broadcast_shapes(*operands))
    except ValueError:
        texts = [show_shape(s) for s in operands]
        shown = ", ".join(texts[:-1]) + " and " + texts[-1]
        raise ShapeMismatch(f"shapes {shown} do not broadcast (each trailing dimension "
                            "must be equal, or 1)") from None


def _seed(graph: Graph, shapes: list[Shape], kit: Kit, upstream: Any) -> Array:
    shape, name = shapes[graph.output], graph.names[graph.output]
    if upstream is None:
        if shape == ():
            return kit.asarray(kit.one)
        example = f"ones({', '.join(str(n) for n in shape)})"
        raise InputError(f"the output {name} has shape {show_shape(shape)}, so the gradient "
                         f"arriving at it must be given: --upstream VALUE of that shape "
                         f"(for example --upstream \"{example}\")")
    seed = kit.convert(upstream)
    if seed.shape != shape:
        raise InputError(f"the upstream gradient has shape {show_shape(seed.shape)}, but the "
                         f"output {name} has shape {show_shape(shape)}")
    if not kit.exact and not all_finite(seed):
        raise InputError(f"the upstream gradient contains {_first_bad(seed)}")
    return seed


# ----------------------------------------------------------------------------- forward

def _forward(graph: Graph, arrays: Mapping[str, Array], kit: Kit) -> tuple[list[Array], bool]:
    """Every node's value, and whether a floating-point exception was trapped (then some
    value may be inf, nan or an underflow, and is reported afterwards)."""
    values: list[Array] = []
    append = values.append
    elementwise = kit.elementwise
    names, gates, args, attrs = graph.names, graph.gates, graph.args, graph.attrs
    unusual = False
    for node, gate in enumerate(gates):
        if gate == INPUT:
            append(arrays[names[node]])
            continue
        if gate == CONST:
            append(kit.asarray(literal_of(graph, node, kit.literal)))
            continue
        operands = [values[a] for a in args[node]]
        pair = elementwise.get(gate)
        try:
            try:
                value = _apply(gate, pair, operands, kit, attrs.get(node, ()))
            except FloatingPointError:
                with np.errstate(all="ignore"):
                    value = _apply(gate, pair, operands, kit, attrs.get(node, ()))
                _judge(graph, values, node, value, pair is not None)
                unusual = True
        except LabelError as error:
            raise _label_error(graph, node, error) from None
        except _EXACT_ERRORS as error:
            if not kit.exact:
                raise  # a bug, not bad input: floats report domain errors above
            raise _exact_error(graph, values, node, kit, error, "value") from None
        append(value)
    return values, unusual


def _judge(graph: Graph, values: list[Array], node: int, value: Array,
           elementwise: bool) -> None:
    """After a trapped exception: elements without a real value are a domain error; in
    strict mode so are overflow and underflow. Otherwise IEEE-754 carries on."""
    gate = graph.gates[node]
    operands = [values[a] for a in graph.args[node]]
    produced = ieee_arrays.fresh(value, operands, elementwise)
    if elementwise and produced.any():
        undefined = produced & ieee_arrays.undefined(gate, operands, value)
        if undefined.any():
            raise _element_error(graph, values, node, value, "value", ~undefined)
    if not is_strict():
        return
    known = [*values, value]
    if produced.any():
        cause = f"overflow: the value is {ieee_arrays.value_at(value, produced)}"
        raise ieee_arrays.strict_error(graph, known, node, value, produced, cause)
    low = ieee_arrays.underflowed(gate, operands, value)
    if low.any():
        cause = underflow_cause(float(np.asarray(value)[ieee_arrays.first(low)]))
        raise ieee_arrays.strict_error(graph, known, node, value, low, cause)


def _apply(gate: str, pair: Any, operands: list[Array], kit: Kit,
           attrs: tuple[Any, ...]) -> Array:
    if pair is not None:
        return np.asarray(pair[0](*operands))
    return kit.settle(ARRAY_GATES[gate].forward(kit, operands, attrs))


def _label_error(graph: Graph, node: int, error: LabelError) -> DomainError:
    labels = graph.args[node][1]
    return DomainError(f"{error} at node {graph.names[node]} = {graph.describe(node)}, but "
                       f"{graph.names[labels]}{_index_text(error.where)} is not",
                       source=graph.source, span=graph.span(node))


def _element_error(graph: Graph, values: list[Array], node: int, result: Array, what: str,
                   allowed: Array | None = None, tail: str = "") -> DomainError:
    """Name the first element that is not finite, with the operands' elements there."""
    shape = np.shape(values[node]) if node < len(values) else np.shape(result)
    bad = ~np.isfinite(np.broadcast_to(result, shape))
    if allowed is not None:
        bad &= ~allowed
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    operands = graph.args[node]
    elements = [np.broadcast_to(values[a], shape)[index] for a in operands]
    gate = graph.gates[node]
    cause = undefined_reason(gate, elements, what)
    if cause is None and gate == "div" and elements[1] == 0:
        cause = "division by zero"
    found = np.broadcast_to(result, shape)[index]
    if cause is None and gate in graph.user_gates and (np.isnan(found) or what != "value"):
        cause = f"the {what} of {gate} is undefined here"  # as the scalar engine says
    cause = cause or f"overflow: the {what} is {format_value(found)}"
    shown = ", ".join(f"{graph.names[a]}{_index_text(index) if np.ndim(values[a]) else ''} = "
                      f"{format_value(e)}" for a, e in zip(operands, elements, strict=True)
                      if graph.gates[a] != CONST)
    where = f" at element {_index_text(index)}" if index else ""
    message = f"{cause} at node {graph.names[node]} = {graph.describe(node)}{where}"
    if shown:
        message += f" (with {shown})"
    message += ieee_arrays.underflow_hint(graph, values, operands, elements)
    return DomainError(message + tail, source=graph.source, span=graph.span(node))


def _exact_error(graph: Graph, values: list[Array], node: int, kit: Kit,
                 error: BaseException, what: str) -> DomainError:
    """An exact-mode failure (a division by zero, a value that is not real), with the
    element where an elementwise gate fails."""
    gate = graph.gates[node]
    reason = undefined_reason(gate, [], what) if gate in ("log", "sqrt") else None
    if reason is None:
        reason = "division by zero" if isinstance(error, ZeroDivisionError) else \
            f"the {what} is not a finite real number"
    message = f"{reason} at node {graph.names[node]} = {graph.describe(node)}"
    where = _exact_element(graph, values, node, kit) if what == "value" else None
    if where is not None:
        index, shown = where
        message += f" at element {_index_text(index)} (with {shown})"
    return DomainError(message, source=graph.source, span=graph.span(node))


def _exact_element(graph: Graph, values: list[Array], node: int,
                   kit: Kit) -> tuple[tuple[int, ...], str] | None:
    """The first element where an elementwise gate fails (a loop: exact arrays are small)."""
    pair = kit.elementwise.get(graph.gates[node])
    operands = [values[a] for a in graph.args[node]]
    if pair is None:
        return None
    shape = np.broadcast_shapes(*(np.shape(o) for o in operands))
    for index in np.ndindex(shape):
        elements = [np.broadcast_to(o, shape)[index] for o in operands]
        try:
            pair[0](*elements)
        except _EXACT_ERRORS:
            shown = ", ".join(f"{graph.names[a]}{_index_text(index) if np.ndim(o) else ''} = "
                              f"{e}" for a, o, e in zip(graph.args[node], operands, elements,
                                                        strict=True)
                              if graph.gates[a] != CONST)
            return tuple(int(i) for i in index), shown
    return None


# ----------------------------------------------------------------------------- backward

def _backward(trace: Trace, kit: Kit, seed: Array, shapes: list[Shape],
              unusual: bool) -> None:
    """``unusual``: a floating-point exception was trapped (in either pass): values or
    gradients may be non-finite, and are checked at the end."""
    graph, values = trace.graph, trace.values
    grads: list[Array | None] = [None] * len(graph)
    grads[graph.output] = seed
    needed = needed_nodes(graph)
    args, gates = graph.args, graph.gates
    for node in range(graph.output, -1, -1):
        upstream = grads[node]
        if not needed[node] or not args[node] or upstream is None:
            continue
        operands = [values[a] for a in args[node]]
        elementwise = gates[node] in kit.elementwise
        kink = None
        try:
            if _has_kink(gates[node], elementwise):  # exact: sympy may not decide (TypeError)
                with np.errstate(all="ignore"):  # masks only: inf or nan operands reach them
                    kink = _kink(trace, node, operands, kit) if elementwise else \
                        _structural_kink(trace, node, operands)
            try:
                edges = _edges(trace, node, operands, upstream, kit, shapes, kink, False)
            except FloatingPointError:
                with np.errstate(all="ignore"):
                    edges = _edges(trace, node, operands, upstream, kit, shapes, kink, True)
                unusual = True
        except LabelError as error:
            raise _label_error(graph, node, error) from None
        except _EXACT_ERRORS as error:
            if not kit.exact:
                raise
            raise _exact_error(graph, values, node, kit, error, "local gradient") from None
        for position, local, downstream in edges:
            source = args[node][position]
            previous = grads[source]
            try:
                grads[source] = downstream if previous is None else previous + downstream
            except FloatingPointError:  # inf + -inf, or an overflowing sum: IEEE carries on
                with np.errstate(all="ignore"):
                    grads[source] = previous + downstream
                unusual = True
            trace.edge_nodes.append(node)
            trace.edge_positions.append(position)
            trace.edge_locals.append(local)
            trace.edge_downstreams.append(downstream)
    settle = kit.settle if kit.exact else np.asarray
    trace.grads = [kit.zeros(shapes[n]) if g is None else settle(g) for n, g in enumerate(grads)]
    _notes(trace, needed)
    if unusual and not kit.exact:
        gradient_notes(trace)


def _has_kink(gate: str, elementwise: bool) -> bool:
    """Whether the gate has a kink to look for (most do not: no masks, no error state)."""
    if elementwise:
        return gate in KINKS
    spec = ARRAY_GATES.get(gate)
    return spec is not None and spec.kink is not None


Edges = list[tuple[int, Any, Array]]
Kink = tuple[Array, tuple[Any, ...]] | None


def _edges(trace: Trace, node: int, operands: list[Array], upstream: Array, kit: Kit,
           shapes: list[Shape], kink: Kink, checked: bool) -> Edges:
    if trace.graph.gates[node] in kit.elementwise:
        return _elementwise_edges(trace, node, operands, upstream, kit, shapes, kink, checked)
    return _structural_edges(trace, node, operands, upstream, kit)


def _elementwise_edges(trace: Trace, node: int, operands: list[Array], upstream: Array,
                       kit: Kit, shapes: list[Shape], kink: Kink, checked: bool) -> Edges:
    """downstream = upstream * local, summed over broadcast axes. ``checked``: after a
    trapped floating-point exception, refuse a local gradient that is not finite (except
    the convention's inf at a kink)."""
    graph = trace.graph
    gate, out = graph.gates[node], trace.values[node]
    partials = kit.elementwise[gate][1]
    edges: Edges = []
    if kink is not None and kit.exact:  # exact formulas raise at a kink (1/0): keep them away
        operands, out = _away_from_kink(operands, out, kink[0], kit.one)
    for position, source in enumerate(graph.args[node]):
        if not graph.requires_grad[source]:
            continue
        local = partials[position](*operands, out)
        if kink is not None:
            local = np.where(kink[0], kink[1][position], local)
        if checked and not kit.exact:
            _judge_local(trace, node, position, operands, local, kink)
        product = upstream if type(local) is float and local == 1.0 else upstream * local
        edges.append((position, local, unbroadcast(product, shapes[source])))
    return edges


def _away_from_kink(operands: list[Array], out: Array, mask: Array,
                    one: Any) -> tuple[list[Array], Array]:
    """Operands (and output) with 1 at the kink's elements, where the convention's local
    gradient replaces the formula anyway: every gate's formula is defined there."""
    shape = np.shape(mask)
    moved = [np.where(mask, one, np.broadcast_to(a, shape)).astype(object) for a in operands]
    return moved, np.where(mask, one, np.broadcast_to(out, shape)).astype(object)


def _judge_local(trace: Trace, node: int, position: int, operands: list[Array], local: Array,
                 kink: Kink) -> None:
    """After a trapped exception: a local gradient without a real value (d/db of a ** b
    for a < 0) is a domain error; in strict mode so is one that overflowed. The kinks'
    conventions (sqrt'(0) = inf) are not judged here."""
    graph = trace.graph
    shape = np.shape(trace.values[node])
    local = np.broadcast_to(local, shape)
    produced = ieee_arrays.fresh(local, operands, True)  # as the scalar engine judges
    if kink is not None:
        produced = produced & ~kink[0]
    if not produced.any():
        return
    undefined = np.array(produced & np.isnan(local))  # 0-d for a scalar: still writable
    spread = [np.broadcast_to(o, shape) for o in operands]
    outs = np.broadcast_to(trace.values[node], shape)
    for index in map(tuple, np.argwhere(undefined)):  # no real value, or an overflow inside?
        elements = [float(o[index]) for o in spread]
        if local_undefined(graph, graph.gates[node], elements, position, float(outs[index])):
            break  # the first element without a real value: the error names it
        undefined[index] = False
    if undefined.any():
        raise _element_error(graph, trace.values, node, local, "local gradient", ~undefined)
    if is_strict():
        raise _element_error(graph, trace.values, node, local, "local gradient", ~produced,
                             tail="; --strict refuses it")


def _kink(trace: Trace, node: int, operands: list[Array], kit: Kit) -> Kink:
    """Elements on a kink of the gate (input 0, a tie, a base of 0) and the conventions used
    there; a warning names the node and counts the elements where no derivative exists."""
    gate = trace.graph.gates[node]
    kink = KINKS.get(gate)
    if kink is None:
        return None
    shape = np.shape(trace.values[node])
    args = [np.broadcast_to(operand, shape) for operand in operands]
    mask = np.asarray(kink.hits(args)).astype(bool)
    if not mask.any():
        return None
    needed = [trace.graph.requires_grad[a] for a in trace.graph.args[node]]
    warned = mask if kink.warns is None else \
        mask & np.asarray(kink.warns(args, needed)).astype(bool)
    count = int(np.count_nonzero(warned))
    if count:
        trace.notes.append(Note(node, f"{gate} is not differentiable at {kink.where}"
                                      f"{_of(count, int(np.size(mask)))}; using "
                                      f"{kink.convention}, as PyTorch does"))
    return mask, kink.locals(args, kit.half, kit.inf)


def _of(count: int, size: int) -> str:
    return f" ({count} of {size} elements)" if size > 1 else ""


def _structural_kink(trace: Trace, node: int, operands: list[Array]) -> Kink:
    """Warn when a structural gate sits on its kink (ties of amax, margins of exactly 0)."""
    graph = trace.graph
    spec = ARRAY_GATES[graph.gates[node]]
    if spec.kink is not None:
        count = spec.kink(operands, trace.values[node], graph.attrs.get(node, ()))
        if count:
            trace.notes.append(Note(node, f"{spec.name} is not differentiable at "
                                          f"{spec.kink_where} ({count} found); using "
                                          f"{spec.kink_convention}, as PyTorch does"))
    return None


def _structural_edges(trace: Trace, node: int, operands: list[Array], upstream: Array,
                      kit: Kit) -> Edges:
    graph = trace.graph
    spec = ARRAY_GATES[graph.gates[node]]
    attrs = graph.attrs.get(node, ())
    out = trace.values[node]
    edges: Edges = []
    for position, source in enumerate(graph.args[node]):
        vjp = spec.vjp_of(position)
        if vjp is None or not graph.requires_grad[source]:
            continue
        edges.append((position, None, kit.settle(vjp(kit, upstream, operands, out, attrs))))
    return edges


def _notes(trace: Trace, needed: list[bool]) -> None:
    graph = trace.graph
    for name, node in graph.inputs.items():
        if graph.requires_grad[node] and not needed[node]:
            trace.notes.append(Note(node, f"input {name} does not affect the output; "
                                          "its gradient is 0"))
