"""Program -> Graph: the builder that turns parsed statements into nodes.

A name used twice is one node with two outgoing edges (the copy gate). Reassigning a
name makes a new node (``c``, then ``c_2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import GraphError, Span
from ..gates.registry import BINARY_GATES, CONSTANT_VALUES, GATES, UNARY_GATES
from ..limits import current, exceeded
from .graph import CONST, CONSTANT_TEXT, INPUT, OUTPUT_NAMES, Graph

if TYPE_CHECKING:  # the parser is not needed to hold a graph (see compiler.py)
    from ..language.parser import Definition, Item, Program, Statement

def build(program: Program, output: str | None = None,
          definitions: Sequence[Definition] = ()) -> Graph:
    """Turn a parsed program into a graph; ``output`` names the node to differentiate.
    ``definitions`` (a circuit file's gates) come before the program's own ``def`` lines."""
    builder = Builder(program)
    every = [*definitions, *program.definitions]
    if every:
        from ..gates.user_gates import define_gates

        builder.graph.user_gates = define_gates(every)
    for statement in program.statements:
        builder.statement(statement)
    graph = builder.finish()
    return graph.with_output(output) if output is not None else graph


class Builder:
    """Creates nodes statement by statement, keeping the name -> node bindings."""

    def __init__(self, program: Program) -> None:
        self.graph = Graph(source=program.source)
        self.raw_names: list[str | None] = []
        self.used_names = _all_names(program)
        self.versions: dict[str, int] = {}
        self.constants: dict[str, int] = {}
        self.max_gates = current().gates
        self.keyword_args: dict[int, Item] = {}  # node -> the keyword it was passed by

    def error(self, message: str, item: Item | Statement) -> GraphError:
        from ..language.parser import Statement

        if isinstance(item, Statement):
            span = item.span
        else:
            span = Span(item.line, item.column, max(len(item.text), 1))
        return GraphError(message, source=self.graph.source, span=span)

    def add_node(self, gate: str, args: tuple[int, ...], item: Item, name: str | None) -> int:
        graph = self.graph
        graph.gates.append(gate)
        graph.args.append(args)
        graph.lines.append(item.line)
        graph.columns.append(item.column)
        needs = gate == INPUT or (gate != CONST and any(graph.requires_grad[a] for a in args))
        graph.requires_grad.append(needs)
        self.raw_names.append(name)
        return len(graph.gates) - 1

    def statement(self, statement: Statement) -> None:
        if statement.target is not None:
            self._check_target(statement)
        first_new = len(self.graph.gates)
        stack: list[int] = []
        previous: Item | None = None
        for item in statement.rpn:
            if item.kind == "unary" and previous is not None and previous.kind == "num":
                self._negate_literal(stack[-1], item)
            else:
                self._item(item, stack)
            previous = item
        node = stack[-1]
        if statement.augment is not None and statement.target is not None:
            current = self._name_value(statement.target, statement.rpn[0])
            gate = BINARY_GATES[statement.augment]
            node = self.add_node(gate, (current, node), statement.rpn[-1], None)
            self.graph.lines[node], self.graph.columns[node] = statement.span.line, 1
        target = statement.target
        if target is None:
            target = self._fresh(OUTPUT_NAMES[0])
            if node < first_new:
                self.graph.output = node
                return
        fresh = node >= first_new
        if fresh and (self.raw_names[node] is None or self.graph.gates[node] == CONST):
            self.raw_names[node] = self._version(target)
        self.graph.bindings[target] = node
        self.graph.output = node
        if len(self.graph.gates) > self.max_gates:
            raise exceeded("the number of nodes", len(self.graph.gates), "gates",
                           source=self.graph.source, span=statement.span)

    def _check_target(self, statement: Statement) -> None:
        target = statement.target
        if target in GATES or target in self.graph.user_gates:
            raise self.error(f"{target!r} is a gate and cannot be assigned to", statement)
        if target in CONSTANT_VALUES and target not in self.graph.bindings:
            line, column = statement.span.line, statement.span.column
            self.graph.notes.append(
                f"{target} is assigned at line {line}, column {column}: from there on {target} "
                f"is that value, not the constant {target} ({CONSTANT_TEXT[target]})")

    def _item(self, item: Item, stack: list[int]) -> None:
        kind = item.kind
        if kind == "name":
            stack.append(self._name_value(item.text, item))
        elif kind == "num":
            stack.append(self.add_node(CONST, (), item, item.text))
            self.graph.literals[len(self.graph.gates) - 1] = item.text
        elif kind == "binary":
            right = stack.pop()
            left = stack.pop()
            stack.append(self.add_node(BINARY_GATES[item.text], (left, right), item, None))
            if item.text == "@":
                self.graph.uses_arrays = True
        elif kind == "index":
            stack.append(self.add_node("index", (stack.pop(),), item, None))
            self.graph.attrs[len(self.graph.gates) - 1] = item.subscript
            self.graph.uses_arrays = True
        elif kind == "unary":
            stack.append(self.add_node(UNARY_GATES[item.text], (stack.pop(),), item, None))
        elif kind == "keyword":
            self.keyword_args[stack[-1]] = item
        else:
            stack.append(self._call(item, stack))

    def _negate_literal(self, literal: int, item: Item) -> None:
        """``-3`` is the literal -3, not a neg gate (``-x`` and ``-(3)**2`` stay gates)."""
        graph = self.graph
        text = graph.literals[literal]
        text = text[1:] if text.startswith("-") else "-" + text
        graph.literals[literal] = text
        self.raw_names[literal] = text
        graph.lines[literal], graph.columns[literal] = item.line, item.column

    def _call(self, item: Item, stack: list[int]) -> int:
        user = self.graph.user_gates.get(item.text)
        spec = user.spec if user is not None else GATES.get(item.text)
        if user is None and (spec is None or (item.argc == 1 and spec.arity == 2)):
            from .array_calls import array_call

            return array_call(self, item, stack)
        assert spec is not None
        keyword = next((self.keyword_args[n] for n in stack[len(stack) - item.argc:]
                        if n in self.keyword_args), None)
        if keyword is not None:
            raise self.error(f"{item.text}() takes no keyword arguments ({keyword.text}=); "
                             "keywords name the literal arguments of array gates, such as "
                             "sum(x, axis=0, keepdims=True)", keyword)
        if item.argc != spec.arity:
            plural = "s" if spec.arity != 1 else ""
            raise self.error(f"{item.text}() takes {spec.arity} argument{plural}, "
                              f"got {item.argc}", item)
        args = tuple(stack[len(stack) - item.argc:])
        del stack[len(stack) - item.argc:]
        return self.add_node(item.text, args, item, None)

    def _name_value(self, name: str, item: Item) -> int:
        bound = self.graph.bindings.get(name)
        if bound is not None:
            return bound
        if name in CONSTANT_VALUES:
            if name not in self.constants:
                self.constants[name] = self.add_node(CONST, (), item, name)
                self.graph.literals[self.constants[name]] = name
            return self.constants[name]
        if name in GATES or name in self.graph.user_gates:
            raise self.error(f"{name!r} is a gate; call it as {name}(...)", item)
        node = self.add_node(INPUT, (), item, name)
        self.graph.inputs[name] = node
        self.graph.bindings[name] = node
        self.versions[name] = 1
        return node

    def _version(self, name: str) -> str:
        """The node name for a new binding of ``name``: ``c``, then ``c_2``, ``c_3``, ..."""
        count = self.versions.get(name, 0) + 1
        self.versions[name] = count
        if count == 1:
            return name
        return self._fresh(f"{name}_{count}")

    def _fresh(self, base: str) -> str:
        name, extra = base, 1
        while name in self.used_names:
            extra += 1
            name = f"{base}_{extra}" if base not in OUTPUT_NAMES else _output_name(extra)
        self.used_names.add(name)
        return name

    def finish(self) -> Graph:
        graph = self.graph
        if graph.uses_arrays:
            from .array_calls import mark_labels

            mark_labels(graph)
        counter = 0
        names: list[str] = []
        for raw in self.raw_names:
            if raw is None:
                counter += 1
                raw = f"t{counter}"
                while raw in self.used_names:
                    counter += 1
                    raw = f"t{counter}"
            names.append(raw)
        graph.names = names
        return graph


def _output_name(extra: int) -> str:
    return OUTPUT_NAMES[1] if extra == 2 else f"{OUTPUT_NAMES[1]}_{extra - 1}"


def _all_names(program: Program) -> set[str]:
    names: set[str] = set()
    for statement in program.statements:
        if statement.target:
            names.add(statement.target)
        names.update(item.text for item in statement.rpn if item.kind == "name")
    return names
