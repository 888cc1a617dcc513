"""Expected answers and how they are judged.

An expectation is written ``NAME = value`` (the forward value of node NAME) or
``grad.NAME = value`` (d output / d NAME), on the command line, in a circuit file's
``[expect]`` table or in an answers file. Values are read by the project's own parser, so
``1/4`` and ``-pi/2`` work.

How close is right (``Tolerance``): a decimal answer is judged to the digits it was typed
with, i.e. within half a unit in its last digit (``-0.1966`` accepts -0.19655 ... -0.19665);
an integer or an expression (``-4``, ``1/4``) is judged to double precision, within
``atol + rtol * |expected|`` (1e-12 and 1e-9). Explicit ``rtol``/``atol`` replace the digits
rule. In exact mode values are compared exactly by sympy (``1/4`` equals ``0.25``).

``agrees`` is the one place where an expected and a computed value are compared; it works
unchanged on anything with ``abs``, ``-`` and ``<=`` (numpy arrays need ``.all()``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.trace import Trace
from ..errors import BackpropError, InputError
from ..gates.arithmetic import FLOAT, Arithmetic
from ..inputs.values import coerce_value
from ..language.tokens import tokenize

Value = Any
GRAD_PREFIX = "grad."
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12

_DECIMAL_RE = re.compile(r"^\s*[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$")


@dataclass(frozen=True)
class Expectation:
    """One expected answer: ``key`` as written (``f``, ``grad.x``), the node it names,
    whether it is a gradient, the expected value, and the text it was written as."""

    key: str
    name: str
    gradient: bool
    expected: Value
    text: str


@dataclass(frozen=True)
class Tolerance:
    """How close a computed value must be to the expected one.

    ``digits``: judge an answer typed as a decimal to the digits it has (half a unit in its
    last digit), but never stricter than ``atol + rtol * |expected|``. ``exact``: compare
    exactly.
    """

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    digits: bool = True
    exact: bool = False

    def allowed(self, expected: Value, text: str) -> Value:
        """The largest difference accepted for this answer (None: exact comparison)."""
        if self.exact:
            return None
        allowed = self.atol + self.rtol * abs(expected)
        half_unit = digits_half_unit(text) if self.digits else None
        if half_unit is None:
            return allowed
        # a value exactly halfway (1.25 typed as 1.2 or 1.3) rounds either way; the slack
        # keeps binary rounding of the decimal from refusing it
        return max(allowed, half_unit * (1 + 1e-9))


def digits_half_unit(text: str) -> float | None:
    """Half a unit in the last typed digit of a decimal (``-0.1966`` -> 5e-05, ``1.5e-3``
    -> 5e-05); None for an integer (``-4``) or an expression (``1/4``)."""
    match = _DECIMAL_RE.match(text)
    if match is None or (match.group(2) is None and match.group(3) is None):
        return None
    decimals = len(match.group(2) or "") - int(match.group(3) or 0)
    return 0.5 * 10.0 ** -decimals


def agrees(expected: Value, computed: Value, allowed: Value) -> bool:
    """Whether ``computed`` is right: within ``allowed`` of ``expected``, or exactly equal
    when ``allowed`` is None. The only numeric comparison of answers in the project."""
    if allowed is None:
        return _exactly_equal(expected, computed)
    if getattr(expected, "shape", ()) != getattr(computed, "shape", ()):
        return False
    within = abs(computed - expected) <= allowed
    return bool(within.all()) if hasattr(within, "all") else bool(within)


def _exactly_equal(expected: Value, computed: Value) -> bool:
    if hasattr(expected, "tolist") or hasattr(computed, "tolist"):  # arrays: element by element
        (want, want_shape), (got, got_shape) = _flat(expected), _flat(computed)
        return want_shape == got_shape and all(map(_exactly_equal, want, got))
    import sympy as sp

    difference = sp.simplify(expected - computed)
    if difference.is_zero is not None:
        return bool(difference.is_zero)
    return bool(abs(difference.evalf(60)) < sp.Float("1e-50"))


def _flat(value: Value) -> tuple[list[Value], tuple[int, ...]]:
    """An array (numpy or sympy) as its elements in order and its shape; a scalar as one."""
    nested = value.tolist() if hasattr(value, "tolist") else value
    shape: list[int] = []
    level = nested
    while isinstance(level, list):
        shape.append(len(level))
        level = level[0] if level else None
    items: list[Value] = []
    pending = [nested]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        else:
            items.append(item)
    return items, tuple(shape)


def parse_key(key: str) -> tuple[str, bool]:
    """``"grad.x"`` -> ``("x", True)``, ``"f"`` -> ``("f", False)``; refuses anything else."""
    gradient = key.startswith(GRAD_PREFIX)
    name = key[len(GRAD_PREFIX):] if gradient else key
    try:
        tokens = tokenize(name)
    except BackpropError:
        tokens = []
    if len(tokens) != 2 or tokens[0].kind != "name" or tokens[0].text != name:
        raise InputError(f"{key!r} is not NAME or grad.NAME (for example f or grad.x)")
    return name, gradient


def expectation(key: str, raw: object, arithmetic: Arithmetic = FLOAT) -> Expectation:
    """One expectation from its key and a raw value (text to parse, or a number)."""
    name, gradient = parse_key(key.strip())
    if isinstance(raw, str):
        text = raw.strip()
    elif isinstance(raw, float):
        text = repr(raw)
    else:
        text = str(raw)
    value = coerce_value(f"the expected {key.strip()}", raw, arithmetic)
    return Expectation(key.strip(), name, gradient, value, text)


def split_expect(text: str) -> tuple[str, str]:
    """``"grad.x=-4"`` (as given to ``--expect``) -> ``("grad.x", "-4")``."""
    key, equals, value = text.partition("=")
    if not equals or not value.strip():
        raise InputError(f"--expect wants NAME=VALUE or grad.NAME=VALUE, got {text!r}")
    return key, value


def flatten_expect(table: Mapping[str, object], where: str) -> list[tuple[str, object]]:
    """An ``[expect]`` table as (key, raw value) pairs: ``grad.x = 1`` in TOML is the nested
    table ``{"grad": {"x": 1}}``; JSON may write either that or the flat key ``"grad.x"``."""
    pairs: list[tuple[str, object]] = []
    for key, raw in table.items():
        if key == "grad" and isinstance(raw, Mapping):
            pairs.extend((GRAD_PREFIX + str(name), value) for name, value in raw.items())
        elif isinstance(raw, Mapping):
            raise InputError(f"{where}: the expected {key} must be a number, an array or text")
        else:
            pairs.append((str(key), raw))
    return pairs


def expectations_from(pairs: Iterable[tuple[str, object]],
                      arithmetic: Arithmetic = FLOAT) -> list[Expectation]:
    return [expectation(key, raw, arithmetic) for key, raw in pairs]


@dataclass(frozen=True)
class Verdict:
    """An expectation judged: the computed value, right or wrong, and the allowed difference
    (None when compared exactly)."""

    expectation: Expectation
    computed: Value
    right: bool
    allowed: Value


def computed_value(trace: Trace, item: Expectation) -> Value:
    """The value or gradient an expectation names, from the trace."""
    try:
        node = trace.graph.node_named(item.name)
    except BackpropError:
        names = set(trace.graph.bindings) | set(trace.graph.inputs)
        known = ", ".join(sorted(names))
        meant = item.name.rpartition("/")[2][1:]  # dx or df/dx: the gradient grad.x
        hint = f"; the gradient with respect to {meant} is written grad.{meant}" \
            if not item.gradient and meant in names and item.name[:1] == "d" else ""
        raise InputError(f"expectation {item.key}: the circuit has no node named "
                         f"{item.name!r} (its names: {known}){hint}") from None
    return trace.grads[node] if item.gradient else trace.values[node]


def judge(trace: Trace, expectations: Iterable[Expectation],
          tolerance: Tolerance = Tolerance()) -> list[Verdict]:
    """Every expectation against the trace, in the order given."""
    verdicts = []
    for item in expectations:
        computed = computed_value(trace, item)
        allowed = tolerance.allowed(item.expected, item.text)
        verdicts.append(Verdict(item, computed, agrees(item.expected, computed, allowed),
                                allowed))
    return verdicts
