"""Expected answers and how they are judged.

An expectation names any quantity the tool shows, in the tool's own labels: ``NAME`` (the
forward value of node NAME), a gradient ``grad.NAME``, ``dOUT/dNAME`` (OUT the output's
name, or ``L``), and every path ``--get`` takes (``value``, ``upstream``,
``node.NAME.value``, ``node.NAME.grad``, ``edge.NODE.INPUT.upstream`` / ``.local`` /
``.downstream``). It is written on the command line, in a circuit file's ``[expect]`` table
or in an answers file. Values are read by the project's own parser, so ``1/4`` and
``-pi/2`` work. Each key becomes the ``--get`` path it means (``f`` -> ``node.f.value``).

How close is right (``Tolerance``): a decimal answer is judged to the digits it was typed
with, i.e. within half a unit in its last digit (``-0.1966`` accepts -0.19655 ... -0.19665);
an integer or an expression (``-4``, ``1/4``) is judged to double precision, within
``atol + rtol * |expected|`` (1e-12 and 1e-9). Explicit ``rtol``/``atol`` replace the digits
rule. In exact mode values are compared exactly by sympy (``1/4`` equals ``0.25``).

``agrees`` is the one place where an expected and a computed value are compared; it works
unchanged on anything with ``abs``, ``-`` and ``<=`` (numpy arrays need ``.all()``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..engine.paths import get_path
from ..engine.trace import Trace
from ..errors import BackpropError, InputError
from ..gates.arithmetic import FLOAT, Arithmetic
from ..inputs.values import coerce_value

Value = Any
GRAD_PREFIX = "grad."
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12

_DECIMAL_RE = re.compile(r"^\s*[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$")


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LEIBNIZ_RE = re.compile(rf"^d({_NAME})/d({_NAME})$")
_PATH_RES = (re.compile(rf"^grad\.{_NAME}$"), re.compile(r"^(value|upstream)$"),
             re.compile(rf"^node\.{_NAME}\.(value|grad)$"),
             re.compile(rf"^edge\.{_NAME}\.({_NAME}|[0-9]+)\.(upstream|local|downstream)$"))
_NAME_RE = re.compile(rf"^{_NAME}$")
KEY_FORMS = ("NAME", "grad.NAME", "dOUT/dNAME", "value", "upstream", "node.NAME.value",
             "node.NAME.grad", "edge.NODE.INPUT.upstream", "edge.NODE.INPUT.local",
             "edge.NODE.INPUT.downstream")


@dataclass(frozen=True)
class Expectation:
    """One expected answer: ``key`` as written (``f``, ``grad.x``, ``df/dx``,
    ``edge.t2.t1.local``), the ``--get`` path it means, the output a ``dOUT/dNAME`` key
    names (None otherwise), the expected value, and the text it was written as."""

    key: str
    path: str
    expected: Value
    text: str
    of: str | None = None


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
    exponent = match.group(3) or "0"
    if len(exponent.lstrip("+-0")) > 18:  # 1e-99999999999999999999: read without int()
        return 0.0 if exponent.startswith("-") else math.inf
    decimals = len(match.group(2) or "") - int(exponent)
    if decimals < -308:  # 0e99999999999: a unit in the last digit beyond any double
        return math.inf
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
    if isinstance(expected, Fraction) and isinstance(computed, Fraction):
        return expected == computed
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


def parse_key(key: str) -> tuple[str, str | None]:
    """The ``--get`` path a key means and the output a ``dOUT/dNAME`` key names:
    ``"f"`` -> ``("node.f.value", None)``, ``"df/dx"`` -> ``("grad.x", "f")``,
    ``"edge.t2.t1.local"`` unchanged; refuses anything else."""
    if _NAME_RE.match(key) and key not in ("value", "upstream"):
        return f"node.{key}.value", None
    leibniz = _LEIBNIZ_RE.match(key)
    if leibniz:
        return f"grad.{leibniz.group(2)}", leibniz.group(1)
    if any(pattern.match(key) for pattern in _PATH_RES):
        return key, None
    raise InputError(f"{key!r} is not an answer the tool shows: write one of "
                     f"{', '.join(KEY_FORMS)} (for example f, grad.x, df/dx, "
                     "edge.f.z.local)")


def expectation(key: str, raw: object, arithmetic: Arithmetic = FLOAT) -> Expectation:
    """One expectation from its key and a raw value (text to parse, or a number)."""
    path, of = parse_key(key.strip())
    if isinstance(raw, str):
        text = raw.strip()
    elif isinstance(raw, float):
        text = repr(raw)
    else:
        text = str(raw)
    value = coerce_value(f"the expected {key.strip()}", raw, arithmetic)
    return Expectation(key.strip(), path, value, text, of)


def split_expect(text: str) -> tuple[str, str]:
    """``"grad.x=-4"`` (as given to ``--expect``) -> ``("grad.x", "-4")``."""
    key, equals, value = text.partition("=")
    if not equals or not value.strip():
        raise InputError(f"--expect wants NAME=VALUE or grad.NAME=VALUE, got {text!r}")
    return key, value


def flatten_expect(table: Mapping[str, object], where: str) -> list[tuple[str, object]]:
    """An ``[expect]`` table as (key, raw value) pairs: ``grad.x = 1`` or
    ``edge.f.z.local = 3`` in TOML are nested tables (``{"grad": {"x": 1}}``); JSON may
    write either those or the flat keys ``"grad.x"``."""
    pairs: list[tuple[str, object]] = []
    pending: list[tuple[str, object]] = list(table.items())
    while pending:
        key, raw = pending.pop(0)
        if isinstance(raw, Mapping) and raw:
            pending[:0] = [(f"{key}.{name}", value) for name, value in raw.items()]
        elif isinstance(raw, Mapping):
            raise InputError(f"{where}: the expected {key} must be a number, an array or text")
        else:
            pairs.append((str(key), raw))
    return pairs


def looks_like_expectation(assignment: str) -> bool:
    """Whether ``NAME=VALUE`` given as an input is really an answer (``grad.x=-4``,
    ``df/dx=3``): a key the tool shows that is not a plain name."""
    key, equals, _ = assignment.partition("=")
    key = key.strip()
    if not equals or _NAME_RE.match(key):
        return False
    try:
        parse_key(key)
    except InputError:
        return False
    return True


def expectations_from(pairs: Iterable[tuple[str, object]],
                      arithmetic: Arithmetic = FLOAT) -> list[Expectation]:
    return [expectation(key, raw, arithmetic) for key, raw in pairs]


@dataclass(frozen=True)
class Hint:
    """The likely mistake behind a wrong answer: its class (``sign``, ``local-only``, ...)
    and a sentence that names nodes but no number."""

    kind: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """An expectation judged: the computed value, right or wrong, the allowed difference
    (None when compared exactly), and for a wrong answer the hint (analysis/hints.py)."""

    expectation: Expectation
    computed: Value
    right: bool
    allowed: Value
    hint: Hint | None = None


def computed_value(trace: Trace, item: Expectation) -> Value:
    """The quantity an expectation names, from the trace (its ``--get`` path)."""
    if item.of is not None and item.of not in (trace.graph.names[trace.output], "L"):
        output = trace.graph.names[trace.output]
        raise InputError(f"expectation {item.key}: the output is {output}, so its gradients "
                         f"are d{output}/dNAME (or grad.NAME)")
    parts = item.path.split(".")
    if parts[0] in ("node", "grad"):
        _named_node(trace, item, parts[1])
    try:
        value = get_path(trace, item.path)
    except InputError as error:
        raise InputError(f"expectation {item.key}: {error.message}") from None
    if value is None:  # a structural array gate's local gradient is a rule, not a number
        raise InputError(f"expectation {item.key}: this edge's local gradient is a rule "
                         "(see --get ...formula), not a number; check its downstream")
    return value


def _named_node(trace: Trace, item: Expectation, name: str) -> None:
    """Refuse an unknown node name, listing the names (and pointing ``dx`` at ``grad.x``)."""
    try:
        trace.graph.node_named(name)
    except BackpropError:
        names = set(trace.graph.bindings) | set(trace.graph.inputs)
        known = ", ".join(sorted(names))
        meant = name[1:]  # dx: the gradient grad.x
        hint = f"; the gradient with respect to {meant} is written grad.{meant}" \
            if item.path.endswith(".value") and meant in names and name[:1] == "d" else ""
        raise InputError(f"expectation {item.key}: the circuit has no node named "
                         f"{name!r} (its names: {known}){hint}") from None


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
