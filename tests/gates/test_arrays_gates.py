"""Every array gate's backward pass against central differences of an independent numpy
forward, on random shapes, values and broadcasting cases (hypothesis); matmul chains
against the lecture's formulas dL/dx = dL/dy @ w.T, dL/dw = x.T @ dL/dy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
H = 1e-6


def numeric_gradient(forward: Callable[..., np.ndarray], inputs: dict[str, np.ndarray],
                     upstream: np.ndarray, name: str) -> np.ndarray:
    """d sum(upstream * forward(inputs)) / d inputs[name] by central differences."""
    base = inputs[name]
    gradient = np.zeros(base.shape)
    for index in np.ndindex(base.shape):
        values = []
        for step in (H, -H):
            moved = base.copy()
            moved[index] += step
            values.append(np.sum(upstream * forward(**{**inputs, name: moved})))
        gradient[index] = (values[0] - values[1]) / (2 * H)
    return gradient


def check(program: str, forward: Callable[..., np.ndarray], inputs: dict[str, Any],
          rng: np.random.Generator, no_grad: tuple[str, ...] = ()) -> None:
    """The tool's forward value equals ``forward``; every gradient equals central
    differences of ``forward`` for a random upstream gradient."""
    inputs = {name: np.array(value, dtype=float) for name, value in inputs.items()}
    expected = np.asarray(forward(**inputs))
    upstream = rng.uniform(-2, 2, expected.shape)
    trace = evaluate(compile_program(program), inputs, upstream=upstream)
    assert np.shape(trace.value) == expected.shape
    np.testing.assert_allclose(trace.value, expected, rtol=1e-12, atol=1e-12)
    for name, value in inputs.items():
        if name in no_grad:
            assert name not in trace.gradients
            continue
        got = trace.gradients[name]
        assert np.shape(got) == np.shape(value), name
        want = numeric_gradient(forward, inputs, upstream, name)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def broadcast_pair(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast: drop leading axes or set axes to 1 in either."""
    out = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple))

    def operand() -> tuple[int, ...]:
        keep = draw(st.integers(0, len(out)))
        trimmed = out[len(out) - keep:]
        return tuple(1 if draw(st.booleans()) else n for n in trimmed)

    return operand(), operand()


ELEMENTWISE_BINARY = {
    "a + b": np.add, "a - b": np.subtract, "a * b": np.multiply, "a / b": np.divide,
    "a ** b": np.power, "max(a, b)": np.maximum, "min(a, b)": np.minimum,
}
POSITIVE_FIRST = {"a ** b"}
POSITIVE_SECOND = {"a / b"}


@SETTINGS
@given(st.sampled_from(sorted(ELEMENTWISE_BINARY)), broadcast_pair(), seeds)
def test_elementwise_binary_gates_broadcast(source: str, pair: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2, pair[0]) if source in POSITIVE_FIRST else rng.uniform(-2, 2, pair[0])
    b = rng.uniform(0.5, 2, pair[1]) * rng.choice([-1, 1], pair[1]) \
        if source in POSITIVE_SECOND else rng.uniform(-2, 2, pair[1])
    function = ELEMENTWISE_BINARY[source]
    check(f"z = {source}", lambda a, b: function(a, b), {"a": a, "b": b}, rng)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


ELEMENTWISE_UNARY: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float, float]] = {
    "exp": (np.exp, -2, 2), "log": (np.log, 0.3, 3), "sqrt": (np.sqrt, 0.3, 3),
    "sin": (np.sin, -3, 3), "cos": (np.cos, -3, 3), "tan": (np.tan, -1.2, 1.2),
    "tanh": (np.tanh, -3, 3), "sigmoid": (_sigmoid, -4, 4),
    "relu": (lambda a: np.maximum(a, 0), -2, 2), "abs": (np.abs, -2, 2),
    "neg": (np.negative, -2, 2),
}


@SETTINGS
@given(st.sampled_from(sorted(ELEMENTWISE_UNARY)), shapes, seeds)
def test_elementwise_unary_gates(gate: str, shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    function, low, high = ELEMENTWISE_UNARY[gate]
    source = "z = -a" if gate == "neg" else f"z = {gate}(a)"
    check(source, lambda a: function(a), {"a": rng.uniform(low, high, shape)}, rng)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.sampled_from(
    ["mm", "vm", "mv", "vv"]), seeds)
def test_matmul_all_vector_and_matrix_cases(n: int, d: int, m: int, case: str,
                                            seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, (n, d) if case[0] == "m" else (d,))
    b = rng.uniform(-2, 2, (d, m) if case[1] == "m" else (d,))
    check("y = a @ b", lambda a, b: a @ b, {"a": a, "b": b}, rng)
    check("y = matmul(a, b)", lambda a, b: np.matmul(a, b), {"a": a, "b": b}, rng)


REDUCTIONS = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min}


@SETTINGS
@given(st.sampled_from(sorted(REDUCTIONS)), shapes.filter(bool), st.data(), seeds)
def test_reductions_over_all_or_one_axis(gate: str, shape: tuple, data: st.DataObject,
                                         seed: int) -> None:
    rng = np.random.default_rng(seed)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    function = REDUCTIONS[gate]
    source = f"z = {gate}(a)" if axis is None else f"z = {gate}(a, {axis})"
    check(source, lambda a: function(a, axis=axis), {"a": rng.uniform(-2, 2, shape)}, rng)


def test_max_and_min_with_one_argument_reduce() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(-2, 2, (3, 4))
    check("z = max(a)", lambda a: np.max(a), {"a": a}, rng)
    check("z = min(a) + max(a, 0.5)", lambda a: np.min(a) + np.maximum(a, 0.5), {"a": a}, rng)


def test_amax_ties_share_the_gradient_equally() -> None:
    trace = evaluate(compile_program("m = amax(a, 1)"), {"a": np.array([[1.0, 3, 3],
                                                                         [2, 0, 1]])},
                     upstream=np.array([6.0, 4.0]))
    np.testing.assert_array_equal(trace.gradients["a"], [[0, 3, 3], [4, 0, 0]])
    assert any("tie" in note.message for note in trace.notes)


@SETTINGS
@given(shapes, seeds)
def test_transpose_and_dot_t(shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape)
    check("z = a.T", lambda a: a.T, {"a": a}, rng)
    check("z = transpose(a) * 2", lambda a: np.transpose(a) * 2, {"a": a}, rng)


@SETTINGS
@given(shapes.filter(lambda s: len(s) >= 1), st.data(), seeds)
def test_reshape(shape: tuple, data: st.DataObject, seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    first = data.draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    check(f"z = reshape(a, {first}, -1)", lambda a: a.reshape(first, -1),
          {"a": rng.uniform(-2, 2, shape)}, rng)


@st.composite
def subscripts(draw: st.DrawFn, shape: tuple) -> tuple[str, tuple]:
    """A random subscript of integers and non-empty slices, its text and numpy index."""
    texts, index = [], []
    for n in shape[:draw(st.integers(1, len(shape)))]:
        if draw(st.booleans()):
            i = draw(st.integers(-n, n - 1))
            texts.append(str(i))
            index.append(i)
        else:
            start = draw(st.integers(0, n - 1))
            stop = draw(st.integers(start + 1, n))
            step = draw(st.sampled_from([None, 1, 2]))
            texts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
            index.append(slice(start, stop, step))
    return ", ".join(texts), tuple(index)


@SETTINGS
@given(shapes.filter(bool), st.data(), seeds)
def test_indexing_and_slicing(shape: tuple, data: st.DataObject, seed: int) -> None:
    rng = np.random.default_rng(seed)
    text, index = data.draw(subscripts(shape))
    check(f"z = a[{text}] * 3", lambda a: a[index] * 3, {"a": rng.uniform(-2, 2, shape)}, rng)


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@SETTINGS
@given(shapes.filter(bool), seeds)
def test_softmax_and_log_softmax_along_the_last_axis(shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-3, 3, shape)
    check("p = softmax(a)", _softmax, {"a": a}, rng)
    check("p = log_softmax(a)", lambda a: np.log(_softmax(a)), {"a": a}, rng)


@SETTINGS
@given(st.integers(1, 5), st.integers(2, 5), st.booleans(), seeds)
def test_cross_entropy_and_hinge_with_integer_labels(n: int, c: int, batch: bool,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.uniform(-3, 3, (n, c) if batch else (c,))
    labels = rng.integers(0, c, (n,) if batch else ()).astype(float)
    margin = float(rng.choice([1.0, 0.5, 2.0]))
    rows = np.arange(n) if batch else ()

    def cross_entropy(s: np.ndarray, y: np.ndarray) -> np.ndarray:
        p = _softmax(s)
        return -np.log(p[rows, y.astype(int)] if batch else p[int(y)])

    def hinge(s: np.ndarray, y: np.ndarray) -> np.ndarray:
        picked = s[rows, y.astype(int)][:, None] if batch else s[int(y)]
        margins = np.maximum(0, s - picked + margin)
        return margins.sum(axis=-1) - margin  # the label's own term is max(0, margin)

    inputs = {"s": s, "y": labels}
    check("L = cross_entropy(s, y)", cross_entropy, inputs, rng, no_grad=("y",))
    check(f"L = hinge(s, y, {margin})", hinge, inputs, rng, no_grad=("y",))


@SETTINGS
@given(shapes, seeds)
def test_l2_regularisation(shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    check("R = l2(w)", lambda w: np.sum(w * w), {"w": rng.uniform(-2, 2, shape)}, rng)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), seeds)
def test_matmul_chain_against_the_lecture_formulas(n: int, d: int, k: int, m: int,
                                                   seed: int) -> None:
    """y = x @ w1 @ w2: dL/dx = dL/dy @ w2.T @ w1.T, dL/dw1 = x.T @ (dL/dy @ w2.T),
    dL/dw2 = (x @ w1).T @ dL/dy."""
    rng = np.random.default_rng(seed)
    x, w1, w2 = (rng.uniform(-2, 2, s) for s in ((n, d), (d, k), (k, m)))
    g = rng.uniform(-2, 2, (n, m))
    trace = evaluate(compile_program("y = x @ w1 @ w2"), {"x": x, "w1": w1, "w2": w2},
                     upstream=g)
    np.testing.assert_allclose(trace.value, x @ w1 @ w2, rtol=1e-12)
    np.testing.assert_allclose(trace.gradients["x"], g @ w2.T @ w1.T, rtol=1e-10)
    np.testing.assert_allclose(trace.gradients["w1"], x.T @ (g @ w2.T), rtol=1e-10)
    np.testing.assert_allclose(trace.gradients["w2"], (x @ w1).T @ g, rtol=1e-10)
    first = trace.grad("t1")  # the intermediate x @ w1 gets dL/dy @ w2.T
    np.testing.assert_allclose(first, g @ w2.T, rtol=1e-10)


def test_a_value_used_twice_adds_its_array_gradients() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (3, 3))
    check("y = x @ w + x @ w.T + sum(x * x, 1)[0]",
          lambda x, w: x @ w + x @ w.T + np.sum(x * x, axis=1)[0], {"x": x, "w": w}, rng)


@pytest.mark.parametrize("exact", [False, True])
def test_exact_and_float_arrays_agree(exact: bool) -> None:
    from backprop_cli import run

    program = "L = mean(relu(x @ w) * 2 - 1/3) + l2(w) / 4 + sum(x.T[1:, 0])"
    trace = run(program, {"x": "[[1/2, -1], [3, 2]]", "w": "[[1, -1/3], [2, 1/4]]"},
                exact=exact)
    floats = run(program, {"x": "[[0.5, -1], [3, 2]]", "w": "[[1, -0.3333333333333333], "
                                                          "[2, 0.25]]"})
    np.testing.assert_allclose(np.asarray(trace.value, dtype=float), floats.value,
                               rtol=1e-12)
    for name in ("x", "w"):
        np.testing.assert_allclose(np.asarray(trace.gradients[name], dtype=float),
                                   floats.gradients[name], rtol=1e-12)
    if exact:
        assert str(trace.gradients["x"][1, 0]) == "1/2"


def test_forward_only_pass_for_numerical_gradients() -> None:
    from backprop_cli.engine.arrays import forward_arrays

    graph = compile_program("h = relu(x @ w); L = sum(h)")
    values = forward_arrays(graph, {"x": np.array([[1.0, -2.0]]), "w": np.eye(2)})
    assert values[graph.output] == 1.0
    np.testing.assert_array_equal(values[graph.node_named("h")], [[1.0, 0.0]])
