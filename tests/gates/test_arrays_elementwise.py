"""The array path of every scalar gate agrees with the scalar path, element by element:
random expressions (tests/expression_gen.py) evaluated once on vectors of points equal, at
each element, the scalar evaluation at that point (values and gradients); an input given
as a number broadcasts and collects the sum of its elements' gradients. Points outside a
gate's domain must be refused for arrays as they are for numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from expression_gen import OK, OUTSIDE, points, program_text, trees, walk
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli import BackpropError, compile_program, evaluate
from backprop_cli.errors import DomainError

ELEMENTS = 3


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(trees(max_depth=4), st.data())
def test_array_path_equals_scalar_path_per_element(tree: object, data: st.DataObject) -> None:
    variables = tree.variables()  # type: ignore[attr-defined]
    assume(variables)
    chosen = [data.draw(points(variables)) for _ in range(ELEMENTS)]
    held = data.draw(st.sampled_from(sorted(variables))) if len(variables) > 1 else ""
    for point in chosen:  # the held input is one plain number for every element
        point.update({held: chosen[0][held]} if held else {})
    walks = [walk(tree, point) for point in chosen]  # type: ignore[arg-type]
    statuses = {w.status for w in walks}
    assume(statuses <= {OK, OUTSIDE})
    graph = compile_program(program_text(tree))  # type: ignore[arg-type]
    inputs = {name: np.array([p[name] for p in chosen]) for name in variables}
    if held:
        inputs[held] = chosen[0][held]
    upstream = np.array([1.5, -0.5, 2.0])
    if OUTSIDE in statuses:
        with pytest.raises(DomainError):
            evaluate(graph, inputs, upstream=upstream)
        return
    try:
        trace = evaluate(graph, inputs, upstream=upstream)
    except BackpropError:  # a value the walk calls fine may still overflow a double
        assume(False)
    for index, point in enumerate(chosen):
        scalar = evaluate(graph, point)
        assert math.isclose(trace.value[index], scalar.value, rel_tol=1e-9, abs_tol=1e-12)
        for name in variables - {held}:
            assert math.isclose(trace.gradients[name][index],
                                upstream[index] * scalar.gradients[name],
                                rel_tol=1e-7, abs_tol=1e-9), (name, index)
    if held:
        expected = sum(upstream[i] * evaluate(graph, p).gradients[held]
                       for i, p in enumerate(chosen))
        assert math.isclose(float(trace.gradients[held]), expected, rel_tol=1e-7,
                            abs_tol=1e-9)
