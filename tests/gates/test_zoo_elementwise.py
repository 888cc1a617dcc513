"""sign, clip and log1p (gate-table rows): values and gradients against central differences
of numpy's own functions on random shapes (hypothesis), PyTorch's conventions at the kinks
(sign'(0) = 0; clamp passes the gradient where lo <= x <= hi) in scalars, arrays and rows,
and the hand-written clip gradients against sympy's derivative away from the kinks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from test_arrays_gates import SETTINGS, check, seeds, shapes

from backprop_cli.gates import symbolic

from conftest import eval_json, invoke


@SETTINGS
@given(shapes, seeds)
def test_clip_against_central_differences(shape: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = {"x": rng.uniform(-3, 3, shape), "lo": rng.uniform(-2, -0.5, shape),
              "hi": rng.uniform(0.5, 2, shape)}
    check("f = clip(x, lo, hi)", lambda x, lo, hi: np.clip(x, lo, hi), inputs, rng)


@SETTINGS
@given(shapes, seeds)
def test_sign_and_log1p_against_central_differences(shape: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = {"x": rng.uniform(-0.9, 3, shape), "w": rng.uniform(-2, 2, shape)}
    check("f = sign(w) * log1p(x) + w * sign(x)",
          lambda x, w: np.sign(w) * np.log1p(x) + w * np.sign(x), inputs, rng)


def test_clip_gradients_equal_sympys_derivative_away_from_the_bounds() -> None:
    gate = symbolic.GATES_BY_NAME["clip"]
    rng = np.random.default_rng(3)
    for _ in range(20):
        point = dict(zip(gate.params, map(sp.Float, sorted(rng.uniform(-3, 3, 3))),
                         strict=True))
        for x in (point[gate.params[0]], point[gate.params[1]], point[gate.params[2]]):
            shifted = {**point, gate.params[0]: x + sp.Float(0.25) * (rng.uniform() - 0.5)}
            for mine, theirs in zip(gate.partials(), symbolic.sympy_partials("clip"),
                                    strict=True):
                assert float(mine.subs(shifted)) == float(theirs.subs(shifted))


@pytest.mark.parametrize("where", ["scalar", "array", "rows"])
def test_clip_passes_the_gradient_at_its_bounds_as_pytorch(where: str, tmp_path: Path) -> None:
    """torch.clamp's backward: grad where min <= x <= max (so at both bounds), 0 outside."""
    program, lo, hi = "f = clip(x, -1, 2)", -1, 2
    xs = [lo, hi, 0.5, -3.0, 3.0]
    want = [1.0, 1.0, 1.0, 0.0, 0.0]
    if where == "scalar":
        got = [float(eval_json(program, f"x={x}")["gradients"]["x"])
               for x in xs]
    elif where == "array":
        doc = eval_json("f = sum(clip(x, -1, 2))", f"x={xs}")
        got = [float(g) for g in doc["gradients"]["x"]]
    else:
        rows = tmp_path / "rows.csv"
        rows.write_text("x\n" + "\n".join(map(str, xs)) + "\n", encoding="utf-8")
        result = invoke("eval", program, "--rows", str(rows), "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        got = [json.loads(line)["grad.x"] for line in result.stdout.splitlines()]
    assert got == want


def test_clip_bounds_take_the_gradient_outside() -> None:
    doc = eval_json("f = sum(clip(x, lo, hi))", "x=[-3, 0, 3, -1]", "lo=[-1, -1, -1, -1]",
                    "hi=2")
    assert [float(g) for g in doc["gradients"]["lo"]] == [1, 0, 0, 0]
    assert float(doc["gradients"]["hi"]) == 1


@pytest.mark.parametrize("where", ["scalar", "array", "rows"])
def test_sign_has_gradient_zero_at_zero_and_warns(where: str, tmp_path: Path) -> None:
    if where == "scalar":
        result = invoke("eval", "f = sign(x) * 3", "x=0", "--format", "json")
        assert float(json.loads(result.stdout)["gradients"]["x"]) == 0
    elif where == "array":
        result = invoke("eval", "f = sum(sign(x))", "x=[-1, 0, 2]", "--format", "json")
        assert json.loads(result.stdout)["value"] in (0, "0", 0.0)
        assert [float(g) for g in json.loads(result.stdout)["gradients"]["x"]] == [0, 0, 0]
    else:
        rows = tmp_path / "rows.csv"
        rows.write_text("x\n0\n-3\n", encoding="utf-8")
        result = invoke("eval", "f = sign(x)", "--rows", str(rows), "--format", "jsonl")
        assert [json.loads(line)["f"] for line in result.stdout.splitlines()] == [0, -1]
    assert result.exit_code == 0, result.stderr
    assert "not differentiable" in result.stderr and "sign'(0) = 0" in result.stderr


def test_log1p_keeps_the_digits_of_a_small_input() -> None:
    """log(1 + x) = x - x**2/2 + ...: for x = 1e-20 the float is x itself (1 + x rounds to 1)."""
    doc = eval_json("f = log1p(x)", "x=1e-20")
    assert float(doc["value"]) == 1e-20
    assert float(doc["gradients"]["x"]) == 1.0
    exact = eval_json("f = log1p(x)", "x=1/3", "--exact")
    assert math.isclose(float(exact["value"]), math.log(4 / 3), rel_tol=1e-15)


def test_log1p_below_minus_one_is_one_error_line() -> None:
    result = invoke("eval", "f = log1p(x)", "x=-2")
    assert result.exit_code == 2
    assert result.stderr.startswith("error:") and "log1p" in result.stderr


def test_clip_with_shapes_that_do_not_broadcast_names_the_gate_shapes_and_place() -> None:
    result = invoke("eval", "f = sum(clip(x, lo, 1))", "x=[1, 2]", "lo=[0, 0, 0]")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: clip gate") and "(2,)" in first and "(3,)" in first
    assert "line 1, column 9" in first
