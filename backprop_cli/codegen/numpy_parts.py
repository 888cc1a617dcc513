"""What the numpy code of a circuit of arrays is made of, in either style: the printer of
local gradients, the Python names, the helper functions of the loss gates, and the lines
before and after the passes (inputs as ``np.array`` literals, the printed results)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from ..engine.trace import Trace
from ..gates.formula import ZERO, Tree
from ..gates.formula import Printer as TreePrinter
from ..graph.array_calls import label_inputs
from ..graph.graph import CONST, Graph
from .names import RESERVED, Names, class_name
from .numpy_layers import LAYER_GATE_HELPERS, LAYER_HELPERS
from .tree_code import MINUS_ONE

Shape = tuple[int, ...]

HELPERS = {
    "softmax": '''def softmax(a, axis=-1):
    """exp(a) / sum(exp(a)) along an axis, the last unless given (shifted by the largest
    entry: no overflow)."""
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)''',
    "logsumexp": '''def logsumexp(a, axis=-1, keepdims=False):
    """log(sum(exp(a))) along an axis (the last unless given; None: all), without overflow."""
    top = np.max(a, axis=axis, keepdims=True)
    out = top + np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)''',
    "kept": '''def kept(g, a, axis, keepdims):
    """A reduced array with its reduced axis back as size 1 (None: every axis), so that it
    broadcasts against a."""
    if keepdims:
        return g
    return np.reshape(g, (1,) * np.ndim(a)) if axis is None else np.expand_dims(g, axis)''',
    "var_grad": '''def var_grad(g, a, out, axis, keepdims):
    """d var / d a = 2 (a - mean) / n, times the upstream gradient g."""
    n = np.size(a) if axis is None else np.shape(a)[axis]
    return kept(g, a, axis, keepdims) * 2 * (a - np.mean(a, axis=axis, keepdims=True)) / n''',
    "std_grad": '''def std_grad(g, a, out, axis, keepdims):
    """d std / d a = (a - mean) / (n std), times the upstream gradient g."""
    n = np.size(a) if axis is None else np.shape(a)[axis]
    spread = a - np.mean(a, axis=axis, keepdims=True)
    return kept(g, a, axis, keepdims) * spread / (n * kept(out, a, axis, keepdims))''',
    "norm_grad": '''def norm_grad(g, a, out, axis, keepdims):
    """d norm / d a = a / norm (0 where the norm is 0), times the upstream gradient g."""
    norm = kept(out, a, axis, keepdims)
    return kept(g, a, axis, keepdims) * a / np.where(norm == 0, np.inf, norm)''',
    "logsumexp_grad": '''def logsumexp_grad(g, a, out, axis, keepdims):
    """d logsumexp / d a = exp(a - out), the softmax of a, times the upstream gradient g."""
    return kept(g, a, axis, keepdims) * np.exp(a - kept(out, a, axis, keepdims))''',
    "gather_grad": '''def gather_grad(g, shape, index):
    """The gradient of a[index]: g added back where each element was picked (np.add.at
    adds twice where an element was picked twice), 0 elsewhere."""
    grad = np.zeros(shape)
    np.add.at(grad, index, g)
    return grad''',
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
    **LAYER_HELPERS,
}
# the helpers each gate needs (forward and backward)
GATE_HELPERS = {"softmax": ("softmax",), "log_softmax": ("softmax", "logsumexp"),
                "cross_entropy": ("softmax", "logsumexp"),
                "hinge": ("hinge_margins", "hinge_grad"),
                "var": ("kept", "var_grad"), "std": ("kept", "std_grad"),
                "norm": ("kept", "norm_grad"),
                "logsumexp": ("logsumexp", "kept", "logsumexp_grad"),
                "gather": ("gather_grad",), **LAYER_GATE_HELPERS}
NUMPY_RESERVED = RESERVED | {"np", *HELPERS}


NUMPY_FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sign", "abs")
_FOLDS = {"max": "maximum", "min": "minimum"}


class NumpyTreePrinter(TreePrinter):
    """A built-in gate's local gradient (its rows' tree) as numpy code, elementwise, with
    the engine's conventions at kinks: ``[a > b]`` is ``np.heaviside(a - b, tie)``, the tie
    the kink table's (relu'(0) = 0, 1/2 at a max/min tie); ``np.sign(0)`` = 0."""

    constants: ClassVar[dict[str, str]] = {"e": "np.e", "pi": "np.pi"}
    functions: ClassVar[dict[str, str]] = {name: f"np.{name}" for name in NUMPY_FUNCTIONS}

    def bracket(self, tree: Tree) -> str:
        _, left, op, right, tie = tree
        if op not in (">", "<"):
            return f"np.where({self.condition(tree)}, 1.0, 0.0)"
        if op == "<":
            left, right = right, left
        difference = left if right == ZERO else ("+", left, ("*", MINUS_ONE, right))
        return f"np.heaviside({self.print(difference)}, {float(Fraction(tie))!r})"

    def call(self, name: str, args: list[Tree]) -> str:
        if name == "sigmoid":
            return f"(1 / (1 + np.exp({self.print(_negative(args[0]))})))"
        if name == "sech":  # numpy's cosh overflows to inf: 1/inf = 0
            return f"(1 / np.cosh({self.print(args[0])}))"
        if name in _FOLDS:
            text = self.print(args[0])
            for arg in args[1:]:
                text = f"np.{_FOLDS[name]}({text}, {self.print(arg)})"
            return text
        return super().call(name, args)


NUMPY_TREE = NumpyTreePrinter()


def _negative(tree: Tree) -> Tree:
    """-tree, a leading -1 dropped rather than doubled (sigmoid(-x)'s exp(x))."""
    if tree[0] == "*" and tree[1] == MINUS_ONE:
        return tree[2] if len(tree) == 3 else ("*", *tree[2:])
    return ("*", MINUS_ONE, tree)


def sympy_numpy_printer() -> Any:
    """sympy's printer of numpy code, for user-defined gates (imports sympy)."""
    from .numpy_sympy import NumpyPrinter

    return NumpyPrinter()


def user_printer(graph: Graph) -> Any:
    """The printer of user-defined gates' formulas: None when the circuit has none."""
    return sympy_numpy_printer() if graph.user_gates else None


class ArrayNames(Names):
    """Python identifiers (``np`` and the helpers' names are taken) and how operands are
    written: constants as literals, class labels as integer arrays."""

    def __init__(self, trace: Trace) -> None:
        classes = {class_name(gate) for gate in trace.graph.gates}  # the modular style's
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


