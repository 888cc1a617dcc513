"""A circuit of arrays as flat Python with numpy, the way the lecture writes array backprop
(text only; never run here).

The forward pass is one intermediate per line (``t1 = x.dot(W1)``); the backward pass is
``grad_<name>`` lines in reverse order, ``+=`` where a value fans out. An elementwise gate's
downstream gradient is upstream × the sympy-derived local gradient, summed over the axes
broadcasting added (``grad_b1 = np.sum(grad_t2, axis=0)``); a structural gate's is its
vector-Jacobian rule (``grad_W2 = h.T.dot(grad_s)``, ``grad_h = grad_s.dot(W2.T)``). The
code needs only ``import numpy as np``; the loss gates (softmax, cross-entropy, hinge) use
a few short helper functions printed at the top. The inputs are embedded as ``np.array``
literals, so the code runs as printed and prints the numbers ``backprop eval`` shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from .arraycalls import label_inputs
from .arraygates import ARRAY_GATES
from .graph import CONST, INPUT, Graph
from .pycode import RESERVED, _class_name, _Names, _Printer, _Templates, forward_expression, times
from .registry import GATES
from .subscript import format_subscript
from .trace import Trace

Shape = tuple[int, ...]

HELPERS = {
    "softmax": '''def softmax(a):
    """exp(a) / sum(exp(a)) along the last axis (shifted by the largest entry: no overflow)."""
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)''',
    "logsumexp": '''def logsumexp(a):
    """log(sum(exp(a))) along the last axis, without overflow."""
    top = np.max(a, axis=-1)
    return top + np.log(np.sum(np.exp(a - top[..., None]), axis=-1))''',
    "hinge_margins": '''def hinge_margins(s, y, margin):
    """max(0, s_j - s_y + margin) for every class j, and 0 at the label y."""
    s_y = np.take_along_axis(s, y[..., None], axis=-1)
    onehot = np.eye(s.shape[-1])[y]
    return np.maximum(0.0, s - s_y + margin) * (1 - onehot)''',
    "hinge_grad": '''def hinge_grad(s, y, margin):
    """d hinge / d s: 1 where a margin is positive, minus how many are, at the label y."""
    active = (hinge_margins(s, y, margin) > 0) * 1.0
    return active - np.eye(s.shape[-1])[y] * np.sum(active, axis=-1, keepdims=True)''',
    "unbroadcast": '''def unbroadcast(grad, shape):
    """Sum a gradient over the axes broadcasting added, back to shape."""
    while np.ndim(grad) > len(shape):
        grad = np.sum(grad, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and np.shape(grad)[axis] != 1:
            grad = np.sum(grad, axis=axis, keepdims=True)
    return grad''',
}
# the helpers each gate needs (forward and backward)
GATE_HELPERS = {"softmax": ("softmax",), "log_softmax": ("softmax", "logsumexp"),
                "cross_entropy": ("softmax", "logsumexp"),
                "hinge": ("hinge_margins", "hinge_grad")}
NUMPY_RESERVED = RESERVED | {"np", *HELPERS}
ELEMENTWISE_CODE = {"exp": "np.exp({a})", "log": "np.log({a})", "sqrt": "np.sqrt({a})",
                    "sin": "np.sin({a})", "cos": "np.cos({a})", "tan": "np.tan({a})",
                    "tanh": "np.tanh({a})", "sigmoid": "1 / (1 + np.exp(-{a}))",
                    "relu": "np.maximum(0.0, {a})", "max": "np.maximum({a}, {b})",
                    "min": "np.minimum({a}, {b})", "abs": "np.abs({a})"}


class NumpyPrinter(_Printer):
    """Local gradients as numpy code, elementwise, with the engine's conventions at kinks
    (``np.heaviside(x, 0)``: relu'(0) = 0; ``np.sign(0)`` = 0; 1/2 at a max/min tie)."""

    def _module_format(self, fqn: str, register: bool = True) -> str:
        return "np." + fqn.split(".")[-1] if fqn.startswith("math.") else \
            str(super()._module_format(fqn, register))

    def _call(self, function: str, *args: sp.Expr) -> str:
        return f"np.{function}({', '.join(self._print(a) for a in args)})"

    def _print_Heaviside(self, expr: sp.Expr) -> str:
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"np.heaviside({self._print(expr.args[0])}, {float(at_zero)!r})"

    def _print_sign(self, expr: sp.Expr) -> str:
        return self._call("sign", expr.args[0])

    def _print_abs(self, expr: sp.Expr) -> str:
        return self._call("abs", expr.args[0])

    _print_Abs = _print_abs

    def _print_relu(self, expr: sp.Expr) -> str:
        return f"np.maximum(0.0, {self._print(expr.args[0])})"

    def _print_sigmoid(self, expr: sp.Expr) -> str:
        return f"(1 / (1 + np.exp({self._print(-expr.args[0])})))"

    def _fold(self, function: str, expr: sp.Expr) -> str:
        text = str(self._print(expr.args[0]))
        for arg in expr.args[1:]:
            text = f"np.{function}({text}, {self._print(arg)})"
        return text

    def _print_Max(self, expr: sp.Expr) -> str:
        return self._fold("maximum", expr)

    def _print_Min(self, expr: sp.Expr) -> str:
        return self._fold("minimum", expr)


class ArrayNames(_Names):
    """Python identifiers (``np`` and the helpers' names are taken) and how operands are
    written: constants as literals, class labels as integer arrays."""

    def __init__(self, trace: Trace) -> None:
        classes = {_class_name(gate) for gate in trace.graph.gates}  # the modular style's
        super().__init__(trace.graph, NUMPY_RESERVED | classes)
        self.labels = {trace.graph.inputs[name] for name in label_inputs(trace.graph)}

    def operand(self, node: int) -> str:
        if self.graph.gates[node] == CONST and self.graph.literals[node] in ("pi", "e"):
            return f"np.{self.graph.literals[node]}"
        return super().operand(node)

    def labels_of(self, node: int) -> str:
        """Class labels as integer indices (an input of labels is printed as integers)."""
        text = self.operand(node)
        return text if node in self.labels else f"{text}.astype(int)"


# ----------------------------------------------------------------------------- values

def array_literal(value: Any, integers: bool = False) -> str:
    """A value as code: ``0.5``, or ``np.array([[1.0, 2.0], [3.0, 4.0]])`` (full precision)."""
    array = np.asarray(value, dtype=float)
    if integers:
        return f"np.array({array.astype(int).tolist()!r})"
    if not array.ndim:
        return repr(float(array))
    return f"np.array({array.tolist()!r})"


def keep_axis(name: str, axis: int) -> str:
    """``g[:, None]``: a reduced gradient with the axis ``axis`` put back (size 1)."""
    return f"{name}[{', '.join([':'] * axis + ['None'])}]"


def axis_of(attrs: tuple[Any, ...], ndim: int) -> int | None:
    """The reduction's axis as a non-negative number (None: all axes)."""
    return None if not attrs or attrs[0] is None else int(attrs[0]) % ndim


def axis_text(attrs: tuple[Any, ...]) -> str:
    return "" if not attrs or attrs[0] is None else f", axis={attrs[0]}"


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


def helpers_for(graph: Graph, unbroadcast: bool = False) -> list[str]:
    """The helper functions the circuit's gates need, in a fixed order."""
    needed = {h for gate in graph.gates for h in GATE_HELPERS.get(gate, ())}
    if unbroadcast:
        needed.add("unbroadcast")
    return [HELPERS[name] for name in HELPERS if name in needed]


def header(trace: Trace, names: ArrayNames, definitions: Sequence[str] = (),
           unbroadcast: bool = False) -> list[str]:
    """``import numpy as np``, the helpers and ``definitions`` (gate classes), and the
    inputs as literals."""
    lines = ["import numpy as np", ""]
    for definition in [*helpers_for(trace.graph, unbroadcast), *definitions]:
        lines += ["", definition, ""]
    if len(lines) > 2:
        lines.append("")
    lines.append("# inputs")
    for node in trace.graph.inputs.values():
        integers = node in names.labels
        note = "  # class labels" if integers else ""
        lines.append(f"{names.values[node]} = "
                     f"{array_literal(trace.values[node], integers)}{note}")
    return lines


def seed_line(trace: Trace, names: ArrayNames) -> str:
    graph = trace.graph
    return f"{names.grads[graph.output]} = {array_literal(trace.grads[graph.output])}"


def footer(trace: Trace, names: ArrayNames) -> list[str]:
    """Print the output and every input's gradient in full precision (nested lists)."""
    graph = trace.graph
    lines = ["", f'print("{graph.names[graph.output]} =", '
                 f'{_printed(names.values[graph.output], trace.shape(graph.output))})']
    loss = trace.loss_name()
    for name, node in graph.inputs.items():
        if graph.requires_grad[node]:
            lines.append(f'print("d{loss}/d{name} =", '
                         f'{_printed(names.grads[node], trace.shape(node))})')
    return lines


def _printed(name: str, shape: Shape) -> str:
    return f"float({name})" if not shape else f"{name}.tolist()"


def unused_inputs(trace: Trace, names: ArrayNames, assigned: set[str]) -> list[str]:
    graph = trace.graph
    out = graph.names[graph.output]
    return [f"{names.grads[node]} = {_zeros(trace.shape(node))}  # {name} does not affect "
            f"{out}" for name, node in graph.inputs.items()
            if graph.requires_grad[node] and names.grads[node] not in assigned]


def _zeros(shape: Shape) -> str:
    return f"np.zeros({shape!r})" if shape else "0.0"


# ----------------------------------------------------------------------------- forward

def forward_code(trace: Trace, names: ArrayNames, printer: NumpyPrinter, node: int) -> str:
    """The right-hand side of a node's forward line."""
    graph = trace.graph
    gate, args = graph.gates[node], graph.args[node]
    operands = [names.operand(a) for a in args]
    if gate in graph.user_gates:
        return forward_expression(graph, gate, operands, printer)
    if gate in GATES:
        mapping = dict(zip(("a", "b"), operands, strict=False))
        return ELEMENTWISE_CODE.get(gate, GATES[gate].pattern).format(**mapping)
    return _structural_forward(trace, names, node, operands)


def _structural_forward(trace: Trace, names: ArrayNames, node: int,
                        operands: list[str]) -> str:
    graph = trace.graph
    gate, attrs = graph.gates[node], graph.attrs.get(node, ())
    a = operands[0]
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
    if gate == "softmax":
        return f"softmax({a})"
    if gate == "log_softmax":
        return f"{a} - logsumexp({a})[..., None]"
    if gate == "l2":
        return f"np.sum({a} * {a})"
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
    if gate == "matmul":
        return _matmul_gradient(g, a, names.operand(args[1]), shape,
                                trace.shape(args[1]), position), False
    if gate == "transpose":
        return f"{g}.T", True
    if gate == "reshape":
        return f"{g}.reshape({shape!r})", True
    if gate in ("sum", "mean", "amax", "amin"):
        return _reduction_gradient(gate, g, a, out, shape, axis_of(attrs, len(shape))), False
    if gate == "softmax":
        return f"{out} * ({g} - np.sum({g} * {out}, axis=-1, keepdims=True))", False
    if gate == "log_softmax":
        return f"{g} - softmax({a}) * np.sum({g}, axis=-1, keepdims=True)", False
    if gate == "l2":
        return f"{a} * (2 * {g})", False
    labels = names.labels_of(args[1])
    upstream = per_row(g, trace.shape(node))
    if gate == "cross_entropy":
        return f"(softmax({a}) - np.eye({shape[-1]})[{labels}]) * {upstream}", False
    if gate == "hinge":
        return f"hinge_grad({a}, {labels}, {float(attrs[0])!r}) * {upstream}", False
    raise ValueError(f"no numpy gradient for the gate {gate}")  # pragma: no cover


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


def _reduction_gradient(gate: str, g: str, a: str, out: str, shape: Shape,
                        axis: int | None) -> str:
    """sum/mean copy the upstream gradient to every element reduced (divided by their
    count for mean); amax/amin route it to the extreme elements (ties share it)."""
    spread = g if axis is None else keep_axis(g, axis)
    if gate == "sum":
        return f"np.ones_like({a}) * {spread}"
    if gate == "mean":
        count = int(np.prod(shape)) if axis is None else shape[axis]
        return f"np.ones_like({a}) * {spread} / {count}"
    winners = f"({a} == {out if axis is None else keep_axis(out, axis)})"
    if axis is None:
        return f"{winners} * {g} / np.sum({winners})"
    return f"{winners} * ({spread} / np.sum({winners}, axis={axis}, keepdims=True))"


class _Backward:
    """The backward lines: one per edge, ``+=`` at fan-out, copies where a later ``+=``
    would otherwise write through a shared array."""

    def __init__(self, trace: Trace, names: ArrayNames, printer: NumpyPrinter) -> None:
        self.trace, self.names = trace, names
        self.templates = _Templates(trace.graph, names, printer)
        self.fan_in = Counter(edge.source for edge in trace.edges())
        self.assigned = {names.grads[trace.graph.output]}
        self.lines: list[str] = []

    def edge(self, node: int, position: int) -> None:
        graph, names = self.trace.graph, self.names
        source = graph.args[node][position]
        target = names.grads[source]
        if graph.gates[node] == "index":
            self._index(node, target, source)
            return
        if graph.gates[node] in ARRAY_GATES:
            code, shared = structural_gradient(self.trace, names, node, position)
        else:
            code, shared = self._elementwise(node, position, source)
        self.assign(target, code, shared and self.fan_in[source] > 1)

    def assign(self, target: str, code: str, copy: bool) -> None:
        if target in self.assigned:
            self.lines.append(f"{target} += {code}")
            return
        self.assigned.add(target)
        self.lines.append(f"{target} = {f'np.copy({code})' if copy else code}")

    def _elementwise(self, node: int, position: int, source: int) -> tuple[str, bool]:
        upstream = self.names.grads[node]
        local, code = self.templates.local(node, position)
        if local == 1:
            product = upstream
        elif local == -1:
            product = f"-{upstream}"
        else:
            product = times(upstream, local, code)
        shape, target = self.trace.shape(node), self.trace.shape(source)
        summed = unbroadcast_code(product, shape, target)
        return summed, summed == upstream

    def _index(self, node: int, target: str, source: int) -> None:
        subscript = format_subscript(self.trace.graph.attrs[node])
        upstream = self.names.grads[node]
        if target in self.assigned:
            self.lines.append(f"{target}[{subscript}] += {upstream}")
            return
        self.assigned.add(target)
        self.lines += [f"{target} = np.zeros({self.trace.shape(source)!r})",
                       f"{target}[{subscript}] = {upstream}"]


def flat_numpy_code(trace: Trace) -> str:
    """The lecture's flat forward and backward code for a circuit of arrays."""
    graph, printer, names = trace.graph, NumpyPrinter(), ArrayNames(trace)
    lines = header(trace, names)
    lines.append("\n# forward pass")
    for node in range(graph.output + 1):
        if graph.gates[node] not in (INPUT, CONST):
            lines.append(f"{names.values[node]} = {forward_code(trace, names, printer, node)}")
    lines += ["\n# backward pass", seed_line(trace, names)]
    backward = _Backward(trace, names, printer)
    for edge in trace.edges():
        backward.edge(edge.node, edge.position)
    lines += backward.lines
    lines += unused_inputs(trace, names, backward.assigned)
    lines += footer(trace, names)
    return "\n".join(lines) + "\n"
