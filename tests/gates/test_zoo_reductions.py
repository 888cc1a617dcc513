"""var, std, norm, logsumexp, keepdims for every reduction, softmax and log_softmax along any
axis: against numpy's own functions and central differences on random shapes, axes and
values (hypothesis); exact values; generated code; keyword arguments."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_arrays_gates import SETTINGS, check, seeds

from conftest import eval_json, invoke


def _logsumexp(x: np.ndarray, axis: int | None = None, keepdims: bool = False) -> Any:
    top = np.max(x, axis=axis, keepdims=True)
    out = top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _norm(x: np.ndarray, axis: int | None = None, keepdims: bool = False) -> Any:
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


REDUCTIONS: dict[str, Callable[..., Any]] = {
    "sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min, "var": np.var,
    "std": np.std, "norm": _norm, "logsumexp": _logsumexp}


@st.composite
def reductions(draw: st.DrawFn) -> tuple[str, tuple[int, ...], int | None, bool]:
    """A gate, a shape (at least 2 along the reduced axes, so std is not 0), an axis (None:
    all, negative allowed) and keepdims."""
    gate = draw(st.sampled_from(sorted(REDUCTIONS)))
    shape = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=3)))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return gate, shape, axis, draw(st.booleans())


def call(gate: str, axis: int | None, keepdims: bool) -> str:
    """The call as a student writes it, positional and keyword forms mixed."""
    if axis is None:
        return f"{gate}(x, keepdims=True)" if keepdims else f"{gate}(x)"
    return f"{gate}(x, {axis}, keepdims=True)" if keepdims else f"{gate}(x, axis={axis})"


@SETTINGS
@given(reductions(), seeds)
def test_reductions_against_numpy_and_central_differences(
        case: tuple[str, tuple[int, ...], int | None, bool], seed: int) -> None:
    gate, shape, axis, keepdims = case
    rng = np.random.default_rng(seed)
    function = REDUCTIONS[gate]
    check(f"f = {call(gate, axis, keepdims)}",
          lambda x: function(x, axis=axis, keepdims=keepdims),
          {"x": rng.uniform(-2, 2, shape)}, rng)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.data(), seeds)
def test_softmax_and_log_softmax_along_any_axis(shape: tuple[int, ...], data: st.DataObject,
                                                seed: int) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    x = {"x": rng.uniform(-3, 3, shape)}
    check(f"f = softmax(x, {axis})", lambda x: _softmax(x, axis), x, rng)
    check(f"f = log_softmax(x, axis={axis})",
          lambda x: x - _logsumexp(x, axis=axis, keepdims=True), x, rng)


def test_softmax_defaults_to_the_last_axis() -> None:
    x = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    doc = eval_json("f = sum(softmax(x) * w)", f"x={x.tolist()}", "w=[[1, 0, 0], [0, 0, 1]]")
    assert float(doc["value"]) == pytest.approx(_softmax(x, -1)[0, 0] + _softmax(x, -1)[1, 2])


def test_variance_divides_by_n_and_is_exact() -> None:
    """x = [1, 2, 4]: mean 7/3, deviations -4/3, -1/3, 5/3, var = (16 + 1 + 25)/9/3 = 14/9;
    d var/dx = 2 (x - mean)/3 = -8/9, -2/9, 10/9."""
    doc = eval_json("f = var(x)", "x=[1, 2, 4]", "--exact")
    assert doc["value_exact"] == "14/9"
    assert doc["gradients_exact"]["x"] == ["-8/9", "-2/9", "10/9"]


def test_keepdims_keeps_the_axis_as_numpy() -> None:
    x = "x=[[1, 2, 3], [4, 5, 7]]"
    for program, shape in (("f = sum(x, 1, keepdims=True)", [2, 1]),
                           ("f = amax(x, keepdims=True)", [1, 1]),
                           ("f = logsumexp(x, axis=0, keepdims=True)", [1, 3])):
        up = json.dumps(np.ones(shape).tolist())
        doc = eval_json(program, x, "--upstream", up)
        assert np.shape(doc["value"]) == tuple(shape), program


def test_norm_of_zero_has_gradient_zero_and_warns_as_pytorch() -> None:
    """torch.linalg.norm's backward masks the zero vector: gradient 0 there."""
    result = invoke("eval", "f = norm(x)", "x=[0, 0]", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["gradients"]["x"] == [0, 0]
    assert "norm is not differentiable at the zero vector" in result.stderr


def test_std_of_equal_elements_has_a_nan_gradient_as_pytorch() -> None:
    """torch.std(x, unbiased=False) of equal elements: its backward is 0/0 = nan."""
    result = invoke("eval", "f = std(x)", "x=[2, 2, 2]", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "not finite" in result.stderr


def test_the_edge_table_states_each_rule() -> None:
    result = invoke("eval", "f = var(x) + std(x) + norm(x) + logsumexp(x)", "x=[1, 2, 4]")
    assert result.exit_code == 0, result.stderr
    for rule in ("2 * (x - mean(x)) / n", "(x - mean(x)) / (n * t2)", "x / t4 (0 where t4 = 0)",
                 "exp(x - t6) (the softmax of x)"):
        assert rule in result.stdout, rule


PROGRAM = ("f = sum(var(x, 1) * 2 + std(x, 1, keepdims=True)[:, 0] + logsumexp(x, 0, "
           "keepdims=True)[0, :2] + norm(x, axis=1) + log_softmax(x, 0)[0, :2] + "
           "sum(softmax(x, 0) * x, 0)[:2] + amax(x, 1, keepdims=True)[:, 0] + "
           "mean(x, keepdims=True)[0, :2])")


@pytest.mark.parametrize("style", ["flat", "modular"])
def test_generated_code_runs_and_reproduces_the_gradients(style: str) -> None:
    x = "x=[[1, 2, 3], [4, 5, 7]]"
    doc = eval_json(PROGRAM, x)
    code = invoke("code", PROGRAM, x, "--style", style)
    assert code.exit_code == 0, code.stderr
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.stdout, "<generated>", "exec"), {"__name__": "generated"})
    numbers = dict(line.split(" = ") for line in printed.getvalue().splitlines())
    assert float(numbers["f"]) == pytest.approx(float(doc["value"]), rel=1e-12)
    np.testing.assert_allclose(json.loads(numbers["df/dx"]), doc["gradients"]["x"],
                               rtol=1e-12)


@pytest.mark.parametrize(("program", "message"), [
    ("f = var(x, 2)", "error: var gate f = var(x, 2): axis 2 is out of range"),
    ("f = sum(x, keepdims=3)", "error: keepdims of sum() is True or False, not 3"),
    ("f = norm(x, axes=1)", "error: norm() has no keyword argument axes="),
    ("f = exp(x, axis=1)", "error: exp() takes no keyword arguments"),
])
def test_bad_reductions_are_one_error_line_with_the_position(program: str,
                                                            message: str) -> None:
    result = invoke("eval", program, "x=[[1, 2], [3, 4]]")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "at line 1, column" in result.stderr.splitlines()[0]
