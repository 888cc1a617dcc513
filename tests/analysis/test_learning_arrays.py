"""check, gradcheck, --steps and step with array values (the lecture's examples 4-6)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, run
from backprop_cli.graph.graph import Graph

from conftest import eval_json, invoke


def test_check_compares_arrays_element_by_element() -> None:
    right = invoke("check", "relu-vector", "--expect", "grad.x=[4, 0, 5, 0]",
                   "--expect", "z=[1, 0, 3, 0]")
    assert right.exit_code == 0, right.stdout
    wrong = invoke("check", "relu-vector", "--expect", "grad.x=[4, 0, 5, 1]")
    assert wrong.exit_code == 1 and "per element" in wrong.stdout
    assert invoke("check", "relu-vector", "--expect", "grad.x=4").exit_code == 1  # shapes
    assert invoke("check", "relu-vector", "--expect", "grad.x=[4, 0, 5]").exit_code == 1
    doc = json.loads(invoke("check", "relu-vector", "--expect", "grad.x=[4, 0, 5, 1]",
                            "--format", "json").stdout)
    assert doc["problems"][0]["answers"][0]["computed"] == [4, 0, 5, 0]


def test_exact_array_answers() -> None:
    args = ("m = mean(x)", "x=[1, 2, 2]", "--exact")
    assert invoke("check", *args, "--expect", "m=5/3",
                  "--expect", "grad.x=[1/3, 1/3, 1/3]").exit_code == 0
    assert invoke("check", *args, "--expect", "grad.x=[1/3, 1/3, 0.3333]").exit_code == 1


def test_gradcheck_of_the_two_layer_net_checks_every_element() -> None:
    result = invoke("gradcheck", "two-layer-softmax-l2", "--format", "json")
    assert result.exit_code == 0, result.stdout
    doc = json.loads(result.stdout)
    assert doc["skipped"] == ["y"]  # class labels have no gradient
    checked = {item["name"]: item for item in doc["inputs"]}
    assert set(checked) == {"x", "W1", "b1", "W2", "b2", "reg"}
    assert "worst of 6 elements" in checked["W1"]["note"]
    assert all(item["relative_error"] < 1e-7 for item in doc["inputs"])


def test_gradcheck_of_an_array_output_uses_the_upstream() -> None:
    result = invoke("gradcheck", "relu-vector")
    assert result.exit_code == 0
    assert result.stdout.startswith("Gradient check of L = sum(upstream * z)")


def test_gradcheck_reports_an_element_on_a_kink() -> None:
    result = invoke("gradcheck", "sum(relu(x))", "x=[1, 0, -1]")
    assert result.exit_code == 0
    assert "1 not checked: the step crosses the kink of t1 = relu(x) at [1]" in result.stdout


def test_no_grad_inputs_are_not_checked() -> None:
    result = invoke("gradcheck", "L = sum(x @ w)", "x=randn(2, 3)", "w=randn(3, 4)",
                    "--seed", "3", "--no-grad", "x", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["skipped"] == ["x"] and [item["name"] for item in doc["inputs"]] == ["w"]


def test_steps_with_arrays_show_rules_and_sums() -> None:
    result = invoke("eval", "s = sum(x * x)", "x=[1, 2]", "--steps")
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "5. x is used 2 times: its gradient ds/dx is the sum [1, 2] + [1, 2] = [2, 4]" in lines
    assert any("sum sum(t1) → t1: upstream 1; ds/dt1 = " in line for line in lines)


def test_gradient_descent_on_array_parameters(tmp_path: Path) -> None:
    args = ("two-layer-softmax-l2", "--params", "W1,b1", "--lr", "0.5")
    whole = json.loads(invoke("step", *args, "--iters", "3", "--format", "json").stdout)
    losses = [s["loss_before"] for s in whole["steps"]] + [whole["steps"][-1]["loss_after"]]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0]
    for name in ("w.json", "w.txt"):
        saved = tmp_path / name
        assert invoke("step", *args, "--iters", "2", "--save", str(saved)).exit_code == 0
        more = json.loads(invoke("step", *args, "--load", str(saved), "--format",
                                 "json").stdout)
        np.testing.assert_array_equal(more["params"]["W1"], whole["params"]["W1"])


SOFTPLUS_VECTOR = "def softplus(t): log(1 + exp(t))\nf = sum(softplus(w * x + b))"
WRITTEN_OUT = "f = sum(log(1 + exp(w * x + b)))"


@functools.cache
def _compiled(program: str) -> Graph:
    return compile_program(program)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.data())
def test_user_gate_on_arrays_agrees_with_the_written_out_expression(
        rows: int, columns: int, data: st.DataObject) -> None:
    """softplus elementwise, with broadcasting (w is a row, b a scalar), against the same
    expression written out, in values, gradients and a numpy reference."""
    numbers = st.floats(-6, 6, allow_nan=False)
    x = np.array(data.draw(st.lists(st.lists(numbers, min_size=columns, max_size=columns),
                                    min_size=rows, max_size=rows)))
    w = np.array(data.draw(st.lists(numbers, min_size=columns, max_size=columns)))
    b = data.draw(numbers)
    inputs = {"x": x, "w": w, "b": b}
    gate, written = run(_compiled(SOFTPLUS_VECTOR), inputs), run(_compiled(WRITTEN_OUT), inputs)
    s = w * x + b
    sig = 1 / (1 + np.exp(-s))
    np.testing.assert_allclose(gate.value, written.value, rtol=1e-13)
    np.testing.assert_allclose(gate.value, np.sum(np.log(1 + np.exp(s))), rtol=1e-12)
    expected = {"x": sig * w, "w": np.sum(sig * x, axis=0), "b": np.sum(sig)}
    for name, want in expected.items():
        np.testing.assert_allclose(gate.gradients[name], written.gradients[name], rtol=1e-12,
                                   atol=1e-15)
        np.testing.assert_allclose(gate.gradients[name], want, rtol=1e-12, atol=1e-15)
        assert gate.gradients[name].shape == np.shape(inputs[name])


def test_user_gate_on_a_vector_through_the_command_line() -> None:
    doc = eval_json(SOFTPLUS_VECTOR, "x=[1, -2, 0.5]", "w=2", "b=0.25")
    s = 2 * np.array([1, -2, 0.5]) + 0.25
    np.testing.assert_allclose(doc["value"], np.sum(np.log1p(np.exp(s))), rtol=1e-14)
    np.testing.assert_allclose(doc["gradients"]["x"], 2 / (1 + np.exp(-s)), rtol=1e-14)
    edge = next(e for e in doc["edges"] if e["node"] == "t3")
    assert edge["local_formula"] == "exp(t2)/(exp(t2) + 1)"  # sympy's, elementwise
    expanded = eval_json(SOFTPLUS_VECTOR, "x=[1, -2, 0.5]", "w=2", "b=0.25", "--expand")
    np.testing.assert_allclose(expanded["gradients"]["x"], doc["gradients"]["x"], rtol=1e-14)


def test_user_gate_on_arrays_in_exact_mode() -> None:
    doc = eval_json("def sq(t, u): t * t * u\nf = sum(sq(x, y))", "x=[1/2, 3]", "y=2",
                    "--exact")
    assert doc["value_exact"] == "37/2"
    assert doc["gradients_exact"] == {"x": ["2", "12"], "y": "37/4"}


def test_user_gate_on_arrays_names_the_element_outside_its_domain() -> None:
    result = invoke("eval", "def l(t): 2 * log(t)\nf = sum(l(x))", "x=[1, -1]")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the value of l is undefined here at node t1 = "
                                    "l(x) at element [1] (with x[1] = -1)")


def test_gradcheck_of_a_user_gate_on_a_vector(tmp_path: Path) -> None:
    result = invoke("gradcheck", SOFTPLUS_VECTOR, "x=[1, -2, 0.5]", "w=[2, 1, -1]", "b=0.25",
                    "--format", "json")
    assert result.exit_code == 0, result.stdout
    doc = json.loads(result.stdout)
    assert [item["name"] for item in doc["inputs"]] == ["w", "x", "b"]
    assert all(item["relative_error"] < 1e-7 for item in doc["inputs"])
    # a deliberately wrong hand-written gradient is caught element by element
    wrong = ('program = "f = sum(cube(x))"\n[gates.cube]\nparams = ["t"]\n'
             'body = "t ** 3"\ngrad.t = "2 * t ** 2"\n[inputs]\nx = [1.5, -0.5]\n')
    circuit = tmp_path / "wrong.toml"
    circuit.write_text(wrong)
    failed = invoke("gradcheck", str(circuit), "--format", "json")
    assert failed.exit_code == 1
    x = json.loads(failed.stdout)["inputs"][0]
    assert x["verdict"] == "probably wrong" and "worst of 2 elements" in x["note"]


def test_check_draws_random_inputs_with_the_seed(tmp_path: Path) -> None:
    """--seed draws the same randn(...) values as eval's --seed; answers files may give a
    seed per problem."""
    program, value = "m = mean(x * x)", "x=randn(5)"
    computed = {seed: eval_json(program, value, "--seed", str(seed))["value"]
                for seed in (0, 7)}
    assert computed[0] != computed[7]
    for seed, m in computed.items():
        for other in computed.values():
            result = invoke("check", program, value, "--seed", str(seed), "--expect",
                            f"m={m!r}")
            assert result.exit_code == 0, result.stdout
            result = invoke("check", program, value, "--seed", str(seed), "--expect",
                            f"m={other!r}")
            assert result.exit_code == (0 if other == m else 1)
    answers = tmp_path / "hw.toml"
    answers.write_text(f'[[problems]]\nprogram = "{program}"\ninputs = {{ x = "randn(5)" }}\n'
                       f'seed = 7\nexpect = {{ m = {computed[7]!r} }}\n'
                       f'[[problems]]\nprogram = "{program}"\ninputs = {{ x = "randn(5)" }}\n'
                       f'expect = {{ m = {computed[0]!r} }}\n')
    assert invoke("check", str(answers)).exit_code == 0
    assert invoke("check", str(answers), "--seed", "7").exit_code == 1  # problem 2 moves
    answers.write_text(answers.read_text().replace("seed = 7", "seed = -1"))
    bad = invoke("check", str(answers))
    assert bad.exit_code == 1 and "seed must be an integer >= 0" in bad.stderr  # broken


def test_a_circuits_own_answers_hold_for_its_own_arrays() -> None:
    same = invoke("check", "relu-vector", "x=[1, -2, 3, -1]")
    assert same.exit_code == 0, same.stderr
    changed = invoke("check", "relu-vector", "x=[1, -2, 3, -2]")
    assert changed.exit_code == 2 and "but x changed" in changed.stderr


def test_step_draws_random_inputs_with_the_seed() -> None:
    args = ("two-layer-softmax-l2", "--params", "W1,W2", "--lr", "0.5", "W1=randn(2, 3)",
            "--format", "json")
    runs = {seed: json.loads(invoke("step", *args, "--seed", str(seed)).stdout)
            for seed in (1, 2)}
    assert runs[1]["start"]["W1"] != runs[2]["start"]["W1"]
    for seed, run_ in runs.items():
        drawn = eval_json("s = sum(W1)", "W1=randn(2, 3)", "--seed", str(seed))["inputs"]["W1"]
        assert run_["start"]["W1"] == drawn
        assert run_ == json.loads(invoke("step", *args, "--seed", str(seed)).stdout)


@pytest.mark.parametrize(("program", "values", "crossed", "where"), [
    # the margin of class 2 is 1e-7: moving s[0, 0] or s[0, 2] by h flips its sign
    ("L = sum(hinge(s, y))", ("s=[[1, 0.5, 1e-7]]", "y=[0]"), "[0, 0], [0, 2]",
     "t1 = hinge(s, y) (a margin of exactly 0)"),
    # x[0] and x[1] are within h of a tie for the maximum
    ("m = max(x)", ("x=[1, 1.0000001, 0]",), "[0], [1]", "m = amax(x) (a tie for the maximum)"),
    # along an axis: row 1's two elements are within h of a tie for the minimum
    ("m = sum(amin(x, 1))", ("x=[[3, 1], [2, 1.9999999]]",), "[1, 0], [1, 1]",
     "t1 = amin(x, 1) (a tie for the minimum)"),
])
def test_gradcheck_says_when_a_step_crosses_a_kink_of_an_array_gate(
        program: str, values: tuple[str, ...], crossed: str, where: str) -> None:
    result = invoke("gradcheck", program, *values)
    assert result.exit_code == 0, result.stdout
    assert f"not checked: the step crosses the kink of {where} at {crossed}" in result.stdout


def test_a_circuits_own_answers_for_random_inputs_hold_for_its_seed(tmp_path: Path) -> None:
    circuit = tmp_path / "r.toml"
    circuit.write_text('program = "m = sum(x * x)"\n[inputs]\nx = "randn(3)"\n[expect]\n'
                       f'm = {eval_json("m = sum(x * x)", "x=randn(3)")["value"]!r}\n')
    assert invoke("check", str(circuit)).exit_code == 0
    assert invoke("check", str(circuit), "--seed", "0").exit_code == 0
    moved = invoke("check", str(circuit), "--seed", "2")
    assert moved.exit_code == 2 and "but --seed changed" in moved.stderr
