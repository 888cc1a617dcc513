"""--exact arithmetic, and the PyTorch conventions at non-differentiable points."""

from __future__ import annotations

import pytest

from backprop_cli import run

from conftest import eval_json, invoke


def test_exact_fractions() -> None:
    doc = eval_json("x/y + x**2", "x=1/2", "y=0.75", "--exact")
    assert doc["value_exact"] == "11/12"
    assert doc["gradients_exact"] == {"x": "7/3", "y": "-8/9"}
    assert doc["gradients"]["x"] == pytest.approx(7 / 3)


def test_exact_sigmoid_is_e_over_one_plus_e() -> None:
    doc = eval_json("1/(1+exp(-s))", "s=1", "--exact")
    assert doc["value_exact"] == "e/(1 + e)"
    assert doc["gradients_exact"]["s"] == "e/(1 + e)**2"
    grouped = eval_json("sigmoid(s)", "s=1", "--exact")
    assert grouped["value_exact"] == "e/(1 + e)"
    assert grouped["gradients_exact"]["s"] == "e/(1 + e)**2"


def test_exact_table_shows_decimal_beside_value() -> None:
    result = invoke("eval", "x/3", "x=1", "--exact")
    assert "1/3 (0.3333)" in result.stdout  # at 4 significant digits, as every table
    assert "1/3 (0.3333333333333333)" in invoke("eval", "x/3", "x=1", "--exact", "--full").stdout


def test_exact_constant_inputs() -> None:
    trace = run("sin(t)", {"t": "-pi/4"}, exact=True)
    assert str(trace.value) == "-sqrt(2)/2"
    assert str(trace.gradients["t"]) == "sqrt(2)/2"


@pytest.mark.parametrize(("source", "inputs", "grads"), [
    ("relu(x)", ("x=0",), {"x": 0}),
    ("abs(x)", ("x=0",), {"x": 0}),
    ("max(x, y)", ("x=2", "y=2"), {"x": 0.5, "y": 0.5}),
    ("min(x, y)", ("x=2", "y=2"), {"x": 0.5, "y": 0.5}),
])
def test_kink_conventions_follow_pytorch(source: str, inputs: tuple, grads: dict) -> None:
    result = invoke("eval", source, *inputs, "--format", "json")
    assert result.exit_code == 0
    import json

    assert json.loads(result.stdout)["gradients"] == grads
    gate = source.split("(")[0]
    assert f"{gate} is not differentiable" in result.stderr
    assert "as PyTorch does" in result.stderr


def test_sqrt_at_zero_has_infinite_slope_and_warns() -> None:
    result = invoke("eval", "sqrt(x)", "x=0", "--format", "json")
    assert result.exit_code == 0
    assert '"x": "inf"' in result.stdout
    assert "sqrt'(0) = inf" in result.stderr


@pytest.mark.parametrize("exact", [False, True])
def test_kinks_in_exact_mode_too(exact: bool) -> None:
    trace = run("relu(x) + max(x, y) + abs(x)", {"x": 0, "y": 0}, exact=exact)
    assert [float(g) for g in trace.gradients.values()] == [0.5, 0.5]
    assert len(trace.notes) == 3


def test_no_warning_away_from_kinks() -> None:
    result = invoke("eval", "relu(x) + abs(x) + max(x, 1)", "x=2")
    assert result.exit_code == 0 and result.stderr == ""


def test_unused_input_is_reported() -> None:
    result = invoke("eval", "a = w * 2; f = x * 3", "w=1", "x=2")
    assert "input w does not affect the output" in result.stderr


def test_relu_is_the_gradient_router_away_from_zero() -> None:
    assert run("relu(x)", {"x": -2}).gradients == {"x": 0}
    assert run("relu(x)", {"x": 3}).gradients == {"x": 1}
