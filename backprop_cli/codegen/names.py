"""What every code writer shares and needs no sympy: the Python names of values, gradients
and gate objects, each built-in gate's forward code, a local gradient as code (``Local``),
and the gate classes' names."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..gates.table import GATES as TABLE
from ..graph.graph import CONST, Graph

# names the generated code uses itself (``sigmoid`` and ``sech`` are helper functions)
RESERVED = frozenset({"math", "print", "down", "upstream", "self", "sigmoid", "sech"})
# each built-in gate as Python: its row's code, or else how it is written
PYTHON_CODE = {row.name: row.python or row.pattern for row in TABLE}
CONSTANT_CODE = {"pi": "math.pi", "e": "math.e"}


@dataclass(frozen=True)
class Local:
    """A local gradient as code: ``code`` as the right factor of a product, ``value`` 1 or
    -1 when it is that constant, ``reciprocal`` when it is 1/x, ``uses`` the names it
    reads."""

    code: str
    value: int | None
    reciprocal: bool
    uses: frozenset[str]

    def times(self, upstream: str) -> str:
        """``upstream * local`` as code; a reciprocal local becomes a division."""
        if self.reciprocal and self.code.startswith("1/"):
            return f"{upstream} / {self.code[2:]}"
        return f"{upstream} * {self.code}"

    def product(self, upstream: str) -> str:
        """The downstream gradient as code: ``upstream``, ``-upstream`` or a product."""
        if self.value is not None:
            return upstream if self.value == 1 else f"-{upstream}"
        return self.times(upstream)

    def renamed(self, code: str) -> Local:
        return Local(code, self.value, self.reciprocal, self.uses)


TemplateWriter = Callable[[str, int, tuple[str | None, ...]], "Local"]


class Templates:
    """Local gradients printed once per gate, input and pattern of constant operands, with
    placeholders (``__p0``, ``__out``: names no program can use) filled in per edge.
    ``template`` writes one: from the rows' formula trees, or sympy's for user gates."""

    _PLACEHOLDER = re.compile(r"__(p\d+|out)\b")

    def __init__(self, graph: Graph, names: Names, template: TemplateWriter) -> None:
        self.graph, self.names, self.template = graph, names, template
        self.cache: dict[tuple[object, ...], Local] = {}

    def local(self, node: int, position: int) -> Local:
        graph = self.graph
        args = graph.args[node]
        constants = tuple(graph.literals.get(a) if graph.gates[a] == CONST else None
                          for a in args)
        key = (graph.gates[node], position, constants)
        if key not in self.cache:
            self.cache[key] = self.template(graph.gates[node], position, constants)
        local = self.cache[key]
        filled = {f"__p{k}": self.names.values[a] for k, a in enumerate(args)}
        filled["__out"] = self.names.values[node]
        return local.renamed(self._PLACEHOLDER.sub(lambda m: filled[m.group(0)], local.code))


class Names:
    """Python identifiers for values, gradients and gate objects, never colliding."""

    def __init__(self, graph: Graph, reserved: frozenset[str] = RESERVED) -> None:
        self.graph = graph
        self.used: set[str] = set(reserved)
        self.values = [self._claim(name) if gate not in (CONST,) else ""
                       for name, gate in zip(graph.names, graph.gates, strict=True)]
        self.grads = [self._claim(f"grad_{value}") if value else "" for value in self.values]
        self.objects: list[str] = ["" for _ in graph.names]

    def _claim(self, name: str) -> str:
        while name in self.used:
            name += "_"
        self.used.add(name)
        return name

    def gate_object(self, node: int) -> str:
        if not self.objects[node]:
            self.objects[node] = self._claim(f"{self.graph.gates[node]}_{self.values[node]}")
        return self.objects[node]

    def operand(self, node: int) -> str:
        """A value as written in code: its variable, or a constant's literal."""
        if self.graph.gates[node] != CONST:
            return self.values[node]
        text = self.graph.literals[node]
        return CONSTANT_CODE.get(text, f"({text})" if text.startswith("-") else text)


def class_name(gate: str) -> str:
    """The modular style's class of a gate: ``mul`` -> ``MulGate``."""
    return "".join(part.capitalize() for part in gate.split("_")) + "Gate"

