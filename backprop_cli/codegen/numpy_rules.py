"""Each gate of a circuit of arrays as numpy code: its forward expression and the code of
the gradient it sends to each input (the structural gates' vector-Jacobian rules, and the
sum over broadcast axes of an elementwise gate's upstream × local gradient)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.trace import Trace
from ..gates.registry import GATES
from ..gates.table import GATES as TABLE
from ..language.subscripts import format_subscript
from .numpy_layers import LAYER_CLASSES, layer_forward, layer_gradient
from .numpy_parts import ArrayNames
from .tree_code import forward_expression

Shape = tuple[int, ...]

# each built-in gate as numpy code, elementwise: its row's code, or else how it is written
ELEMENTWISE_CODE = {row.name: row.numpy or row.pattern for row in TABLE}


def keep_axis(name: str, axis: int) -> str:
    """``g[:, None]``: a reduced gradient with the axis ``axis`` put back (size 1)."""
    return f"{name}[{', '.join([':'] * axis + ['None'])}]"


def axis_of(attrs: tuple[Any, ...], ndim: int) -> int | None:
    """The reduction's axis as a non-negative number (None: all axes)."""
    return None if not attrs or attrs[0] is None else int(attrs[0]) % ndim


def axis_text(attrs: tuple[Any, ...]) -> str:
    """``, axis=1`` and ``, keepdims=True`` as a reduction's call gives them."""
    axis = "" if not attrs or attrs[0] is None else f", axis={attrs[0]}"
    return axis + (", keepdims=True" if keeps(attrs) else "")


def keeps(attrs: tuple[Any, ...]) -> bool:
    return len(attrs) > 1 and bool(attrs[1])


def along(attrs: tuple[Any, ...]) -> str:
    """``, axis=0`` for softmax and log_softmax when not along the last axis."""
    return "" if attrs[0] == -1 else f", axis={attrs[0]}"


# the reductions whose gradient is a helper function of the generated code
HELPED = {"var": "np.var({a}{args})", "std": "np.std({a}{args})",
          "norm": "np.sqrt(np.sum({a} * {a}{args}))",
          "logsumexp": "logsumexp({a}, axis={axis}, keepdims={keepdims})"}


def picked(scores: str, labels: str, shape: Shape) -> str:
    """Each row's score at its label: ``s[np.arange(3), y]``."""
    if len(shape) == 1:
        return f"{scores}[{labels}]"
    if len(shape) == 2:
        return f"{scores}[np.arange({shape[0]}), {labels}]"
    return f"np.take_along_axis({scores}, {labels}[..., None], axis=-1)[..., 0]"


def per_row(upstream: str, out_shape: Shape) -> str:
    """A loss's upstream gradient (one per row) against the scores (one more axis)."""
    return upstream if not out_shape else keep_axis(upstream, len(out_shape))



# ----------------------------------------------------------------------------- forward

def forward_code(trace: Trace, names: ArrayNames, printer: Any, node: int) -> str:
    """The right-hand side of a node's forward line (``printer``: sympy's, for user-defined
    gates)."""
    graph = trace.graph
    gate, args = graph.gates[node], graph.args[node]
    operands = [names.operand(a) for a in args]
    if gate in graph.user_gates:
        return forward_expression(graph, gate, operands, printer)
    if gate in GATES:
        mapping = dict(zip(("a", "b", "c"), operands, strict=False))
        return ELEMENTWISE_CODE[gate].format(**mapping)
    return _structural_forward(trace, names, node, operands)


def _structural_forward(trace: Trace, names: ArrayNames, node: int,
                        operands: list[str]) -> str:
    graph = trace.graph
    gate, attrs = graph.gates[node], graph.attrs.get(node, ())
    a = operands[0] if operands else ""  # arange(n) has none
    if gate == "matmul" and is_stacked(trace, node):
        return f"np.matmul({a}, {operands[1]})"
    if gate == "matmul":
        return f"{a}.dot({operands[1]})"
    if gate == "transpose":
        return f"{a}.T"
    if gate == "reshape":
        return f"{a}.reshape({', '.join(str(n) for n in attrs)})"
    if gate == "index":
        return f"{a}[{format_subscript(attrs)}]"
    if gate in ("sum", "mean", "amax", "amin"):
        function = {"amax": "max", "amin": "min"}.get(gate, gate)
        return f"np.{function}({a}{axis_text(attrs)})"
    if gate in HELPED:
        return HELPED[gate].format(a=a, args=axis_text(attrs), axis=attrs[0],
                                   keepdims=keeps(attrs))
    if gate in ("concat", "stack"):
        function = "concatenate" if gate == "concat" else "stack"
        return f"np.{function}([{', '.join(operands)}], axis={attrs[0]})"
    if gate == "arange":
        return f"np.arange({attrs[0]})"
    if gate == "gather":
        return f"{a}[{', '.join(names.labels_of(i) for i in graph.args[node][1:])}]"
    if gate == "softmax":
        return f"softmax({a}{along(attrs)})"
    if gate == "log_softmax" and attrs[0] != -1:
        return f"{a} - logsumexp({a}, axis={attrs[0]}, keepdims=True)"
    if gate == "log_softmax":
        return f"{a} - logsumexp({a})[..., None]"
    if gate == "l2":
        return f"np.sum({a} * {a})"
    if gate in LAYER_CLASSES:
        return layer_forward(gate, operands, attrs)
    labels = names.labels_of(graph.args[node][1])
    if gate == "cross_entropy":
        return f"logsumexp({a}) - {picked(a, labels, trace.shape(graph.args[node][0]))}"
    if gate == "hinge":
        return f"np.sum(hinge_margins({a}, {labels}, {float(attrs[0])!r}), axis=-1)"
    raise ValueError(f"no numpy code for the gate {gate}")  # pragma: no cover



# ----------------------------------------------------------------------------- backward

def unbroadcast_code(expression: str, shape: Shape, target: Shape) -> str:
    """Sum ``expression`` (of ``shape``) over the axes broadcasting added, to ``target``."""
    if shape == target:
        return expression
    if not target:
        return f"np.sum({expression})"
    extra = len(shape) - len(target)
    kept = [extra + i for i, n in enumerate(target) if n == 1 and shape[extra + i] != 1]
    axes = [*range(extra), *kept]
    axis = str(axes[0]) if len(axes) == 1 else str(tuple(axes))
    summed = f"np.sum({expression}, axis={axis})"
    return f"{summed}.reshape({target!r})" if kept else summed


def structural_gradient(trace: Trace, names: ArrayNames, node: int,
                        position: int) -> tuple[str, bool]:
    """A structural gate's downstream gradient as code, and whether it may share memory
    with the upstream gradient (a view: ``.T``, ``.reshape``)."""
    graph = trace.graph
    gate, attrs, args = graph.gates[node], graph.attrs.get(node, ()), graph.args[node]
    g, out = names.grads[node], names.values[node]
    a = names.operand(args[0])
    shape = trace.shape(args[0])
    if gate == "matmul" and is_stacked(trace, node):
        return stacked_matmul_gradient(g, a, names.operand(args[1]), shape,
                                       trace.shape(args[1]), position), False
    if gate == "matmul":
        return _matmul_gradient(g, a, names.operand(args[1]), shape,
                                trace.shape(args[1]), position), False
    if gate == "transpose":
        return f"{g}.T", True
    if gate == "reshape":
        return f"{g}.reshape({shape!r})", True
    if gate in ("sum", "mean", "amax", "amin"):
        axis = axis_of(attrs, len(shape))
        return _reduction_gradient(gate, g, a, out, shape, axis, keeps(attrs)), False
    if gate in HELPED:
        return f"{gate}_grad({g}, {a}, {out}, {attrs[0]}, {keeps(attrs)})", False
    if gate in ("concat", "stack"):
        return _joined_gradient(trace, node, g, position), False
    if gate == "gather":
        index = ", ".join(names.labels_of(i) for i in args[1:])
        return f"gather_grad({g}, {shape!r}, ({index},))", False
    if gate == "softmax":
        return f"{out} * ({g} - np.sum({g} * {out}, axis={attrs[0]}, keepdims=True))", False
    if gate == "log_softmax":
        return (f"{g} - softmax({a}{along(attrs)}) * np.sum({g}, axis={attrs[0]}, "
                "keepdims=True)"), False
    if gate == "l2":
        return f"{a} * (2 * {g})", False
    if gate in LAYER_CLASSES:
        return layer_gradient(gate, g, [names.operand(n) for n in args], attrs, position), False
    labels = names.labels_of(args[1])
    upstream = per_row(g, trace.shape(node))
    if gate == "cross_entropy":
        return f"(softmax({a}) - np.eye({shape[-1]})[{labels}]) * {upstream}", False
    if gate == "hinge":
        return f"hinge_grad({a}, {labels}, {float(attrs[0])!r}) * {upstream}", False
    raise ValueError(f"no numpy gradient for the gate {gate}")  # pragma: no cover


def _joined_gradient(trace: Trace, node: int, g: str, position: int) -> str:
    """The part of the upstream gradient where the operand sits: a slice along the axis
    (concat) or one index of the new axis (stack)."""
    graph = trace.graph
    shapes = [trace.shape(a) for a in graph.args[node]]
    if graph.gates[node] == "stack":
        axis = int(graph.attrs[node][0]) % (len(shapes[0]) + 1)
        return f"{g}[{', '.join([':'] * axis + [str(position)])}]"
    axis = int(graph.attrs[node][0]) % len(shapes[0])
    start = sum(shape[axis] for shape in shapes[:position])
    return f"{g}[{', '.join([':'] * axis + [f'{start}:{start + shapes[position][axis]}'])}]"


def _matmul_gradient(g: str, a: str, b: str, a_shape: Shape, b_shape: Shape,
                     position: int) -> str:
    """dL/da = dL/dy @ b.T, dL/db = a.T @ dL/dy; outer products where a vector is involved."""
    if position == 0:
        if len(b_shape) == 1:
            return f"np.outer({g}, {b})" if len(a_shape) == 2 else f"{g} * {b}"
        return f"{g}.dot({b}.T)"
    if len(a_shape) == 1:
        return f"np.outer({a}, {g})" if len(b_shape) == 2 else f"{a} * {g}"
    return f"{a}.T.dot({g})"


def is_stacked(trace: Trace, node: int) -> bool:
    """A matmul of stacks of matrices (an operand with more than 2 axes)."""
    return any(len(trace.shape(a)) > 2 for a in trace.graph.args[node])


def stacked_matmul_gradient(g: str, a: str, b: str, a_shape: Shape, b_shape: Shape,
                            position: int) -> str:
    """dL/da = dL/dy @ b.T and dL/db = a.T @ dL/dy matrix by matrix (``.T`` swapping the
    last two axes), summed over the stacks the operand was broadcast to; a vector operand
    is a row (left) or a column (right) and is reshaped back."""
    rows = (1, a_shape[0]) if len(a_shape) == 1 else a_shape
    columns = (b_shape[0], 1) if len(b_shape) == 1 else b_shape
    if len(b_shape) == 1:
        b, g = f"{b}[:, None]", f"{g}[..., None]"
    if len(a_shape) == 1:
        a, g = f"{a}[None, :]", f"np.expand_dims({g}, -2)"
    stack = tuple(np.broadcast_shapes(rows[:-2], columns[:-2]))
    if position == 0:
        full = f"np.matmul({g}, np.swapaxes({b}, -1, -2))"
        summed, target, shape = unbroadcast_code(full, stack + rows[-2:], rows), rows, a_shape
    else:
        full = f"np.matmul(np.swapaxes({a}, -1, -2), {g})"
        summed, target, shape = unbroadcast_code(full, stack + columns[-2:], columns), columns, \
            b_shape
    return summed if target == shape else f"({summed}).reshape({shape!r})"


def _reduction_gradient(gate: str, g: str, a: str, out: str, shape: Shape,
                        axis: int | None, kept: bool) -> str:
    """sum/mean copy the upstream gradient to every element reduced (divided by their
    count for mean); amax/amin route it to the extreme elements (ties share it)."""
    spread = g if axis is None or kept else keep_axis(g, axis)
    if gate == "sum":
        return f"np.ones_like({a}) * {spread}"
    if gate == "mean":
        count = int(np.prod(shape)) if axis is None else shape[axis]
        return f"np.ones_like({a}) * {spread} / {count}"
    winners = f"({a} == {out if axis is None or kept else keep_axis(out, axis)})"
    if axis is None:
        return f"{winners} * {g} / np.sum({winners})"
    return f"{winners} * ({spread} / np.sum({winners}, axis={axis}, keepdims=True))"
