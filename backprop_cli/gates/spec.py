"""What the engine knows of a gate: compiled forward and local derivatives, and their text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Forward = Callable[..., Any]
Partial = Callable[..., Any]


@dataclass(frozen=True)
class GateSpec:
    """A gate as generated from its sympy definition (see ``gates.py`` and ``codegen.py``).

    ``forward(*inputs)`` gives the output; ``partials[k](*inputs, out)`` gives the local
    derivative with respect to input ``k``. ``definition`` and ``partial_formulas`` are the
    sympy expressions as text, in the parameter names ``params``.
    """

    name: str
    params: tuple[str, ...]
    pattern: str
    summary: str
    definition: str
    partial_formulas: tuple[str, ...]
    forward: Forward
    partials: tuple[Partial, ...]

    @property
    def arity(self) -> int:
        return len(self.params)
