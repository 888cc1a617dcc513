"""Gradient check: every input's analytic gradient against a central difference.

The numerical gradient is ``upstream * (f(x + h) - f(x - h)) / (2h)`` in float64 (the step
actually taken, ``(x + h) - (x - h)``, is used as the divisor). The relative error is
``|a - n| / max(|a| + |n|, 1e-8)`` and is read as CS231n reads it: above 1e-2 probably
wrong, 1e-2 .. 1e-4 uncomfortable, 1e-4 .. 1e-7 fine only near a kink, below 1e-7 good.

An input fails when its relative error is above the threshold (default 1e-4), unless
  * the step crosses a kink (a relu/abs argument, or a max/min difference, changes sign or
    is zero within +-h; in array gates, a hinge margin changes sign or another element
    becomes the largest or smallest of amax/amin): central differences are meaningless
    there, so it is reported, not failed; or
  * the difference is within the error of the difference quotient itself: rounding
    (``8 eps max|f(x +- h)| / h``) plus twice its truncation error, estimated from the
    quotient with step 2h. Then central differences cannot tell them apart (a gradient of
    exactly 0 at a minimum, a huge output with a small gradient).
When ``x + h`` or ``x - h`` leaves a gate's domain, a one-sided difference is used.
Array inputs are checked element by element; an array output through
``L = sum(upstream * output)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..engine.evaluate import evaluate
from ..engine.reference import forward
from ..errors import DomainError
from ..gates.arithmetic import FLOAT, Arithmetic
from ..gates.table import GATES as TABLE
from ..graph.graph import Graph

DEFAULT_H = 1e-5
DEFAULT_THRESHOLD = 1e-4
FLOOR = 1e-8
NOISE_FACTOR = 8 * 2.0**-52
# the piecewise-linear gates: the sign of ``switch`` (of the operands) picks the piece
SWITCHES = {row.name: row.switch for row in TABLE if row.switch is not None}
NUMERICAL_ERROR = "within numerical error"
NOT_FINITE = "not checkable"
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
    upstream: Any
    h: float
    threshold: float
    inputs: tuple[InputCheck, ...]
    skipped: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.inputs)

    @property
    def kinked(self) -> int:
        return sum(1 for item in self.inputs if item.kinks)

    @property
    def not_checkable(self) -> int:
        return sum(1 for item in self.inputs if item.verdict == NOT_FINITE)

    @property
    def explained(self) -> int:
        return sum(1 for item in self.inputs if item.verdict == NUMERICAL_ERROR)

    @property
    def worst(self) -> float:
        """The largest relative error among inputs judged by it (not excused by a kink or
        by the difference quotient's own error)."""
        return max((item.relative_error for item in self.inputs
                    if not item.kinks and item.verdict not in (NUMERICAL_ERROR, NOT_FINITE)),
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


def gradcheck(graph: Graph, inputs: Mapping[str, Any], h: float = DEFAULT_H,
              threshold: float = DEFAULT_THRESHOLD, upstream: Any = None,
              probe: Graph | None = None, arithmetic: Arithmetic = FLOAT) -> GradCheck:
    """Check d output / d input for every input at ``inputs`` (float64).

    ``probe`` is the graph searched for kinks (the expanded graph, so kinks inside
    composite and user-defined gates are seen); by default ``graph`` itself. ``arithmetic``
    must be a float64 one (it gives the analytic gradients and the forward values).
    An array input is checked element by element (a random sample when it is larger than
    ``_sample_size`` allows) and reported by its worst element; an array output through
    ``L = sum(upstream * output)``.
    """
    trace = evaluate(graph, inputs, arithmetic, upstream)
    seed = trace.grads[graph.output]
    point = _Point(graph, inputs, arithmetic, seed, trace.arrays)
    checks, skipped = [], []
    for name, node in graph.inputs.items():
        if not graph.requires_grad[node]:  # labels, or held with --no-grad: no gradient
            skipped.append(name)
            continue
        gradient = trace.grads[node]
        indices = _indices(gradient, _sample_size(graph, trace.values))
        results = [_check_element(point, probe or graph, name, index,
                                  float(gradient if index is None else gradient[index]),
                                  h, threshold) for index in indices]
        checks.append(_worst(results, int(getattr(gradient, "size", 1))).check(name))
    return GradCheck(graph.names[graph.output], _summary_value(trace.value), seed, h,
                     threshold, tuple(checks), tuple(skipped))


MAX_ELEMENTS = 1000
MIN_SAMPLE = 10  # CS231n's grad_check_sparse checks 10 random entries
SAMPLE_SEED = 0
# element operations one input's check may spend (4 forward passes per checked element)
WORK_BUDGET = 400_000_000


def _sample_size(graph: Graph, values: list[Any]) -> int:
    """How many elements of a large array input to check: up to MAX_ELEMENTS, fewer when
    one forward pass is long (randn(3000, 3000): 10), at least MIN_SAMPLE."""
    per_pass = sum(int(getattr(value, "size", 1)) for value in values) + len(graph)
    return max(MIN_SAMPLE, min(MAX_ELEMENTS, WORK_BUDGET // (4 * per_pass)))


def _summary_value(value: Any) -> float:
    """A number for the report: the value itself, or the first element of an array."""
    return float(value.flat[0]) if getattr(value, "ndim", 0) else float(value)


def _indices(gradient: Any, sample: int = MAX_ELEMENTS) -> list[tuple[int, ...] | None]:
    """Every element's index of an array gradient, or, when it has more than ``sample``,
    a random sample of that many (numpy's default_rng(SAMPLE_SEED), in index order) as
    CS231n's grad_check_sparse; ``[None]`` for a number."""
    if not getattr(gradient, "ndim", 0):
        return [None]
    import numpy as np

    flat = range(gradient.size) if gradient.size <= sample else np.sort(
        np.random.default_rng(SAMPLE_SEED).choice(gradient.size, sample, replace=False))
    return [tuple(int(i) for i in np.unravel_index(int(k), gradient.shape)) for k in flat]


@dataclass(frozen=True)
class _Element:
    """The check of one element of one input."""

    index: tuple[int, ...] | None
    analytic: float
    numerical: float
    error: float
    reading: str
    passed: bool
    kinks: tuple[str, ...]
    note: str

    def check(self, name: str) -> InputCheck:
        return InputCheck(name, self.analytic, self.numerical, self.error, self.reading,
                          self.passed, self.kinks, self.note)


def _worst(results: list[_Element], size: int) -> _Element:
    """An input's report: its worst element (a failure first, else the largest error among
    the elements a step did not cross a kink at), with what the other elements showed."""
    if len(results) == 1 and results[0].index is None:
        return results[0]
    kinked = [r for r in results if r.kinks]
    checked = [r for r in results if not r.kinks] or kinked
    worst = max(checked, key=lambda r: (not r.passed, r.error))
    sampled = f" (a random sample of {len(results)} of {size:,}, seed {SAMPLE_SEED})" \
        if len(results) < size else ""
    notes = [f"worst of {len(results)} elements{sampled} at {_index(worst.index)}"]
    if kinked and worst not in kinked:
        at = ", ".join(_index(r.index) for r in kinked[:3]) + (", ..." if len(kinked) > 3 else "")
        notes.append(f"{len(kinked)} not checked: the step crosses the kink of "
                     f"{kinked[0].kinks[0]} at {at}")
    if worst.note:
        notes.append(worst.note)
    return replace(worst, note="; ".join(notes))


def _index(index: tuple[int, ...] | None) -> str:
    return "[" + ", ".join(map(str, index or ())) + "]"


def _check_element(point: _Point, probe: Graph, name: str, index: tuple[int, ...] | None,
                   analytic: float, h: float, threshold: float) -> _Element:
    difference = point.difference(name, index, h)
    numerical = difference.quotient
    error = relative_error(analytic, numerical)
    if not math.isfinite(numerical) and error:
        return _Element(index, analytic, numerical, error, NOT_FINITE, True, (),
                        difference.note or "the circuit is not finite within a step of "
                        "the point (overflow): central differences cannot check it")
    kinks = _kinks_crossed(point.moved(probe), name, index, h)
    explained = error > VERDICTS[0][0] and abs(analytic - numerical) <= difference.uncertainty
    passed = bool(kinks) or error <= threshold or explained
    note = difference.note
    if kinks:
        reading = "step crosses a kink"
    elif explained:
        reading = NUMERICAL_ERROR
        note = note or (f"|analytic - numerical| = {abs(analytic - numerical):.1e} is "
                        f"within the error of the difference quotient itself (about "
                        f"{difference.uncertainty:.1e}: rounding and truncation)")
    else:
        reading = verdict(error)
    if note.startswith("one-sided") and not passed:
        note += "; try a smaller --h"
    return _Element(index, analytic, numerical, error, reading, passed, kinks, note)


@dataclass(frozen=True)
class _Difference:
    """A difference quotient, how far off it may be by itself, and a note."""

    quotient: float
    uncertainty: float = 0.0
    note: str = ""


@dataclass(frozen=True)
class _Point:
    """The circuit at the checked inputs: evaluates ``L = sum(seed * output)`` with one
    element of one input moved (numbers in the scalar engine, arrays in numpy's)."""

    graph: Graph
    inputs: Mapping[str, Any]
    arithmetic: Arithmetic
    seed: Any
    arrays: bool

    def moved(self, graph: Graph) -> _Point:
        return replace(self, graph=graph)

    def with_element(self, name: str, index: tuple[int, ...] | None, x: float) -> dict[str, Any]:
        values = dict(self.inputs)
        if index is None:
            values[name] = x
        else:
            import numpy as np

            changed = np.array(values[name], dtype=float)
            changed[index] = x
            values[name] = changed
        return values

    def values(self, name: str, index: tuple[int, ...] | None, x: float) -> list[Any]:
        """Every node's value with the element set to ``x`` (DomainError outside a domain)."""
        inputs = self.with_element(name, index, x)
        if not self.arrays:
            return forward(self.graph, inputs, self.arithmetic)
        from ..engine.arrays import forward_arrays

        return forward_arrays(self.graph, inputs)

    def loss(self, name: str, index: tuple[int, ...] | None, x: float) -> float | None:
        """L with the element set to ``x``; None outside a gate's domain."""
        try:
            output = self.values(name, index, x)[self.graph.output]
        except DomainError:
            return None
        if not self.arrays:
            return float(self.seed * output)
        import numpy as np

        return float(np.sum(np.asarray(self.seed, dtype=float) * np.asarray(output, dtype=float)))

    def start(self, name: str, index: tuple[int, ...] | None) -> float:
        value = self.inputs[name]
        if index is None:
            return float(value)
        import numpy as np

        return float(np.asarray(value, dtype=float)[index])

    def difference(self, name: str, index: tuple[int, ...] | None, h: float) -> _Difference:
        """The central difference dL / d element with step h, and its own error: rounding
        (8 eps max|L| / h) plus twice the truncation error estimated from the step 2h
        (Richardson: the error of the h-quotient is about (D(2h) - D(h)) / 3)."""
        x = self.start(name, index)
        label = name if index is None else f"{name}[{', '.join(map(str, index))}]"
        if x + h == x or x - h == x:  # 1e308 + 1e-5: no step to divide by
            return _Difference(math.nan, note=f"{label} +- h is {label} itself (h is below "
                               "the spacing of doubles there): use a larger --h")
        f = {k: self.loss(name, index, x + k * h) for k in (-2, -1, 1, 2)}
        if f[1] is not None and f[-1] is not None:
            quotient = (f[1] - f[-1]) / ((x + h) - (x - h))
            uncertainty = NOISE_FACTOR * max(abs(f[1]), abs(f[-1])) / h
            if f[2] is not None and f[-2] is not None:
                wide = (f[2] - f[-2]) / ((x + 2 * h) - (x - 2 * h))
                uncertainty += 2 * abs(wide - quotient) / 3
            return _Difference(quotient, uncertainty)
        centre = self.loss(name, index, x)
        assert centre is not None  # the point itself was evaluated before
        if f[1] is not None:
            return _Difference((f[1] - centre) / ((x + h) - x),
                               note=f"one-sided: {label} - h is outside the domain")
        if f[-1] is not None:
            return _Difference((centre - f[-1]) / (x - (x - h)),
                               note=f"one-sided: {label} + h is outside the domain")
        return _Difference(math.nan,
                           note=f"both {label} - h and {label} + h are outside the domain")


Structural = dict[str, Callable[[Any, Any, Any], Any]]


def _structural_sides(graph: Graph) -> Structural:
    """The array gates with kinks (hinge, amax, amin) and how to tell their side."""
    if not graph.uses_arrays:
        return {}
    from ..gates.array_gates import ARRAY_GATES

    return {name: gate.sides for name, gate in ARRAY_GATES.items() if gate.sides is not None}


def _sides(graph: Graph, values: list[Any], structural: Structural) -> dict[int, Any]:
    """For every kink gate, which side of its kink the operands are on (-1, 0, 1; an array
    of them for array values; for a structural gate, what its ``sides`` says)."""
    sides: dict[int, Any] = {}
    for node, gate in enumerate(graph.gates):
        args = graph.args[node]
        if gate in SWITCHES:
            where = SWITCHES[gate]([values[a] for a in args])
            sides[node] = (where > 0) * 1 - (where < 0) * 1
        elif gate in structural:
            sides[node] = structural[gate]([values[a] for a in args], values[node],
                                           graph.attrs.get(node, ()))
    return sides


def _differ(first: Any, second: Any) -> bool:
    changed = first != second
    return bool(changed.any()) if hasattr(changed, "any") else bool(changed)


def _kinks_crossed(point: _Point, name: str, index: tuple[int, ...] | None,
                   h: float) -> tuple[str, ...]:
    """Kink gates whose side changes between x - h, x and x + h (or that sit on the kink at x
    but not at x +- h)."""
    graph = point.graph
    structural = _structural_sides(graph)
    if not any(gate in SWITCHES or gate in structural for gate in graph.gates):
        return ()
    x = point.start(name, index)
    seen: list[dict[int, Any]] = []
    for at in (x - h, x, x + h):
        try:
            seen.append(_sides(graph, point.values(name, index, at), structural))
        except DomainError:
            continue
    crossed = [node for node in (seen[0] if seen else {})
               if any(_differ(seen[0][node], other[node]) for other in seen[1:])]
    return tuple(_kink_text(graph, node, structural) for node in crossed)


def _kink_text(graph: Graph, node: int, structural: Structural) -> str:
    """``t2 = relu(x)``; a structural gate says which kink: ``(a margin of exactly 0)``."""
    text = f"{graph.names[node]} = {graph.describe(node)}"
    if graph.gates[node] not in structural:
        return text
    from ..gates.array_gates import ARRAY_GATES

    return f"{text} ({ARRAY_GATES[graph.gates[node]].kink_where})"
