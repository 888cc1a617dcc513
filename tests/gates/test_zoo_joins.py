"""concat, stack, arange and integer-array indexing s[arange(N), y]: against numpy and central
differences on random shapes (hypothesis); the scatter-add backward where an element is
picked twice; generated code; errors."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_arrays_gates import SETTINGS, check, seeds

from conftest import eval_json, invoke


@st.composite
def joinable(draw: st.DrawFn) -> tuple[list[tuple[int, ...]], int]:
    """2 or 3 shapes equal except along ``axis`` (negative allowed)."""
    base = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    axis = draw(st.integers(-len(base), len(base) - 1))
    shapes = []
    for _ in range(draw(st.integers(2, 3))):
        shape = list(base)
        shape[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(shape))
    return shapes, axis


@SETTINGS
@given(joinable(), seeds)
def test_concat_against_central_differences(case: tuple[list[tuple[int, ...]], int],
                                            seed: int) -> None:
    shapes, axis = case
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c"][:len(shapes)]
    inputs = {n: rng.uniform(-2, 2, s) for n, s in zip(names, shapes, strict=True)}
    check(f"f = concat({', '.join(names)}, {axis})",
          lambda **arrays: np.concatenate([arrays[n] for n in names], axis=axis), inputs, rng)


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple), st.integers(2, 3),
       st.data(), seeds)
def test_stack_against_central_differences(shape: tuple[int, ...], count: int,
                                           data: st.DataObject, seed: int) -> None:
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c"][:count]
    inputs = {n: rng.uniform(-2, 2, shape) for n in names}
    check(f"f = stack({', '.join(names)}, axis={axis}) * 3",
          lambda **arrays: np.stack([arrays[n] for n in names], axis=axis) * 3, inputs, rng)


@SETTINGS
@given(st.integers(1, 5), st.integers(1, 4), seeds)
def test_picking_each_rows_label_against_central_differences(rows: int, classes: int,
                                                             seed: int) -> None:
    """s[arange(N), y]: the assignments' correct-class scores."""
    rng = np.random.default_rng(seed)
    inputs = {"s": rng.uniform(-2, 2, (rows, classes)),
              "y": rng.integers(0, classes, rows).astype(float)}
    check(f"f = s[arange({rows}), y] * s[arange({rows}), y]",
          lambda s, y: s[np.arange(rows), y.astype(int)] ** 2, inputs, rng, no_grad=("y",))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 6), seeds)
def test_picking_rows_with_repeats_adds_their_gradients(rows: int, picks: int,
                                                        seed: int) -> None:
    """w[y] (an embedding lookup): a row picked twice gets both gradients (np.add.at)."""
    rng = np.random.default_rng(seed)
    inputs = {"w": rng.uniform(-2, 2, (rows, 3)),
              "y": rng.integers(-rows, rows, picks).astype(float)}
    check("f = w[y] * w[y]", lambda w, y: w[y.astype(int)] ** 2, inputs, rng, no_grad=("y",))


def test_a_repeated_pick_counts_twice() -> None:
    doc = eval_json("f = sum(s[y])", "s=[10, 20, 30]", "y=[2, 0, 2, 2]")
    assert float(doc["value"]) == 100
    assert doc["gradients"]["s"] == [1, 0, 3]
    assert "y" not in doc["gradients"]


def test_arange_and_exact_joins() -> None:
    """[1/3, 0, 1, 2] . [0, 1, 2, 1/3] = 2 + 2/3; x meets 0 and 2: d/dx = 2."""
    doc = eval_json("f = sum(concat(x, arange(3)) * concat(arange(3), x))", "x=[1/3]",
                    "--exact")
    assert doc["value_exact"] == "8/3"
    assert doc["gradients_exact"]["x"] == ["2"]


def test_the_edge_table_states_each_rule() -> None:
    result = invoke("eval", "f = sum(concat(a, b) * 2) + sum(stack(a, b)[1]) + "
                    "sum(s[arange(2), y])", "a=[1, 2]", "b=[3, 4]", "s=[[1, 2], [3, 4]]",
                    "y=[1, 0]")
    assert result.exit_code == 0, result.stderr
    for rule in ("the slice of df/dt1 where a sits", "at the index of b along the new axis",
                 "added back at the picked places (np.add.at)"):
        assert rule in result.stdout, rule


PROGRAM = ("f = sum(concat(x, y, 0) * w) + sum(stack(x, y, 1) * w2) + "
           "sum(s[arange(3), k] * 2) + sum(x[k[:2]]) + sum(concat(x, y, axis=-1)[0])")
INPUTS = ("x=[[1, 2, 3], [4, 5, 7]]", "y=[[1, 0, 0], [0, 1, 0]]", "w=[[1], [2], [3], [4]]",
          "w2=[[[1, 2, 3], [1, 1, 1]], [[0, 0, 1], [2, 2, 2]]]",
          "s=[[1, 2, 3], [4, 5, 7], [0, 1, 9]]", "k=[1, 0, 1]")


@pytest.mark.parametrize("style", ["flat", "modular"])
def test_generated_code_runs_and_reproduces_the_gradients(style: str) -> None:
    doc = eval_json(PROGRAM, *INPUTS)
    code = invoke("code", PROGRAM, *INPUTS, "--style", style)
    assert code.exit_code == 0, code.stderr
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.stdout, "<generated>", "exec"), {"__name__": "generated"})
    numbers = dict(line.split(" = ") for line in printed.getvalue().splitlines())
    assert float(numbers["f"]) == float(doc["value"])
    for name, gradient in doc["gradients"].items():
        assert json.loads(numbers[f"df/d{name}"]) == gradient, name


@pytest.mark.parametrize(("program", "inputs", "message"), [
    ("f = sum(concat(a, b))", ("a=[[1, 2]]", "b=[[1, 2, 3]]"),
     "error: concat gate t1 = concat(a, b): shapes (1, 2) and (1, 3) (array 2) cannot be "
     "joined along axis 0"),
    ("f = sum(stack(a, b))", ("a=[1, 2]", "b=[1, 2, 3]"),
     "error: stack gate t1 = stack(a, b): shapes (2,) and (3,) (array 2) cannot be stacked"),
    ("f = sum(s[arange(2), y])", ("s=[[1, 2], [3, 4]]", "y=[0, 2]"),
     "indices along axis 1 must be integers from -2 to 1"),
    ("f = sum(s[arange(3), y])", ("s=[[1, 2], [3, 4]]", "y=[0, 1]"),
     "index arrays of shapes (3,) and (2,) do not broadcast"),
    ("f = sum(s[arange(2), y)", ("s=[[1, 2], [3, 4]]", "y=[0, 1]"),
     "expected ']' to close the '[' still open"),
])
def test_bad_joins_and_picks_are_one_error_line(program: str, inputs: tuple[str, ...],
                                                message: str) -> None:
    result = invoke("eval", program, *inputs)
    assert result.exit_code == 2, result.stdout
    first = result.stderr.splitlines()[0]
    assert message in first
    assert "line 1, column" in first


@pytest.mark.parametrize(("program", "inputs", "upstream"), [
    ("f = concat(x, y * 2)", ("x=[1, 2]", "y=[3]"), "ones(3)"),
    ("f = stack(x, x * 3, axis=1)", ("x=[1, 2]",), "ones(2, 2)"),
    ("f = s[arange(2), y]", ("s=[[1, 2], [3, 4]]", "y=[1, 1]"), "ones(2)"),
])
def test_jacobians_agree_with_the_backward_pass(program: str, inputs: tuple[str, ...],
                                                upstream: str) -> None:
    result = invoke("eval", program, *inputs, "--jacobian", "--upstream", upstream)
    assert result.exit_code == 0, result.stderr
    assert "Jacobians against the backward pass" in result.stdout
