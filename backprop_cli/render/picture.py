"""The circuit as a picture: boxes and wires with their text, shared by every drawing format.

A box is an input, a gate (constant operands folded into its label, as the lecture draws
``+1`` and ``1/x``), a copy point where one value feeds several wires, or the output's name.
A wire carries the value of its source and the gradient flowing back along it. Only the
nodes the output depends on are drawn. Nothing here computes: it reads a Trace and formats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..engine.trace import Trace, Value
from ..gates.registry import GATES, describe_call
from ..gates.table import GATES as TABLE
from ..graph.graph import CONST, INPUT, Graph
from ..numformat import LECTURE, Rounding, as_float, exact_text, format_float

EXACT_MAX = 16
ARRAY_MAX = 6
WIRE_NAME = "x"
COMMUTATIVE = frozenset(row.name for row in TABLE if row.commutative)


class Box(NamedTuple):
    """Something drawn: ``kind`` is input, gate, const, copy or output."""

    id: str
    kind: str
    label: str
    node: int
    name: str
    title: str


class Wire(NamedTuple):
    """A wire from box ``source`` to box ``target``: a value and a gradient (None: not shown).

    ``edge`` is the index of the trace's backward edge whose downstream gradient the wire
    carries (-1 for a wire into a copy dot or into the output's name).
    """

    source: str
    target: str
    value: str | None
    grad: str | None
    edge: int = -1


@dataclass(frozen=True)
class Options:
    """What to show: values, gradients, and how numbers are rounded."""

    values: bool = True
    grads: bool = True
    rounding: Rounding = LECTURE


@dataclass
class Picture:
    """Boxes in forward order (the output's name last) and wires in a stable order."""

    title: str
    boxes: list[Box] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)

    def box(self, box_id: str) -> Box:
        return next(box for box in self.boxes if box.id == box_id)

    def inputs_of(self) -> dict[str, list[Wire]]:
        """Every box's incoming wires, in operand order."""
        incoming: dict[str, list[Wire]] = {box.id: [] for box in self.boxes}
        for wire in self.wires:
            incoming[wire.target].append(wire)
        return incoming

    def outputs_of(self) -> dict[str, list[Wire]]:
        """Every box's outgoing wires, in order."""
        outgoing: dict[str, list[Wire]] = {box.id: [] for box in self.boxes}
        for wire in self.wires:
            outgoing[wire.source].append(wire)
        return outgoing


OUTPUT_ID = "out"


def node_id(node: int) -> str:
    return f"n{node}"


def copy_id(node: int) -> str:
    return f"c{node}"


def build_picture(trace: Trace, options: Options | None = None, title: str = "") -> Picture:
    """Boxes and wires for every node the output depends on."""
    options = options or Options()
    graph = trace.graph
    drawn = drawn_nodes(graph)
    uses = wire_counts(graph, drawn)
    downstream = {(edge_node, position): index for index, (edge_node, position)
                  in enumerate(zip(trace.edge_nodes, trace.edge_positions, strict=True))}
    picture = Picture(title)
    for node, gate in enumerate(graph.gates):
        if not drawn[node] or (gate == CONST and node != graph.output):
            continue
        picture.boxes.append(_box(graph, node))
        for position, source in enumerate(graph.args[node]):
            if graph.gates[source] == CONST:
                continue
            index = downstream.get((node, position))
            grad = None if index is None else trace.edge_downstreams[index]
            start = copy_id(source) if uses[source] > 1 else node_id(source)
            picture.wires.append(_wire(start, node_id(node), trace.values[source], grad,
                                       options, -1 if index is None else index))
        if uses[node] > 1:
            picture.boxes.append(Box(copy_id(node), "copy", "", node, graph.names[node],
                                     f"{graph.names[node]} feeds {uses[node]} wires: "
                                     "their gradients add up"))
            picture.wires.append(_wire(node_id(node), copy_id(node), trace.values[node],
                                       _node_grad(trace, node), options))
    output = graph.output
    name = graph.names[output]
    picture.boxes.append(Box(OUTPUT_ID, "output", name, output, name,
                             f"output {graph.names[output]}"))
    picture.wires.append(_wire(node_id(output), OUTPUT_ID, trace.value, trace.grads[output],
                               options))
    return picture


def drawn_nodes(graph: Graph) -> list[bool]:
    """The output and every node it depends on."""
    drawn = [False] * len(graph)
    drawn[graph.output] = True
    for node in range(graph.output, -1, -1):
        if drawn[node]:
            for arg in graph.args[node]:
                drawn[arg] = True
    return drawn


def wire_counts(graph: Graph, drawn: list[bool]) -> list[int]:
    """How many drawn wires leave each node (constants are folded, so they have none)."""
    uses = [0] * len(graph)
    for node, args in enumerate(graph.args):
        if drawn[node]:
            for arg in args:
                if graph.gates[arg] != CONST:
                    uses[arg] += 1
    return uses


def _node_grad(trace: Trace, node: int) -> Value | None:
    return trace.grads[node] if trace.graph.requires_grad[node] else None


def _wire(source: str, target: str, value: Value, grad: Value | None,
          options: Options, edge: int = -1) -> Wire:
    value_text = wire_text(value, options.rounding) if options.values else None
    grad_text = wire_text(grad, options.rounding) if options.grads and grad is not None \
        else None
    return Wire(source, target, value_text, grad_text, edge)


def _box(graph: Graph, node: int) -> Box:
    gate, name = graph.gates[node], graph.names[node]
    if gate == INPUT:
        return Box(node_id(node), "input", name, node, name, f"input {name}")
    if gate == CONST:
        literal = graph.literals[node]
        return Box(node_id(node), "const", literal, node, name, f"constant {name} = {literal}")
    return Box(node_id(node), "gate", gate_label(graph, node), node, name,
               f"{name} = {graph.describe(node)}")


def gate_label(graph: Graph, node: int) -> str:
    """The gate's symbol (``+``, ``exp``), with constant operands folded in (``+1``, ``1/x``)."""
    gate = graph.gates[node]
    constants = [graph.literals[a] if graph.gates[a] == CONST else None
                 for a in graph.args[node]]
    if gate in graph.user_gates:  # a user-defined gate: its name, constant operands written in
        spec = graph.spec(gate)
        if all(c is None for c in constants):
            return gate
        return spec.pattern.format(**dict(zip(spec.params, [
            c if c is not None else WIRE_NAME for c in constants], strict=True)))
    operator = gate_symbol(gate)
    if not any(c is not None for c in constants):
        return operator
    if gate not in GATES:
        return graph.describe(node)
    if len(constants) == 2 and constants.count(None) == 1 and _is_operator(gate):
        constant = constants[0] if constants[0] is not None else constants[1]
        if constants[1] is not None or gate in COMMUTATIVE:
            return f"{operator}{constant}"
        return f"{constant}{operator}{WIRE_NAME}"
    return describe_call(gate, [c if c is not None else WIRE_NAME for c in constants])


def _is_operator(gate: str) -> bool:
    return gate in GATES and GATES[gate].pattern.startswith("{a} ")


# Array gates drawn by their operator where they have one, else by their name.
ARRAY_SYMBOLS = {"matmul": "@", "transpose": ".T", "index": "[ ]"}


def gate_symbol(gate: str) -> str:
    """``+`` for ``{a} + {b}``, ``exp`` for ``exp({a})``, ``-x`` for ``-{a}``, ``@``."""
    spec = GATES.get(gate)
    if spec is None:
        return ARRAY_SYMBOLS.get(gate, gate)
    pattern = spec.pattern
    if len(spec.params) == 2 and pattern.startswith("{a} ") and pattern.endswith(" {b}"):
        return pattern[4:-4]
    if pattern.startswith(gate + "("):
        return gate
    return describe_call(gate, [WIRE_NAME] * len(spec.params))


def wire_text(value: Any, rounding: Rounding = LECTURE) -> str:
    """A value as a wire shows it: 4 significant digits by default, or as ``rounding`` says.

    Exact numbers keep their exact form when it is short; arrays show their values when
    small and their shape otherwise.
    """
    shape = getattr(value, "shape", None)
    if shape:
        return _array_text(value, shape, rounding)
    if shape == ():
        value = value.item()
    if isinstance(value, float | int):
        return _number_text(float(value), rounding)
    text = exact_text(value)
    return text if len(text) <= EXACT_MAX else "≈" + _number_text(as_float(value), rounding)


def _number_text(value: float, rounding: Rounding) -> str:
    """As every table writes it, with a short exponent (``1.235e-6``)."""
    text = format_float(value, rounding)
    if "e" in text and math.isfinite(value):
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _array_text(value: Any, shape: tuple[int, ...], rounding: Rounding) -> str:
    if value.size > ARRAY_MAX:
        return "×".join(str(n) for n in shape)
    return _nested(value.tolist(), rounding)


def _nested(item: Any, rounding: Rounding) -> str:
    if isinstance(item, list):
        return "[" + ", ".join(_nested(element, rounding) for element in item) + "]"
    return _number_text(float(item), rounding)


def printable(text: str) -> str:
    """One line: newlines, tabs and other control characters become spaces."""
    if text.isprintable():
        return text.strip()
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()
