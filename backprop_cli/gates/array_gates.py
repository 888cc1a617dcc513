"""Structural array gates: one entry per gate with its shape rule, forward, and the
vector-Jacobian product (VJP) of each operand, written once, with its display formula.

Elementwise gates (add, mul, exp, relu, ...) are not here: they are the scalar gates of
``gates.py`` applied elementwise (their local derivatives are the sympy-derived ones, from
``_gatetable_np``). A VJP takes the upstream gradient ``g`` (the output's shape) and returns
the downstream gradient (the operand's shape) without forming the Jacobian.

In the rule formulas ``{a}``, ``{b}`` are the operands' names, ``{out}`` the gate's node and
``{L}`` the output being differentiated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..language.subscripts import Subscript, format_subscript
from .array_kit import Array, Kit, unbroadcast
from .array_spec import VJP, Attrs, Kink, Shape, Sides
from .array_spec import ArrayGate as ArrayGate  # re-exported: the gates' users import them here
from .array_spec import ShapeMismatch as ShapeMismatch
from .array_spec import Static as Static
from .array_spec import show_shape as show_shape
from .conv import CONV_GATES


class LabelError(ValueError):
    """Class labels that are not integers in range; ``where`` is the element's index."""

    def __init__(self, message: str, where: tuple[int, ...]) -> None:
        super().__init__(message)
        self.where = where


# ----------------------------------------------------------------------------- helpers

def _axis(axis: int | None, ndim: int, gate: str) -> int | None:
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise ShapeMismatch(f"axis {axis} is out of range for {gate} of a {ndim}-d array")
    return axis % ndim


def _kept(g: Array, a: Array, attrs: Attrs, gate: str) -> Array:
    """A reduced array (an output or its gradient) with the reduced axis put back as size 1
    (every axis for a full reduction), so that it broadcasts against the operand ``a``."""
    if _keepdims(attrs):
        return np.asarray(g)
    axis = _axis(attrs[0], a.ndim, gate)
    if axis is None:
        return np.reshape(g, (1,) * a.ndim)
    return np.expand_dims(g, axis)


def _expand(g: Array, a: Array, attrs: Attrs, gate: str) -> Array:
    """Broadcast a reduced gradient back over the reduced axis (or all axes)."""
    return np.broadcast_to(_kept(g, a, attrs, gate), a.shape)


def _keepdims(attrs: Attrs) -> bool:
    return len(attrs) > 1 and bool(attrs[1])


def _reduced_shape(shapes: Sequence[Shape], attrs: Attrs, gate: str) -> Shape:
    shape = shapes[0]
    axis = _axis(attrs[0], len(shape), gate)
    if _keepdims(attrs):
        return tuple(1 if axis is None or i == axis else n for i, n in enumerate(shape))
    if axis is None:
        return ()
    return shape[:axis] + shape[axis + 1:]


def _reduce(kit: Kit, function: Callable[..., Array], a: Array, attrs: Attrs,
            gate: str) -> Array:
    """``function(a, axis=..., keepdims=True)``, then shaped as the gate's output."""
    kept = function(a, axis=_axis(attrs[0], a.ndim, gate), keepdims=True)
    return np.reshape(kept, _reduced_shape((a.shape,), attrs, gate))


def _needs_last_axis(shape: Shape, gate: str) -> None:
    if not shape:
        raise ShapeMismatch(f"{gate} needs a vector or matrix (it works along the last "
                            "axis), got a scalar")


# ----------------------------------------------------------------------------- matmul

def _matmul_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    """numpy's rules for @: vectors and matrices, and stacks of matrices whose leading
    (stack) dimensions broadcast."""
    a, b = shapes
    for shape in (a, b):
        if not shape:
            raise ShapeMismatch("@ takes vectors and matrices, got a scalar; use * to scale")
    inner, which = (b[0], "first") if len(b) <= 2 else (b[-2], "second-to-last")
    if a[-1] != inner:
        raise ShapeMismatch(f"shapes {_show(a)} and {_show(b)} do not fit: the left's last "
                            f"dimension ({a[-1]}) must equal the right's {which} ({inner})")
    try:
        stack = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        raise ShapeMismatch(f"shapes {_show(a)} and {_show(b)} do not fit: their stack "
                            f"dimensions {_show(a[:-2])} and {_show(b[:-2])} do not "
                            "broadcast") from None
    return stack + a[-2:-1] + b[-1:] if len(b) >= 2 else stack + a[-2:-1]


def _stacked(a: Array, b: Array, g: Array) -> tuple[Array, Array, Array]:
    """a, b and the upstream g as stacks of matrices: a vector on the left is a 1 x D row,
    on the right a D x 1 column, and g gets back the axes a vector's product dropped."""
    if b.ndim == 1:
        b, g = b.reshape(-1, 1), np.expand_dims(g, -1)
    if a.ndim == 1:
        a, g = a.reshape(1, -1), np.expand_dims(g, -2)
    return a, b, g


def _matmul_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return np.matmul(ops[0], ops[1])


def _matmul_vjp_a(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                  attrs: Attrs) -> Array:
    """dL/da = dL/dy @ b.T (matrix by matrix), summed over the stacks a was broadcast to."""
    a, b, g = _stacked(ops[0], ops[1], np.asarray(g))
    return unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), a.shape).reshape(ops[0].shape)


def _matmul_vjp_b(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                  attrs: Attrs) -> Array:
    """dL/db = a.T @ dL/dy (matrix by matrix), summed over the stacks b was broadcast to."""
    a, b, g = _stacked(ops[0], ops[1], np.asarray(g))
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), b.shape).reshape(ops[1].shape)


# ----------------------------------------------------------------------------- shape moves

def _transpose_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return np.transpose(ops[0])


def _transpose_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                   attrs: Attrs) -> Array:
    return np.transpose(g)


def _reshape_target(shape: Shape, attrs: Attrs) -> Shape:
    size = int(np.prod(shape))
    unknown = [i for i, n in enumerate(attrs) if n == -1]
    if len(unknown) > 1 or any(n < -1 or n == 0 for n in attrs):
        raise ShapeMismatch("reshape takes positive sizes and at most one -1")
    known = int(np.prod([n for n in attrs if n != -1]))
    target = tuple(int(n) for n in attrs)
    if unknown and known and size % known == 0:
        target = tuple(size // known if n == -1 else n for n in target)
    if int(np.prod(target)) != size:
        raise ShapeMismatch(f"cannot reshape {_show(shape)} ({size} elements) into "
                            f"{_show(tuple(attrs))}")
    return target


def _reshape_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return ops[0].reshape(_reshape_target(ops[0].shape, attrs))


def _reshape_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return g.reshape(ops[0].shape)


def numpy_index(entries: Subscript) -> tuple[int | slice, ...]:
    return tuple(e if isinstance(e, int) else slice(*e) for e in entries)


def _index_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    shape = shapes[0]
    if len(attrs) > len(shape):
        raise ShapeMismatch(f"{len(attrs)} indices for a {len(shape)}-d array")
    for axis, entry in enumerate(attrs):
        if isinstance(entry, int) and not -shape[axis] <= entry < shape[axis]:
            raise ShapeMismatch(f"index {entry} is out of range for axis {axis} of size "
                                f"{shape[axis]}")
    result: Shape = np.broadcast_to(np.empty(()), shape)[numpy_index(attrs)].shape
    if 0 in result:
        raise ShapeMismatch(f"the slice [{format_subscript(attrs)}] of an array of shape "
                            f"{_show(shape)} is empty")
    return result


def _index_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return ops[0][numpy_index(attrs)]


def _index_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    gradient = kit.zeros(ops[0].shape)
    # a 0-d object array would be stored whole in one element: store its number
    gradient[numpy_index(attrs)] = g[()] if np.ndim(g) == 0 else g
    return gradient


# ----------------------------------------------------------------------------- reductions

def _sum_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return _reduce(kit, np.sum, ops[0], attrs, "sum")


def _sum_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return _expand(g, ops[0], attrs, "sum").copy()


def _count(a: Array, attrs: Attrs) -> int:
    axis = _axis(attrs[0], a.ndim, "mean")
    return int(a.size if axis is None else a.shape[axis])


def divide(kit: Kit, x: Array, counts: Array | int) -> Array:
    """x / counts, exactly (rationals) in exact mode."""
    if not kit.exact:
        return np.asarray(x) / counts
    return np.asarray(x, dtype=object) / (np.asarray(counts).astype(object) * kit.one)


def _mean_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return divide(kit, _sum_forward(kit, ops, attrs), _count(ops[0], attrs))


def _mean_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return _sum_vjp(kit, divide(kit, g, _count(ops[0], attrs)), ops, out, attrs)


def _deviations(kit: Kit, a: Array, attrs: Attrs, gate: str) -> Array:
    """a - mean(a) over the reduced axis (kept, so it broadcasts)."""
    axis = _axis(attrs[0], a.ndim, gate)
    return a - divide(kit, np.sum(a, axis=axis, keepdims=True), _count(a, attrs))


def _var_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    d = _deviations(kit, ops[0], attrs, "var")
    return divide(kit, _reduce(kit, np.sum, d * d, attrs, "var"), _count(ops[0], attrs))


def _var_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    a = ops[0]
    d = _deviations(kit, a, attrs, "var")
    return divide(kit, 2 * d * _kept(g, a, attrs, "var"), _count(a, attrs))


def _sqrt(kit: Kit, x: Array) -> Array:
    return np.sqrt(x) if not kit.exact else kit.elementwise["sqrt"][0](x)


def _std_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return _sqrt(kit, _var_forward(kit, ops, attrs))


def _std_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    """d std / d a = (a - mean) / (n std): 0/0 = nan where std = 0, as PyTorch gives."""
    a = ops[0]
    d = _deviations(kit, a, attrs, "std")
    return divide(kit, d * _kept(g, a, attrs, "std"), _kept(out, a, attrs, "std") *
                  _count(a, attrs))


def _norm_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return _sqrt(kit, _reduce(kit, np.sum, ops[0] * ops[0], attrs, "norm"))


def _norm_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    """a / norm(a); 0 where the norm is 0 (PyTorch's norm backward masks it)."""
    a = ops[0]
    norm = np.broadcast_to(_kept(out, a, attrs, "norm"), a.shape)
    zero = np.asarray(norm == 0).astype(bool)
    safe = np.where(zero, kit.one, norm)
    local = np.where(zero, kit.one * 0, divide(kit, a, safe))
    return local * _kept(g, a, attrs, "norm")


def _norm_zeros(ops: Sequence[Array], out: Array, attrs: Attrs) -> int:
    return int(np.count_nonzero(np.asarray(out) == 0))


def _norm_sides(ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return np.asarray(out) == 0


def _logsumexp_along(kit: Kit, a: Array, axis: int | None) -> Array:
    """log(sum(exp(a))) over ``axis`` (None: all), kept, shifted by the largest element
    (exact numbers need no shift)."""
    if kit.exact:
        return kit.log(np.sum(kit.exp(a), axis=axis, keepdims=True))
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True))


def _logsumexp_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    a = ops[0]
    kept = _logsumexp_along(kit, a, _axis(attrs[0], a.ndim, "logsumexp"))
    return np.reshape(kept, _reduced_shape((a.shape,), attrs, "logsumexp"))


def _logsumexp_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                   attrs: Attrs) -> Array:
    """dL/da = dL/dout * softmax(a) over the reduced axis: exp(a - out)."""
    a = ops[0]
    return kit.exp(a - _kept(out, a, attrs, "logsumexp")) * _kept(g, a, attrs, "logsumexp")


def _extreme(kind: str) -> tuple[Callable[..., Array], VJP, Kink, Sides]:
    """amax or amin: forward, VJP routing to the extreme (ties share equally), tie count,
    and which elements attain the extreme (what a step across a tie changes)."""
    reduce = np.max if kind == "max" else np.min

    def forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
        return _reduce(kit, reduce, ops[0], attrs, f"a{kind}")

    def winners(ops: Sequence[Array], out: Array, attrs: Attrs) -> tuple[Array, Array]:
        """Which elements attain the extreme, and how many per reduced group (kept axes)."""
        a = ops[0]
        axis = _axis(attrs[0], a.ndim, f"a{kind}")
        mask = np.asarray(a == _expand(out, a, attrs, f"a{kind}")).astype(bool)
        return mask, np.asarray(mask.sum(axis=axis, keepdims=True))

    def vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
        a = ops[0]
        mask, counts = winners(ops, out, attrs)
        share = np.broadcast_to(divide(kit, _kept(g, a, attrs, f"a{kind}"), counts), a.shape)
        return np.where(mask, share, kit.one * 0)

    def ties(ops: Sequence[Array], out: Array, attrs: Attrs) -> int:
        return int(np.count_nonzero(winners(ops, out, attrs)[1] > 1))

    def sides(ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
        return winners(ops, out, attrs)[0]

    return forward, vjp, ties, sides


_amax_forward, _amax_vjp, _amax_ties, _amax_sides = _extreme("max")
_amin_forward, _amin_vjp, _amin_ties, _amin_sides = _extreme("min")


def _l2_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return np.sum(ops[0] * ops[0])


def _l2_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return ops[0] * (2 * g)


# ----------------------------------------------------------------------------- softmax family

def _along_axis_shape(gate: str) -> Callable[[Sequence[Shape], Attrs], Shape]:
    def shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
        _needs_last_axis(shapes[0], gate)
        _axis(attrs[0], len(shapes[0]), gate)
        return shapes[0]

    return shape


def softmax_values(kit: Kit, a: Array, axis: int = -1) -> Array:
    shifted = a if kit.exact else a - np.max(a, axis=axis, keepdims=True)
    e = kit.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def _logsumexp(kit: Kit, a: Array) -> Array:
    return _logsumexp_along(kit, a, -1)[..., 0]


def _softmax_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return softmax_values(kit, ops[0], attrs[0])


def _softmax_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return out * (g - np.sum(g * out, axis=attrs[0], keepdims=True))


def _log_softmax_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return ops[0] - _logsumexp_along(kit, ops[0], attrs[0])


def _log_softmax_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                     attrs: Attrs) -> Array:
    return g - softmax_values(kit, ops[0], attrs[0]) * np.sum(g, axis=attrs[0], keepdims=True)


def _scores_labels_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    scores, labels = shapes
    _needs_last_axis(scores, "the scores")
    if labels != scores[:-1]:
        raise ShapeMismatch(f"scores of shape {_show(scores)} need labels of shape "
                            f"{_show(scores[:-1])} (one class index per row), "
                            f"got {_show(labels)}")
    return scores[:-1]


def class_labels(labels: Array, classes: int) -> Array:
    """Labels as integer indices, refusing non-integers and classes out of range."""
    numbers = np.asarray(labels, dtype=float)
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers < 0) | \
        (numbers >= classes)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise LabelError(f"class labels must be integers from 0 to {classes - 1}", where)
    return numbers.astype(np.intp)


def _picked(a: Array, labels: Array) -> Array:
    """``a[..., labels]`` row by row: each row's entry at its label."""
    return np.take_along_axis(a, labels[..., None], axis=-1)[..., 0]


def _cross_entropy_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    scores, labels = ops
    return _logsumexp(kit, scores) - _picked(scores, class_labels(labels, scores.shape[-1]))


def _cross_entropy_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                       attrs: Attrs) -> Array:
    scores, labels = ops
    indices = class_labels(labels, scores.shape[-1])
    p = softmax_values(kit, scores)
    np.put_along_axis(p, indices[..., None], _picked(p, indices)[..., None] - 1, axis=-1)
    return p * np.asarray(g)[..., None]


def _margins(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> tuple[Array, Array]:
    """s_j - s_y + margin for every class, and a mask that is False at the label."""
    scores, labels = ops
    indices = class_labels(labels, scores.shape[-1])
    margins = scores - _picked(scores, indices)[..., None] + attrs[0]
    others = np.ones(scores.shape, dtype=bool)
    np.put_along_axis(others, indices[..., None], False, axis=-1)
    return margins, others


def _hinge_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    margins, others = _margins(kit, ops, attrs)
    active = np.asarray(margins > 0).astype(bool) & others
    return np.sum(np.where(active, margins, kit.one * 0), axis=-1)


def _hinge_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    margins, others = _margins(kit, ops, attrs)
    active = (np.asarray(margins > 0).astype(bool) & others).astype(int)
    indices = class_labels(ops[1], margins.shape[-1])
    np.put_along_axis(active, indices[..., None], -active.sum(axis=-1)[..., None], axis=-1)
    return active * np.asarray(g)[..., None]


def _hinge_kinks(ops: Sequence[Array], out: Array, attrs: Attrs) -> int:
    from .array_kit import FLOAT_KIT

    margins, others = _margins(FLOAT_KIT, ops, attrs)
    return int(np.count_nonzero((margins == 0) & others))


def _hinge_sides(ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    """The sign of every margin s_j - s_y + margin (0 at the label)."""
    from .array_kit import FLOAT_KIT

    margins, others = _margins(FLOAT_KIT, ops, attrs)
    return np.sign(margins) * others


_show = show_shape


# ----------------------------------------------------------------------------- joining

def _joined_axis(shapes: Sequence[Shape], attrs: Attrs, gate: str, extra: int) -> int:
    first = shapes[0]
    if len(first) + extra == 0:
        raise ShapeMismatch(f"{gate} needs arrays of at least one axis, got a scalar")
    return int(_axis(attrs[0], len(first) + extra, gate) or 0)


def _concat_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    axis = _joined_axis(shapes, attrs, "concat", 0)
    first = shapes[0]
    for k, shape in enumerate(shapes[1:], 1):
        if len(shape) != len(first) or shape[:axis] + shape[axis + 1:] != \
                first[:axis] + first[axis + 1:]:
            raise ShapeMismatch(f"shapes {_show(first)} and {_show(shape)} (array {k + 1}) "
                                f"cannot be joined along axis {axis}: every other axis must "
                                "agree")
    return (*first[:axis], sum(shape[axis] for shape in shapes), *first[axis + 1:])


def _concat_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return np.concatenate(ops, axis=_axis(attrs[0], ops[0].ndim, "concat"))


def _concat_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs,
                position: int = 0) -> Array:
    """The slice of the upstream gradient where the operand sits."""
    axis = int(_axis(attrs[0], ops[0].ndim, "concat") or 0)
    start = sum(op.shape[axis] for op in ops[:position])
    where = (slice(None),) * axis + (slice(start, start + ops[position].shape[axis]),)
    return np.asarray(g)[where].copy()


def _stack_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    axis = _joined_axis(shapes, attrs, "stack", 1)
    first = shapes[0]
    for k, shape in enumerate(shapes[1:], 1):
        if shape != first:
            raise ShapeMismatch(f"shapes {_show(first)} and {_show(shape)} (array {k + 1}) "
                                "cannot be stacked: all must be equal")
    return (*first[:axis], len(shapes), *first[axis:])


def _stack_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return np.stack(ops, axis=int(_axis(attrs[0], ops[0].ndim + 1, "stack") or 0))


def _stack_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs,
               position: int = 0) -> Array:
    axis = int(_axis(attrs[0], ops[0].ndim + 1, "stack") or 0)
    return np.asarray(g)[(slice(None),) * axis + (position,)].copy()


def _arange_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    if attrs[0] < 1:
        raise ShapeMismatch(f"arange({attrs[0]}) would be empty: n must be at least 1")
    return (int(attrs[0]),)


def _arange_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return kit.asarray(np.arange(int(attrs[0])) * kit.one)


def _gather_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    source, indices = shapes[0], shapes[1:]
    if len(indices) > len(source):
        raise ShapeMismatch(f"{len(indices)} index arrays for an array of shape "
                            f"{_show(source)}")
    try:
        picked = tuple(np.broadcast_shapes(*indices))
    except ValueError:
        shown = " and ".join(_show(s) for s in indices)
        raise ShapeMismatch(f"index arrays of shapes {shown} do not broadcast") from None
    return picked + source[len(indices):]


def integer_indices(ops: Sequence[Array]) -> tuple[Array, ...]:
    """The index arrays as integers, refusing non-integers and indices out of range."""
    source = ops[0]
    result = []
    for axis, index in enumerate(ops[1:]):
        size = source.shape[axis]
        numbers = np.asarray(index, dtype=float)
        bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers < -size) | \
            (numbers >= size)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise LabelError(f"indices along axis {axis} must be integers from {-size} to "
                             f"{size - 1}", where)
        result.append(numbers.astype(np.intp))
    return tuple(result)


def _gather_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return ops[0][integer_indices(ops)]


def _gather_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs,
                position: int = 0) -> Array:
    """Scatter-add: each picked element's gradient added back where it came from (an
    element picked twice gets both), numpy's np.add.at."""
    gradient = kit.zeros(ops[0].shape)
    np.add.at(gradient, integer_indices(ops), np.asarray(g, dtype=gradient.dtype))
    return gradient


show_shape = _show

# ----------------------------------------------------------------------------- the registry

_AXIS = (Static("axis", "int", phrase="an optional axis"),
         Static("keepdims", "bool", default=False,
                phrase="keepdims=True to keep the reduced axis (size 1)"))
_JOIN_AXIS = (Static("axis", "int", default=0, phrase="an optional axis (default 0)"),)
_LAST_AXIS = (Static("axis", "int", default=-1, phrase="an optional axis (default: the last)"),)
_D = "d{L}/d"

ARRAY_GATE_LIST: tuple[ArrayGate, ...] = (
    ArrayGate("matmul", ("a", "b"), "matrix product: dL/dx = dL/dy @ w.T, dL/dw = x.T @ dL/dy "
              "(stacks of matrices: numpy's broadcasting, summed back over broadcast stacks)",
              (f"{_D}{{a}} = {_D}{{out}} @ {{b}}.T", f"{_D}{{b}} = {{a}}.T @ {_D}{{out}}"),
              _matmul_shape, _matmul_forward, (_matmul_vjp_a, _matmul_vjp_b),
              written="{a} @ {b}"),
    ArrayGate("transpose", ("a",), "transpose (reverses the axes)",
              (f"{_D}{{a}} = ({_D}{{out}}).T",),
              lambda shapes, attrs: shapes[0][::-1], _transpose_forward, (_transpose_vjp,),
              written="{a}.T"),
    ArrayGate("reshape", ("a",), "the same elements in another shape (one size may be -1)",
              (f"{_D}{{a}} = {_D}{{out}} reshaped to the shape of {{a}}",),
              lambda shapes, attrs: _reshape_target(shapes[0], attrs), _reshape_forward,
              (_reshape_vjp,), static=(Static("shape", "int", required=True, variadic=True,
                                   phrase="the sizes of the new shape"),)),
    ArrayGate("index", ("a",), "a[i], a[i:j], a[:, k]: integer literals and slices",
              (f"{_D}{{a}} = {_D}{{out}} at {{a}}[{{sub}}], 0 elsewhere",),
              _index_shape, _index_forward, (_index_vjp,), written="{a}[{sub}]"),
    ArrayGate("sum", ("a",), "sum of all elements, or along an axis: sum(x), sum(x, 0)",
              (f"{_D}{{a}} = {_D}{{out}}, copied to each element summed",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "sum"),
              _sum_forward, (_sum_vjp,), static=_AXIS),
    ArrayGate("mean", ("a",), "mean of all elements, or along an axis (the batch mean)",
              (f"{_D}{{a}} = {_D}{{out}} / n, copied to each of the n elements averaged",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "mean"),
              _mean_forward, (_mean_vjp,), static=_AXIS),
    ArrayGate("amax", ("a",), "largest element, or along an axis; max(x) is amax(x)",
              (f"{_D}{{a}} = {_D}{{out}} routed to the largest element (ties share it)",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "amax"),
              _amax_forward, (_amax_vjp,), static=_AXIS, kink=_amax_ties,
              kink_where="a tie for the maximum", kink_convention="an equal share to each",
              sides=_amax_sides),
    ArrayGate("amin", ("a",), "smallest element, or along an axis; min(x) is amin(x)",
              (f"{_D}{{a}} = {_D}{{out}} routed to the smallest element (ties share it)",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "amin"),
              _amin_forward, (_amin_vjp,), static=_AXIS, kink=_amin_ties,
              kink_where="a tie for the minimum", kink_convention="an equal share to each",
              sides=_amin_sides),
    ArrayGate("var", ("a",), "variance of all elements, or along an axis: mean((a - mean)**2), "
              "dividing by n as numpy",
              (f"{_D}{{a}} = {_D}{{out}} * 2 * ({{a}} - mean({{a}})) / n",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "var"),
              _var_forward, (_var_vjp,), static=_AXIS),
    ArrayGate("std", ("a",), "standard deviation sqrt(var(a)), all elements or along an axis",
              (f"{_D}{{a}} = {_D}{{out}} * ({{a}} - mean({{a}})) / (n * {{out}})",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "std"),
              _std_forward, (_std_vjp,), static=_AXIS),
    ArrayGate("norm", ("a",), "Euclidean (Frobenius) norm sqrt(sum(a**2)), or along an axis",
              (f"{_D}{{a}} = {_D}{{out}} * {{a}} / {{out}} (0 where {{out}} = 0)",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "norm"),
              _norm_forward, (_norm_vjp,), static=_AXIS, kink=_norm_zeros,
              kink_where="the zero vector (norm 0)", kink_convention="local gradient 0 there",
              sides=_norm_sides),
    ArrayGate("logsumexp", ("a",), "log(sum(exp(a))) of all elements or along an axis, "
              "without overflow",
              (f"{_D}{{a}} = {_D}{{out}} * exp({{a}} - {{out}}) (the softmax of {{a}})",),
              lambda shapes, attrs: _reduced_shape(shapes, attrs, "logsumexp"),
              _logsumexp_forward, (_logsumexp_vjp,), static=_AXIS),
    ArrayGate("softmax", ("a",), "exp(a) / sum(exp(a)) along the last axis (or the given one)",
              (f"{_D}{{a}} = {{out}} * ({_D}{{out}} - sum({_D}{{out}} * {{out}}, {{axis}}))",),
              _along_axis_shape("softmax"), _softmax_forward, (_softmax_vjp,),
              static=_LAST_AXIS),
    ArrayGate("log_softmax", ("a",), "a - log(sum(exp(a))) along the last axis (or the given "
              "one)",
              (f"{_D}{{a}} = {_D}{{out}} - softmax({{a}}) * sum({_D}{{out}}, {{axis}})",),
              _along_axis_shape("log_softmax"), _log_softmax_forward, (_log_softmax_vjp,),
              static=_LAST_AXIS),
    ArrayGate("cross_entropy", ("s", "y"),
              "softmax loss per row: -log(softmax(s)[y]); y holds integer class labels",
              (f"{_D}{{s}} = (softmax({{s}}) - onehot({{y}})) * {_D}{{out}}", ""),
              _scores_labels_shape, _cross_entropy_forward, (_cross_entropy_vjp, None)),
    ArrayGate("hinge", ("s", "y"), "multiclass SVM loss per row: sum over j != y of "
              "max(0, s_j - s_y + margin); margin 1 unless given",
              (f"{_D}{{s}}[j] = {_D}{{out}} * [{{s}}[j] - {{s}}[{{y}}] + margin > 0] for "
               f"j != {{y}}, and at {{y}} minus the sum of those", ""),
              _scores_labels_shape, _hinge_forward, (_hinge_vjp, None),
              static=(Static("margin", "number", default=1.0, phrase="an optional margin"),),
              kink=_hinge_kinks, sides=_hinge_sides,
              kink_where="a margin of exactly 0", kink_convention="local gradient 0 there"),
    ArrayGate("concat", ("a",), "arrays joined along an existing axis (0 unless given), "
              "numpy's concatenate",
              (f"{_D}{{a}} = the slice of {_D}{{out}} where {{a}} sits",),
              _concat_shape, _concat_forward, (_concat_vjp,), static=_JOIN_AXIS, many=True),
    ArrayGate("stack", ("a",), "arrays stacked along a new axis (0 unless given)",
              (f"{_D}{{a}} = {_D}{{out}} at the index of {{a}} along the new axis",),
              _stack_shape, _stack_forward, (_stack_vjp,), static=_JOIN_AXIS, many=True),
    ArrayGate("arange", (), "0, 1, ..., n - 1 (to pick one element per row: "
              "s[arange(N), y])", (), _arange_shape, _arange_forward, (),
              static=(Static("n", "int", required=True, phrase="n"),)),
    ArrayGate("gather", ("a", "i"), "a[i, j]: integer-array indexing, the elements at "
              "(i[k], j[k]) for every k (numpy's advanced indexing)",
              (f"{_D}{{a}} = {_D}{{out}} added back at the picked places (np.add.at), 0 "
               "elsewhere", ""),
              _gather_shape, _gather_forward, (_gather_vjp, None), many=True,
              written="{a}[{sub}]"),
    ArrayGate("l2", ("a",), "L2 regularisation R(W): the sum of squared elements",
              (f"{_D}{{a}} = 2 * {{a}} * {_D}{{out}}",),
              lambda shapes, attrs: (), _l2_forward, (_l2_vjp,)),
    *CONV_GATES,
)

ARRAY_GATES: dict[str, ArrayGate] = {gate.name: gate for gate in ARRAY_GATE_LIST}
# max(x) and min(x) with one argument reduce; with two they are the elementwise gates.
ONE_ARGUMENT_ALIASES = {"max": "amax", "min": "amin"}


def describe(name: str, operands: Sequence[str], attrs: Attrs) -> str:
    """How the gate is written with these operands, e.g. ``x @ w`` or ``sum(s, 1)``."""
    gate = ARRAY_GATES[name]
    if name == "gather":
        return f"{operands[0]}[{', '.join(operands[1:])}]"
    if gate.written:
        fields = dict(zip(gate.params, operands, strict=True))
        return gate.written.format(sub=_subscript(name, attrs), **fields)
    shown = [*operands, *_static_text(gate, attrs)]
    return f"{name}({', '.join(shown)})"


def _static_text(gate: ArrayGate, attrs: Attrs) -> list[str]:
    """The literal arguments as written: positional while none is left out, then by
    keyword (``sum(x, keepdims=True)``)."""
    if gate.static and gate.static[0].variadic:
        return [str(n) for n in attrs]
    shown: list[str] = []
    skipped = False
    for spec, value in zip(gate.static, attrs, strict=True):
        if value == spec.default and (spec.kind != "bool" or value is spec.default):
            skipped = True
            continue
        text = str(bool(value)) if spec.kind == "bool" else _number_text(value)
        shown.append(f"{spec.name}={text}" if skipped or spec.kind == "bool" else text)
    return shown


def _number_text(value: float | str) -> str:
    if isinstance(value, str):  # a literal named, not given (``backprop gates``)
        return value
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def rule(name: str, position: int, operands: Sequence[str], out: str, loss: str,
         attrs: Attrs) -> str:
    """The VJP formula of one operand in the graph's names."""
    gate = ARRAY_GATES[name]
    fields = {gate.param_of(k): operand for k, operand in enumerate(operands)}
    fields[gate.param_of(position)] = operands[position]
    text = gate.rule_of(position)
    if not text:
        what = "indices" if gate.many else "class labels"
        return f"none: {operands[position]} holds {what}"
    return text.format(L=loss, out=out, sub=_subscript(name, attrs),
                       axis=_axis_words(gate, attrs), **fields)


def _axis_words(gate: ArrayGate, attrs: Attrs) -> str:
    """``last axis`` or ``axis 0``: where softmax and log_softmax work."""
    if gate.static != _LAST_AXIS or not attrs or attrs[0] == -1:
        return "last axis"
    return f"axis {attrs[0]}"


def _subscript(name: str, attrs: Attrs) -> str:
    return format_subscript(attrs) if name == "index" else ""
