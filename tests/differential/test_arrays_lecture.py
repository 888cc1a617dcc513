"""The lecture's array examples (4-6 of shared/reference/lecture-examples.md) through the
command line, to the numbers given there; the two-layer nets against hand-written numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import backprop_cli
from backprop_cli import run
from backprop_cli.analysis.jacobian import memory_text
from backprop_cli.inputs.circuits import load_bundled

from conftest import eval_json, invoke

MATMUL_X = "[[2, 1, -3], [-3, 4, 2]]"
MATMUL_W = "[[3, 2, 1, -1], [2, 1, 3, 2], [3, 2, 1, -2]]"
MATMUL_UP = "[[2, 3, -3, 9], [-8, 1, 4, 6]]"
TRUE_Y = [[-1, -1, 2, 6], [5, 2, 11, 7]]
TRUE_DX = [[0, 16, -9], [-24, 9, -30]]
TRUE_DW = [[28, 3, -18, 0], [-30, 7, 13, 33], [-22, -7, 17, -15]]


def node(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in document["nodes"] if n["name"] == name)


def edge(document: dict[str, Any], gate: str, operand: str) -> dict[str, Any]:
    return next(e for e in document["edges"] if e["node"] == gate and e["input"] == operand)


def test_relu_on_a_vector_with_the_lecture_upstream() -> None:
    doc = eval_json("z = relu(x)", "x=[1,-2,3,-1]", "--upstream", "[4,-1,5,9]")
    assert doc["value"] == [1, 0, 3, 0]
    assert doc["gradients"] == {"x": [4, 0, 5, 0]}
    relu = edge(doc, "z", "x")
    assert relu["local"] == [1, 0, 1, 0] and relu["local_formula"] == "[x > 0]"
    assert relu["upstream"] == [4, -1, 5, 9]
    assert doc["arrays"] is True and node(doc, "x")["shape"] == [4]


def test_relu_jacobian_is_diagonal_and_never_needed() -> None:
    doc = eval_json("relu-vector", "--jacobian")
    (jacobian,) = doc["jacobians"]
    assert jacobian["matrix"] == np.diag([1.0, 0, 1, 0]).tolist()
    assert jacobian["product"] == [4, 0, 5, 0] == jacobian["downstream"]
    assert jacobian["max_difference"] == 0
    shown = invoke("eval", "relu-vector", "--jacobian").stdout
    lines = [" ".join(line.split()) for line in shown.splitlines()]
    assert "z[0] 1 0 0 0" in lines and "z[2] 0 0 1 0" in lines and "z[1] 0 0 0 0" in lines
    assert any(line.startswith("z = relu(x) x 4 x 4 = 16 entries [4, 0, 5, 0] [4, 0, 5, 0] 0")
               for line in lines)


def test_matmul_true_values_and_the_lecture_formulas() -> None:
    doc = eval_json("y = x @ w", f"x={MATMUL_X}", f"w={MATMUL_W}", "--upstream", MATMUL_UP)
    assert doc["value"] == TRUE_Y
    assert doc["gradients"] == {"x": TRUE_DX, "w": TRUE_DW}
    assert edge(doc, "y", "x")["local_formula"] == "dL/dx = dL/dy @ w.T"
    assert edge(doc, "y", "w")["local_formula"] == "dL/dw = x.T @ dL/dy"
    assert edge(doc, "y", "x")["local"] is None  # a rule, not a number
    assert doc["loss"] == "L"
    # the products whose shapes fit, written out with numpy
    up, x, w = (np.array(json.loads(t)) for t in (MATMUL_UP, MATMUL_X, MATMUL_W))
    assert (up @ w.T).tolist() == TRUE_DX and (x.T @ up).tolist() == TRUE_DW


def test_matmul_circuit_says_the_slide_is_wrong() -> None:
    circuit = load_bundled("matmul")
    assert "[[13, 9, -2, -6], [5, 2, 17, 1]]" in circuit.description
    doc = eval_json("circuits/matmul.toml")
    assert doc["value"] == TRUE_Y and doc["value"] != [[13, 9, -2, -6], [5, 2, 17, 1]]


def test_matmul_jacobians_are_kronecker_products() -> None:
    doc = eval_json("matmul", "--jacobian")
    x, w = np.array(json.loads(MATMUL_X)), np.array(json.loads(MATMUL_W))
    by_input = {j["input"]: j for j in doc["jacobians"]}
    jx, jw = np.array(by_input["x"]["matrix"]), np.array(by_input["w"]["matrix"])
    assert jx.shape == (8, 6) and jw.shape == (8, 12)
    for n, m, k, d in np.ndindex(2, 4, 2, 3):  # dy[n, m] / dx[k, d] = w[d, m] if n == k
        assert jx[n * 4 + m, k * 3 + d] == (w[d, m] if n == k else 0)
    for n, m, d, j in np.ndindex(2, 4, 3, 4):  # dy[n, m] / dw[d, j] = x[n, d] if m == j
        assert jw[n * 4 + m, d * 4 + j] == (x[n, d] if m == j else 0)
    assert by_input["x"]["product"] == TRUE_DX and by_input["w"]["product"] == TRUE_DW


def test_large_jacobians_report_memory_instead() -> None:
    assert memory_text(64 * 4096 * 64 * 4096) == "512 GiB as float64 (256 GiB as float32)"
    result = invoke("eval", "y = x @ w", "x=randn(8,9)", "w=randn(9,8)", "--upstream",
                    "ones(8,8)", "--jacobian")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert ("64 x 72 = 4,608 entries: not formed; it would take 36 KiB as float64 "
            "(18 KiB as float32)") in text
    doc = eval_json("y = x @ w", "x=randn(8,9)", "w=randn(9,8)", "--upstream", "ones(8,8)",
                    "--jacobian")
    assert [j["matrix"] for j in doc["jacobians"]] == [None, None]
    assert doc["jacobians"][0]["bytes_float64"] == 64 * 72 * 8


def _expected_matches(document: dict[str, Any], expect: dict[str, Any]) -> None:
    grads = expect.get("grad", {})
    for name, value in expect.items():
        if name != "grad":
            np.testing.assert_allclose(node(document, name)["value"], value, rtol=1e-12,
                                       atol=1e-12, err_msg=name)
    for name, value in grads.items():
        np.testing.assert_allclose(node(document, name)["grad"], value, rtol=1e-12,
                                   atol=1e-12, err_msg=f"grad.{name}")


@pytest.mark.parametrize("name", ["relu-vector", "matmul", "two-layer-hinge",
                                  "two-layer-softmax-l2", "two-layer-sigmoid-squared",
                                  "linear-collapse"])
def test_array_circuits_meet_their_expected_answers(name: str) -> None:
    document = eval_json(name)
    expect = load_bundled(name).expect
    assert expect
    _expected_matches(document, expect)


def _net_inputs(name: str) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float) for k, v in load_bundled(name).inputs.items()}


def test_two_layer_hinge_against_hand_written_numpy() -> None:
    v = _net_inputs("two-layer-hinge")
    n, labels = len(v["x"]), v["y"].astype(int)
    z = v["x"] @ v["W1"] + v["b1"]
    h = np.maximum(0, z)
    s = h @ v["W2"] + v["b2"]
    margins = s - s[np.arange(n), labels][:, None] + 1
    margins[np.arange(n), labels] = 0
    loss = np.maximum(0, margins).sum(axis=1).mean()
    ds = (margins > 0).astype(float)
    ds[np.arange(n), labels] = -ds.sum(axis=1)
    ds /= n
    dz = ds @ v["W2"].T * (z > 0)
    expected = {"W2": h.T @ ds, "b2": ds.sum(0), "W1": v["x"].T @ dz, "b1": dz.sum(0),
                "x": dz @ v["W1"].T}
    trace = run("two-layer-hinge")
    assert float(trace.value) == pytest.approx(loss, rel=1e-12)
    assert set(trace.gradients) == set(expected)  # the labels y take no gradient
    for name, value in expected.items():
        np.testing.assert_allclose(trace.gradients[name], value, rtol=1e-12, atol=1e-15)


def test_two_layer_softmax_l2_against_hand_written_numpy() -> None:
    v = _net_inputs("two-layer-softmax-l2")
    n, labels, reg = len(v["x"]), v["y"].astype(int), float(v["reg"])
    z = v["x"] @ v["W1"] + v["b1"]
    h = np.maximum(0, z)
    s = h @ v["W2"] + v["b2"]
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), labels]).mean() + reg * ((v["W1"] ** 2).sum()
                                                            + (v["W2"] ** 2).sum())
    ds = p.copy()
    ds[np.arange(n), labels] -= 1
    ds /= n
    dz = ds @ v["W2"].T * (z > 0)
    expected = {"W2": h.T @ ds + 2 * reg * v["W2"], "b2": ds.sum(0),
                "W1": v["x"].T @ dz + 2 * reg * v["W1"], "b1": dz.sum(0)}
    trace = run("two-layer-softmax-l2")
    assert float(trace.value) == pytest.approx(loss, rel=1e-12)
    for name, value in expected.items():
        np.testing.assert_allclose(trace.gradients[name], value, rtol=1e-12, atol=1e-15)


def test_two_layer_sigmoid_squared_loss_with_the_second_lecture_formulas() -> None:
    v = _net_inputs("two-layer-sigmoid-squared")
    x, w1, w2, y = v["x"], v["w1"], v["w2"], v["y"]
    h = 1 / (1 + np.exp(-x @ w1))
    y_pred = h @ w2
    grad_y_pred = 2 * (y_pred - y)
    grad_w2 = h.T @ grad_y_pred
    grad_h = grad_y_pred @ w2.T
    grad_w1 = x.T @ (grad_h * h * (1 - h))
    trace = run("two-layer-sigmoid-squared")
    assert float(trace.value) == pytest.approx(((y_pred - y) ** 2).sum(), rel=1e-12)
    np.testing.assert_allclose(trace.grad("y_pred"), grad_y_pred, rtol=1e-12)
    np.testing.assert_allclose(trace.grad("h"), grad_h, rtol=1e-12)
    np.testing.assert_allclose(trace.gradients["w2"], grad_w2, rtol=1e-12)
    np.testing.assert_allclose(trace.gradients["w1"], grad_w1, rtol=1e-12)


def test_svm_loss_of_the_cat_car_frog_scores() -> None:
    """CS231n's hinge example: losses 2.9, 0 and 12.9, mean 5.27 (to the slide's digits)."""
    scores = "[[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]"
    doc = eval_json("L_i = hinge(s, y); L = mean(L_i)", f"s={scores}", "y=[0, 1, 2]")
    assert node(doc, "L_i")["value"] == pytest.approx([2.9, 0, 12.9])
    assert doc["value"] == pytest.approx(5.27, abs=5e-3)
    assert doc["labels"] == ["y"] and "y" not in doc["gradients"]


def test_the_linear_collapse_practice() -> None:
    doc = eval_json("linear-collapse")
    assert node(doc, "a")["value"] == node(doc, "b")["value"] == [2, 4]


def test_exact_matmul_gives_the_lecture_integers() -> None:
    doc = eval_json("matmul", "--exact")
    assert doc["gradients_exact"]["x"] == [[str(v) for v in row] for row in TRUE_DX]
    thirds = eval_json("m = mean(x)", "x=[1, 2, 2]", "--exact")
    assert thirds["value_exact"] == "5/3" and thirds["gradients_exact"]["x"] == ["1/3"] * 3


def test_installed_command_runs_an_array_circuit() -> None:
    import shutil

    found = shutil.which("backprop", path=str(Path(sys.executable).parent))
    assert found
    done = subprocess.run([found, "eval", "y = x @ w", f"x={MATMUL_X}", f"w={MATMUL_W}",
                           "--upstream", MATMUL_UP, "--format", "json"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradients"]["w"] == TRUE_DW
    bad = subprocess.run([found, "eval", "y = x @ w", "x=[[1, 2]]", "w=[[1, 2]]",
                          "--upstream", "[[1, 1]]"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: matmul gate y = x @ w: shapes (1, 2) and (1, 2)")


def test_public_api_with_arrays() -> None:
    trace = backprop_cli.run("y = x @ w", {"x": json.loads(MATMUL_X), "w": np.array(
        json.loads(MATMUL_W))}, upstream=json.loads(MATMUL_UP))
    assert trace.arrays and trace.shape(trace.output) == (2, 4)
    assert trace.gradients["x"].tolist() == TRUE_DX


def test_gates_lists_the_array_gates_with_their_rules() -> None:
    text = invoke("gates", "--format", "plain").stdout
    assert "dL/da = dL/dout @ b.T; dL/db = a.T @ dL/dout" in text
    assert "dL/ds = (softmax(s) - onehot(y)) * dL/dout; none: y holds class labels" in text
    document = json.loads(invoke("gates", "--format", "json").stdout)
    assert document["softmax"]["array"] is True and document["mul"]["local_gradients"]
    assert {"matmul", "transpose", "reshape", "index", "sum", "mean", "amax", "amin",
            "softmax", "log_softmax", "cross_entropy", "hinge", "l2"} <= set(document)
