"""The numeric gate registry (no sympy): generated specs, operators, constants, kinks."""

from __future__ import annotations

import math

from ._gatetable import GATE_TABLE
from .spec import GateSpec

GATES: dict[str, GateSpec] = {spec.name: spec for spec in GATE_TABLE}

BINARY_GATES: dict[str, str] = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "^": "pow", "@": "matmul",
    ">": "gt", "<": "lt", ">=": "ge", "<=": "le", "==": "eq", "!=": "ne",
}
UNARY_GATES: dict[str, str] = {"-": "neg"}

CONSTANT_VALUES: dict[str, float] = {"pi": math.pi, "e": math.e}


def describe_call(name: str, arg_names: list[str]) -> str:
    """How a gate applied to named inputs is written, e.g. ``q * z`` or ``exp(s)``."""
    spec = GATES[name]
    return spec.pattern.format(**dict(zip(spec.params, arg_names, strict=True)))
