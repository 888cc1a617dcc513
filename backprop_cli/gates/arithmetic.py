"""The number systems a pass runs in: gate functions, constants and a finiteness test.

``FLOAT`` is double precision with the generated gate table; ``gates.rational`` builds the
exact one for ``--exact`` (fractions, and sympy numbers from ``gates.exact`` where needed);
``gates.array_kit`` does the same for numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .registry import CONSTANT_VALUES, GATES

if TYPE_CHECKING:
    from ..graph.graph import Graph

Value = Any  # a float, an exact Fraction or sympy number, or a numpy array


def literal_value(text: str) -> float:
    """The float value of a number literal or named constant."""
    if text in CONSTANT_VALUES:
        return CONSTANT_VALUES[text]
    value = float(text)
    if math.isinf(value):
        raise OverflowError(f"the number {text} is too large for a double")
    return value


@dataclass(frozen=True)
class Arithmetic:
    """The number system a pass runs in: gate functions, constants, and a finiteness test."""

    forwards: dict[str, Callable[..., Value]]
    partials: dict[str, tuple[Callable[..., Value], ...]]
    literal: Callable[[str], Value]
    zero: Value
    one: Value
    half: Value
    make_inf: Callable[[], Value]  # infinity, made when a kink's convention needs it
    is_finite: Callable[[Value], bool]
    exact: bool = False

    @property
    def inf(self) -> Value:
        return self.make_inf()


FLOAT = Arithmetic(
    forwards={name: spec.forward for name, spec in GATES.items()},
    partials={name: spec.partials for name, spec in GATES.items()},
    literal=literal_value,
    zero=0.0, one=1.0, half=0.5, make_inf=lambda: math.inf,
    is_finite=math.isfinite,
)


def with_user_gates(arithmetic: Arithmetic, graph: Graph) -> Arithmetic:
    """The arithmetic extended with the graph's user-defined gates, in its number system."""
    if not graph.user_gates:
        return arithmetic
    forwards, partials = dict(arithmetic.forwards), dict(arithmetic.partials)
    for name, gate in graph.user_gates.items():
        forwards[name], partials[name] = gate.functions(arithmetic)
    return replace(arithmetic, forwards=forwards, partials=partials)


