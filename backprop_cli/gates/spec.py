"""What the engine knows of a gate: compiled forward and local derivatives, and their text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .formula import Tree

Forward = Callable[..., Any]
Partial = Callable[..., Any]


class GateSpec:
    """A gate as generated from its sympy definition (see ``gates.py`` and ``codegen.py``).

    ``forward(*inputs)`` gives the output; ``partials[k](*inputs, out)`` gives the local
    derivative with respect to input ``k``. ``definition_tree`` and ``partial_trees`` are
    the definition and the local derivatives as sympy derived them, as formula trees
    (``formula.py``) in the parameter names ``params`` (``out``: the gate's output);
    ``definition`` and ``partial_formulas`` are the same as text. ``code_trees``: the local
    derivatives as they are evaluated (in terms of ``out`` where simpler, stable forms), for
    the code writers (empty for a user-defined gate: sympy prints its code).
    """

    __slots__ = (
        "code_trees",
        "definition",
        "definition_tree",
        "forward",
        "name",
        "params",
        "partial_formulas",
        "partial_trees",
        "partials",
        "pattern",
        "summary",
    )

    def __init__(self, name: str, params: tuple[str, ...], pattern: str, summary: str,
                 definition: str, partial_formulas: tuple[str, ...], forward: Forward,
                 partials: tuple[Partial, ...], definition_tree: Tree,
                 partial_trees: tuple[Tree, ...], code_trees: tuple[Tree, ...]) -> None:
        self.name = name
        self.params = params
        self.pattern = pattern
        self.summary = summary
        self.definition = definition
        self.partial_formulas = partial_formulas
        self.forward = forward
        self.partials = partials
        self.definition_tree = definition_tree
        self.partial_trees = partial_trees
        self.code_trees = code_trees

    @property
    def arity(self) -> int:
        return len(self.params)
