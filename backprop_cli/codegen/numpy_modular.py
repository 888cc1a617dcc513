"""A circuit of arrays in the lecture's modular form, with numpy (text only; never run here).

One class per gate type: ``forward()`` caches what ``backward()`` needs, ``backward(upstream)``
returns the downstream gradient of each input. Elementwise gates multiply by their local
gradient (the gate rows' formula; sympy's for a user-defined gate), summing back over
broadcast axes with ``unbroadcast`` where this circuit broadcasts; structural gates apply
their vector-Jacobian rule. Gates with literal arguments (an axis, a shape, a subscript, a
margin) take them when constructed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..engine.trace import Trace
from ..gates.array_gates import ARRAY_GATES
from ..gates.formula import ONE
from ..gates.registry import GATES
from ..graph.graph import CONST, INPUT, Graph
from ..language.subscripts import format_subscript
from .names import class_name
from .numpy_layers import LAYER_CLASSES, layer_arguments
from .numpy_parts import (
    NUMPY_TREE,
    ArrayNames,
    footer,
    header,
    seed_line,
    unused_inputs,
    user_printer,
)
from .numpy_rules import ELEMENTWISE_CODE, is_stacked
from .tree_code import forward_expression, gate_locals

_MATMUL_MATRICES = '''    def forward(self, a, b):
        self.a = a
        self.b = b
        return a.dot(b)

    def backward(self, upstream):
        return upstream.dot(self.b.T), self.a.T.dot(upstream)'''
_MATMUL_VECTORS = '''    def forward(self, a, b):
        self.a = a
        self.b = b
        return a.dot(b)

    def backward(self, upstream):
        a = self.a.reshape(1, -1) if self.a.ndim == 1 else self.a  # a vector as a row
        b = self.b.reshape(-1, 1) if self.b.ndim == 1 else self.b  # and as a column
        g = np.reshape(upstream, (a.shape[0], b.shape[1]))
        return g.dot(b.T).reshape(self.a.shape), a.T.dot(g).reshape(self.b.shape)'''
_MATMUL_STACKS = '''    def forward(self, a, b):
        self.a = a
        self.b = b
        return np.matmul(a, b)

    def backward(self, upstream):
        a = self.a[None, :] if self.a.ndim == 1 else self.a  # a vector as a row
        b = self.b[:, None] if self.b.ndim == 1 else self.b  # and as a column
        g = upstream[..., None] if self.b.ndim == 1 else upstream
        g = np.expand_dims(g, -2) if self.a.ndim == 1 else g
        da = unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), a.shape)  # summed over stacks
        db = unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), b.shape)
        return da.reshape(self.a.shape), db.reshape(self.b.shape)'''
_AXIS_INIT = '''    def __init__(self, axis=None, keepdims=False):
        self.axis = axis
        self.keepdims = keepdims

'''
_HELPED_CLASS = _AXIS_INIT + '''    def forward(self, a):
        self.a = a
        self.out = {forward}
        return self.out

    def backward(self, upstream):
        return {gate}_grad(upstream, self.a, self.out, self.axis, self.keepdims)'''
_HELPED_FORWARD = {"var": "np.var(a, axis=self.axis, keepdims=self.keepdims)",
                   "std": "np.std(a, axis=self.axis, keepdims=self.keepdims)",
                   "norm": "np.sqrt(np.sum(a * a, axis=self.axis, keepdims=self.keepdims))",
                   "logsumexp": "logsumexp(a, axis=self.axis, keepdims=self.keepdims)"}
_ALONG_INIT = '''    def __init__(self, axis=-1):
        self.axis = axis

'''
_EXTREME = '''    def forward(self, a):
        self.a = a
        self.out = np.{function}(a, axis=self.axis, keepdims=self.keepdims)
        return self.out

    def backward(self, upstream):
        out, g = self.out, upstream
        if self.axis is not None and not self.keepdims:
            out, g = np.expand_dims(out, self.axis), np.expand_dims(g, self.axis)
        winners = self.a == out  # ties share the gradient
        return winners * (g / np.sum(winners, axis=self.axis, keepdims=True))'''
STRUCTURAL_CLASSES = {
    **LAYER_CLASSES,
    "transpose": '''    def forward(self, a):
        return np.transpose(a)

    def backward(self, upstream):
        return np.transpose(upstream)''',
    "reshape": '''    def __init__(self, *shape):
        self.shape = shape

    def forward(self, a):
        self.a_shape = np.shape(a)
        return np.reshape(a, self.shape)

    def backward(self, upstream):
        return np.reshape(upstream, self.a_shape)''',
    "index": '''    def __init__(self, index):
        self.index = index

    def forward(self, a):
        self.a_shape = np.shape(a)
        return a[self.index]

    def backward(self, upstream):
        grad = np.zeros(self.a_shape)
        grad[self.index] = upstream
        return grad''',
    "sum": _AXIS_INIT + '''    def forward(self, a):
        self.a_shape = np.shape(a)
        return np.sum(a, axis=self.axis, keepdims=self.keepdims)

    def backward(self, upstream):
        g = upstream if self.axis is None or self.keepdims else np.expand_dims(upstream, self.axis)
        return np.ones(self.a_shape) * g''',
    "mean": _AXIS_INIT + '''    def forward(self, a):
        self.a_shape = np.shape(a)
        return np.mean(a, axis=self.axis, keepdims=self.keepdims)

    def backward(self, upstream):
        g = upstream if self.axis is None or self.keepdims else np.expand_dims(upstream, self.axis)
        count = np.prod(self.a_shape) if self.axis is None else self.a_shape[self.axis]
        return np.ones(self.a_shape) * g / count''',
    "amax": _AXIS_INIT + _EXTREME.replace("{function}", "max"),
    "amin": _AXIS_INIT + _EXTREME.replace("{function}", "min"),
    "softmax": _ALONG_INIT + '''    def forward(self, a):
        self.out = softmax(a, self.axis)
        return self.out

    def backward(self, upstream):
        g = upstream
        return self.out * (g - np.sum(g * self.out, axis=self.axis, keepdims=True))''',
    "log_softmax": _ALONG_INIT + '''    def forward(self, a):
        self.a = a
        return a - logsumexp(a, self.axis, keepdims=True)

    def backward(self, upstream):
        g = upstream
        return g - softmax(self.a, self.axis) * np.sum(g, axis=self.axis, keepdims=True)''',
    **{gate: _HELPED_CLASS.format(forward=forward, gate=gate)
       for gate, forward in _HELPED_FORWARD.items()},
    "cross_entropy": '''    def forward(self, s, y):
        self.s = s
        self.y = y
        return logsumexp(s) - np.take_along_axis(s, y[..., None], axis=-1)[..., 0]

    def backward(self, upstream):
        onehot = np.eye(self.s.shape[-1])[self.y]
        return (softmax(self.s) - onehot) * np.expand_dims(upstream, -1), None''',
    "hinge": '''    def __init__(self, margin=1.0):
        self.margin = margin

    def forward(self, s, y):
        self.s = s
        self.y = y
        return np.sum(hinge_margins(s, y, self.margin), axis=-1)

    def backward(self, upstream):
        grad = hinge_grad(self.s, self.y, self.margin)
        return grad * np.expand_dims(upstream, -1), None''',
    "concat": '''    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        self.sizes = [np.shape(a)[self.axis] for a in arrays]
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, upstream):
        parts = np.split(upstream, np.cumsum(self.sizes)[:-1], axis=self.axis)
        return parts[0] if len(parts) == 1 else tuple(parts)''',
    "stack": '''    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        return np.stack(arrays, axis=self.axis)

    def backward(self, upstream):
        parts = tuple(np.moveaxis(upstream, self.axis, 0))
        return parts[0] if len(parts) == 1 else parts''',
    "arange": '''    def __init__(self, n):
        self.n = n

    def forward(self):
        return np.arange(self.n)''',
    "gather": '''    def forward(self, a, *index):
        self.shape = np.shape(a)
        self.index = index
        return a[index]

    def backward(self, upstream):
        return (gather_grad(upstream, self.shape, self.index), *[None] * len(self.index))''',
    "l2": '''    def forward(self, a):
        self.a = a
        return np.sum(a * a)

    def backward(self, upstream):
        return self.a * (2 * upstream)''',
}


def _broadcasts(trace: Trace, gate: str) -> bool:
    """Whether some node of this gate type broadcasts an operand that takes a gradient."""
    graph = trace.graph
    return any(trace.shape(a) != trace.shape(node)
               for node, name in enumerate(graph.gates) if name == gate
               for a in graph.args[node] if graph.requires_grad[a])


def elementwise_class(trace: Trace, gate: str, printer: Any) -> list[str]:
    """``class MulGate`` on arrays: forward() caches what backward() needs; backward()
    sums back over broadcast axes when this circuit broadcasts the gate's operands."""
    graph = trace.graph
    user = graph.user_gates.get(gate)
    params = [str(p) for p in (user.spec.params if user is not None else GATES[gate].params)]
    locals_ = gate_locals(graph, gate, [f"self.{p}" for p in params], "self.out",
                          printer=NUMPY_TREE, user_printer=lambda: printer)
    needed = set().union(*(local.uses for local in locals_))
    broadcast = _broadcasts(trace, gate)
    lines = [f"class {class_name(gate)}:", f"    def forward(self, {', '.join(params)}):"]
    for param in params:
        if f"self.{param}" in needed:
            lines.append(f"        self.{param} = {param}")
        if broadcast:
            lines.append(f"        self.{param}_shape = np.shape({param})")
    forward = _elementwise_forward(graph, gate, params, printer)
    if "self.out" in needed:
        lines += [f"        self.out = {forward}", "        return self.out"]
    else:
        lines.append(f"        return {forward}")
    downstream = []
    for param, local in zip(params, locals_, strict=True):
        code = local.product("upstream")
        if gate == "pow" and param == "b":  # log(a) only where it exists, without warnings
            code = code.replace("np.log(self.a)", "np.log(np.where(self.a > 0, self.a, np.nan))")
        downstream.append(f"unbroadcast({code}, self.{param}_shape)" if broadcast else code)
    return [*lines, "", "    def backward(self, upstream):",
            f"        return {', '.join(downstream)}"]


def _elementwise_forward(graph: Graph, gate: str, params: list[str], printer: Any) -> str:
    if gate in graph.user_gates:
        return forward_expression(graph, gate, params, printer)
    mapping = dict(zip(("a", "b", "c"), params, strict=False))
    return ELEMENTWISE_CODE[gate].format(**mapping)


def structural_class(trace: Trace, gate: str) -> list[str]:
    body = STRUCTURAL_CLASSES.get(gate)
    if gate == "matmul":
        graph = trace.graph
        matrices = all(len(trace.shape(a)) == 2 for node, name in enumerate(graph.gates)
                       if name == gate for a in graph.args[node])
        body = _MATMUL_MATRICES if matrices else _MATMUL_VECTORS
        if _has_stacks(trace):
            body = _MATMUL_STACKS
    assert body is not None
    return [f"class {class_name(gate)}:", *body.split("\n")]


def _has_stacks(trace: Trace) -> bool:
    graph = trace.graph
    return any(is_stacked(trace, node) for node, gate in enumerate(graph.gates)
               if gate == "matmul")
_REDUCTIONS = ("sum", "mean", "amax", "amin", *_HELPED_FORWARD)


def _constructor(trace: Trace, node: int) -> str:
    """``SumGate(axis=1)``, ``ReshapeGate(2, -1)``, ``IndexGate(np.s_[0, 1:3])``."""
    graph = trace.graph
    gate, attrs = graph.gates[node], graph.attrs.get(node, ())
    arguments = ""
    if gate == "reshape":
        arguments = ", ".join(str(n) for n in attrs)
    elif gate == "index":
        arguments = f"np.s_[{format_subscript(attrs)}]"
    elif (gate in ("concat", "stack") and attrs[0] != 0) or gate == "arange":
        arguments = str(attrs[0]) if gate == "arange" else f"axis={attrs[0]}"
    elif gate in ("softmax", "log_softmax") and attrs[0] != -1:
        arguments = f"axis={attrs[0]}"
    elif gate in _REDUCTIONS:
        given = ([f"axis={attrs[0]}"] if attrs[0] is not None else []) + \
            (["keepdims=True"] if attrs[1] else [])
        arguments = ", ".join(given)
    elif gate == "hinge":
        arguments = f"margin={float(attrs[0])!r}"
    elif gate in LAYER_CLASSES:
        arguments = layer_arguments(gate, attrs)
    return f"{class_name(gate)}({arguments})"


def _operands(names: ArrayNames, trace: Trace, node: int) -> str:
    graph = trace.graph
    spec = ARRAY_GATES.get(graph.gates[node])
    return ", ".join(names.labels_of(a) if spec is not None and not spec.differentiable(k)
                     else names.operand(a) for k, a in enumerate(graph.args[node]))


class _Calls:
    """The backward calls, ``+=`` at fan-out. The first gradient of a value that fans out
    is copied when the gate may hand back the upstream array itself (``AddGate``) or a view
    of it (``TransposeGate``), so that ``+=`` never writes through a shared array."""

    def __init__(self, trace: Trace, names: ArrayNames) -> None:
        self.trace, self.names = trace, names
        self.fan_in = Counter(names.grads[edge.source] for edge in trace.edges())
        self.assigned = {names.grads[trace.graph.output]}

    def lines(self, node: int) -> list[str]:
        graph, names = self.trace.graph, self.names
        spec = ARRAY_GATES.get(graph.gates[node])
        targets = [names.grads[a] if graph.requires_grad[a] and
                   (spec is None or spec.differentiable(k)) else "_"
                   for k, a in enumerate(graph.args[node])]
        call = f"{names.gate_object(node)}.backward({names.grads[node]})"
        copies = [t != "_" and t not in self.assigned and self.fan_in[t] > 1 and
                  _may_share(graph, node, k) for k, t in enumerate(targets)]
        real = [t for t in targets if t != "_"]
        if len(set(real)) == len(real) and not self.assigned.intersection(real) and \
                not any(copies):
            self.assigned.update(real)
            return [f"{', '.join(targets)} = {call}"]
        lines = [f"down = {call}"]
        for index, target in enumerate(targets):
            if target == "_":
                continue
            source = "down" if len(targets) == 1 else f"down[{index}]"
            if target in self.assigned:
                lines.append(f"{target} += {source}")
            else:
                self.assigned.add(target)
                lines.append(f"{target} = {f'np.copy({source})' if copies[index] else source}")
        return lines


def _may_share(graph: Graph, node: int, position: int) -> bool:
    """Whether the gate's backward may return the upstream array or a view of it."""
    gate = graph.gates[node]
    if gate in ARRAY_GATES:
        return gate in ("transpose", "reshape")
    if gate in graph.user_gates:
        from .common import gate_math  # sympy: only for a user-defined gate

        return bool(gate_math(graph, gate).partials[position] == 1)
    return GATES[gate].code_trees[position] == ONE


def modular_numpy_code(trace: Trace) -> str:
    """Gate classes, one gate object per node, and the forward and backward passes."""
    graph, printer, names = trace.graph, user_printer(trace.graph), ArrayNames(trace)
    nodes = [n for n in range(graph.output + 1) if graph.gates[n] not in (INPUT, CONST)]
    gates = list(dict.fromkeys(graph.gates[n] for n in nodes))
    classes = ["\n".join(structural_class(trace, gate) if gate in ARRAY_GATES else
                          elementwise_class(trace, gate, printer)) for gate in gates]
    unbroadcast = any(_broadcasts(trace, g) for g in gates if g not in ARRAY_GATES) or \
        _has_stacks(trace)
    lines = header(trace, names, classes, unbroadcast)
    lines += ["", "# one gate object per gate of the circuit"]
    for node in nodes:
        lines.append(f"{names.gate_object(node)} = {_constructor(trace, node)}")
    lines.append("\n# forward pass")
    for node in nodes:
        lines.append(f"{names.values[node]} = {names.gate_object(node)}.forward("
                     f"{_operands(names, trace, node)})")
    lines += ["\n# backward pass", seed_line(trace, names)]
    calls = _Calls(trace, names)
    for node in dict.fromkeys(trace.edge_nodes):
        lines += calls.lines(node)
    lines += unused_inputs(trace, names, calls.assigned)
    lines += footer(trace, names)
    return "\n".join(lines) + "\n"
