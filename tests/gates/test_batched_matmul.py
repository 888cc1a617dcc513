"""``@`` of stacks of matrices with numpy's broadcasting: values against a loop of 2-d
products written here, gradients against that loop's backward (dL/da = dL/dy @ b.T and
dL/db = a.T @ dL/dy per matrix, summed over the stacks an operand was broadcast to) and
against central differences, on random shapes (hypothesis); --jacobian and errors (their
numpy code is run in tests/codegen/test_code_arrays.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_arrays_gates import numeric_gradient

from backprop_cli import compile_program, evaluate

from conftest import invoke

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def naive_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """numpy's @ spelled out: vectors promoted, stacks broadcast, one 2-d product each."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    stack = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    out = np.zeros((*stack, a2.shape[-2], b2.shape[-1]))
    for index in np.ndindex(*stack):
        left = np.broadcast_to(a2, (*stack, *a2.shape[-2:]))[index]
        right = np.broadcast_to(b2, (*stack, *b2.shape[-2:]))[index]
        for i in range(left.shape[0]):
            for j in range(right.shape[1]):
                out[(*index, i, j)] = sum(left[i, k] * right[k, j]
                                          for k in range(left.shape[1]))
    if b.ndim == 1:
        out = out[..., 0]
    if a.ndim == 1:
        out = out[..., 0, :] if b.ndim > 1 else out[..., 0]
    return out


def naive_backward(g: np.ndarray, a: np.ndarray,
                   b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per matrix of the stack: da += g @ b.T, db += a.T @ g, added into the (maybe
    broadcast) operand the matrix came from."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g[..., None] if b.ndim == 1 else g
    g2 = np.expand_dims(g2, -2) if a.ndim == 1 else g2
    stack = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    da, db = np.zeros(a2.shape), np.zeros(b2.shape)
    for index in np.ndindex(*stack):
        ia = _source(index, a2.shape[:-2])
        ib = _source(index, b2.shape[:-2])
        da[ia] += g2[index] @ b2[ib].T
        db[ib] += a2[ia].T @ g2[index]
    return da.reshape(a.shape), db.reshape(b.shape)


def _source(index: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The element of a broadcast stack that stack position ``index`` reads."""
    trimmed = index[len(index) - len(shape):] if shape else ()
    return tuple(0 if n == 1 else i for i, n in zip(trimmed, shape, strict=True))


@st.composite
def stacked_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes @ takes with at least one stack (3 or more axes)."""
    stack = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    n, d, m = (draw(st.integers(1, 3)) for _ in range(3))

    def operand(tail: tuple[int, ...]) -> tuple[int, ...]:
        keep = draw(st.integers(0, len(stack)))
        kept = tuple(1 if draw(st.booleans()) else s for s in stack[len(stack) - keep:])
        return kept + tail

    a = draw(st.sampled_from([operand((n, d)), (d,), (n, d)]))
    b = draw(st.sampled_from([operand((d, m)), (d,), (d, m)]))
    if max(len(a), len(b)) <= 2:
        a = (*stack, n, d)
    return a, b


@SETTINGS
@given(stacked_shapes(), st.integers(0, 2**32 - 1))
def test_stacked_matmul_against_loops_and_central_differences(
        shapes: tuple[tuple[int, ...], tuple[int, ...]], seed: int) -> None:
    check_stacked(shapes, seed)


def check_stacked(shapes: tuple[tuple[int, ...], tuple[int, ...]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    expected = naive_matmul(a, b)
    np.testing.assert_allclose(expected, a @ b, atol=1e-12)  # the loop is numpy's @
    upstream = rng.uniform(-2, 2, expected.shape)
    trace = evaluate(compile_program("y = a @ b"), {"a": a, "b": b}, upstream=upstream)
    np.testing.assert_allclose(trace.value, expected, rtol=1e-12, atol=1e-12)
    da, db = naive_backward(upstream, a, b)
    np.testing.assert_allclose(trace.gradients["a"], da, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(trace.gradients["b"], db, rtol=1e-10, atol=1e-12)
    inputs = {"a": a, "b": b}
    for name in inputs:
        np.testing.assert_allclose(trace.gradients[name],
                                   numeric_gradient(naive_matmul, inputs, upstream, name),
                                   rtol=1e-5, atol=1e-6, err_msg=name)


def test_jacobian_of_a_stack_is_checked_row_by_row() -> None:
    result = invoke("eval", "y = a @ b", "a=randn(2,2,3)", "b=randn(3,2)", "--upstream",
                    "ones(2,2,2)", "--jacobian")
    assert result.exit_code == 0, result.output
    assert "row by row" in result.output


@pytest.mark.parametrize(("inputs", "message"), [
    (("a=ones(2,3,4)", "b=ones(3,2)"),
     "matmul gate y = a @ b: shapes (2, 3, 4) and (3, 2) do not fit: the left's last "
     "dimension (4) must equal the right's first (3)"),
    (("a=ones(2,3,4)", "b=ones(3,4,2)"),
     "shapes (2, 3, 4) and (3, 4, 2) do not fit: their stack dimensions (2,) and (3,) do "
     "not broadcast"),
    (("a=ones(3,4)", "b=ones(2,3,2)"),
     "the left's last dimension (4) must equal the right's second-to-last (3)"),
])
def test_stacks_that_do_not_fit_are_one_error(inputs: tuple[str, ...], message: str) -> None:
    result = invoke("eval", "y = a @ b", *inputs, "--upstream", "1")
    assert result.exit_code == 2
    assert message in result.output


def test_lecture_sized_matrices_are_unchanged() -> None:
    trace = evaluate(compile_program("y = x @ w"), {"x": np.ones((2, 3)), "w": np.ones((3, 4))},
                     upstream=np.ones((2, 4)))
    np.testing.assert_array_equal(trace.gradients["x"], np.full((2, 3), 4.0))
    np.testing.assert_array_equal(trace.gradients["w"], np.full((3, 4), 2.0))


@pytest.mark.slow
@settings(SETTINGS, max_examples=1000)
@given(stacked_shapes(), st.integers(0, 2**32 - 1))
def test_stacked_matmul_long_random_run(shapes: tuple[tuple[int, ...], tuple[int, ...]],
                                        seed: int) -> None:
    check_stacked(shapes, seed)
