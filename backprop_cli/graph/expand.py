"""Composite gates opened into the primitive gates the lecture draws.

``expand_composites(graph)`` returns a new graph in which every composite gate is replaced
by its definition: ``sigmoid(a)`` becomes ``1 / (1 + exp(-a))``, the chain neg, exp, add,
div of the lecture's gate-by-gate sigmoid neuron, and every user-defined gate becomes its
body. Each definition is in the tool's own language and built by its own parser, so the
inner gates are exactly what typing the definition gives. The node that held the
composite keeps its name, so bindings, inputs and the output still refer to it; the inner
nodes get fresh names (``t1``, ``t2``, ... not used by the program) and the composite's
source position. Expansion repeats until no composite is left (a user gate may be built on
others). Values and gradients are the same up to rounding. One function serves
``backprop draw --expand`` and ``eval``/``code``/``gradcheck``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from ..gates.registry import BINARY_GATES, GATES, UNARY_GATES
from ..gates.table import GATES as TABLE
from ..limits import current, exceeded
from .graph import CONST, INPUT, Graph

if TYPE_CHECKING:
    from ..language.parser import Item

COMPOSITES: dict[str, str] = {row.name: row.expansion for row in TABLE
                              if row.expansion is not None}


@dataclass(frozen=True)
class Body:
    """What a composite gate computes: its parameters and a postfix expression of them."""

    params: tuple[str, ...]
    rpn: tuple[Item, ...]


@cache
def builtin_bodies() -> dict[str, Body]:
    """The built-in composites, parsed by the project's own parser (imported only when a
    circuit has a composite to open)."""
    from ..language.parser import parse

    return {name: Body(GATES[name].params, tuple(parse(text).statements[-1].rpn))
            for name, text in COMPOSITES.items()}


def composite_bodies(graph: Graph) -> dict[str, Body]:
    """Every composite gate the graph may use: built-ins and its user-defined gates."""
    bodies = dict(builtin_bodies())
    for name, gate in graph.user_gates.items():
        bodies[name] = Body(tuple(gate.spec.params), tuple(gate.body))
    return bodies


def is_expandable(graph: Graph) -> bool:
    return any(gate in COMPOSITES or gate in graph.user_gates for gate in graph.gates)


def expand_composites(graph: Graph) -> Graph:
    """The same circuit with every composite gate replaced by its primitive gates (the
    graph itself when it has none)."""
    if not is_expandable(graph):
        return graph
    bodies = composite_bodies(graph)
    while any(gate in bodies for gate in graph.gates):
        graph = _Inliner(graph, bodies).run()
    return graph


@dataclass
class _Inliner:
    """One pass: copies the graph, writing out each composite node one level deep."""

    old: Graph
    bodies: Mapping[str, Body]
    new: Graph = field(init=False)
    used: set[str] = field(init=False)
    counter: int = 0
    max_gates: int = field(default_factory=lambda: current().gates)

    def __post_init__(self) -> None:
        self.new = Graph(source=self.old.source)
        self.new.user_gates = self.old.user_gates
        self.used = set(self.old.names) | set(self.old.bindings)

    def run(self) -> Graph:
        old, new = self.old, self.new
        mapping: list[int] = []
        for node, gate in enumerate(old.gates):
            args = tuple(mapping[a] for a in old.args[node])
            if gate in self.bodies:
                mapping.append(self._inline(node, self.bodies[gate], args))
            else:
                mapping.append(self._add(gate, args, node, old.names[node],
                                         old.literals.get(node)))
                if node in old.attrs:  # an array gate's literal arguments (axis, shape, ...)
                    new.attrs[mapping[-1]] = old.attrs[node]
        new.inputs = {name: mapping[node] for name, node in old.inputs.items()}
        new.bindings = {name: mapping[node] for name, node in old.bindings.items()}
        new.output = mapping[old.output]
        new.uses_arrays = old.uses_arrays
        return new

    def _add(self, gate: str, args: tuple[int, ...], origin: int, name: str,
             literal: str | None = None) -> int:
        """A new node at the source position of the old graph's node ``origin``."""
        new = self.new
        new.names.append(name)
        new.gates.append(gate)
        new.args.append(args)
        new.lines.append(self.old.lines[origin])
        new.columns.append(self.old.columns[origin])
        if gate == INPUT:  # an input held constant (data, not a parameter) stays held
            needs = self.old.requires_grad[origin]
        else:
            needs = gate != CONST and any(new.requires_grad[a] for a in args)
        new.requires_grad.append(needs)
        if literal is not None:
            new.literals[len(new.gates) - 1] = literal
        if len(new.gates) > self.max_gates:
            raise exceeded("the number of nodes after expanding composite gates",
                           len(new.gates), "gates", source=self.old.source,
                           span=self.old.span(origin))
        return len(new.gates) - 1

    def _fresh(self) -> str:
        """``t1``, ``t2``, ...: names the program does not use."""
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.used:
                self.used.add(name)
                return name

    def _inline(self, node: int, body: Body, args: tuple[int, ...]) -> int:
        """Write the body out with its parameters bound to ``args``; the last node is named
        like the composite node."""
        owner = self.old.names[node]
        params = dict(zip(body.params, args, strict=True))
        stack: list[int] = []
        previous: Item | None = None
        last = len(body.rpn) - 1
        for index, item in enumerate(body.rpn):
            if item.kind == "unary" and previous is not None and previous.kind == "num":
                self._negate(stack[-1])  # -3 is the literal -3, as the graph builder has it
            elif item.kind == "name" and item.text in params:
                stack.append(params[item.text])
            elif item.kind in ("num", "name"):  # a number, pi or e
                stack.append(self._add(CONST, (), node, item.text, item.text))
            else:
                count = {"unary": 1, "binary": 2}.get(item.kind, item.argc)
                operands = tuple(stack[len(stack) - count:])
                del stack[len(stack) - count:]
                name = owner if index == last else self._fresh()
                stack.append(self._add(_gate_of(item), operands, node, name))
            previous = item
        result = stack[-1]
        if self.new.gates[result] in (CONST, INPUT) or result in args:
            # a body that is a bare parameter or constant: keep a node with the gate's name
            one = self._add(CONST, (), node, "1", "1")
            result = self._add("mul", (result, one), node, owner)
        return result

    def _negate(self, literal: int) -> None:
        text = self.new.literals[literal]
        text = text[1:] if text.startswith("-") else "-" + text
        self.new.literals[literal] = text
        self.new.names[literal] = text


def _gate_of(item: Item) -> str:
    if item.kind == "binary":
        return BINARY_GATES[item.text]
    if item.kind == "unary":
        return UNARY_GATES[item.text]
    return item.text
