"""conv2d and max_pool2d against CS231n assignment 2's naive loops (written out here, one
multiply-add at a time) and against central differences of those loops, on random small
shapes, strides and paddings (hypothesis); ties, --jacobian, --exact and bad shapes
through the command line."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_arrays_gates import numeric_gradient

from backprop_cli import compile_program, evaluate, run

from conftest import invoke

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- the naive loops

def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int,
                       pad: int) -> np.ndarray:
    """CS231n's conv_forward_naive."""
    n, _, height, width = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h = 1 + (height + 2 * pad - hh) // stride
    out_w = 1 + (width + 2 * pad - ww) // stride
    out = np.zeros((n, f, out_h, out_w))
    for i in range(n):
        for k in range(f):
            for r in range(out_h):
                for c in range(out_w):
                    window = xp[i, :, r * stride:r * stride + hh, c * stride:c * stride + ww]
                    out[i, k, r, c] = np.sum(window * w[k]) + b[k]
    return out


def conv_backward_naive(dout: np.ndarray, x: np.ndarray, w: np.ndarray, stride: int,
                        pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CS231n's conv_backward_naive: every window sends dout back to the x and w it used."""
    n, f, out_h, out_w = dout.shape
    hh, ww = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for i in range(n):
        for k in range(f):
            for r in range(out_h):
                for c in range(out_w):
                    rows = slice(r * stride, r * stride + hh)
                    cols = slice(c * stride, c * stride + ww)
                    dw[k] += xp[i, :, rows, cols] * dout[i, k, r, c]
                    dxp[i, :, rows, cols] += w[k] * dout[i, k, r, c]
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def pool_forward_naive(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    n, c, height, width = x.shape
    out = np.zeros((n, c, 1 + (height - size) // stride, 1 + (width - size) // stride))
    for index in np.ndindex(out.shape):
        i, k, r, s = index
        out[index] = np.max(x[i, k, r * stride:r * stride + size, s * stride:s * stride + size])
    return out


def pool_backward_naive(dout: np.ndarray, x: np.ndarray, size: int,
                        stride: int) -> np.ndarray:
    """Each window's gradient to its first largest element (row by row), as PyTorch does."""
    dx = np.zeros(x.shape)
    for index in np.ndindex(dout.shape):
        i, k, r, s = index
        window = x[i, k, r * stride:r * stride + size, s * stride:s * stride + size]
        a, b = np.unravel_index(np.argmax(window), window.shape)
        dx[i, k, r * stride + a, s * stride + b] += dout[index]
    return dx


# ----------------------------------------------------------------------------- hypothesis

@st.composite
def conv_case(draw: st.DrawFn) -> dict[str, Any]:
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    hh, ww = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height = draw(st.integers(max(1, hh - 2 * pad), 6))
    width = draw(st.integers(max(1, ww - 2 * pad), 6))
    return {"n": draw(st.integers(1, 2)), "c": draw(st.integers(1, 3)),
            "f": draw(st.integers(1, 3)), "hh": hh, "ww": ww, "height": height,
            "width": width, "stride": stride, "pad": pad,
            "seed": draw(st.integers(0, 2**32 - 1))}


@SETTINGS
@given(conv_case())
def test_conv2d_matches_the_naive_loops_and_central_differences(case: dict[str, Any]) -> None:
    check_conv(case)


def check_conv(case: dict[str, Any]) -> None:
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(case["n"], case["c"], case["height"], case["width"]))
    w = rng.normal(size=(case["f"], case["c"], case["hh"], case["ww"]))
    b = rng.normal(size=case["f"])
    stride, pad = case["stride"], case["pad"]
    expected = conv_forward_naive(x, w, b, stride, pad)
    upstream = rng.uniform(-2, 2, expected.shape)
    trace = evaluate(compile_program(f"out = conv2d(x, w, b, {stride}, {pad})"),
                     {"x": x, "w": w, "b": b}, upstream=upstream)
    np.testing.assert_allclose(trace.value, expected, rtol=1e-12, atol=1e-12)
    naive = dict(zip("xwb", conv_backward_naive(upstream, x, w, stride, pad), strict=True))
    inputs = {"x": x, "w": w, "b": b}

    def forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        return conv_forward_naive(x, w, b, stride, pad)

    for name in "xwb":
        np.testing.assert_allclose(trace.gradients[name], naive[name], rtol=1e-10, atol=1e-10,
                                   err_msg=name)
        numeric = numeric_gradient(forward, inputs, upstream, name)
        np.testing.assert_allclose(trace.gradients[name], numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=name)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 4), st.integers(0, 4),
       st.integers(1, 2), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_max_pool2d_matches_the_naive_loops_and_central_differences(
        size: int, stride: int, extra_h: int, extra_w: int, n: int, c: int,
        seed: int) -> None:
    check_pool(size, stride, extra_h, extra_w, n, c, seed)


def check_pool(size: int, stride: int, extra_h: int, extra_w: int, n: int, c: int,
               seed: int) -> None:
    """Distinct values (no ties): the tool against the naive loops and central differences."""
    rng = np.random.default_rng(seed)
    x = rng.permutation(n * c * (size + extra_h) * (size + extra_w)).reshape(
        n, c, size + extra_h, size + extra_w) * 0.1 + rng.uniform(0, 0.01)  # no ties
    expected = pool_forward_naive(x, size, stride)
    upstream = rng.uniform(-2, 2, expected.shape)
    trace = evaluate(compile_program(f"out = max_pool2d(x, {size}, {stride})"), {"x": x},
                     upstream=upstream)
    np.testing.assert_allclose(trace.value, expected, rtol=0, atol=0)
    np.testing.assert_allclose(trace.gradients["x"],
                               pool_backward_naive(upstream, x, size, stride), atol=1e-12)
    np.testing.assert_allclose(
        trace.gradients["x"],
        numeric_gradient(lambda x: pool_forward_naive(x, size, stride), {"x": x}, upstream, "x"),
        rtol=1e-5, atol=1e-6)


def test_max_pool2d_stride_defaults_to_the_size_and_ties_go_to_the_first() -> None:
    x = np.array([[[[1, 3, 2, 2], [3, 0, 2, 1], [0, 0, 5, 5], [0, 0, 5, 5]]]], dtype=float)
    trace = evaluate(compile_program("out = max_pool2d(x, 2)"), {"x": x},
                     upstream=np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(trace.value, [[[[3, 2], [0, 5]]]])
    np.testing.assert_array_equal(trace.gradients["x"], pool_backward_naive(
        np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), x, 2, 2))
    assert trace.gradients["x"][0, 0, 0, 1] == 1 and trace.gradients["x"][0, 0, 1, 0] == 0
    notes = " ".join(note.message for note in trace.notes)
    assert "a tie for the largest element of a window (4 found)" in notes


def test_conv2d_on_the_command_line_with_its_rules_and_jacobian() -> None:
    result = invoke("eval", "y = conv2d(x, w, b, 2, 1)", "x=randn(1,1,3,3)", "w=randn(2,1,2,2)",
                    "b=[0.5,-1]", "--upstream", "ones(1,2,2,2)", "--jacobian")
    assert result.exit_code == 0, result.output
    assert "the full convolution of dL/dy (spread by the stride) with the flipped w" in \
        result.output
    assert "the correlation of x (padded) with dL/dy" in result.output
    assert "dL/dy summed over N, H and W" in result.output
    assert "Jacobian dy/dx" in result.output
    differences = [line.split()[-1] for line in result.output.splitlines()
                   if line.strip().startswith("y = conv2d") and "entries" in line]
    assert len(differences) == 3 and all(float(d) < 1e-12 for d in differences)


def test_exact_conv2d_and_max_pool2d() -> None:
    """The 3 x 3 output of conv2d(x, w, b, 1, 1) for a 2 x 2 image and filter, pooled:
    the top-left 2 x 2 pool holds the centre, 1 * 1/2 + 4 * 1/3 + 1/4 = 25/12."""
    trace = run("y = sum(max_pool2d(conv2d(x, w, b, 1, 1), 2))",
                {"x": "[[[[1,2],[3,4]]]]", "w": "[[[[1/2,0],[0,1/3]]]]", "b": "[1/4]"},
                exact=True)
    assert trace.value == sp.Rational(25, 12)
    assert trace.gradients["x"].tolist() == [[[[sp.Rational(1, 2), 0], [0, sp.Rational(1, 3)]]]]
    assert trace.gradients["w"].tolist() == [[[[1, 2], [3, 4]]]]
    assert trace.gradients["b"].tolist() == [1]


@pytest.mark.parametrize(("program", "inputs", "message"), [
    ("y = conv2d(x, w, b)", ["x=ones(1,2,4,4)", "w=ones(3,4,3,3)", "b=ones(3)"],
     "conv2d gate y = conv2d(x, w, b): x of shape (1, 2, 4, 4) and w of shape (3, 4, 3, 3): "
     "x has 2 channels but w expects 4"),
    ("y = conv2d(x, w, b)", ["x=ones(2,4,4)", "w=ones(3,2,3,3)", "b=ones(3)"],
     "x must be 4-d (N x C x H x W), got shape (2, 4, 4)"),
    ("y = conv2d(x, w, b)", ["x=ones(1,2,4,4)", "w=ones(3,2,3,3)", "b=ones(2)"],
     "b of shape (2,) must hold one bias per filter of w of shape (3, 2, 3, 3)"),
    ("y = conv2d(x, w, b, 1)", ["x=ones(1,2,2,2)", "w=ones(3,2,3,3)", "b=ones(3)"],
     "the 3 x 3 filter does not fit in the 2 x 2 input padded by 0"),
    ("y = conv2d(x, w, b, 0)", ["x=ones(1,2,4,4)", "w=ones(3,2,3,3)", "b=ones(3)"],
     "the stride must be at least 1, got 0"),
    ("y = max_pool2d(x, 3)", ["x=ones(1,1,2,4)"],
     "max_pool2d gate y = max_pool2d(x, 3): the 3 x 3 window does not fit in the 2 x 4 "
     "input of shape (1, 1, 2, 4)"),
])
def test_bad_shapes_are_one_error_naming_the_gate(program: str, inputs: list[str],
                                                  message: str) -> None:
    result = invoke("eval", program, *inputs, "--upstream", "1")
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert "^" in result.output  # the caret under the call


def test_gradcheck_names_a_max_pool_tie_as_a_kink() -> None:
    result = invoke("gradcheck", "y = sum(max_pool2d(x, 2) * u)", "x=[[[[1,1],[0,0]]]]",
                    "u=[[[[2]]]]")
    assert result.exit_code == 0, result.output
    assert "the step crosses the kink of t1 = max_pool2d(x, 2) (a tie for the largest " \
        "element of a window) at [0, 0, 0, 0], [0, 0, 0, 1]" in result.output


@pytest.mark.parametrize(("program", "shown"), [
    ("y = conv2d(x, w, b, 1, 0)", "conv2d(x, w, b)"),
    ("y = conv2d(x, w, b, 1, 1)", "conv2d(x, w, b, pad=1)"),
    ("y = conv2d(x, w, b, 2)", "conv2d(x, w, b, 2)"),
    ("y = conv2d(x, w, b, 2, 1)", "conv2d(x, w, b, 2, 1)"),
])
def test_literals_left_at_their_default_are_not_shown(program: str, shown: str) -> None:
    """A literal after one left out is named (``pad=1``), so the text reads back."""
    graph = compile_program(program)
    assert graph.describe(len(graph.gates) - 1) == shown
    assert compile_program(f"y = {shown}").describe(len(graph.gates) - 1) == shown


def test_max_pool2d_pools_the_last_two_axes_of_any_array() -> None:
    x = np.arange(20.0).reshape(4, 5) * np.array([1, -1, 1, -1, 1])
    upstream = np.array([[1.0, 2.0], [3.0, 4.0]])
    trace = evaluate(compile_program("y = max_pool2d(x, 2)"), {"x": x}, upstream=upstream)
    np.testing.assert_array_equal(trace.value, pool_forward_naive(x[None, None], 2, 2)[0, 0])
    np.testing.assert_array_equal(trace.gradients["x"],
                                  pool_backward_naive(upstream[None, None], x[None, None], 2,
                                                      2)[0, 0])


LONG = settings(SETTINGS, max_examples=1000)


@pytest.mark.slow
@LONG
@given(conv_case())
def test_conv2d_long_random_run(case: dict[str, Any]) -> None:
    check_conv(case)


@pytest.mark.slow
@LONG
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 5), st.integers(0, 5),
       st.integers(1, 2), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_max_pool2d_long_random_run(size: int, stride: int, extra_h: int, extra_w: int,
                                    n: int, c: int, seed: int) -> None:
    check_pool(size, stride, extra_h, extra_w, n, c, seed)
