"""Comparisons (> < >= <= == !=) and where(cond, x, y): 0/1 values with no gradient through
them, the gradient of where routed to x where cond holds and to y elsewhere (PyTorch's
where), against numpy and central differences on random shapes (hypothesis), in scalars,
arrays, --rows, --exact and generated code."""

from __future__ import annotations

import contextlib
import io
import json
import operator
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from test_arrays_gates import SETTINGS, broadcast_pair, check, seeds, shapes

from backprop_cli import compile_program, evaluate

from conftest import eval_json, invoke

COMPARISONS: dict[str, Callable[[object, object], object]] = {
    ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne}


@pytest.mark.parametrize("op", list(COMPARISONS))
def test_comparisons_give_0_or_1_and_no_gradient(op: str) -> None:
    x = np.array([1.0, 2.0, 3.0, -1.0])
    y = np.array([2.0, 2.0, 0.5, -1.0])
    trace = evaluate(compile_program(f"f = x {op} y"), {"x": x, "y": y},
                     upstream=np.ones(4))
    np.testing.assert_array_equal(trace.value, COMPARISONS[op](x, y) * 1.0)
    np.testing.assert_array_equal(trace.gradients["x"], np.zeros(4))
    for a, b in zip(x, y, strict=True):
        doc = eval_json(f"f = x {op} y", f"x={a}", f"y={b}")
        assert float(doc["value"]) == float(COMPARISONS[op](a, b))
        assert float(doc["gradients"]["x"]) == 0.0


def test_comparisons_bind_looser_than_arithmetic() -> None:
    doc = eval_json("f = x + 1 > y * 2", "x=2", "y=1")  # (2 + 1) > (1 * 2)
    assert float(doc["value"]) == 1.0
    doc = eval_json("f = -x < y", "x=2", "y=-1")  # -2 < -1
    assert float(doc["value"]) == 1.0


@pytest.mark.parametrize("text", ["x < y < z", "x == y != z", "x > y >= z"])
def test_chained_comparisons_are_one_error(text: str) -> None:
    result = invoke("eval", f"f = {text}", "x=1", "y=2", "z=3")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: comparisons do not chain")
    assert "line 1, column" in result.stderr


@SETTINGS
@given(broadcast_pair(), seeds)
def test_where_against_central_differences(pair: tuple[tuple[int, ...], tuple[int, ...]],
                                           seed: int) -> None:
    rng = np.random.default_rng(seed)
    first, second = pair
    inputs = {"x": rng.uniform(-2, 2, first), "y": rng.uniform(-2, 2, second),
              "c": rng.uniform(-1, 1, np.broadcast_shapes(first, second))}
    check("f = where(c > 0, x * y, y - x)",
          lambda x, y, c: np.where(c > 0, x * y, y - x), inputs, rng)


@SETTINGS
@given(shapes, seeds)
def test_comparisons_inside_a_circuit_against_central_differences(
        shape: tuple[int, ...], seed: int) -> None:
    """A mask made by comparisons multiplies the data: the gradient is the mask times
    upstream, and nothing flows into the comparisons' operands through them."""
    rng = np.random.default_rng(seed)
    inputs = {"x": rng.uniform(-2, 2, shape), "y": rng.uniform(-2, 2, shape)}
    check("f = (x >= y) * x + (x != y) * (x < 0.5) * y * y",
          lambda x, y: (x >= y) * x + (x != y) * (x < 0.5) * y * y, inputs, rng)


@pytest.mark.parametrize("where", ["scalar", "array", "rows", "exact"])
def test_where_routes_the_gradient_as_pytorch(where: str, tmp_path: Path) -> None:
    """torch.where(c, x, y): dL/dx = upstream where c, dL/dy = upstream elsewhere."""
    program = "f = where(x > 0, x * 3, x * y)"
    xs, y = [2.0, 0.0, -1.0], 5.0
    want = [3.0, 5.0, 5.0]
    if where == "scalar":
        got = [float(eval_json(program, f"x={x}", f"y={y}")["gradients"]["x"]) for x in xs]
    elif where == "array":
        doc = eval_json("f = sum(where(x > 0, x * 3, x * y))", f"x={xs}", f"y={y}")
        got = [float(g) for g in doc["gradients"]["x"]]
    elif where == "exact":
        got = [float(eval_json(program, f"x={x}", "y=5", "--exact")["gradients"]["x"])
               for x in xs]
    else:
        rows = tmp_path / "rows.csv"
        rows.write_text("x,y\n" + "\n".join(f"{x},{y}" for x in xs) + "\n", encoding="utf-8")
        result = invoke("eval", program, "--rows", str(rows), "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        got = [json.loads(line)["grad.x"] for line in result.stdout.splitlines()]
    assert got == want


def test_where_edges_state_the_rule_as_brackets() -> None:
    result = invoke("eval", "f = where(c, x, y)", "c=1", "x=2", "y=3")
    assert result.exit_code == 0, result.stderr
    # the Iverson bracket every view writes: [c != 0] to x, [c == 0] to y
    assert "[c != 0]" in result.stdout
    assert "[c == 0]" in result.stdout


def test_a_large_circuit_of_comparisons_runs_on_the_tape_as_on_the_reference() -> None:
    """70 nodes: the compiled tape takes comparisons (two operands); where does not."""
    text = "\n".join(f"t{i} = (x * {i} > 3) * x + (x <= {i}) * y" for i in range(20)) + \
        "\nf = " + " + ".join(f"t{i}" for i in range(20))
    trace = evaluate(compile_program(text), {"x": 0.5, "y": 2.0})
    assert trace.value == pytest.approx(sum((0.5 * i > 3) * 0.5 + (i >= 0.5) * 2.0
                                            for i in range(20)))
    assert trace.gradients["x"] == pytest.approx(sum(0.5 * i > 3 for i in range(20)))
    assert trace.gradients["y"] == pytest.approx(sum(i >= 0.5 for i in range(20)))


def run_code(*args: str) -> dict[str, object]:
    """``backprop code ARGS`` executed: what it prints, NAME = value per line."""
    code = invoke("code", *args)
    assert code.exit_code == 0, code.stderr
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.stdout, "<generated>", "exec"), {"__name__": "generated"})
    return {name: json.loads(value) for name, value in
            (line.split(" = ") for line in printed.getvalue().splitlines())}


@pytest.mark.parametrize("style", ["flat", "modular"])
def test_generated_numpy_code_runs_and_reproduces_the_gradients(style: str) -> None:
    args = ("f = sum(where(x >= y, x * x, -y) * (x != 1))", "x=[-1, 0, 1, 2]",
            "y=[0, 0, 0, 3]")
    doc = eval_json(*args)
    numbers = run_code(*args, "--style", style)
    assert float(numbers["f"]) == float(doc["value"])
    for name in ("x", "y"):
        assert numbers[f"df/d{name}"] == [float(g) for g in doc["gradients"][name]]


def test_where_with_shapes_that_do_not_broadcast_is_one_error() -> None:
    result = invoke("eval", "f = sum(where(c, x, y))", "c=[1, 0]", "x=[1, 2, 3]", "y=1")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: where gate") and "(2,)" in first and "(3,)" in first
    assert "line 1, column 9" in first
