"""Building array gate calls into a graph: ``sum(x, 0)``, ``reshape(x, 2, -1)``,
``hinge(s, y, 0.5)``; and marking inputs that are only class labels (no gradient).

Literal arguments (axis, shape, margin) become the node's ``attrs``, not nodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import GraphError
from ..gates.array_gates import ARRAY_GATES, ONE_ARGUMENT_ALIASES, ArrayGate, Static
from ..gates.registry import CONSTANT_VALUES, GATES, unknown_gate_message
from ..language.parser import Item
from .graph import CONST, INPUT, Graph, recompute_requires_grad

if TYPE_CHECKING:
    from .builder import Builder


def array_call(builder: Builder, item: Item, stack: list[int]) -> int:
    """Create the node of an array gate call; its literal arguments become ``attrs``."""
    name = ONE_ARGUMENT_ALIASES.get(item.text, item.text) if item.argc == 1 else item.text
    gate = ARRAY_GATES.get(name)
    if gate is None:
        spec = GATES.get(item.text)
        if spec is None:
            known = [*GATES, *ARRAY_GATES, *ONE_ARGUMENT_ALIASES, *builder.graph.user_gates]
            raise builder.error(unknown_gate_message(item.text, known, "see `backprop gates`"),
                                item)
        plural = "s" if spec.arity != 1 else ""
        raise builder.error(f"{item.text}() takes {spec.arity} argument{plural}, "
                             f"got {item.argc}", item)
    _check_count(builder, gate, item)
    nodes = stack[len(stack) - item.argc:]
    del stack[len(stack) - item.argc:]
    arrays = _array_count(builder, gate, nodes)
    for node in nodes[:arrays]:
        if node in builder.keyword_args:
            keyword = builder.keyword_args[node]
            raise builder.error(f"{item.text}() takes its array{'s' if gate.arity > 1 else ''}"
                                f" by position, not as {keyword.text}=", keyword)
    attrs = _literals(builder, gate, nodes[arrays:])
    node = builder.add_node(name, tuple(nodes[:arrays]), item, None)
    builder.graph.attrs[node] = attrs
    builder.graph.uses_arrays = True
    return node


def _array_count(builder: Builder, gate: ArrayGate, nodes: list[int]) -> int:
    """How many of a call's arguments are arrays: all but the trailing literals (an axis)
    for a gate that takes any number of arrays, such as concat(a, b, c, 1)."""
    if not gate.many:
        return gate.arity
    count = len(nodes)
    while count > gate.arity and len(nodes) - count < len(gate.static) and \
            _is_literal(builder, nodes[count - 1]):
        count -= 1
    return count


def _is_literal(builder: Builder, node: int) -> bool:
    graph = builder.graph
    return node in builder.keyword_args or (
        graph.gates[node] == CONST and graph.literals.get(node) not in CONSTANT_VALUES)


def _check_count(builder: Builder, gate: ArrayGate, item: Item) -> None:
    least = gate.arity + sum(1 for s in gate.static if s.required)
    variadic = any(s.variadic for s in gate.static) or gate.many
    most = gate.arity + len(gate.static)
    if least <= item.argc and (variadic or item.argc <= most):
        return
    arrays = "an array" if gate.arity == 1 else f"{gate.arity} arrays"
    arrays = "no array" if not gate.arity else arrays + (" or more" if gate.many else "")
    then = "".join(f", then {s.phrase}" for s in gate.static)
    raise builder.error(f"{item.text}() takes {arrays}{then}; got {item.argc} argument"
                         f"{'s' if item.argc != 1 else ''}", item)


def _literals(builder: Builder, gate: ArrayGate, nodes: list[int]) -> tuple[Any, ...]:
    """The literal arguments' values (defaults filled in), removing their constant nodes;
    a keyword argument (``keepdims=True``) goes to the literal of that name."""
    graph = builder.graph
    specs = [_spec_of(builder, gate, node, i) for i, node in enumerate(nodes)]
    for i, spec in enumerate(specs):
        if not spec.variadic and spec in specs[:i]:
            raise GraphError(f"{gate.name}() is given its {spec.name} twice",
                             source=graph.source, span=graph.span(nodes[i]))
    values = [_literal(graph, node, spec, gate.name) for node, spec in zip(nodes, specs,
                                                                          strict=True)]
    for node in reversed(nodes):
        _drop_last_node(builder, node)
        builder.keyword_args.pop(node, None)  # the node's number is free again
    if not gate.static or gate.static[0].variadic:
        return tuple(values)
    given = dict(zip((spec.name for spec in specs), values, strict=True))
    return tuple(given.get(s.name, s.default) for s in gate.static)


def _spec_of(builder: Builder, gate: ArrayGate, node: int, index: int) -> Static:
    """The literal a call's argument gives: by keyword, else by position."""
    keyword = builder.keyword_args.get(node)
    if keyword is None:
        return gate.static[min(index, len(gate.static) - 1)]
    spec = next((s for s in gate.static if s.name == keyword.text and not s.variadic), None)
    if spec is None:
        known = ", ".join(f"{s.name}=" for s in gate.static if not s.variadic) or "none"
        raise builder.error(f"{gate.name}() has no keyword argument {keyword.text}= "
                            f"(it takes: {known})", keyword)
    return spec


def _literal(graph: Graph, node: int, spec: Static, gate: str) -> Any:
    text = graph.literals.get(node) if graph.gates[node] == CONST else None
    kind = {"int": "an integer", "bool": "a True or False"}.get(spec.kind, "a number")
    if text is None or text in CONSTANT_VALUES:
        raise GraphError(f"the {spec.name} of {gate}() must be {kind} literal",
                         source=graph.source, span=graph.span(node))
    if spec.kind == "number":
        return float(text)
    if spec.kind == "bool":
        if text not in ("0", "1"):
            raise GraphError(f"{spec.name} of {gate}() is True or False, not {text}",
                             source=graph.source, span=graph.span(node))
        return text == "1"
    body = text.lstrip("-")
    if not body.isdigit():
        raise GraphError(f"the {spec.name} of {gate}() must be an integer, not {text}",
                         source=graph.source, span=graph.span(node))
    if len(body.lstrip("0")) > 18:  # past any axis or size (and int()'s digit limit)
        raise GraphError(f"the {spec.name} of {gate}() has more than 18 digits",
                         source=graph.source, span=graph.span(node))
    return int(text)


def _drop_last_node(builder: Builder, node: int) -> None:
    graph = builder.graph
    if node != len(graph.gates) - 1:  # a literal argument is always the newest node
        raise GraphError("internal: literal argument is not the newest node")
    for column in (graph.gates, graph.args, graph.lines, graph.columns, graph.requires_grad,
                   builder.raw_names):
        column.pop()
    graph.literals.pop(node, None)


def label_inputs(graph: Graph) -> list[str]:
    """Inputs used as class labels (by cross_entropy or hinge), in order of first use."""
    used: set[int] = set()
    for node, gate in enumerate(graph.gates):
        spec = ARRAY_GATES.get(gate)
        if spec is not None:
            used.update(a for p, a in enumerate(graph.args[node]) if not spec.differentiable(p))
    return [name for name, node in graph.inputs.items() if node in used]


def mark_labels(graph: Graph) -> None:
    """Inputs used only as class labels take no gradient: requires_grad becomes False."""
    labels: set[int] = set()
    differentiable: set[int] = set()
    for node, gate in enumerate(graph.gates):
        spec = ARRAY_GATES.get(gate)
        for position, arg in enumerate(graph.args[node]):
            if spec is not None and not spec.differentiable(position):
                labels.add(arg)
            else:
                differentiable.add(arg)
    only_labels = {n for n in labels - differentiable if graph.gates[n] == INPUT}
    if only_labels:
        recompute_requires_grad(graph, only_labels)
