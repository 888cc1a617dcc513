"""Gradient check: every input's analytic gradient against a central difference.

The numerical gradient is ``upstream * (f(x + h) - f(x - h)) / (2h)`` in float64 (the step
actually taken, ``(x + h) - (x - h)``, is used as the divisor). The relative error is
``|a - n| / max(|a| + |n|, 1e-8)`` and is read as CS231n reads it: above 1e-2 probably
wrong, 1e-2 .. 1e-4 uncomfortable, 1e-4 .. 1e-7 fine only near a kink, below 1e-7 good.

An input fails when its relative error is above the threshold (default 1e-4), unless
  * the step crosses a kink (a relu/abs argument, or a max/min difference, changes sign or
    is zero within +-h): central differences are meaningless there, so it is reported, not
    failed; or
  * the difference is within the error of the difference quotient itself: rounding
    (``8 eps max|f(x +- h)| / h``) plus twice its truncation error, estimated from the
    quotient with step 2h. Then central differences cannot tell them apart (a gradient of
    exactly 0 at a minimum, a huge output with a small gradient).
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
NUMERICAL_ERROR = "within numerical error"
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
    def explained(self) -> int:
        return sum(1 for item in self.inputs if item.verdict == NUMERICAL_ERROR)

    @property
    def worst(self) -> float:
        """The largest relative error among inputs judged by it (not excused by a kink or
        by the difference quotient's own error)."""
        return max((item.relative_error for item in self.inputs
                    if not item.kinks and item.verdict != NUMERICAL_ERROR), default=0.0)


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
        difference = _difference(graph, inputs, name, h, arithmetic)
        analytic, numerical = float(trace.grads[node]), difference.quotient * scale
        error = relative_error(analytic, numerical)
        kinks = _kinks_crossed(probe or graph, inputs, name, h)
        uncertainty = difference.uncertainty * abs(scale)
        explained = error > VERDICTS[0][0] and abs(analytic - numerical) <= uncertainty
        passed = bool(kinks) or error <= threshold or explained
        note = difference.note
        if kinks:
            reading = "step crosses a kink"
        elif explained:
            reading = NUMERICAL_ERROR
            note = note or (f"|analytic - numerical| = {abs(analytic - numerical):.1e} is "
                            f"within the error of the difference quotient itself (about "
                            f"{uncertainty:.1e}: rounding and truncation)")
        else:
            reading = verdict(error)
        if note.startswith("one-sided") and not passed:
            note += "; try a smaller --h"
        checks.append(InputCheck(name, analytic, numerical, error, reading, passed, kinks,
                                 note))
    return GradCheck(graph.names[graph.output], float(trace.value), float(scale), h,
                     threshold, tuple(checks))


@dataclass(frozen=True)
class _Difference:
    """A difference quotient, how far off it may be by itself, and a note."""

    quotient: float
    uncertainty: float = 0.0
    note: str = ""


def _at(graph: Graph, inputs: Mapping[str, float], name: str, x: float,
        arithmetic: Arithmetic) -> float | None:
    """The output with input ``name`` set to ``x``; None outside a gate's domain."""
    try:
        return float(forward(graph, {**inputs, name: x}, arithmetic)[graph.output])
    except DomainError:
        return None


def _difference(graph: Graph, inputs: Mapping[str, float], name: str, h: float,
                arithmetic: Arithmetic) -> _Difference:
    """The central difference d output / d name with step h, and its own error: rounding
    (8 eps max|f| / h) plus twice the truncation error estimated from the step 2h
    (Richardson: the error of the h-quotient is about (D(2h) - D(h)) / 3)."""
    x = float(inputs[name])
    f = {k: _at(graph, inputs, name, x + k * h, arithmetic) for k in (-2, -1, 1, 2)}
    if f[1] is not None and f[-1] is not None:
        quotient = (f[1] - f[-1]) / ((x + h) - (x - h))
        uncertainty = NOISE_FACTOR * max(abs(f[1]), abs(f[-1])) / h
        if f[2] is not None and f[-2] is not None:
            wide = (f[2] - f[-2]) / ((x + 2 * h) - (x - 2 * h))
            uncertainty += 2 * abs(wide - quotient) / 3
        return _Difference(quotient, uncertainty)
    centre = float(forward(graph, inputs, arithmetic)[graph.output])
    if f[1] is not None:
        return _Difference((f[1] - centre) / ((x + h) - x),
                           note=f"one-sided: {name} - h is outside the domain")
    if f[-1] is not None:
        return _Difference((centre - f[-1]) / (x - (x - h)),
                           note=f"one-sided: {name} + h is outside the domain")
    return _Difference(math.nan, note=f"both {name} - h and {name} + h are outside the domain")


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
