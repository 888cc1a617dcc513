"""``backprop code`` for circuits of arrays: numpy code, executed, must reproduce the tool."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_check import installed_backprop

from backprop_cli import bundled_names, run
from backprop_cli.codegen.write import python_code
from backprop_cli.engine.trace import Trace
from backprop_cli.gates.registry import GATES

from conftest import eval_json, invoke

STYLES = ("flat", "modular")


def array_circuits() -> list[str]:
    return [name for name in bundled_names() if run(name).arrays]


def printed(stdout: str) -> dict[str, Any]:
    """``loss = 1.7`` / ``dloss/dW1 = [[...], ...]`` lines printed by the generated code."""
    numbers: dict[str, Any] = {}
    for line in stdout.splitlines():
        name, _, value = line.partition(" = ")
        numbers[name] = json.loads(value) if value.startswith("[") else float(value)
    return numbers


def run_python(code: str) -> dict[str, Any]:
    """Run generated code in a fresh interpreter, as a user would."""
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr + code
    return printed(done.stdout)


def exec_generated(code: str) -> dict[str, Any]:
    """Execute the tool's own generated text in-process (for the many cases)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), np.errstate(divide="ignore"):
        exec(compile(code, "<generated>", "exec"), {"__name__": "generated"})
    return printed(out.getvalue())


def expected_numbers(doc: dict[str, Any]) -> dict[str, Any]:
    """What the code must print, from ``backprop eval --format json``."""
    numbers = {doc["output"]: doc["value"]}
    numbers.update({f"d{doc['loss']}/d{name}": g for name, g in doc["gradients"].items()})
    return numbers


def trace_numbers(trace: Trace) -> dict[str, Any]:
    graph = trace.graph
    numbers = {graph.names[graph.output]: trace.value}
    numbers.update({f"d{trace.loss_name()}/d{name}": g for name, g in trace.gradients.items()})
    return numbers


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        expected = np.asarray(value, dtype=float)
        actual = np.asarray(got[key], dtype=float)
        assert actual.shape == expected.shape, key
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-13 * scale,
                                   err_msg=key)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", array_circuits())
def test_code_of_every_bundled_array_circuit_runs_and_reproduces_the_numbers(
        name: str, style: str) -> None:
    result = invoke("code", name, "--style", style)
    assert result.exit_code == 0, result.stderr
    code = result.stdout
    assert code.startswith("import numpy as np\n")
    assert "import" not in code[len("import numpy as np"):]
    assert_same(run_python(code), expected_numbers(eval_json(name)))


def test_array_circuits_are_the_lectures() -> None:
    assert set(array_circuits()) >= {"relu-vector", "matmul", "two-layer-hinge",
                                      "two-layer-softmax-l2", "two-layer-sigmoid-squared",
                                      "linear-collapse"}


def _section(code: str, title: str) -> list[str]:
    lines = code.splitlines()
    start = lines.index(title) + 1
    return lines[start:lines.index("", start)]


def test_flat_array_code_is_the_lectures_numpy() -> None:
    """Lecture section 6: h = sigmoid(x.dot(w1)), y_pred = h.dot(w2); grad_w2 =
    h.T.dot(grad_y_pred), grad_h = grad_y_pred.dot(w2.T), grad_w1 = x.T.dot(...)."""
    code = invoke("code", "two-layer-sigmoid-squared", "--no-grad", "x,y").stdout
    assert _section(code, "# forward pass") == [
        "t1 = x.dot(w1)", "h = 1 / (1 + np.exp(-t1))", "y_pred = h.dot(w2)", "t2 = y_pred - y",
        "t3 = t2 ** 2", "loss = np.sum(t3)"]
    assert _section(code, "# backward pass") == [
        "grad_loss = 1.0",
        "grad_t3 = np.ones_like(t3) * grad_loss",
        "grad_t2 = grad_t3 * 2*t2",  # the lecture's 2.0 * (y_pred - y)
        "grad_y_pred = grad_t2",
        "grad_h = grad_y_pred.dot(w2.T)",
        "grad_w2 = h.T.dot(grad_y_pred)",
        "grad_t1 = grad_h * h*(1 / (1 + np.exp(t1)))",  # h * (1 - h), 1 - h as sigmoid(-t1)
        "grad_w1 = x.T.dot(grad_t1)"]
    assert "grad_x" not in code and "grad_y " not in code  # --no-grad: data, not parameters


def test_flat_code_sums_broadcast_axes_and_accumulates_fan_out() -> None:
    code = invoke("code", "two-layer-softmax-l2").stdout
    backward = _section(code, "# backward pass")
    assert "grad_b1 = np.sum(grad_t2, axis=0)" in backward  # the bias was broadcast
    assert "grad_s = (softmax(s) - np.eye(3)[y]) * grad_t4[:, None]" in backward
    assert "grad_W1 = W1 * (2 * grad_t5)" in backward  # L2 first, then the data loss:
    assert "grad_W1 += x.T.dot(grad_t1)" in backward
    assert code.count("def softmax(a, axis=-1):") == 1
    assert "y = np.array([0, 2, 1])  # class labels" in code


def test_modular_array_code_has_gate_classes() -> None:
    code = invoke("code", "two-layer-hinge", "--style", "modular").stdout
    assert "class MatmulGate:" in code and "class HingeGate:" in code
    assert "return upstream.dot(self.b.T), self.a.T.dot(upstream)" in code
    assert "hinge_t4 = HingeGate(margin=1.0)" in code
    add = code[code.index("class AddGate:"):code.index("class ReluGate:")]
    assert "unbroadcast(upstream, self.b_shape)" in add  # the bias is broadcast
    relu = code[code.index("class ReluGate:"):code.index("class HingeGate:")]
    assert "unbroadcast" not in relu


PROGRAMS = [
    ("f = sum(x.T @ w) + sum(x * x)", ("x=[[1, -2, 3], [0.5, 2, -1]]", "w=[[1, 2], [3, 4]]")),
    ("f = sum(reshape(x, 3, -1) * c)", ("x=[[1, -2, 3], [0.5, 2, -1]]", "c=[2, -1]")),
    ("f = sum(x[0]) * sum(x[1:3, 0]) + sum(x[:, -1] * x[::-1, 1])",
     ("x=[[1, -2, 3], [0.5, 2, -1], [4, 0.25, -3]]",)),
    ("f = sum(mean(x, 0) * sum(x, 1)) + mean(x)", ("x=[[1, -2, 3], [0.5, 2, -1], [4, 1, 0]]",)),
    ("f = sum(max(x, 1)) + min(x) + sum(max(x, -2)) + max(x)",
     ("x=[[1, 3, 3], [0.5, 2, -1]]",)),  # ties share the gradient
    ("f = sum(softmax(s) * w) + sum(log_softmax(s) * v)",
     ("s=[[1, 2, 3], [-1, 0, 4]]", "w=[[1, 0, -1], [2, 1, 0]]", "v=[[0.5, 1, 0], [1, 1, 1]]")),
    ("f = cross_entropy(s, y) + sum(softmax(s))", ("s=[1, 2, 3.5]", "y=2")),
    ("f = mean(hinge(s, y, 0.5)) + l2(s)", ("s=[[1, 2, 3], [-1, 0, 4], [0, 0, 0]]",
                                           "y=[2, 0, 1]")),
    ("f = sum((x + y) * b + c)", ("x=[[1], [2], [-3]]", "y=[[1, -1, 2, 0.5]]",
                                  "b=[1, 2, 3, 4]", "c=2")),
    ("f = sum(exp(x) + log(y) + sqrt(y) + sin(x) * cos(x) + tan(x) / tanh(y) - sigmoid(x))",
     ("x=[0.5, -1, 0.25]", "y=[1, 2, 3]")),
    ("f = sum(relu(x) + abs(x) + max(x, y) + min(x, y) + x ** 2 + y ** x + -x / y)",
     ("x=[0, -1, 2, 0]", "y=[0.5, 1, 2, 3]")),  # kinks at 0 and a tie
    ("def sp(t, u): log(1 + exp(t * u)) + relu(t)\nf = sum(sp(x, w))",
     ("x=[[1, -2], [0, 0.5]]", "w=[3, -1]")),
    ("t = x + y\nf = sum(t * t) + sum(x * y)", ("x=[1, 2, 3]", "y=[-1, 0.5, 2]")),
    ("a = x * y\nt = x + y\nf = sum(t * t) + sum(a)", ("x=[1, 2, 3]", "y=[-1, 0.5, 2]")),
    ("f = sum((x + x) * w) + sum(x.T)", ("x=[[1, 2], [3, 4]]", "w=[[1, -1], [0.5, 2]]")),
    ("f = sum(pi * x + e)", ("x=[1, 2]",)),
    ("f = (v @ m) @ v + sum(m @ v)", ("v=[1, -2]", "m=[[1, 2], [3, 4]]")),
    ("q = y * 2\nf = sum(x)", ("x=[1, 2]", "y=[3, 4]")),  # y does not affect f
    ("f = sum(cross_entropy(s, y + 0))", ("s=[[1, 2], [3, 1]]", "y=[1, 0]")),
    ("y = x @ w", ("x=[[2, 1, -3], [-3, 4, 2]]", "w=[[3, 2], [2, 1], [3, 2]]",
                   "--upstream", "[[1, 2], [-1, 0.5]]")),
    ("np = x * 2\nAddGate = np + 1\nf = sum(AddGate * np)", ("x=[1, 2]",)),  # names
    ("y = sum(max_pool2d(relu(conv2d(x, w, b, 1, 1)), 2, 1) * u)",  # the layers
     ("x=randn(2,2,4,4)", "w=randn(3,2,3,3)", "b=randn(3)", "u=randn(2,3,3,3)")),
    ("y = sum(conv2d(x, w, b, 2) * u) + sum(max_pool2d(x, 2))",
     ("x=randn(1,2,5,5)", "w=randn(2,2,2,2)", "b=randn(2)", "u=randn(1,2,2,2)")),
    ("f = sum((a @ b) * u)", ("a=randn(2,3,4)", "b=randn(4,2)", "u=randn(2,3,2)")),  # stacks
    ("f = sum((a @ b) * u)", ("a=randn(2,1,3,4)", "b=randn(3,4,2)", "u=randn(2,3,3,2)")),
    ("f = sum((v @ b) * u) + sum(b @ v2)", ("v=randn(4)", "b=randn(2,4,3)", "u=randn(2,3)",
                                            "v2=randn(3)")),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("program", "inputs"), PROGRAMS)
def test_code_of_every_array_gate_reproduces_the_tool(program: str, inputs: tuple[str, ...],
                                                      style: str) -> None:
    result = invoke("code", program, *inputs, "--style", style)
    assert result.exit_code == 0, result.stderr
    assert_same(exec_generated(result.stdout), expected_numbers(eval_json(program, *inputs)))


def test_no_gradient_is_written_for_class_labels() -> None:
    code = invoke("code", "two-layer-hinge").stdout
    assert "grad_y" not in code and "dloss/dy" not in code


def test_fan_out_through_a_shared_array_is_copied() -> None:
    """x + y hands the same upstream array to x and y: the first gradient of x, which later
    receives +=, is a copy (else += would change y's gradient too)."""
    program = ("a = x * y\nt = x + y\nf = sum(t * t) + sum(a)", "x=[1, 2]", "y=[3, 4]")
    flat = invoke("code", *program).stdout
    assert "grad_x = np.copy(grad_t)" in flat and "grad_y = np.copy(grad_t)" in flat
    assert "grad_x += grad_a * y" in flat
    modular = invoke("code", *program, "--style", "modular").stdout
    assert "grad_x = np.copy(down[0])" in modular and "grad_x += down[0]" in modular
    for code in (flat, modular):
        assert_same(exec_generated(code), expected_numbers(eval_json(*program)))
        # without the copies, += would change the other input's gradient too
        wrong = exec_generated(code.replace("np.copy(grad_t)", "grad_t")
                               .replace("np.copy(down[0])", "down[0]")
                               .replace("np.copy(down[1])", "down[1]"))
        assert wrong["df/dy"] != expected_numbers(eval_json(*program))["df/dy"]


ARRAY_SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
                         st.integers(2, 4))


@settings(max_examples=30, deadline=None)
@given(ARRAY_SHAPES, st.integers(0, 2**32 - 1), st.sampled_from(STYLES),
       st.sampled_from(["two-layer-softmax-l2", "two-layer-hinge",
                        "two-layer-sigmoid-squared"]))
def test_random_two_layer_nets_generated_code_reproduces_the_tool(
        shape: tuple[int, int, int, int], seed: int, style: str, name: str) -> None:
    """Random sizes (N, D, H, C) and values, drawn with --seed: the code's numbers are the
    tool's."""
    n, d, h, c = shape
    sizes = {"x": (n, d), "W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,),
             "w1": (d, h), "w2": (h, c), "y": (n, c)}
    inputs = {key: f"randn({', '.join(map(str, size))})" for key, size in sizes.items()}
    if name != "two-layer-sigmoid-squared":
        inputs["y"] = f"randint({c}, {n})"
    known = run(name).graph.inputs
    trace = run(name, {k: v for k, v in inputs.items() if k in known}, seed=seed)
    assert_same(exec_generated(python_code(trace, style)), trace_numbers(trace))


def test_installed_code_of_an_array_circuit_piped_into_python() -> None:
    code = subprocess.run([installed_backprop(), "code", "matmul"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    done = subprocess.run([sys.executable, "-I", "-"], input=code, capture_output=True,
                          text=True, timeout=60, check=True)
    numbers = printed(done.stdout)
    # the lecture's slide: dL/dx = dL/dy @ w.T and dL/dw = x.T @ dL/dy
    assert numbers["dL/dx"] == [[0, 16, -9], [-24, 9, -30]]
    assert numbers["dL/dw"] == [[28, 3, -18, 0], [-30, 7, 13, 33], [-22, -7, 17, -15]]


@pytest.mark.parametrize("style", STYLES)
def test_expanded_array_code_writes_the_sigmoid_out(style: str) -> None:
    code = invoke("code", "two-layer-sigmoid-squared", "--expand", "--style", style).stdout
    assert "np.exp(" in code and "1 / (1 + np.exp" not in code
    assert_same(exec_generated(code), expected_numbers(eval_json("two-layer-sigmoid-squared")))


ELEMENT_VALUES = ("x=[0.5, 1, 2, 1.5]", "y=[0.5, 2, 1, 0.25]", "z=[3, 0.5, 1.5, 1]")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("gate", sorted(GATES))
def test_every_built_in_gate_on_arrays_is_written_without_sympy_and_reproduces_the_tool(
        gate: str, style: str) -> None:
    """Each built-in gate's local gradients are printed from its rows' trees (a tie at the
    first element, x = y, where max, min, the comparisons and clip have kinks); the printed
    code, run, gives the tool's numbers in both styles."""
    names = ("x", "y", "z")[:len(GATES[gate].params)]
    program = f"f = sum({gate}({', '.join(names)}) * w)"
    inputs = (*ELEMENT_VALUES[:len(names)], "w=[1, -2, 0.5, 3]")
    code = subprocess.run([sys.executable, "-c", CODE_WITHOUT_SYMPY, program, style, *inputs],
                          capture_output=True, text=True, check=True).stdout
    assert_same(exec_generated(code), expected_numbers(eval_json(program, *inputs)))


CODE_WITHOUT_SYMPY = """
import sys
from backprop_cli.cli.main import main
assert main(["code", sys.argv[1], "--style", sys.argv[2], *sys.argv[3:]]) == 0
assert "sympy" not in sys.modules, "sympy was imported"
"""
