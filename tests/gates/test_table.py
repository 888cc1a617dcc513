"""The gate table: every derived table has every row, and every row works through every
command (eval, --rows, arrays, --exact, code, draw, --expand, gradcheck, check).

A new row needs no new test here to be held to all of it: the cases are made from the rows.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pytest

from backprop_cli.engine import _tapeloops, tapegen
from backprop_cli.engine.ieee import UNDERFLOW_GATES
from backprop_cli.gates import registry, symbolic
from backprop_cli.gates._gatetable_np import NUMPY_GATES
from backprop_cli.gates.kinks import KINKS
from backprop_cli.gates.table import GATES, GATES_BY_NAME
from backprop_cli.graph.expand import COMPOSITES

from conftest import invoke

NAMES = [gate.name for gate in GATES]
# a point inside every gate's domain, away from its kinks
POINT = {"a": 0.7, "b": 1.3, "c": 2.1}
VARS = {"a": "x", "b": "y", "c": "z"}


def program(name: str) -> str:
    gate = GATES_BY_NAME[name]
    call = gate.pattern.format(**{p: VARS[p] for p in gate.params})
    return f"f = {call}"


def inputs(name: str) -> list[str]:
    return [f"{VARS[p]}={POINT[p]}" for p in GATES_BY_NAME[name].params]


def test_every_generated_and_derived_table_has_every_row() -> None:
    assert list(registry.GATES) == NAMES
    assert list(symbolic.GATES_BY_NAME) == NAMES
    assert set(NUMPY_GATES) == set(NAMES)
    # the tape has two operand slots: clip (three operands) runs on the reference loop
    on_tape = {g.name for g in GATES if len(g.params) <= 2}
    assert set(_tapeloops.FORWARD_CODES) == on_tape
    assert sorted(tapegen.ORDER) == sorted(on_tape)
    assert set(KINKS) == {g.name for g in GATES if g.kink is not None}
    assert set(tapegen.KINK_TESTS) == set(KINKS), "a kink with no test on the tape"
    assert {g.name for g in GATES if g.underflow} == UNDERFLOW_GATES
    assert set(COMPOSITES) == {g.name for g in GATES if g.expansion is not None}
    assert len({g.tape_order for g in GATES}) == len(GATES), "two rows share a tape place"


def test_every_stable_form_is_an_identity() -> None:
    import sympy as sp

    for original, stable in symbolic.STABLE_FORMS.items():
        difference = (original - stable).rewrite(sp.exp)
        point = {s: sp.Rational(7, 10) for s in difference.free_symbols}
        assert abs(sp.N(difference.xreplace(point), 30)) < 1e-25, (original, stable)


def eval_json(*args: str) -> dict[str, object]:
    result = invoke("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize("name", NAMES)
def test_eval_agrees_with_central_differences(name: str) -> None:
    doc = eval_json(program(name), *inputs(name))
    grads = doc["gradients"]
    assert isinstance(grads, dict)
    for param in GATES_BY_NAME[name].params:
        var = VARS[param]
        h = 1e-6
        sides = []
        for step in (h, -h):
            point = [f"{v}={POINT[p] + (step if v == var else 0)}"
                     for p, v in VARS.items() if p in GATES_BY_NAME[name].params]
            sides.append(float(str(eval_json(program(name), *point)["value"])))
        numerical = (sides[0] - sides[1]) / (2 * h)
        assert math.isclose(float(grads[var]), numerical, rel_tol=1e-6, abs_tol=1e-8), name


@pytest.mark.parametrize("name", NAMES)
def test_rows_arrays_and_exact_agree_with_eval(name: str, tmp_path: Path) -> None:
    doc = eval_json(program(name), *inputs(name))
    value = float(str(doc["value"]))
    names = [VARS[p] for p in GATES_BY_NAME[name].params]
    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(names) + "\n" + ",".join(
        str(POINT[p]) for p in GATES_BY_NAME[name].params) + "\n", encoding="utf-8")
    batch = invoke("eval", program(name), "--rows", str(rows), "--format", "jsonl")
    assert batch.exit_code == 0, batch.stderr
    assert math.isclose(float(json.loads(batch.stdout)["f"]), value, rel_tol=1e-12)
    arrays = [f"{n}=[{POINT[p]}, {POINT[p]}]"
              for n, p in zip(names, GATES_BY_NAME[name].params, strict=True)]
    array_doc = eval_json(f"{program(name)}\ng = sum(f)", *arrays)
    assert math.isclose(float(str(array_doc["value"])), 2 * value, rel_tol=1e-12)
    tenths = [f"{n}={round(POINT[p] * 10)}/10"
              for n, p in zip(names, GATES_BY_NAME[name].params, strict=True)]
    exact = eval_json(program(name), *tenths, "--exact")
    assert exact["value_exact"] != str(exact["value"]) or "." not in str(exact["value_exact"])
    assert math.isclose(float(str(exact["value"])), value, rel_tol=1e-12)


@pytest.mark.parametrize("style", ["flat", "modular"])
@pytest.mark.parametrize("name", NAMES)
def test_generated_code_runs_and_reproduces_the_numbers(name: str, style: str) -> None:
    doc = eval_json(program(name), *inputs(name))
    code = invoke("code", program(name), *inputs(name), "--style", style)
    assert code.exit_code == 0, code.stderr
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.stdout, "<generated>", "exec"), {"__name__": "generated"})
    numbers = dict(line.split(" = ") for line in printed.getvalue().splitlines())
    assert math.isclose(float(numbers["f"]), float(str(doc["value"])), rel_tol=1e-12)
    grads = doc["gradients"]
    assert isinstance(grads, dict)
    for var, grad in grads.items():
        assert math.isclose(float(numbers[f"df/d{var}"]), float(grad), rel_tol=1e-12,
                            abs_tol=1e-300), (name, var)


@pytest.mark.parametrize("name", NAMES)
def test_draw_expand_gradcheck_and_check(name: str) -> None:
    for args in (["draw", "--format", "dot"], ["draw", "--expand"], ["gradcheck"],
                 ["eval", "--expand"]):
        result = invoke(args[0], program(name), *inputs(name), *args[1:])
        assert result.exit_code == 0, (args, result.stderr)
    value = eval_json(program(name), *inputs(name))["value"]
    right = invoke("check", program(name), *inputs(name), "--expect", f"f={value}")
    assert right.exit_code == 0, right.stdout + right.stderr
    wrong = invoke("check", program(name), *inputs(name), "--expect", "f=123.5")
    assert wrong.exit_code == 1


@pytest.mark.parametrize("where", ["scalar", "array", "rows"])
def test_leaky_relu_takes_the_slope_at_zero_as_pytorch(where: str, tmp_path: Path) -> None:
    """torch.nn.functional.leaky_relu's gradient at 0 is negative_slope (x > 0 is the test)."""
    if where == "scalar":
        doc = eval_json("f = leaky_relu(x, 0.1) * 3", "x=0")
        assert float(doc["gradients"]["x"]) == pytest.approx(0.3)
    elif where == "array":
        doc = eval_json("f = sum(leaky_relu(x, 0.1))", "x=[-1, 0, 2]")
        assert [float(g) for g in doc["gradients"]["x"]] == pytest.approx([0.1, 0.1, 1])
    else:
        rows = tmp_path / "rows.csv"
        rows.write_text("x\n0\n-3\n", encoding="utf-8")
        result = invoke("eval", "f = leaky_relu(x, 0.1)", "--rows", str(rows), "--format",
                        "jsonl")
        assert result.exit_code == 0, result.stderr
        assert [json.loads(line)["grad.x"] for line in result.stdout.splitlines()] == \
            pytest.approx([0.1, 0.1])
    warned = invoke("eval", "f = leaky_relu(x, 0.1)", "x=0")
    assert "not differentiable" in warned.stderr and "slope" in warned.stderr
