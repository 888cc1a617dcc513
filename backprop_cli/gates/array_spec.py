"""What a structural array gate is: its shape rule, forward, vector-Jacobian products and
literal arguments (``ArrayGate``, ``Static``), and the error a shape rule raises. The gates
themselves are in ``array_gates`` (and ``conv`` for the layers of convolutional nets)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .array_kit import Array, Kit

Shape = tuple[int, ...]
Attrs = tuple[Any, ...]


class ShapeMismatch(Exception):
    """Operand shapes a gate cannot take; the engine adds the node and position."""


@dataclass(frozen=True)
class Static:
    """A literal argument after the array operands: an axis, a shape entry, a margin."""

    name: str
    kind: str  # "int" or "number"
    default: Any = None
    required: bool = False
    variadic: bool = False
    phrase: str = ""  # how a call's signature mentions it, e.g. "an optional axis"


VJP = Callable[[Kit, Array, Sequence[Array], Array, Attrs], Array]
Kink = Callable[[Sequence[Array], Array, Attrs], int]
Sides = Callable[[Sequence[Array], Array, Attrs], Array]


@dataclass(frozen=True)
class ArrayGate:
    """A structural gate. ``vjps[k]`` is None for an operand that takes no gradient
    (class labels); ``kink`` counts elements where the gate is not differentiable;
    ``sides`` tells on which side of its kinks the gate is (an array that changes when a
    step crosses one: a margin's sign, which element is largest)."""

    name: str
    params: tuple[str, ...]
    summary: str
    rules: tuple[str, ...]
    shape: Callable[[Sequence[Shape], Attrs], Shape]
    forward: Callable[[Kit, Sequence[Array], Attrs], Array]
    vjps: tuple[VJP | None, ...]
    static: tuple[Static, ...] = ()
    written: str = ""
    kink: Kink | None = None
    kink_where: str = ""
    kink_convention: str = ""
    sides: Sides | None = None
    many: bool = False  # the last parameter repeats: concat(a, b, c), s[i, j]

    @property
    def arity(self) -> int:
        return len(self.params)

    def _slot(self, position: int) -> int:
        return min(position, len(self.params) - 1) if self.many else position

    def differentiable(self, position: int) -> bool:
        return self.vjps[self._slot(position)] is not None

    def vjp_of(self, position: int) -> VJP | None:
        """The VJP of the operand at ``position`` (a repeated one is told its position)."""
        vjp = self.vjps[self._slot(position)]
        if vjp is None or not self.many:
            return vjp
        return functools.partial(vjp, position=position)  # type: ignore[call-arg]

    def param_of(self, position: int) -> str:
        return self.params[self._slot(position)]

    def rule_of(self, position: int) -> str:
        return self.rules[self._slot(position)]


def show_shape(shape: Shape) -> str:
    """``(2, 3)``, ``(4,)``, ``()``: a shape as numpy prints it."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
