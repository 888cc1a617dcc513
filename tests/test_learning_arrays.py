"""check, gradcheck, --steps and step with array values (the lecture's examples 4-6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import invoke


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
    assert "5. x is used 2 times: its gradient is the sum [1, 2] + [1, 2] = [2, 4]" in lines
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


@pytest.mark.parametrize("extra", [(), ("--expand",)])
def test_user_gates_with_arrays(extra: tuple[str, ...]) -> None:
    program = "def sp(t): log(1 + exp(t))\nf = sum(sp(x))"
    result = invoke("eval", program, "x=[1, 2]", *extra, "--format", "json")
    if not extra:
        assert result.exit_code == 2 and "write it out with --expand" in result.stderr
    else:
        assert result.exit_code == 0
        grads = json.loads(result.stdout)["gradients"]["x"]
        np.testing.assert_allclose(grads, 1 / (1 + np.exp(-np.array([1.0, 2.0]))),
                                   rtol=1e-14)
