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

A quotient with the given h that disagrees is not trusted by itself (h may be far too
coarse for a stiff circuit, or too fine for a huge output): the step is then chosen for the
input. Starting from ``h * 10**k`` for every k in ``LADDER``, a Richardson tableau over
s, s/2, s/4 gives an estimate and its error (the last two extrapolations' difference plus
rounding); the start with the smallest error wins (steps that cross a kink or leave a domain
are skipped). The input fails only when that estimate is trustworthy (its error below
``TRUSTED`` of its size) and disagrees beyond the threshold and beyond its error; when no
start gives a trustworthy quotient it is "not checkable", not failed.
Array inputs are checked element by element; an array output through
``L = sum(upstream * output)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from ..engine.evaluate import evaluate
from ..engine.reference import forward
from ..engine.trace import Trace
from ..errors import DomainError
from ..gates.arithmetic import FLOAT, Arithmetic
from ..gates.table import GATES as TABLE
from ..graph.graph import CONST, INPUT, Graph
from ..limits import current, exceeded

DEFAULT_H = 1e-5
DEFAULT_THRESHOLD = 1e-4
FLOOR = 1e-8
NOISE_FACTOR = 8 * 2.0**-52
# the piecewise-linear gates: the sign of ``switch`` (of the operands) picks the piece
SWITCHES = {row.name: row.switch for row in TABLE if row.switch is not None}
NUMERICAL_ERROR = "within numerical error"
NOT_FINITE = "not checkable"
LADDER = (2, 1, -1, -2, -3, -4, -5, -6)  # the starts h * 10**k tried when h disagrees
TRUSTED = 1e-3  # an estimate whose own error is below this share of its size is trusted
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
    point = _Point(graph, inputs, arithmetic, seed, trace.arrays, _rounding(trace))
    checked = [(name, node) for name, node in graph.inputs.items() if graph.requires_grad[node]]
    # labels, or held with --no-grad: no gradient to check
    skipped = [name for name, node in graph.inputs.items() if not graph.requires_grad[node]]
    sample = _sample_size(graph, trace.values)
    plan = [(name, node, _indices(trace.grads[node], sample)) for name, node in checked]
    _check_work(graph, sum(len(indices) for _, _, indices in plan))
    checks = []
    for name, node, indices in plan:
        gradient = trace.grads[node]
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
PASSES = 4


def _check_work(graph: Graph, elements: int) -> None:
    """Refuse a check of more forward passes over the graph than node-evaluations allows
    (four passes a checked element: 64 inputs of a 10^6-gate graph took 145 s)."""
    work = PASSES * elements * len(graph.gates)
    if work > current().node_evaluations:
        raise exceeded(f"the node evaluations of checking {elements:,} numbers (the inputs "
                       f"and the sampled array elements), {PASSES} forward passes each over "
                       f"{len(graph.gates):,} nodes", work, "node_evaluations")


def _sample_size(graph: Graph, values: list[Any]) -> int:
    """How many elements of a large array input to check: up to MAX_ELEMENTS, fewer when
    one forward pass is long (randn(3000, 3000): 10), at least MIN_SAMPLE."""
    per_pass = sum(int(getattr(value, "size", 1)) for value in values) + len(graph)
    return max(MIN_SAMPLE, min(MAX_ELEMENTS, WORK_BUDGET // (PASSES * per_pass)))


def _rounding(trace: Trace) -> float:
    """How far rounding may move L: every computed node's rounding carried to the output by
    its gradient, summed (eps * sum max(|v|, 1) |dL/dv| over the gates: a gate may round
    at the scale of 1 inside, as log(1 + exp(-25)) does, whatever its value)."""
    graph = trace.graph
    total = 0.0
    for node, gate in enumerate(graph.gates):
        if gate in (INPUT, CONST):
            continue
        term = _carried(trace.values[node], trace.grads[node])
        total += term if math.isfinite(term) else 0.0
    return 2.0**-52 * total


def _carried(value: Any, gradient: Any) -> float:
    """sum max(|v|, 1) |dL/dv| over a node's elements (numbers without numpy)."""
    if not hasattr(value, "ndim") and not hasattr(gradient, "ndim"):
        return max(abs(float(value)), 1.0) * abs(float(gradient))
    import numpy as np

    with np.errstate(all="ignore"):
        return float(np.sum(np.maximum(np.abs(np.asarray(value, dtype=float)), 1.0)
                            * np.abs(np.asarray(gradient, dtype=float))))


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
    if not passed:
        chosen = _chosen_step(point, probe, name, index, analytic, h, threshold)
        return replace(chosen, note="; ".join(filter(None, (note, chosen.note))))
    return _Element(index, analytic, numerical, error, reading, passed, kinks, note)


def _chosen_step(point: _Point, probe: Graph, name: str, index: tuple[int, ...] | None,
                 analytic: float, h: float, threshold: float) -> _Element:
    """The check with the step chosen for this input (the given h disagreed)."""
    floor = _measured_noise(point, name, index)
    found = [estimate for k in LADDER if (estimate := _richardson(
        point, probe, name, index, h * 10.0**k, floor)) is not None]
    if _moves(point, name, index, h):  # then a start that sees no change at all is too fine
        found = [estimate for estimate in found if not estimate.flat]
    if not found:
        return _Element(index, analytic, math.nan, math.nan, NOT_FINITE, True, (),
                        f"with h = {h:g} the quotient disagrees, and no other step gives a "
                        "quotient (a kink or a domain edge is near)")
    best = _with_spread(found, min(range(len(found)), key=lambda i: found[i].uncertainty))
    settled = best.smooth and len(found) > 1 and all(
        abs(e.quotient - best.quotient) <= e.uncertainty + best.uncertainty for e in found)
    return _judged(index, analytic, best, settled, h, threshold)


def _judged(index: tuple[int, ...] | None, analytic: float, best: _Estimate, settled: bool,
            h: float, threshold: float) -> _Element:
    """The chosen step's verdict: agrees, within its own error, not checkable (the estimate
    is too uncertain for its size; a quotient near 0 is measured against the disagreement
    only when every start agrees on it, ``settled``), or wrong."""
    error = relative_error(analytic, best.quotient)
    scale = max(abs(best.quotient), abs(analytic - best.quotient) if settled else 0)
    step = f"step {best.step:.0e} (Richardson extrapolation, own error {best.uncertainty:.1e})"
    if error <= threshold:
        return _Element(index, analytic, best.quotient, error, verdict(error), True, (),
                        f"h = {h:g} is a poor step here; the quotient with {step} agrees")
    if abs(analytic - best.quotient) <= 4 * best.uncertainty:
        return _Element(index, analytic, best.quotient, error, NUMERICAL_ERROR, True, (),
                        f"the quotient with {step} agrees within its own error")
    if best.uncertainty > TRUSTED * scale:
        return _Element(index, analytic, best.quotient, error, NOT_FINITE, True, (),
                        f"no step gives a trustworthy quotient (the best, {step}, "
                        f"is too uncertain): central differences cannot check it")
    return _Element(index, analytic, best.quotient, error, verdict(error), False, (),
                    f"the quotient disagrees also with {step}")


def _with_spread(found: list[_Estimate], at: int) -> _Estimate:
    """The estimate at ``at``, its error widened to how far its neighbours (the next larger
    and smaller starts) lie from it: an error estimate is itself only an estimate."""
    best = found[at]
    spread = max((abs(found[i].quotient - best.quotient) for i in (at - 1, at + 1)
                  if 0 <= i < len(found)), default=0.0)
    return replace(best, uncertainty=max(best.uncertainty, spread))


@dataclass(frozen=True)
class _Estimate:
    """A Richardson-extrapolated quotient from the start ``step``, and its own error."""

    quotient: float
    uncertainty: float
    step: float
    smooth: bool  # second differences shrink as a smooth function's do, or are rounding
    flat: bool  # L is the same at every step: no change seen at all


def _moves(point: _Point, name: str, index: tuple[int, ...] | None, h: float) -> bool:
    """Whether L changes at all within the largest steps tried (a gate's rounding can hide
    a small change entirely: log(1 + exp(-25)) is the same for x and x + 1e-7)."""
    x = point.start(name, index)
    centre = point.loss(name, index, x)
    return any(point.loss(name, index, x + sign * h * 10.0**k) not in (centre, None)
               for k in LADDER[:2] for sign in (1, -1))


def _measured_noise(point: _Point, name: str, index: tuple[int, ...] | None) -> float:
    """How much rounding moves L near the point, measured: the largest second difference
    |L(x + d) - 2 L(x) + L(x - d)| over tiny steps d (a gate may round far more than its
    value shows: log(1 + exp(-20)) keeps only 1e-16 of 1)."""
    x = point.start(name, index)
    centre = point.loss(name, index, x)
    if centre is None:
        return 0.0
    scale = max(abs(x), 1.0)
    largest = 0.0
    for d in (3e-9, 1e-9, 3e-10, 1e-10, 3e-11, 1e-11):
        ahead, behind = point.loss(name, index, x + d * scale), \
            point.loss(name, index, x - d * scale)
        if ahead is not None and behind is not None:
            largest = max(largest, abs(ahead - 2 * centre + behind))
    return largest if math.isfinite(largest) else 0.0


def _richardson(point: _Point, probe: Graph, name: str, index: tuple[int, ...] | None,
                step: float, floor: float = 0.0) -> _Estimate | None:
    """Central differences with s, s/2, s/4, s/8 extrapolated (errors h**2, h**4, h**6);
    the error is the last two extrapolations' difference plus three times the rounding
    (modelled, plus ``floor`` as measured). None when a step crosses a kink, leaves a
    domain or gives a non-finite value, or when the quotients do not converge."""
    if _kinks_crossed(point.moved(probe), name, index, step):
        return None
    samples = _Samples.taken(point, name, index, step)
    if samples is None:
        return None
    noise = max((model + floor) / s for model, s in zip(samples.rounding, samples.steps,
                                                        strict=True))
    if not _shrinking([a - b for a, b in pairwise(samples.quotients)], noise):
        return None
    levels = [samples.quotients]
    for power in (4, 16, 64):
        levels.append([(power * b - a) / (power - 1) for a, b in pairwise(levels[-1])])
    best = levels[3][0]
    uncertainty = abs(best - levels[2][1]) + 3 * noise
    if not (math.isfinite(best) and math.isfinite(uncertainty)):
        return None
    smooth = _shrinking(samples.curvature, max(samples.rounding))
    flat = not any(samples.quotients) and not any(samples.curvature)
    return _Estimate(best, uncertainty, step, smooth, flat)


@dataclass(frozen=True)
class _Samples:
    """L around the point at the steps s, s/2, s/4, s/8: the central quotients, the second
    differences L(x + s) - 2 L(x) + L(x - s), and the modelled rounding of L there."""

    steps: tuple[float, ...]
    quotients: list[float]
    curvature: list[float]
    rounding: list[float]

    @staticmethod
    def taken(point: _Point, name: str, index: tuple[int, ...] | None,
              step: float) -> _Samples | None:
        x = point.start(name, index)
        centre = point.loss(name, index, x)
        steps = (step, step / 2, step / 4, step / 8)
        quotients, curvature, rounding = [], [], []
        for s in steps:
            ahead, behind = point.loss(name, index, x + s), point.loss(name, index, x - s)
            if ahead is None or behind is None or centre is None or (x + s) == (x - s):
                return None
            quotients.append((ahead - behind) / ((x + s) - (x - s)))
            curvature.append(ahead - 2 * centre + behind)
            rounding.append(NOISE_FACTOR * max(abs(ahead), abs(behind)) + 8 * point.rounding)
        return _Samples(steps, quotients, curvature, rounding)


def _shrinking(values: list[float], noise: float) -> bool:
    """Whether halving the step shrinks each value 2.5 to 20 times (an error of order h**2
    shrinks 4 times, h**4 16 times), or the values are only rounding (within 4 ``noise``)."""
    for larger, smaller in pairwise(values):
        if max(abs(larger), abs(smaller)) <= 4 * noise:
            continue
        if smaller == 0 or not 2.5 <= larger / smaller <= 20:
            return False
    return True


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
    rounding: float = 0.0

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
