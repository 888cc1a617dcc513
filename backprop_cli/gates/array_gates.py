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
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..language.subscripts import Subscript, format_subscript
from .array_kit import Array, Kit

Shape = tuple[int, ...]
Attrs = tuple[Any, ...]


class ShapeMismatch(Exception):
    """Operand shapes a gate cannot take; the engine adds the node and position."""


class LabelError(ValueError):
    """Class labels that are not integers in range; ``where`` is the element's index."""

    def __init__(self, message: str, where: tuple[int, ...]) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class Static:
    """A literal argument after the array operands: an axis, a shape entry, a margin."""

    name: str
    kind: str  # "int" or "number"
    default: Any = None
    required: bool = False
    variadic: bool = False
    phrase: str = ""  # how a call's signature mentions it, e.g. "an optional axis"


VJP = Callable[[Kit, Array, Sequence[Array], Array, Attrs], Array]
Kink = Callable[[Sequence[Array], Array, Attrs], int]
Sides = Callable[[Sequence[Array], Array, Attrs], Array]


@dataclass(frozen=True)
class ArrayGate:
    """A structural gate. ``vjps[k]`` is None for an operand that takes no gradient
    (class labels); ``kink`` counts elements where the gate is not differentiable;
    ``sides`` tells on which side of its kinks the gate is (an array that changes when a
    step crosses one: a margin's sign, which element is largest)."""

    name: str
    params: tuple[str, ...]
    summary: str
    rules: tuple[str, ...]
    shape: Callable[[Sequence[Shape], Attrs], Shape]
    forward: Callable[[Kit, Sequence[Array], Attrs], Array]
    vjps: tuple[VJP | None, ...]
    static: tuple[Static, ...] = ()
    written: str = ""
    kink: Kink | None = None
    kink_where: str = ""
    kink_convention: str = ""
    sides: Sides | None = None

    @property
    def arity(self) -> int:
        return len(self.params)

    def differentiable(self, position: int) -> bool:
        return self.vjps[position] is not None


# ----------------------------------------------------------------------------- helpers

def _axis(axis: int | None, ndim: int, gate: str) -> int | None:
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise ShapeMismatch(f"axis {axis} is out of range for {gate} of a {ndim}-d array")
    return axis % ndim


def _expand(g: Array, shape: Shape, axis: int | None) -> Array:
    """Broadcast a reduced gradient back over the reduced axis (or all axes)."""
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def _reduced_shape(shapes: Sequence[Shape], attrs: Attrs, gate: str) -> Shape:
    shape = shapes[0]
    axis = _axis(attrs[0], len(shape), gate)
    if axis is None:
        return ()
    return shape[:axis] + shape[axis + 1:]


def _needs_last_axis(shape: Shape, gate: str) -> None:
    if not shape:
        raise ShapeMismatch(f"{gate} needs a vector or matrix (it works along the last "
                            "axis), got a scalar")


# ----------------------------------------------------------------------------- matmul

def _matmul_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    a, b = shapes
    for shape in (a, b):
        if len(shape) not in (1, 2):
            what = "a scalar" if not shape else f"a {len(shape)}-d array"
            raise ShapeMismatch(f"@ takes vectors and matrices, got {what}; use * to scale")
    if a[-1] != b[0]:
        raise ShapeMismatch(f"shapes {_show(a)} and {_show(b)} do not fit: the left's last "
                            f"dimension ({a[-1]}) must equal the right's first ({b[0]})")
    return a[:-1] + b[1:]


def _as_matrices(a: Array, b: Array) -> tuple[Array, Array]:
    """Vectors as a 1 x D row (left) and a D x 1 column (right)."""
    return (a.reshape(1, -1) if a.ndim == 1 else a), (b.reshape(-1, 1) if b.ndim == 1 else b)


def _matmul_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return ops[0] @ ops[1]


def _matmul_vjp_a(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                  attrs: Attrs) -> Array:
    a, b = _as_matrices(*ops)
    return (g.reshape(a.shape[0], b.shape[1]) @ b.T).reshape(ops[0].shape)


def _matmul_vjp_b(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                  attrs: Attrs) -> Array:
    a, b = _as_matrices(*ops)
    return (a.T @ g.reshape(a.shape[0], b.shape[1])).reshape(ops[1].shape)


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
    gradient[numpy_index(attrs)] = g
    return gradient


# ----------------------------------------------------------------------------- reductions

def _sum_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return np.sum(ops[0], axis=_axis(attrs[0], ops[0].ndim, "sum"))


def _sum_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    a = ops[0]
    return _expand(g, a.shape, _axis(attrs[0], a.ndim, "sum")).copy()


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


def _extreme(kind: str) -> tuple[Callable[..., Array], VJP, Kink, Sides]:
    """amax or amin: forward, VJP routing to the extreme (ties share equally), tie count,
    and which elements attain the extreme (what a step across a tie changes)."""
    reduce = np.max if kind == "max" else np.min

    def forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
        return reduce(ops[0], axis=_axis(attrs[0], ops[0].ndim, f"a{kind}"))

    def winners(ops: Sequence[Array], out: Array, attrs: Attrs) -> tuple[Array, Array]:
        """Which elements attain the extreme, and how many per reduced group."""
        a = ops[0]
        axis = _axis(attrs[0], a.ndim, f"a{kind}")
        mask = np.asarray(a == _expand(out, a.shape, axis)).astype(bool)
        return mask, np.asarray(mask.sum(axis=axis))

    def vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
        a = ops[0]
        mask, counts = winners(ops, out, attrs)
        share = _expand(divide(kit, g, counts), a.shape, _axis(attrs[0], a.ndim, f"a{kind}"))
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

def _last_axis_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    return shapes[0]


def softmax_values(kit: Kit, a: Array) -> Array:
    shifted = a if kit.exact else a - np.max(a, axis=-1, keepdims=True)
    e = kit.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def _logsumexp(kit: Kit, a: Array) -> Array:
    if kit.exact:
        return kit.log(np.sum(kit.exp(a), axis=-1))
    top = np.max(a, axis=-1)
    return top + np.log(np.sum(np.exp(a - top[..., None]), axis=-1))


def _softmax_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    return softmax_values(kit, ops[0])


def _softmax_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return out * (g - np.sum(g * out, axis=-1, keepdims=True))


def _log_softmax_forward(kit: Kit, ops: Sequence[Array], attrs: Attrs) -> Array:
    # the shape of the operand, also for a number ([..., None] would make it a 1-vector)
    return np.reshape(ops[0] - _logsumexp(kit, ops[0])[..., None], np.shape(ops[0]))


def _log_softmax_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array,
                     attrs: Attrs) -> Array:
    return g - softmax_values(kit, ops[0]) * np.sum(g, axis=-1, keepdims=True)


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


def _show(shape: Shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


show_shape = _show

# ----------------------------------------------------------------------------- the registry

_AXIS = (Static("axis", "int", phrase="an optional axis"),)
_D = "d{L}/d"

ARRAY_GATE_LIST: tuple[ArrayGate, ...] = (
    ArrayGate("matmul", ("a", "b"), "matrix product: dL/dx = dL/dy @ w.T, dL/dw = x.T @ dL/dy",
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
    ArrayGate("softmax", ("a",), "exp(a) / sum(exp(a)) along the last axis",
              (f"{_D}{{a}} = {{out}} * ({_D}{{out}} - sum({_D}{{out}} * {{out}}, last axis))",),
              _last_axis_shape, _softmax_forward, (_softmax_vjp,)),
    ArrayGate("log_softmax", ("a",), "a - log(sum(exp(a))) along the last axis",
              (f"{_D}{{a}} = {_D}{{out}} - softmax({{a}}) * sum({_D}{{out}}, last axis)",),
              _last_axis_shape, _log_softmax_forward, (_log_softmax_vjp,)),
    ArrayGate("cross_entropy", ("s", "y"),
              "softmax loss per row: -log(softmax(s)[y]); y holds integer class labels",
              (f"{_D}{{s}} = (softmax({{s}}) - onehot({{y}})) * {_D}{{out}}", ""),
              _scores_labels_shape, _cross_entropy_forward, (_cross_entropy_vjp, None)),
    ArrayGate("hinge", ("s", "y"), "multiclass SVM loss per row: sum over j != y of "
              "max(0, s_j - s_y + margin); margin 1 unless given",
              (f"{_D}{{s}}[j] = {_D}{{out}} * 1[{{s}}[j] - {{s}}[{{y}}] + margin > 0] for "
               f"j != {{y}}, and at {{y}} minus the sum of those", ""),
              _scores_labels_shape, _hinge_forward, (_hinge_vjp, None),
              static=(Static("margin", "number", default=1.0, phrase="an optional margin"),),
              kink=_hinge_kinks, sides=_hinge_sides,
              kink_where="a margin of exactly 0", kink_convention="local gradient 0 there"),
    ArrayGate("l2", ("a",), "L2 regularisation R(W): the sum of squared elements",
              (f"{_D}{{a}} = 2 * {{a}} * {_D}{{out}}",),
              lambda shapes, attrs: (), _l2_forward, (_l2_vjp,)),
)

ARRAY_GATES: dict[str, ArrayGate] = {gate.name: gate for gate in ARRAY_GATE_LIST}
# max(x) and min(x) with one argument reduce; with two they are the elementwise gates.
ONE_ARGUMENT_ALIASES = {"max": "amax", "min": "amin"}


def describe(name: str, operands: Sequence[str], attrs: Attrs) -> str:
    """How the gate is written with these operands, e.g. ``x @ w`` or ``sum(s, 1)``."""
    gate = ARRAY_GATES[name]
    if gate.written:
        fields = dict(zip(gate.params, operands, strict=True))
        return gate.written.format(sub=_subscript(name, attrs), **fields)
    shown = [*operands, *_static_text(gate, attrs)]
    return f"{name}({', '.join(shown)})"


def _static_text(gate: ArrayGate, attrs: Attrs) -> list[str]:
    if gate.static and gate.static[0].variadic:
        return [str(n) for n in attrs]
    return [_number_text(value) for spec, value in zip(gate.static, attrs, strict=True)
            if value != spec.default]


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def rule(name: str, position: int, operands: Sequence[str], out: str, loss: str,
         attrs: Attrs) -> str:
    """The VJP formula of one operand in the graph's names."""
    gate = ARRAY_GATES[name]
    fields = dict(zip(gate.params, operands, strict=True))
    text = gate.rules[position]
    if not text:
        return f"none: {operands[position]} holds class labels"
    return text.format(L=loss, out=out, sub=_subscript(name, attrs), **fields)


def _subscript(name: str, attrs: Attrs) -> str:
    return format_subscript(attrs) if name == "index" else ""
