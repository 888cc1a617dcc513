"""Random array circuits for the differential tests, and an independent reference.

A generated circuit is a tree of ``ANode``s, each with the shape it must have: elementwise
gates with numpy broadcasting, ``@`` (vectors and matrices), ``.T``, ``sum``/``mean``/
``amax``/``amin`` (all or one axis), ``softmax``/``log_softmax``, the losses
``cross_entropy``/``hinge`` (with integer class labels) and ``l2``, subscripts and
``reshape``. From each tree the module builds, on its own:

* the program TEXT fed to the tool (precedence-aware, with some hoisted statements);
* a reference evaluation in 50-digit arithmetic (mpmath, on object arrays), which also says
  whether the point is inside every domain, too near a kink or domain edge (discarded), or
  outside a domain (the tool must then raise ``DomainError``);
* the reference gradient: central differences of that 50-digit evaluation with a step of
  1e-20 (truncation error ~1e-40, rounding ~1e-30), so no floating-point tolerance games.

Nothing here imports the library under test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
from expression_gen import BIG, CONSTANTS, DIGITS, DISCARD, EDGE, OK, OUTSIDE, Walk, _gate
from hypothesis import strategies as st

Shape = tuple[int, ...]
UNARY = ("neg", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs")
BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "max": "", "min": ""}
REDUCTIONS = ("sum", "mean", "amax", "amin")
NAMES = ("a", "b", "c", "d", "W", "v")
SHAPES: tuple[Shape, ...] = ((), (1,), (2,), (3,), (2, 3), (3, 2), (1, 3), (2, 1), (2, 2))
LEAF_PERCENT = (0, 10, 25, 45, 100)
MAX_DEPTH = len(LEAF_PERCENT) - 1
STEP = mpmath.mpf("1e-20")


@dataclass(frozen=True)
class ANode:
    """One gate application with the shape it yields; ``input``/``const``/``labels`` leaves.

    ``attrs``: the axis of a reduction, the margin of hinge, the subscript of ``index``
    (ints and ``(start, stop)`` slices), the sizes of ``reshape``. ``spelling`` picks
    ``**``/``^``/``pow(..)``, ``@``/``matmul(..)``, ``.T``/``transpose(..)``.
    """

    kind: str
    args: tuple[ANode, ...] = ()
    text: str = ""
    shape: Shape = ()
    attrs: tuple[Any, ...] = ()
    spelling: str = ""
    hoist: bool = False

    def has_inputs(self) -> bool:
        return self.kind in ("input", "labels") or any(a.has_inputs() for a in self.args)

    def size(self) -> int:
        return 1 + sum(a.size() for a in self.args)


@dataclass
class Circuit:
    """A tree, its inputs (name -> shape; labels name -> classes) and a point."""

    tree: ANode
    inputs: dict[str, Shape]
    labels: dict[str, int]
    point: dict[str, np.ndarray] = field(default_factory=dict)
    upstream: np.ndarray | None = None
    held: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- generation

class _Builder:
    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.inputs: dict[str, Shape] = {}
        self.labels: dict[str, int] = {}

    def pick(self, options: Any) -> Any:
        return self.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def node(self, shape: Shape, depth: int) -> ANode:
        if depth >= MAX_DEPTH or self.chance(LEAF_PERCENT[depth]):
            return self.leaf(shape)
        makers = [self.unary, self.binary, self.binary]
        if len(shape) <= 2:
            makers.append(self.matmul)
        if len(shape) == 2:
            makers.append(self.transpose)
        if len(shape) <= 1:
            makers += [self.reduction, self.loss, self.index]
        if shape:
            makers += [self.softmax, self.reshape]
        if not shape:
            makers.append(self.l2)
        node = self.pick(makers)(shape, depth + 1)
        return node if depth == 0 or not self.chance(10) else _with(node, hoist=True)

    def leaf(self, shape: Shape) -> ANode:
        if not shape and self.chance(30):
            return ANode("const", text=self.pick(CONSTANTS))
        same = [name for name, s in self.inputs.items() if s == shape and
                name not in self.labels]
        free = [name for name in NAMES if name not in self.inputs] or \
            [f"p{len(self.inputs)}"]
        if same and self.chance(40):
            name = self.pick(same)
        else:
            name = self.pick(free)
            self.inputs[name] = shape
        return ANode("input", text=name, shape=shape)

    def unary(self, shape: Shape, depth: int) -> ANode:
        return ANode(self.pick(UNARY), (self.node(shape, depth),), shape=shape)

    def binary(self, shape: Shape, depth: int) -> ANode:
        kind = self.pick(tuple(BINARY))
        full, other = shape, self.reduced(shape)
        if self.chance(50):
            full, other = other, full
        spelling = self.pick(("**", "^", "call")) if kind == "pow" else ""
        return ANode(kind, (self.node(full, depth), self.node(other, depth)), shape=shape,
                     spelling=spelling)

    def reduced(self, shape: Shape) -> Shape:
        """A shape that broadcasts to ``shape``: a suffix, with some sizes set to 1."""
        suffix = shape[self.draw(st.integers(0, len(shape))):]
        return tuple(1 if n > 1 and self.chance(25) else n for n in suffix)

    def matmul(self, shape: Shape, depth: int) -> ANode:
        k = self.draw(st.integers(1, 3))
        if len(shape) == 2:
            left, right = (shape[0], k), (k, shape[1])
        elif len(shape) == 1:
            left, right = ((k,), (k, shape[0])) if self.chance(50) else ((shape[0], k), (k,))
        else:
            left, right = (k,), (k,)
        spelling = self.pick(("@", "@", "call"))
        return ANode("matmul", (self.node(left, depth), self.node(right, depth)), shape=shape,
                     spelling=spelling)

    def transpose(self, shape: Shape, depth: int) -> ANode:
        return ANode("transpose", (self.node(shape[::-1], depth),), shape=shape,
                     spelling=self.pick((".T", ".T", "call")))

    def reduction(self, shape: Shape, depth: int) -> ANode:
        kind = self.pick(REDUCTIONS)
        if not shape and self.chance(50):
            operand = self.pick([s for s in SHAPES if s])
            return ANode(kind, (self.node(operand, depth),), shape=shape, attrs=(None,))
        axis = self.draw(st.integers(0, len(shape)))
        operand = (*shape[:axis], self.draw(st.integers(1, 3)), *shape[axis:])
        written = axis - len(operand) if self.chance(30) else axis  # a negative axis
        return ANode(kind, (self.node(operand, depth),), shape=shape, attrs=(written,))

    def softmax(self, shape: Shape, depth: int) -> ANode:
        kind = self.pick(("softmax", "log_softmax"))
        return ANode(kind, (self.node(shape, depth),), shape=shape)

    def loss(self, shape: Shape, depth: int) -> ANode:
        free = [name for name in ("y", "z") if name not in self.labels]
        if not free:
            return self.unary(shape, depth)
        name, classes = free[0], self.draw(st.integers(2, 3))
        self.labels[name] = classes  # claimed before the scores, which may hold a loss too
        self.inputs[name] = shape
        scores = self.node((*shape, classes), depth)
        labels = ANode("labels", text=name, shape=shape)
        if self.chance(50):
            return ANode("cross_entropy", (scores, labels), shape=shape)
        margin = self.pick((1.0, 1.0, 0.5))
        return ANode("hinge", (scores, labels), shape=shape, attrs=(margin,))

    def l2(self, shape: Shape, depth: int) -> ANode:
        return ANode("l2", (self.node(self.pick([s for s in SHAPES if s]), depth),))

    def index(self, shape: Shape, depth: int) -> ANode:
        extra = self.draw(st.integers(1, 3))
        if shape and self.chance(40):  # a slice along axis 0
            start = self.draw(st.integers(0, extra))
            operand = (shape[0] + extra, *shape[1:])
            return ANode("index", (self.node(operand, depth),), shape=shape,
                         attrs=((start, start + shape[0]),))
        if shape and self.chance(50):  # x[:, j]
            j = self.draw(st.integers(-extra, extra - 1))
            return ANode("index", (self.node((*shape, extra), depth),), shape=shape,
                         attrs=((None, None), j))
        i = self.draw(st.integers(-extra, extra - 1))
        return ANode("index", (self.node((extra, *shape), depth),), shape=shape, attrs=(i,))

    def reshape(self, shape: Shape, depth: int) -> ANode:
        size = math.prod(shape)
        options = [s for s in SHAPES if s and math.prod(s) == size and s != shape]
        operand = self.pick(options) if options else (size,)
        sizes = list(shape)
        if len(sizes) > 1 and self.chance(40):
            sizes[self.draw(st.integers(0, len(sizes) - 1))] = -1
        return ANode("reshape", (self.node(operand, depth),), shape=shape, attrs=tuple(sizes))


def _with(node: ANode, **changes: Any) -> ANode:
    fields = {name: getattr(node, name) for name in ANode.__dataclass_fields__}
    return ANode(**{**fields, **changes})


@st.composite
def circuits(draw: st.DrawFn) -> Circuit:
    """A random array circuit with a point (and an upstream when its output is an array)."""
    builder = _Builder(draw)
    shape = draw(st.sampled_from(SHAPES))
    tree = builder.node(shape, 0)
    if not builder.inputs:
        tree = ANode("mul", (tree, builder.leaf(shape or (2,))), shape=shape or (2,))
    circuit = Circuit(tree, dict(builder.inputs), dict(builder.labels))
    value = st.floats(-2.5, 2.5, allow_nan=False, allow_infinity=False)
    for name, s in circuit.inputs.items():
        size = math.prod(s)
        if name in circuit.labels:
            entries = draw(st.lists(st.integers(0, circuit.labels[name] - 1), min_size=size,
                                    max_size=size))
        else:
            entries = draw(st.lists(value, min_size=size, max_size=size))
        circuit.point[name] = np.array(entries, dtype=float).reshape(s)
    if tree.shape:
        entries = draw(st.lists(value, min_size=math.prod(tree.shape),
                                max_size=math.prod(tree.shape)))
        circuit.upstream = np.array(entries).reshape(tree.shape)
    others = [n for n in circuit.inputs if n not in circuit.labels]
    if len(others) > 1 and draw(st.integers(0, 4)) == 0:
        circuit.held = (draw(st.sampled_from(others)),)
    return circuit


# ----------------------------------------------------------------------------- text

PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4}
ATOM, POSTFIX = 5, 6


def _precedence(node: ANode) -> int:
    if node.kind in ("pow", "matmul") and node.spelling == "call":
        return ATOM
    if node.kind == "index" or (node.kind == "transpose" and node.spelling == ".T"):
        return POSTFIX
    return PRECEDENCE.get(node.kind, ATOM)


class _Writer:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def write(self, node: ANode, root: bool = False) -> str:
        if node.hoist and not root:
            body = self._write(node)
            name = f"h{len(self.statements) + 1}"
            self.statements.append(f"{name} = {body}")
            return name
        return self._write(node)

    def operand(self, node: ANode, parens: bool) -> str:
        text = self.write(node)
        return f"({text})" if parens and not node.hoist else text

    def _write(self, node: ANode) -> str:
        kind, args = node.kind, node.args
        if kind in ("input", "labels", "const"):
            return node.text
        if kind == "neg":
            return "-" + self.operand(args[0], _precedence(args[0]) < PRECEDENCE["neg"])
        if kind in PRECEDENCE and kind != "pow" and node.spelling != "call":
            level = PRECEDENCE[kind]
            symbol = "@" if kind == "matmul" else BINARY[kind]
            left = self.operand(args[0], _precedence(args[0]) < level)
            right = self.operand(args[1], _precedence(args[1]) <= level)
            return f"{left} {symbol} {right}"
        if kind == "pow" and node.spelling != "call":
            left = self.operand(args[0], _precedence(args[0]) <= PRECEDENCE["pow"])
            parens = _precedence(args[1]) < PRECEDENCE["pow"] and args[1].kind != "neg"
            return f"{left} {node.spelling} {self.operand(args[1], parens)}"
        if kind == "transpose" and node.spelling == ".T":
            return self.operand(args[0], _precedence(args[0]) < ATOM) + ".T"
        if kind == "index":
            entries = [e if isinstance(e, int) else f"{_bound(e[0])}:{_bound(e[1])}"
                       for e in node.attrs]
            return self.operand(args[0], _precedence(args[0]) < ATOM) + \
                f"[{', '.join(str(e) for e in entries)}]"
        written = [self.write(a) for a in args]
        name = {"matmul": "matmul", "transpose": "transpose"}.get(kind, kind)
        extras = [_literal(a) for a in node.attrs if a is not None]
        if kind == "hinge" and node.attrs == (1.0,):
            extras = []
        return f"{name}({', '.join(written + extras)})"


def _bound(value: int | None) -> str:
    return "" if value is None else str(value)


def _literal(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() and isinstance(value, int) \
        else repr(value)


def program_text(tree: ANode, separator: str = "\n") -> str:
    """The program for ``tree``: hoisted statements, then ``f = ...``."""
    writer = _Writer()
    body = writer.write(tree, root=True)
    return separator.join([*writer.statements, f"f = {body}"])


# ----------------------------------------------------------------------------- reference

def _mp(text: str) -> mpmath.mpf:
    if text == "pi":
        return +mpmath.pi
    if text == "e":
        return +mpmath.e
    fraction = Fraction(text)
    return mpmath.mpf(fraction.numerator) / fraction.denominator


def _objects(array: np.ndarray) -> np.ndarray:
    out = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        out[index] = mpmath.mpf(float(array[index]))
    return out


class Reference:
    """50-digit evaluation of a circuit; ``walk`` collects discards and domain exits."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit

    def value(self, point: dict[str, np.ndarray]) -> tuple[Walk, Any]:
        walk = Walk()
        with mpmath.workdps(DIGITS):
            inputs = {name: _objects(v) for name, v in point.items()}
            result = self._eval(self.circuit.tree, inputs, walk, {})
        return walk, result

    def loss(self, point: dict[str, np.ndarray]) -> tuple[Walk, mpmath.mpf | None]:
        """The scalar the gradients are of: the output, or sum(upstream * output)."""
        walk, out = self.value(point)
        if out is None or walk.status != OK:
            return walk, None
        with mpmath.workdps(DIGITS):
            if self.circuit.upstream is None:
                return walk, out[()]
            weights = _objects(self.circuit.upstream)
            return walk, sum((w * o for w, o in zip(weights.flat, out.flat, strict=True)),
                             mpmath.mpf(0))

    def gradients(self, point: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """Central differences of ``loss`` in 50 digits; None if a step leaves the clean
        region."""
        grads: dict[str, np.ndarray] = {}
        for name, array in point.items():
            if name in self.circuit.labels or name in self.circuit.held:
                continue
            grad = np.zeros(array.shape)
            for index in np.ndindex(array.shape):
                sides = []
                for sign in (1, -1):
                    _walk, loss = self._shifted(point, name, index, sign)
                    if loss is None:
                        return None
                    sides.append(loss)
                with mpmath.workdps(DIGITS):
                    grad[index] = float((sides[0] - sides[1]) / (2 * STEP))
            grads[name] = grad
        return grads

    def _shifted(self, point: dict[str, np.ndarray], name: str, index: tuple[int, ...],
                 sign: int) -> tuple[Walk, mpmath.mpf | None]:
        walk = Walk()
        with mpmath.workdps(DIGITS):
            inputs = {n: _objects(v) for n, v in point.items()}
            inputs[name][index] += sign * STEP
            out = self._eval(self.circuit.tree, inputs, walk, {})
            if out is None or walk.status != OK:
                return walk, None
            if self.circuit.upstream is None:
                return walk, out[()]
            weights = _objects(self.circuit.upstream)
            return walk, sum((w * o for w, o in zip(weights.flat, out.flat, strict=True)),
                             mpmath.mpf(0))

    # -- evaluation

    def _eval(self, node: ANode, inputs: dict[str, np.ndarray], walk: Walk,
              memo: dict[ANode, Any]) -> np.ndarray | None:
        if node in memo:
            return memo[node]
        result = self._compute(node, inputs, walk, memo)
        if result is not None and any(abs(v) > BIG for v in result.flat):
            walk.discard(f"{node.kind} value too large")
            result = None
        memo[node] = result
        return result

    def _compute(self, node: ANode, inputs: dict[str, np.ndarray], walk: Walk,
                 memo: dict[ANode, Any]) -> np.ndarray | None:
        kind = node.kind
        if kind in ("input", "labels"):
            return inputs[node.text]
        if kind == "const":
            return np.array(_mp(node.text), dtype=object)
        operands = [self._eval(a, inputs, walk, memo) for a in node.args]
        if any(o is None for o in operands):
            return None
        if kind in UNARY or kind in BINARY:
            return _elementwise(node, operands, walk)
        return _STRUCTURAL[kind](node, operands, walk)


def _elementwise(node: ANode, operands: list[np.ndarray], walk: Walk) -> np.ndarray | None:
    shape = np.broadcast_shapes(*(o.shape for o in operands))
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        elements = [np.broadcast_to(o, shape)[index] for o in operands]
        value = _gate(node, elements, walk)  # type: ignore[arg-type]
        if value is None:
            return None
        out[index] = value
    return out


def _matmul(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray:
    a, b = ops
    return np.asarray(np.dot(a, b), dtype=object)


def _axis(node: ANode, ndim: int) -> int | None:
    axis = node.attrs[0]
    return None if axis is None else axis % ndim


def _reduce(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray | None:
    a = ops[0]
    axis = _axis(node, a.ndim)
    moved = a.reshape(-1, 1) if axis is None else np.moveaxis(a, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1]) if axis is not None else a.reshape(1, -1)
    out = []
    for row in rows:
        values = list(row)
        if node.kind in ("sum", "mean"):
            total = sum(values, mpmath.mpf(0))
            out.append(total / len(values) if node.kind == "mean" else total)
            continue
        ordered = sorted(values, reverse=node.kind == "amax")
        if len(ordered) > 1 and abs(ordered[0] - ordered[1]) < EDGE:
            walk.discard(f"{node.kind} near a tie")
            return None
        out.append(ordered[0])
    shape = () if axis is None else moved.shape[:-1]
    return np.array(out, dtype=object).reshape(shape)


def _rows(a: np.ndarray) -> tuple[np.ndarray, Shape]:
    return a.reshape(-1, a.shape[-1]), a.shape


def _softmax(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray:
    rows, shape = _rows(ops[0])
    out = []
    for row in rows:
        exps = [mpmath.exp(v) for v in row]
        total = sum(exps, mpmath.mpf(0))
        if node.kind == "softmax":
            out.append([e / total for e in exps])
        else:
            out.append([v - mpmath.log(total) for v in row])
    return np.array(out, dtype=object).reshape(shape)


def _loss(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray | None:
    scores, labels = ops
    rows, shape = _rows(scores)
    out = []
    for row, label in zip(rows, labels.reshape(-1), strict=True):
        y = int(label)
        if node.kind == "cross_entropy":
            out.append(mpmath.log(sum((mpmath.exp(v) for v in row), mpmath.mpf(0))) - row[y])
            continue
        total = mpmath.mpf(0)
        for j, v in enumerate(row):
            if j == y:
                continue
            margin = v - row[y] + mpmath.mpf(node.attrs[0])
            if abs(margin) < EDGE:
                walk.discard("hinge near a margin of 0")
                return None
            total += max(margin, 0)
        out.append(total)
    return np.array(out, dtype=object).reshape(shape[:-1])


def _l2(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray:
    return np.array(sum((v * v for v in ops[0].flat), mpmath.mpf(0)), dtype=object)


def _index(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray:
    subscript = tuple(e if isinstance(e, int) else slice(*e) for e in node.attrs)
    return np.asarray(ops[0][subscript], dtype=object)


def _reshape(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray:
    return ops[0].reshape(node.shape)


def _transpose(node: ANode, ops: list[np.ndarray], walk: Walk) -> np.ndarray:
    return np.transpose(ops[0])


_STRUCTURAL = {"matmul": _matmul, "transpose": _transpose, "sum": _reduce, "mean": _reduce,
               "amax": _reduce, "amin": _reduce, "softmax": _softmax,
               "log_softmax": _softmax, "cross_entropy": _loss, "hinge": _loss, "l2": _l2,
               "index": _index, "reshape": _reshape}

__all__ = ["DISCARD", "OK", "OUTSIDE", "ANode", "Circuit", "Reference", "circuits",
           "program_text"]
