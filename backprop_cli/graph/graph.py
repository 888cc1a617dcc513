"""Program -> Graph: one node per gate application, in forward (topological) order.

A name used twice is one node with two outgoing edges (the copy gate). Reassigning a
name makes a new node. Nodes are stored in flat parallel lists, so a graph of 10^6 gates
costs a few lists, not 10^6 objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import GraphError, Span
from ..gates.registry import GATES, describe_call
from ..gates.spec import GateSpec

if TYPE_CHECKING:  # the parser is not needed to hold a graph (see compiler.py)
    pass

INPUT = "input"
CONST = "const"
CONSTANT_NAMES = ("e", "pi")  # the constants a program may use without defining them
CONSTANT_TEXT = {"e": "2.718...", "pi": "3.14159..."}
OUTPUT_NAMES = ("f", "out")


@dataclass
class Graph:
    """A circuit: for node ``i``, ``gates[i]`` applied to the nodes ``args[i]``.

    ``gates[i]`` is a gate name, ``"input"`` or ``"const"`` (its literal in ``literals``).
    ``bindings`` maps every program name to the node it finally refers to. Array gates keep
    their literal arguments (axis, shape, subscript, margin) in ``attrs``; ``uses_arrays``
    says the program has array gates (``@``, ``.T``, ``sum``, ...).
    ``user_gates`` holds the program's user-defined gates by name (see ``userdefs``).
    ``notes`` are what was noticed while building it (a name shadowing a constant), one
    line each for stderr. ``compiled`` caches what the engine compiles from the graph (see
    ``tape``).
    """

    source: str
    names: list[str] = field(default_factory=list)
    gates: list[str] = field(default_factory=list)
    args: list[tuple[int, ...]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    requires_grad: list[bool] = field(default_factory=list)
    literals: dict[int, str] = field(default_factory=dict)
    inputs: dict[str, int] = field(default_factory=dict)
    bindings: dict[str, int] = field(default_factory=dict)
    output: int = -1
    user_gates: dict[str, Any] = field(default_factory=dict)
    attrs: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    uses_arrays: bool = False
    notes: list[str] = field(default_factory=list)
    compiled: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.gates)

    def span(self, node: int) -> Span:
        return Span(self.lines[node], self.columns[node], 1)

    def gate_count(self) -> int:
        return sum(1 for gate in self.gates if gate not in (INPUT, CONST))

    def operand_name(self, node: int) -> str:
        """The node's name as an operand in a formula (negative literals in parentheses)."""
        name = self.names[node]
        return f"({name})" if name.startswith("-") else name

    def spec(self, gate: str) -> GateSpec:
        """A gate's spec: a user-defined gate of this graph, or a built-in one."""
        user = self.user_gates.get(gate)
        return user.spec if user is not None else GATES[gate]

    def describe(self, node: int) -> str:
        """How the node is computed, e.g. ``x + y``; inputs and constants describe themselves."""
        gate = self.gates[node]
        if gate == CONST:
            return self.literals[node]
        if gate == INPUT:
            return self.names[node]
        operands = [self.operand_name(a) for a in self.args[node]]
        if gate in self.user_gates:
            spec = self.spec(gate)
            return spec.pattern.format(**dict(zip(spec.params, operands, strict=True)))
        if gate not in GATES:
            from ..gates.array_gates import describe

            return describe(gate, operands, self.attrs.get(node, ()))
        return describe_call(gate, operands)

    def node_named(self, name: str) -> int:
        """The node a program name (or a generated node name) refers to."""
        if name in self.bindings:
            return self.bindings[name]
        if name in self.inputs:
            return self.inputs[name]
        try:
            return self.names.index(name)
        except ValueError:
            raise GraphError(f"no node named {name!r}", source=self.source) from None

    def without_gradients(self, names: Iterable[str]) -> Graph:
        """The same graph with these inputs held constant (data, not parameters): no
        gradient is computed for them, nor for what depends only on them."""
        held = set()
        for name in names:
            if name not in self.inputs:
                known = ", ".join(self.inputs) or "none"
                raise GraphError(f"no input named {name!r} (the inputs are {known})")
            held.add(self.inputs[name])
        clone = Graph(**{**self.__dict__, "requires_grad": list(self.requires_grad)})
        recompute_requires_grad(clone, held)
        return clone

    def with_constants_as_inputs(self, names: Iterable[str]) -> Graph:
        """The same graph with the constants ``e`` and ``pi`` that ``names`` gives values
        made inputs: a NAME=VALUE input shadows the constant of that name (a note says so).
        The graph itself when none is."""
        constants = {self.literals[node]: node for node, gate in enumerate(self.gates)
                     if gate == CONST and self.literals.get(node) in CONSTANT_NAMES}
        shadowed = {name: constants[name] for name in names
                    if name in constants and name not in self.inputs}
        if not shadowed:
            return self
        clone = Graph(**{**self.__dict__, "gates": list(self.gates),
                         "literals": dict(self.literals),
                         "requires_grad": list(self.requires_grad), "notes": list(self.notes),
                         "bindings": dict(self.bindings), "compiled": {}})
        for name, node in shadowed.items():
            clone.gates[node] = INPUT
            del clone.literals[node]
            clone.requires_grad[node] = True
            clone.bindings.setdefault(name, node)
            clone.notes.append(f"the input {name} shadows the constant {name} "
                               f"({CONSTANT_TEXT[name]})")
        clone.inputs = dict(sorted({**self.inputs, **shadowed}.items(), key=lambda kv: kv[1]))
        recompute_requires_grad(clone, set())
        return clone

    def with_output(self, name: str) -> Graph:
        """The same graph with another node as its output (gradients are taken of it)."""
        node = self.node_named(name)
        clone = Graph(**{**self.__dict__, "output": node})
        return clone

def recompute_requires_grad(graph: Graph, held: set[int]) -> None:
    """requires_grad again, with the inputs ``held`` constant (and labels never carrying
    a gradient)."""
    specs: dict[str, Any] = {}
    if graph.uses_arrays:
        from ..gates.array_gates import ARRAY_GATES  # numpy only when arrays are about

        specs = ARRAY_GATES

    requires = graph.requires_grad
    for node, gate in enumerate(graph.gates):
        if gate == INPUT:
            requires[node] = requires[node] and node not in held
        elif gate != CONST:
            spec = specs.get(gate)
            requires[node] = any(requires[a] for p, a in enumerate(graph.args[node])
                                 if spec is None or spec.differentiable(p))
