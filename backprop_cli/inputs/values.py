"""NAME=VALUE inputs: a number or a constant expression, read by the same safe parser;
arrays (``[1, 2]``, ``@w.npy``, ``randn(3, 4)``) are read by ``arrayvalues``."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine.reference import forward, refuse_non_finite
from ..errors import BackpropError, InputError
from ..gates.arithmetic import FLOAT, Arithmetic
from ..gates.registry import GATES
from ..graph.builder import build
from ..graph.graph import CONST, INPUT
from ..language.tokens import Token, tokenize

Value = Any
_ARRAY_STARTS = ("[", "@", "randn(", "rand(", "zeros(", "ones(", "randint(")
_DRAW = re.compile(r"\b(?:randn|rand|zeros|ones|randint)[ \t]*\(")
# a number literal with an optional sign, as the tokenizer reads it (ASCII digits only)
_PLAIN_NUMBER = re.compile(r"[ \t\r\f]*[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[ \t\r\f]*",
                           re.ASCII)


def constant_value(text: str, arithmetic: Arithmetic = FLOAT, where: str = "a value") -> Value:
    """Evaluate a constant expression such as ``-2``, ``1/3`` or ``-pi/4``."""
    if arithmetic is FLOAT and _PLAIN_NUMBER.fullmatch(text):
        value = float(text)  # what the parser's literal gives, without loading the parser
        if math.isfinite(value):
            return value
    from ..language.parser import parse_expression

    try:
        graph = build(parse_expression(text))
        if graph.inputs:
            name = next(iter(graph.inputs))
            raise InputError(f"expected a constant, found the name {name!r}",
                             span=graph.span(graph.inputs[name]))
        array_gate = next((n for n, g in enumerate(graph.gates) if g not in GATES and
                           g not in (INPUT, CONST)), None)
        if array_gate is not None:  # @, .T, sum(...) of numbers: not a number's value
            raise InputError(f"expected a number, found an array operation "
                             f"({graph.gates[array_gate]}); an array value is written [...]",
                             span=graph.span(array_gate))
        values = forward(graph, {}, arithmetic)
        refuse_non_finite(graph, values, arithmetic)  # an input value must be finite
        return values[graph.output]
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
    if name in GATES:
        raise InputError(f"{name!r} is a gate, not an input name", source=text)
    if not value.strip():
        raise InputError(f"input {name} has no value (write {name}=VALUE)", source=text)
    return name, value


def parse_assignments(items: Iterable[str], arithmetic: Arithmetic = FLOAT,
                      seed: int = 0) -> dict[str, Value]:
    """Parse command-line ``NAME=VALUE`` items; a name given twice is an error."""
    values: dict[str, Value] = {}
    for item in items:
        name, text = split_assignment(item)
        if name in values:
            raise InputError(f"input {name} is given twice")
        values[name] = parse_value(name, text, arithmetic, seed)
    return values


def is_array_text(text: str) -> bool:
    """Whether a value text is an array (a list, a file, a generator call, or an expression
    over generator calls such as ``0.01*randn(3, 4)``)."""
    compact = "".join(text.split())
    return compact.startswith(_ARRAY_STARTS) or bool(_DRAW.search(text))


def _is_one_draw(text: str) -> bool:
    """``randn(3, 4)`` alone (not ``randn(3) * 2``): read by the generator's own reader."""
    compact = "".join(text.split())
    return compact.endswith(")") and compact.count("(") == 1 and \
        compact.startswith(_ARRAY_STARTS[2:])


def parse_value(name: str, text: str, arithmetic: Arithmetic = FLOAT, seed: int = 0) -> Value:
    """A number or constant expression, or an array (numpy, imported only then)."""
    if not is_array_text(text):
        return constant_value(text, arithmetic, where=f"the value of {name}")
    from .array_values import array_value, expression_value

    compact = "".join(text.split())
    if not compact.startswith(("[", "@")) and not _is_one_draw(text):
        return expression_value(name, text, arithmetic.exact, seed)

    def element(source: str, tokens: list[Token], where: str) -> Value:
        with contextlib.suppress(OverflowError):  # 1e309: the parser's error says where
            if len(tokens) == 1 and tokens[0].kind == "num":
                return arithmetic.literal(tokens[0].text)
            if len(tokens) == 2 and tokens[0].text == "-" and tokens[1].kind == "num":
                return arithmetic.literal("-" + tokens[1].text)
        return constant_value(source, arithmetic, "an entry")

    return array_value(name, text, arithmetic.exact, seed, element)


def coerce_value(name: str, raw: object, arithmetic: Arithmetic = FLOAT, seed: int = 0) -> Value:
    """A value from a circuit file or the Python API: a number, text to parse, or an array
    (a nested list or a numpy array)."""
    where = f"the value of {name}"
    if isinstance(raw, bool):
        raise InputError(f"{where} must be a number, not {raw!r}")
    if getattr(raw, "shape", None) == () and hasattr(raw, "item"):
        raw = raw.item()  # a 0-d numpy array or numpy scalar
    if isinstance(raw, str):
        return parse_value(name, raw, arithmetic, seed)
    if isinstance(raw, list | tuple) or getattr(raw, "ndim", None):
        from .array_values import from_array, from_nested

        if isinstance(raw, list | tuple):
            return from_nested(name, list(raw), arithmetic.exact)
        return from_array(name, raw, arithmetic.exact)
    from fractions import Fraction  # here, not at start-up: the command line gives text

    if isinstance(raw, int | float | Fraction):
        if isinstance(raw, float) and not math.isfinite(raw):  # TOML's 1e309, inf, nan
            raise InputError(f"{where} must be a finite number, not {raw!r}")
        if arithmetic.exact:
            return arithmetic.literal(str(Fraction(raw)) if not isinstance(raw, float)
                                      else repr(raw))
        try:
            number = float(raw)
        except OverflowError:  # an int beyond the largest double
            raise InputError(f"{where} is too large for a double (use exact=True for big "
                             "integers)") from None
        if not math.isfinite(number):
            raise InputError(f"{where} must be a finite number, not {number!r}")
        return number
    raise InputError(f"{where} must be a number, not {type(raw).__name__}")


def coerce_values(raw: Mapping[str, object], arithmetic: Arithmetic = FLOAT,
                  seed: int = 0) -> dict[str, Value]:
    return {name: coerce_value(name, value, arithmetic, seed) for name, value in raw.items()}
