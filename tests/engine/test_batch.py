"""The batch engine gives, row by row, what the scalar engine (and so eval) gives."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from expression_gen import DISCARD, Node, program_text, trees, walk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate, run
from backprop_cli.engine.batch import MAX_CHUNK_ROWS, Batch, chunk_rows
from backprop_cli.engine.ieee import strict
from backprop_cli.errors import DomainError
from backprop_cli.graph.graph import Graph

# Values that hit kinks (0, ties), domain edges (log 0, sqrt of negatives, division by 0)
# and ordinary points.
POOL = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 0.1, -0.7, 1.3)


def same(a: float, b: float, tolerance: float = 1e-13, scale: float = 0.0) -> bool:
    """Equal, to the last bit or two: numpy's exp/tanh/tan/pow may round the last bit
    differently from the C library. A formula with cancellation, such as 1 - tanh(x)**2 for
    large x, turns that bit into an absolute error of about eps times the size of the terms:
    ``scale`` (the largest magnitude in the row) allows for it."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=max(1e-300, tolerance * scale))


_NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[+-]?\d+)?|inf|nan)")


def same_message(a: str | None, b: str, tolerance: float) -> bool:
    """The same words, and numbers (operand values) the same to the last bit or two."""
    if a is None or _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(same(float(x), float(y), tolerance)
               for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True))


def check_rows(graph: Graph, columns: dict[str, np.ndarray], rows: int,
               upstream: float | None = None, tolerance: float = 1e-13,
               trust: Callable[[dict[str, float]], str] | None = None) -> None:
    """Every row of the batch equals a scalar evaluation of that row: the same domain
    error, or the same numbers. ``trust`` grades a point: "full" (the default), "outcome"
    (near a kink or a domain edge: only error-or-not and which error must agree) or "none"
    (so ill-conditioned that neither engine's digits, nor even the sign of an intermediate
    value, mean anything: skipped)."""
    result = Batch(graph, upstream).run(columns, rows)
    for row in range(rows):
        inputs = {name: float(columns[name][row]) for name in graph.inputs}
        level = "full" if trust is None else trust(inputs)
        if level == "none":
            continue
        loose = level == "outcome"
        try:
            trace = evaluate(graph, inputs, upstream=upstream)
        except DomainError as error:
            got = result.errors.get(row)
            assert got is not None, (row, inputs, error.message)
            assert loose or same_message(got, error.message, tolerance), \
                (row, inputs, got, error.message)
            continue
        assert row not in result.errors, (row, inputs, result.errors.get(row))
        if loose:
            continue
        scale = max((abs(v) for v in (*trace.values, *trace.grads) if math.isfinite(v)),
                    default=0.0)
        assert same(result.value[row], trace.value, tolerance, scale), (row, inputs)
        for name, node in graph.inputs.items():
            assert same(result.grads[name][row], trace.grads[node], tolerance, scale), \
                (row, name, inputs)


def trust_for(tree: Node, graph: Graph) -> Callable[[dict[str, float]], str]:
    """How far a random program's result can be trusted at a point: the 50-digit walk
    discards points near kinks and edges (outcome only) and points with huge intermediate
    values (none); a point where nudging the inputs by a few ulps moves the result by more
    than the tolerance is ill-conditioned (none)."""

    def trust(point: dict[str, float]) -> str:
        walked = walk(tree, point)
        if walked.status == DISCARD:
            huge = any(word in walked.reason for word in ("huge", "too large", "pole"))
            return "none" if huge else "outcome"
        return "full" if well_conditioned(graph, point) else "none"

    return trust


def well_conditioned(graph: Graph, point: dict[str, float]) -> bool:
    try:
        base = evaluate(graph, point)
        nudged = evaluate(graph, {k: v * (1 + 4e-16) for k, v in point.items()})
    except DomainError:
        return True  # the outcome is what is compared there
    pairs = [(base.value, nudged.value), *zip(base.grads, nudged.grads, strict=True)]
    scale = max((abs(v) for v in (*base.values, *base.grads) if math.isfinite(v)),
                default=0.0)
    return all(same(a, b, 1e-12, scale) for a, b in pairs)


def pool_columns(graph: Graph, rows: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.choice(POOL, rows) for name in graph.inputs}


PROGRAMS = [
    "q = x + y; f = q * z",
    "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
    "f = relu(x) + max(x, y) * min(y, z) + abs(z)",
    "f = sqrt(x) + log(y) * z",
    "f = x / y + y ** z",
    "f = tanh(x) * sigmoid(y) + sin(z) - cos(x) + tan(y)",
    "a = x * y\nb = a + x\nc = b * a\nf = c - x",
    "c = x\nc += y\nc *= c\nf = c / 2",
    "f = 2 ** 3 * x + pi * y - e",
    "f = x ** 0.5 + (x - y) ** 2",
]


@pytest.mark.parametrize("program", PROGRAMS)
def test_batch_equals_eval_row_by_row(program: str) -> None:
    graph = compile_program(program)
    check_rows(graph, pool_columns(graph, 400, seed=len(program)), 400)


def test_the_lecture_circuits_over_random_rows() -> None:
    for name in ("sigmoid-neuron", "sigmoid-neuron-grouped", "simple-circuit", "max-gate"):
        trace = run(name)
        rng = np.random.default_rng(7)
        columns = {n: rng.standard_normal(300) * 3 for n in trace.graph.inputs}
        check_rows(trace.graph, columns, 300)


def test_kinks_follow_the_scalar_conventions() -> None:
    graph = compile_program("f = relu(x) + abs(x) + max(x, y) + min(x, y) + sqrt(y)")
    columns = {"x": np.array([0.0, 0.0, 1.0, -1.0]), "y": np.array([0.0, 1.0, 1.0, 4.0])}
    result = Batch(graph).run(columns, 4)
    # row 0: relu'(0) = 0, abs'(0) = 0, max/min ties give 0.5 each, sqrt'(0) = inf
    assert result.grads["x"][0] == 0 + 0 + 0.5 + 0.5
    assert result.grads["y"][0] == math.inf
    check_rows(graph, columns, 4)
    relu = graph.names.index("t1")
    assert result.kink_rows[relu] == 2


def test_domain_errors_mark_their_rows_only() -> None:
    graph = compile_program("f = log(x) + 1 / y + exp(z)")
    columns = {"x": np.array([1.0, -1.0, 2.0, 1.0]), "y": np.array([1.0, 1.0, 0.0, 1.0]),
               "z": np.array([0.0, 0.0, 0.0, 1000.0])}
    result = Batch(graph).run(columns, 4)
    assert sorted(result.errors) == [1, 2]
    assert result.errors[1].startswith("log is undefined for inputs <= 0 at node")
    assert result.errors[2].startswith("division by zero at node")
    assert result.value[0] == math.log(1.0) + 1.0 + 1.0
    assert result.value[3] == math.inf and result.ieee_rows == 1  # IEEE-754 carries on
    assert result.first_ieee is not None and result.first_ieee[0] == 3
    check_rows(graph, columns, 4)
    with strict():  # docs/numerics.md: then the overflow is the row's error, as in eval
        refused = Batch(graph).run(columns, 4)
        assert sorted(refused.errors) == [1, 2, 3]
        assert refused.errors[3].startswith("overflow")
        check_rows(graph, columns, 4)


def test_powers_out_of_range_give_evals_messages() -> None:
    graph = compile_program("f = x ** y")
    columns = {"x": np.array([2.0, 0.0, -8.0, 2.0]), "y": np.array([5000.0, -1.0, 0.5, 3.0])}
    result = Batch(graph).run(columns, 4)
    assert sorted(result.errors) == [1, 2]
    assert result.value[0] == math.inf
    assert result.errors[1].startswith("0 cannot be raised to a negative power")
    assert result.errors[2].startswith("a negative base needs an integer exponent")
    check_rows(graph, columns, 4)
    with strict():
        assert Batch(graph).run(columns, 4).errors[0].startswith("overflow: the value is inf")
        check_rows(graph, columns, 4)


def test_an_overflow_inside_a_local_gradient_is_decided_as_in_eval() -> None:
    """x ** y at y = -1e300: the value and local gradients overflow (IEEE: inf; strict: an
    error, as in eval); for x < 0, d/dy has no real value (an error either way).
    d(a/b)/db at b = 1e155 is evaluated as -out/b, which no longer overflows."""
    graph = compile_program("f = 0.25 / x + x ** y")
    columns = {"x": np.array([1e155, 2.0, 0.7, -0.7]),
               "y": np.array([1.0, 2.0, -1e300, -1e300])}
    result = Batch(graph).run(columns, 4)
    assert sorted(result.errors) == [3]
    assert result.errors[3].startswith("the derivative of a ** b with respect to b needs a > 0")
    assert result.value[2] == math.inf and result.grads["x"][2] == -math.inf
    check_rows(graph, columns, 4)
    with strict():
        refused = Batch(graph).run(columns, 4)
        assert sorted(refused.errors) == [2, 3]
        assert refused.errors[2].startswith("overflow")
        check_rows(graph, columns, 4)


def test_overflow_by_multiplication_is_an_error_as_in_eval() -> None:
    graph = compile_program("f = x * y + log(z)")
    columns = {"x": np.array([1e308, 2.0]), "y": np.array([10.0, 3.0]),
               "z": np.array([1.0, -1.0])}
    check_rows(graph, columns, 2)


def test_upstream_scales_every_gradient() -> None:
    graph = compile_program("f = x * y")
    columns = {"x": np.array([2.0, 3.0]), "y": np.array([5.0, 7.0])}
    result = Batch(graph, 9.0).run(columns, 2)
    assert result.grads["x"].tolist() == [45.0, 63.0]
    check_rows(graph, columns, 2, upstream=9.0)


def test_chunks_keep_memory_flat_for_large_graphs() -> None:
    assert chunk_rows(compile_program("x*y")) == MAX_CHUNK_ROWS
    big = compile_program("c = x\n" + "c = c * 1.01\n" * 1000)
    assert chunk_rows(big) * len(big) * 2 <= 1 << 22


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(max_depth=4), seed=st.integers(0, 2**32 - 1))
def test_random_programs_batch_equals_eval(tree: object, seed: int) -> None:
    graph = compile_program(program_text(tree))  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    rows = 40
    pool = (*POOL, 710.0, -710.0, 1e155, -1e300)  # exp, squares, powers and products overflow
    columns = {name: np.where(rng.random(rows) < 0.5, rng.choice(pool, rows),
                              rng.uniform(-4, 4, rows)) for name in graph.inputs}
    check_rows(graph, columns, rows, tolerance=1e-11,
               trust=trust_for(tree, graph))  # type: ignore[arg-type]


def test_a_long_run_in_one_call_is_chunked_and_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    import backprop_cli.engine.batch as batch_module

    monkeypatch.setattr(batch_module, "MAX_CHUNK_ROWS", 7)
    graph = compile_program("f = log(x) * relu(y)")
    columns = {"x": np.array([1.0, -1.0, 2.0] * 10), "y": np.array([0.0, 1.0, 3.0] * 10)}
    result = Batch(graph).run(columns, 30)
    assert sorted(result.errors) == list(range(1, 30, 3))
    assert sum(result.kink_rows.values()) == 10
    check_rows(graph, columns, 30)
