"""NAME=VALUE inputs: a number or a constant expression, read by the same safe parser."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from .engine import FLOAT, Arithmetic, forward
from .errors import BackpropError, InputError
from .graph import build
from .registry import CONSTANT_VALUES, GATES
from .syntax import parse_expression
from .tokens import tokenize

Value = Any


def constant_value(text: str, arithmetic: Arithmetic = FLOAT, where: str = "a value") -> Value:
    """Evaluate a constant expression such as ``-2``, ``1/3`` or ``-pi/4``."""
    try:
        graph = build(parse_expression(text))
        if graph.inputs:
            name = next(iter(graph.inputs))
            raise InputError(f"expected a constant, found the name {name!r}",
                             span=graph.span(graph.inputs[name]))
        return forward(graph, {}, arithmetic)[graph.output]
    except BackpropError as error:
        raise error.located(text, where) from None


def split_assignment(text: str) -> tuple[str, str]:
    """``"x=-2"`` -> ``("x", "-2")``, checking that the name is a plain identifier."""
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals:
        raise InputError(f"expected NAME=VALUE, got {text!r}")
    tokens = tokenize(name)
    if len(tokens) != 2 or tokens[0].kind != "name":
        raise InputError(f"{name!r} is not a valid input name", source=text)
    if name in GATES or name in CONSTANT_VALUES:
        raise InputError(f"{name!r} is a gate or constant, not an input name", source=text)
    if not value.strip():
        raise InputError(f"input {name} has no value (write {name}=VALUE)", source=text)
    return name, value


def parse_assignments(items: Iterable[str], arithmetic: Arithmetic = FLOAT) -> dict[str, Value]:
    """Parse command-line ``NAME=VALUE`` items; a name given twice is an error."""
    values: dict[str, Value] = {}
    for item in items:
        name, text = split_assignment(item)
        if name in values:
            raise InputError(f"input {name} is given twice")
        values[name] = constant_value(text, arithmetic, where=f"the value of {name}")
    return values


def coerce_value(name: str, raw: object, arithmetic: Arithmetic = FLOAT) -> Value:
    """A value from a circuit file or the Python API: a number, or text to parse."""
    where = f"the value of {name}"
    if isinstance(raw, bool):
        raise InputError(f"{where} must be a number, not {raw!r}")
    if isinstance(raw, str):
        return constant_value(raw, arithmetic, where)
    if isinstance(raw, int | float | Fraction):
        if arithmetic.exact:
            return arithmetic.literal(str(Fraction(raw)) if not isinstance(raw, float)
                                      else repr(raw))
        return float(raw)
    raise InputError(f"{where} must be a number, not {type(raw).__name__}")


def coerce_values(raw: Mapping[str, object], arithmetic: Arithmetic = FLOAT) -> dict[str, Value]:
    return {name: coerce_value(name, value, arithmetic) for name, value in raw.items()}
