"""Gradient descent on a circuit's output: forward, loss, backward, update; repeated.

The output is the loss; each step moves every parameter against its gradient,
``p <- p - lr * dloss/dp``, and evaluates again. Values may be floats or exact sympy
numbers (any type with ``-`` and ``*``). Parameters can be written out as ``NAME=VALUE``
lines or JSON and read back, so a later run continues where this one stopped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ..engine.evaluate import evaluate
from ..engine.reference import check_inputs
from ..engine.trace import Trace, Value
from ..errors import BackpropError, DomainError, InputError
from ..gates.arithmetic import FLOAT, Arithmetic
from ..graph.graph import Graph
from ..inputs.values import coerce_value, parse_assignments
from ..limits import EXACT_BYTES, FLOAT_BYTES, STEP_BYTES, check_memory, exceeded
from ..limits import current as current_limits
from ..numformat import exact_text, format_value


@dataclass(frozen=True)
class Update:
    """One step: the loss before, the parameters' gradients, their new values, the loss
    after."""

    step: int
    loss_before: Value
    gradients: dict[str, Value]
    params: dict[str, Value]
    loss_after: Value


@dataclass
class Descent:
    """A run of gradient descent: where it started and every update."""

    loss: str
    lr: Value
    start: dict[str, Value]
    updates: list[Update] = field(default_factory=list)

    @property
    def params(self) -> dict[str, Value]:
        """The parameters after the last update."""
        return self.updates[-1].params if self.updates else dict(self.start)


def check_params(graph: Graph, params: Sequence[str]) -> None:
    """Parameters are inputs of the circuit, each named once."""
    if not params:
        raise InputError("give the parameters to train with --params NAME,NAME")
    for name in params:
        if name not in graph.inputs:
            known = ", ".join(graph.inputs) or "none"
            raise InputError(f"--params: {name!r} is not an input of the circuit "
                             f"(its inputs: {known})")
    if len(set(params)) != len(params):
        raise InputError("--params: a parameter is named twice")


def descend(graph: Graph, values: Mapping[str, Value], params: Sequence[str], lr: Value,
            iters: int = 1, arithmetic: Arithmetic = FLOAT) -> Descent:
    """``iters`` steps of gradient descent on ``graph``'s output from ``values``."""
    check_params(graph, params)
    check_inputs(graph, values)  # a parameter without a value is named, not a KeyError
    current = dict(values)
    run = Descent(graph.names[graph.output], lr, {p: current[p] for p in params})
    _check_history(params, current, iters, arithmetic)
    _check_work(graph, iters)
    trace = evaluate(graph, current, arithmetic)
    _refuse_divergence(trace, params, "at the start")
    for step in range(1, iters + 1):
        gradients = {p: trace.grads[graph.inputs[p]] for p in params}
        for name, gradient in gradients.items():
            current[name] = current[name] - lr * gradient
        before = trace.value
        try:
            trace = evaluate(graph, current, arithmetic)
            _refuse_divergence(trace, params, "")
        except BackpropError as error:
            error.message = f"after step {step} (lr {format_value(lr)}): {error.message}"
            raise
        run.updates.append(Update(step, before, gradients, {p: current[p] for p in params},
                                  trace.value))
    return run


def _check_history(params: Sequence[str], values: Mapping[str, Value], iters: int,
                   arithmetic: Arithmetic) -> None:
    """Every step keeps its parameters and gradients (the report shows them): refuse a
    descent whose history would not fit in --limit memory before it starts."""
    per_element = EXACT_BYTES if arithmetic.exact else FLOAT_BYTES
    elements = sum(int(getattr(values[p], "size", 1)) for p in params)
    check_memory(f"{iters:,} steps of {', '.join(params)} (each step keeps the parameters "
                 "and their gradients; fewer --iters)",
                 (2 * elements * per_element + STEP_BYTES) * iters)


def _check_work(graph: Graph, iters: int) -> None:
    """Each step evaluates every node forward and backward: refuse a descent of more node
    evaluations than the limit allows before it starts (10^5 gates for 1,000 steps)."""
    work = len(graph.gates) * (iters + 1)
    if work > current_limits().node_evaluations:
        raise exceeded(f"the node evaluations of {iters:,} steps of {len(graph.gates):,} "
                       "nodes (fewer --iters)", work, "node_evaluations")


def _refuse_divergence(trace: Trace, params: Sequence[str], when: str) -> None:
    """A loss or a parameter's gradient that is inf or nan ends the descent: IEEE-754 would
    carry on (docs/numerics.md), but every later step would be nan."""
    if trace.exact:
        return
    graph = trace.graph
    watched = [trace.value, *(trace.grads[graph.inputs[p]] for p in params)]
    if all(_finite(value) for value in watched):
        return
    ieee = [note for note in trace.notes if note.message.startswith(
        ("overflow", "not a number", "the gradient"))]
    node = ieee[0].node if ieee else graph.output
    what = trace.warning(ieee[0]) if ieee else f"the loss is {format_value(trace.value)}"
    prefix = f"{when}: " if when else ""
    what = what.split("; IEEE-754")[0].split("; --strict")[0]
    raise DomainError(f"{prefix}{what}; the descent diverged (try a smaller --lr)",
                      source=graph.source, span=graph.span(node))


def _finite(value: Value) -> bool:
    if getattr(value, "ndim", 0):
        import numpy as np

        return bool(np.isfinite(value).all())
    return math.isfinite(value)


def params_text(params: Mapping[str, Value], fmt: str) -> str:
    """``NAME=VALUE`` lines (``fmt`` "lines") or a JSON object (``fmt`` "json"), full
    precision; exact rationals stay exact (``3/4``); arrays as nested lists."""
    plain = {name: _plain(value) for name, value in params.items()}
    if fmt == "json":
        return json.dumps(plain, indent=2) + "\n"
    return "".join(f"{name}={_text(value)}\n" for name, value in plain.items())


def _plain(value: Value) -> float | str | list[object]:
    """A float, an exact fraction as text (``"3/4"``), or an array as nested lists."""
    if getattr(value, "ndim", 0):
        return [_plain(item) for item in value]
    if getattr(value, "is_Rational", isinstance(value, Fraction)) and \
            getattr(value, "denominator", 1) != 1:
        return str(value)
    return float(value)


def _text(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return repr(value) if isinstance(value, float) else exact_text(value)


def read_params(text: str, where: str, arithmetic: Arithmetic = FLOAT) -> dict[str, Value]:
    """Values written by ``params_text``: a JSON object, or NAME=VALUE lines (blank lines
    and ``#`` comments skipped)."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{where} is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise InputError(f"{where} must hold a JSON object of NAME: VALUE")
        return {str(name): coerce_value(str(name), raw, arithmetic)
                for name, raw in data.items()}
    lines = [line.strip() for line in text.splitlines()]
    try:
        return parse_assignments([line for line in lines if line and not line.startswith("#")],
                                 arithmetic)
    except BackpropError as error:
        error.where = f"{error.where} in {where}" if error.where else where
        raise
