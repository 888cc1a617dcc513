"""Gradient check: every input's analytic gradient against a central difference.

The numerical gradient is ``upstream * (f(x + h) - f(x - h)) / (2h)`` in float64 (the step
actually taken, ``(x + h) - (x - h)``, is used as the divisor). The relative error is
``|a - n| / max(|a| + |n|, 1e-8)`` and is read as CS231n reads it: above 1e-2 probably
wrong, 1e-2 .. 1e-4 uncomfortable, 1e-4 .. 1e-7 fine only near a kink, below 1e-7 good.

An input fails when its relative error is above the threshold (default 1e-4), unless
  * the step crosses a kink (a relu/abs argument, or a max/min difference, changes sign or
    is zero within +-h): central differences are meaningless there, so it is reported, not
    failed; or
  * the difference is within the rounding noise of the difference quotient itself
    (``8 eps max(|f(x+h)|, |f(x-h)|) / h``): then float64 cannot tell them apart.
When ``x + h`` or ``x - h`` leaves a gate's domain, a one-sided difference is used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .engine import FLOAT, Arithmetic, evaluate, forward
from .errors import DomainError
from .graph import Graph

DEFAULT_H = 1e-5
DEFAULT_THRESHOLD = 1e-4
FLOOR = 1e-8
NOISE_FACTOR = 8 * 2.0**-52
KINK_GATES = ("relu", "abs", "max", "min")
VERDICTS = ((1e-7, "good"), (1e-4, "fine only near a kink"), (1e-2, "uncomfortable"),
            (math.inf, "probably wrong"))


@dataclass(frozen=True)
class InputCheck:
    """One input: analytic and numerical gradient, relative error, and what to make of it."""

    name: str
    analytic: float
    numerical: float
    relative_error: float
    verdict: str
    passed: bool
    kinks: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class GradCheck:
    """The check of every input of a circuit."""

    output: str
    value: float
    upstream: float
    h: float
    threshold: float
    inputs: tuple[InputCheck, ...]

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.inputs)

    @property
    def kinked(self) -> int:
        return sum(1 for item in self.inputs if item.kinks)

    @property
    def worst(self) -> float:
        """The largest relative error among inputs not excused by a kink."""
        return max((item.relative_error for item in self.inputs if not item.kinks),
                   default=0.0)


def relative_error(analytic: float, numerical: float) -> float:
    """|a - n| / max(|a| + |n|, 1e-8); equal infinities agree, anything else non-finite fails."""
    if analytic == numerical:
        return 0.0
    if not (math.isfinite(analytic) and math.isfinite(numerical)):
        return math.inf
    return abs(analytic - numerical) / max(abs(analytic) + abs(numerical), FLOOR)


def verdict(error: float) -> str:
    """The CS231n reading of a relative error."""
    return next(text for bound, text in VERDICTS if error <= bound)


def gradcheck(graph: Graph, inputs: Mapping[str, float], h: float = DEFAULT_H,
              threshold: float = DEFAULT_THRESHOLD, upstream: float | None = None,
              probe: Graph | None = None, arithmetic: Arithmetic = FLOAT) -> GradCheck:
    """Check d output / d input for every input at ``inputs`` (floats).

    ``probe`` is the graph searched for kinks (the expanded graph, so kinks inside
    composite and user-defined gates are seen); by default ``graph`` itself. ``arithmetic``
    must be a float64 one (it gives the analytic gradients and the forward values).
    """
    trace = evaluate(graph, inputs, arithmetic, upstream)
    scale = trace.grads[graph.output]
    checks = []
    for name, node in graph.inputs.items():
        quotient, largest, note = _difference(graph, inputs, name, h)
        analytic, numerical = float(trace.grads[node]), quotient * scale
        error = relative_error(analytic, numerical)
        kinks = _kinks_crossed(probe or graph, inputs, name, h)
        noise = NOISE_FACTOR * largest / h * abs(scale)
        rounding = error > VERDICTS[0][0] and abs(analytic - numerical) <= noise
        passed = bool(kinks) or error <= threshold or rounding
        if kinks:
            reading = "step crosses a kink"
        elif rounding:
            reading = "within rounding noise"
            note = note or (f"|analytic - numerical| = {abs(analytic - numerical):.1e} is "
                            f"within the rounding noise {noise:.1e} of the difference "
                            "quotient (the output is large compared with its gradient)")
        else:
            reading = verdict(error)
        if note.startswith("one-sided") and not passed:
            note += "; try a smaller --h"
        checks.append(InputCheck(name, analytic, numerical, error, reading, passed, kinks,
                                 note))
    return GradCheck(graph.names[graph.output], float(trace.value), float(scale), h,
                     threshold, tuple(checks))


def _at(graph: Graph, inputs: Mapping[str, float], name: str, x: float) -> float | None:
    """The output with input ``name`` set to ``x``; None outside a gate's domain."""
    try:
        return float(forward(graph, {**inputs, name: x})[graph.output])
    except DomainError:
        return None


def _difference(graph: Graph, inputs: Mapping[str, float], name: str,
                h: float) -> tuple[float, float, str]:
    """The difference quotient d output / d name, the largest |output| it used (for the
    rounding noise), and a note when it had to be one-sided."""
    x = float(inputs[name])
    right, left = x + h, x - h
    f_right, f_left = _at(graph, inputs, name, right), _at(graph, inputs, name, left)
    if f_right is not None and f_left is not None:
        return (f_right - f_left) / (right - left), max(abs(f_right), abs(f_left)), ""
    centre = float(forward(graph, inputs)[graph.output])
    if f_right is not None:
        return ((f_right - centre) / (right - x), max(abs(f_right), abs(centre)),
                f"one-sided: {name} - h is outside the domain")
    if f_left is not None:
        return ((centre - f_left) / (x - left), max(abs(f_left), abs(centre)),
                f"one-sided: {name} + h is outside the domain")
    return math.nan, 0.0, f"both {name} - h and {name} + h are outside the domain"


def _sides(graph: Graph, values: list[float]) -> dict[int, int]:
    """For every kink gate, which side of its kink the operands are on (-1, 0, 1)."""
    sides = {}
    for node, gate in enumerate(graph.gates):
        if gate in KINK_GATES:
            args = graph.args[node]
            where = values[args[0]] if len(args) == 1 else values[args[0]] - values[args[1]]
            sides[node] = (where > 0) - (where < 0)
    return sides


def _kinks_crossed(graph: Graph, inputs: Mapping[str, float], name: str,
                   h: float) -> tuple[str, ...]:
    """Kink gates whose side changes between x - h, x and x + h (or that sit on the kink at x
    but not at x +- h)."""
    if not any(gate in KINK_GATES for gate in graph.gates):
        return ()
    x = float(inputs[name])
    seen: list[dict[int, int]] = []
    for point in (x - h, x, x + h):
        try:
            seen.append(_sides(graph, forward(graph, {**inputs, name: point}, FLOAT)))
        except DomainError:
            continue
    crossed = [node for node in seen[0] if len({s[node] for s in seen}) > 1] if seen else []
    return tuple(f"{graph.names[node]} = {graph.describe(node)}" for node in crossed)
