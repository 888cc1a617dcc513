"""Bad array input through the command line: shape mismatches, bad values, files, the
upstream gradient, domain errors per element, class labels; kinks warn with counts; seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import eval_json, invoke


def fails(*args: str) -> list[str]:
    """Run ``backprop eval ARGS``; it must fail with exit 2 and no output: stderr lines."""
    result = invoke("eval", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    return result.stderr.splitlines()


@pytest.mark.parametrize(("program", "values", "message", "caret"), [
    ("y = x @ w", ("x=[[1,2,3]]", "w=[[1,2],[3,4]]"),
     "matmul gate y = x @ w: shapes (1, 3) and (2, 2) do not fit: the left's last dimension "
     "(3) must equal the right's first (2) at line 1, column 7", "      ^"),
    ("z = a + b", ("a=[1,2,3]", "b=[1,2]"),
     "add gate z = a + b: shapes (3,) and (2,) do not broadcast", "      ^"),
    ("s = sum(a, 2)", ("a=[[1,2]]",), "sum gate s = sum(a, 2): axis 2 is out of range for "
     "sum of a 2-d array at line 1, column 5", "    ^"),
    ("r = reshape(a, 4, -1)", ("a=[1,2,3]",), "cannot reshape (3,) (3 elements) into (4, -1)",
     "    ^"),
    ("L = cross_entropy(s, y)", ("s=[[1,2],[3,4]]", "y=[0]"),
     "scores of shape (2, 2) need labels of shape (2,)", "    ^"),
    ("v = a[3]", ("a=[1,2,3]",), "index 3 is out of range for axis 0 of size 3", "     ^"),
    ("v = a[0, 1]", ("a=[1,2,3]",), "2 indices for a 1-d array", "     ^"),
    ("y = a @ 2", ("a=[1,2]",), "@ takes vectors and matrices, got a scalar; use * to scale",
     "      ^"),
])
def test_shape_errors_name_gate_shapes_and_position(program: str, values: tuple,
                                                    message: str, caret: str) -> None:
    lines = fails(program, *values, "--upstream", "1")
    assert message in lines[0]
    assert lines[1] == f"  {program}" and lines[2] == f"  {caret}"


def test_shapes_are_checked_before_anything_is_computed() -> None:
    lines = fails("a = log(x); y = a @ w", "x=[-1, 2]", "w=[1, 2, 3]")
    assert "matmul" in lines[0] and "log" not in lines[0]


@pytest.mark.parametrize(("value", "message"), [
    ("[[1,2],[3]]", "ragged rows at depth 1: they have 1 and 2 entries in the value of x "
                    "at line 1, column 8"),
    ("[]", "an empty list in the value of x"),
    ("[1, [2]]", "numbers and lists mixed at depth 1 in the value of x"),
    ("[1, a]", "expected a constant, found the name 'a' in the value of x at line 1, "
               "column 5"),
    ("[1, 2", "expected ',' or ']', found end of input in the value of x"),
    ("[1, 2]]", "unexpected ']' after the array in the value of x"),
    ("[1, 'a']", "strings are not allowed"),
    ("[1, 1/0]", "division by zero"),
    ("randn(0, 2)", "sizes must be positive integers"),
    ("randn(2, x)", "sizes must be positive integers"),
    ("ones(2) + y", "expected a constant, found the name 'y'"),  # ones(2) + 1 is a value
    ("@missing.npy", "the value of x: no such file 'missing.npy'"),
    ("@w.pkl", "must end in one of .npy, .csv, .tsv, .txt, .json"),
])
def test_bad_values_name_the_input(value: str, message: str) -> None:
    lines = fails("z = sum(x)", f"x={value}")
    assert message in lines[0]


def test_values_from_files(tmp_path: Path) -> None:
    np.save(tmp_path / "w.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    (tmp_path / "w.csv").write_text("1,2\n3,4\n")
    (tmp_path / "w.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "w.json").write_text("[[1, 2], [3, 4]]")
    for suffix in ("npy", "csv", "tsv", "json"):
        doc = eval_json("s = sum(w * w)", f"w=@{tmp_path / ('w.' + suffix)}")
        assert doc["value"] == 30 and doc["gradients"]["w"] == [[2, 4], [6, 8]], suffix


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object))
    (tmp_path / "ragged.csv").write_text("1,2\n3\n")
    (tmp_path / "bool.json").write_text("[true, 1]")
    (tmp_path / "nan.json").write_text("[1, NaN]")
    (tmp_path / "strings.json").write_text('["1", 2]')
    for name, message in [("objects.npy", "cannot read"), ("ragged.csv", "cannot read"),
                          ("bool.json", "not bool"), ("nan.json", "contains nan"),
                          ("strings.json", "not str")]:
        lines = fails("s = sum(w)", f"w=@{tmp_path / name}")
        assert "the value of w" in lines[0] and message in lines[0], (name, lines)


def test_upstream_is_required_for_an_array_output_and_must_fit() -> None:
    lines = fails("z = relu(x)", "x=[1,-2,3]")
    assert lines[0] == ('error: the output z has shape (3,), so the gradient arriving at it '
                        'must be given: --upstream VALUE of that shape (for example '
                        '--upstream "ones(3)")')
    lines = fails("z = relu(x)", "x=[1,-2,3]", "--upstream", "[1, 2]")
    assert lines[0] == ("error: the upstream gradient has shape (2,), but the output z has "
                        "shape (3,)")
    lines = fails("z = sum(relu(x))", "x=[1,-2,3]", "--upstream", "[1, 2, 3]")
    assert "shape (3,), but the output z has shape ()" in lines[0]
    doc = eval_json("z = relu(x)", "x=[1,-2,3]", "--upstream", "ones(3)")
    assert doc["gradients"]["x"] == [1, 0, 1]


def test_upstream_from_a_circuit_file_may_be_a_list(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('program = "z = x * w"\nupstream = [1, 10]\n[inputs]\nx = [1, 2]\nw = 3\n')
    doc = eval_json(str(path))
    assert doc["gradients"] == {"x": [3, 30], "w": 21}


@pytest.mark.parametrize(("program", "value", "message"), [
    ("z = log(x)", "[1, 2, -1, 3]", "log is undefined for inputs <= 0 at node z = log(x) at "
                                    "element [2] (with x[2] = -1)"),
    ("z = sqrt(x)", "[[1, 2], [-4, 3]]", "sqrt is undefined for negative inputs at node "
                                         "z = sqrt(x) at element [1, 0] (with x[1, 0] = -4)"),
    ("z = 1 / x", "[1, 0]", "division by zero at node z = 1 / x at element [1] "
                            "(with x[1] = 0)"),
    ("z = x ** 0.5", "[4, -4]", "a negative base needs an integer exponent at node "
                                "z = x ** 0.5 at element [1]"),
])
def test_domain_errors_name_node_gate_and_element(program: str, value: str,
                                                  message: str) -> None:
    lines = fails(program, f"x={value}", "--upstream", "ones(" + ",".join(
        str(n) for n in np.shape(json.loads(value))) + ")")
    assert message in lines[0]


def test_overflow_is_an_error_only_when_strict() -> None:
    lines = fails("z = exp(x)", "x=[1, 1000]", "--upstream", "ones(2)", "--strict")
    assert ("overflow: the value is inf at node z = exp(x) at element [1] "
            "(with x[1] = 1000; 1 of 2 elements); --strict refuses it") in lines[0]
    result = invoke("eval", "z = exp(x)", "x=[1, 1000]", "--upstream", "ones(2)",
                    "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["gradients"]["x"][1] == "inf"
    assert "warning: z = exp(x): overflow: the value is inf at element [1]" in result.stderr


def test_pow_exponent_derivative_needs_a_positive_base_elementwise() -> None:
    lines = fails("z = sum(x ** p)", "x=[2, -2]", "p=[2, 2]")
    assert "the derivative of a ** b with respect to b needs a > 0" in lines[0]
    assert "element [1]" in lines[0]


def test_labels_must_be_integer_classes_in_range() -> None:
    lines = fails("L = mean(cross_entropy(s, y))", "s=[[1, 2], [3, 4]]", "y=[0, 2]")
    assert "class labels must be integers from 0 to 1 at node" in lines[0]
    assert "but y[1] is not" in lines[0]
    lines = fails("L = mean(hinge(s, y))", "s=[[1, 2], [3, 4]]", "y=[0.5, 1]")
    assert "but y[0] is not" in lines[0]


def test_kinks_warn_with_the_number_of_elements() -> None:
    result = invoke("eval", "z = relu(x)", "x=[0, 1, 0, -2]", "--upstream", "[1,1,1,1]",
                    "--format", "json")
    assert result.exit_code == 0
    assert ("relu is not differentiable at input = 0 (2 of 4 elements); using relu'(0) = 0, "
            "as PyTorch does") in result.stderr
    assert json.loads(result.stdout)["gradients"]["x"] == [0, 1, 0, 0]
    ties = invoke("eval", "z = sum(max(a, b))", "a=[1, 2, 3]", "b=[1, 5, 3]")
    assert "max is not differentiable at a tie (a = b) (2 of 3 elements)" in ties.stderr
    hinge = invoke("eval", "L = hinge(s, y)", "s=[1, 2, 0]", "y=1")
    assert "hinge is not differentiable at a margin of exactly 0 (1 found)" in hinge.stderr
    quiet = invoke("eval", "z = sum(relu(x))", "x=[0.5, 1]")
    assert quiet.stderr == ""


def test_sqrt_at_zero_gives_inf_with_a_warning() -> None:
    result = invoke("eval", "z = sum(sqrt(x))", "x=[0, 4]", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["gradients"]["x"] == ["inf", 0.25]
    assert "sqrt'(0) = inf" in result.stderr and "not finite" in result.stderr


def test_seeded_values_are_reproducible_and_independent_of_order() -> None:
    first = eval_json("s = sum(a * b)", "a=randn(3)", "b=randn(3)")
    again = eval_json("s = sum(a * b)", "b=randn(3)", "a=randn(3)")
    other = eval_json("s = sum(a * b)", "a=randn(3)", "b=randn(3)", "--seed", "7")
    assert first["inputs"] == again["inputs"]
    assert first["inputs"]["a"] != other["inputs"]["a"]
    assert first["inputs"]["a"] != first["inputs"]["b"]
    labels = eval_json("L = mean(cross_entropy(s, y))", "s=randn(20, 4)", "y=randint(4, 20)")
    assert set(labels["inputs"]["y"]) <= {0, 1, 2, 3} and len(labels["inputs"]["y"]) == 20
    assert eval_json("s = sum(z + o)", "z=zeros(2, 2)", "o=ones(2, 2)")["value"] == 4


def test_no_grad_holds_data_inputs_constant() -> None:
    doc = eval_json("L = sum(x @ w)", "x=[[1, 2]]", "w=[[3], [4]]", "--no-grad", "x")
    assert doc["gradients"] == {"w": [[1], [2]]}
    assert all(e["input"] != "x" for e in doc["edges"])
    assert "does not affect" not in invoke("eval", "L = sum(x @ w)", "x=[[1, 2]]",
                                           "w=[[3], [4]]", "--no-grad", "x").stderr
    lines = fails("L = sum(x @ w)", "x=[[1, 2]]", "w=[[3], [4]]", "--no-grad", "q")
    assert "no input named 'q'" in lines[0]


@pytest.mark.parametrize(("program", "message"), [
    ("z = x[a:1]", "a slice in a subscript takes integer literals only"),
    ("z = x[1.5]", "a subscript takes integer literals and slices (a:b:c) only"),
    ("z = x.shape", "attribute access ('.') is not allowed (only '.T', the transpose)"),
    ("z = [1, 2] * x", "array literals are not allowed in a program"),
    ("z = sum(x, 0.5)", "the axis of sum() must be an integer, not 0.5"),
    ("z = sum(x, a)", "the axis of sum() must be an integer literal"),
    ("z = sum(x, 0, 2)", "keepdims of sum() is True or False, not 2"),
    ("z = sum(x, 0, 1, 2)", "sum() takes an array, then an optional axis, then "
     "keepdims=True to keep the reduced axis (size 1); got 4 arguments"),
    ("z = reshape(x)", "reshape() takes an array, then the sizes of the new shape; got 1"),
    ("z = hinge(x)", "hinge() takes 2 arrays, then an optional margin; got 1 argument"),
    ("z = sum(x, axes=0)", "sum() has no keyword argument axes= (it takes: axis=, keepdims=)"),
    ("z = sum(x, axis=0, axis=0)", "sum() is given its axis twice"),
    ("z = sum(x, axis=0, 1)", "a positional argument cannot follow a keyword argument"),
    ("z = x * True", "True is only a keyword argument's value"),
    ("z = x[1:2:0]", "a slice step cannot be 0"),
])
def test_array_syntax_errors(program: str, message: str) -> None:
    lines = fails(program, "x=[1, 2]")
    assert message in lines[0]


def test_the_scalar_command_line_path_imports_neither_numpy_nor_sympy() -> None:
    code = ("import sys\nfrom backprop_cli.cli.main import main\n"
            "main(['eval', 'q = x + y; f = q * z', 'x=-2', 'y=5', 'z=-4'])\n"
            "print('numpy' in sys.modules, 'sympy' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stderr.split() == ["False", "False"]
    assert "Gradients of f = -12" in done.stdout


def test_json_names_labels_and_constant_inputs_apart() -> None:
    doc = eval_json("L = mean(cross_entropy(x @ w, y))", "x=[[1, 2]]", "w=[[1, 0], [0, 1]]",
                    "y=[1]", "--no-grad", "x")
    assert doc["labels"] == ["y"] and doc["constant_inputs"] == ["x"]
    assert list(doc["gradients"]) == ["w"]
    shown = invoke("eval", "L = mean(cross_entropy(x @ w, y))", "x=[[1, 2]]",
                   "w=[[1, 0], [0, 1]]", "y=[1]", "--no-grad", "x").stdout
    rows = {line.split()[0]: line.split() for line in shown.splitlines()[:6] if line.strip()}
    assert rows["x"][-1] == "none" and rows["y"][-1] == "none"


def test_exact_domain_errors_name_the_element_too() -> None:
    lines = fails("z = sum(log(x))", "x=[1/2, 0]", "--exact")
    assert "log is undefined for inputs <= 0 at node t1 = log(x) at element [1] " \
           "(with x[1] = 0)" in lines[0]
    lines = fails("z = sum(1/x)", "x=[[1/2, 0]]", "--exact")
    assert "division by zero at node t1 = 1 / x at element [0, 1]" in lines[0]
