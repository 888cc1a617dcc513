"""The numeric gate registry (no sympy): generated specs, operators, constants, kinks."""

from __future__ import annotations

import math
from collections.abc import Iterable

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


# Names a newcomer tries, and the gate the tool calls that: ``unknown gate 'ln' (did you
# mean log?)``. Names closer in spelling are found by difflib.
GATE_ALIASES: dict[str, str] = {
    "ln": "log", "sigma": "sigmoid", "logistic": "sigmoid",
    "maximum": "max", "minimum": "min", "fabs": "abs", "absolute": "abs",
    "dot": "matmul", "mm": "matmul", "power": "pow", "square_root": "sqrt",
    "negative": "neg", "logsoftmax": "log_softmax", "leakyrelu": "leaky_relu",
}


def closest_gate(name: str, known: Iterable[str]) -> str | None:
    """The gate an unknown name most likely meant: an alias (``ln`` → ``log``), the same name
    in lower case (``ReLU``), or the closest spelling; None when nothing is close."""
    names = list(known)
    for guess in (GATE_ALIASES.get(name), name.lower(), GATE_ALIASES.get(name.lower())):
        if guess is not None and guess != name and guess in names:
            return guess
    import difflib  # (and heapq) only for a name that is not a gate

    close = difflib.get_close_matches(name.lower(), names, n=1)
    return close[0] if close else None


def unknown_gate_message(name: str, known: Iterable[str], advice: str) -> str:
    """``unknown gate 'ln' (did you mean log? see `backprop gates`)``."""
    guess = closest_gate(name, known)
    return f"unknown gate {name!r} ({f'did you mean {guess}? ' if guess else ''}{advice})"
