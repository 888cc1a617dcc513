"""``backprop check``: answers right or wrong, the digits rule, answers files, exit codes."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backprop_cli import bundled_names
from backprop_cli.analysis.expectations import Tolerance, agrees, digits_half_unit

from conftest import invoke

DATA = Path(__file__).parents[1] / "data"
CIRCUITS = Path(__file__).parents[2] / "circuits"
SIMPLE = ("(x+y)*z", "x=-2", "y=5", "z=-4")
NEURON_INPUTS = ("w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")
SIGMA = 1 / (1 + math.exp(-1))  # the neuron's output: sigmoid(w0*x0 + w1*x1 + w2) = sigmoid(1)
DSIGMA = SIGMA * (1 - SIGMA)


def lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_right_answers_exit_0_with_expected_and_computed() -> None:
    result = invoke("check", *SIMPLE, "--expect", "f=-12", "--expect", "grad.x=-4",
                    "--expect", "grad.z=3", "--expect", "grad.y=-16/4")
    assert result.exit_code == 0, result.stderr
    assert lines(result.stdout) == [
        ["right", "f", "expected", "-12", "computed", "-12"],
        ["right", "grad.x", "expected", "-4", "computed", "-4"],
        ["right", "grad.z", "expected", "3", "computed", "3"],
        ["right", "grad.y", "expected", "-4", "computed", "-4"],
        ["4", "answers:", "4", "right,", "0", "wrong"],
    ]


def test_a_wrong_answer_exits_1_and_says_so() -> None:
    result = invoke("check", *SIMPLE, "--expect", "f=-12", "--expect", "grad.x=4")
    assert result.exit_code == 1
    wrong = lines(result.stdout)[1]
    assert wrong[:6] == ["wrong", "grad.x", "expected", "4", "computed", "-4"]
    assert result.stdout.splitlines()[-1] == "2 answers: 1 right, 1 wrong"


def test_intermediate_values_and_gradients_can_be_checked() -> None:
    result = invoke("check", "q = x + y; f = q * z", *SIMPLE[1:], "--expect", "q=3",
                    "--expect", "grad.q=-4", "--expect", "grad.f=1")
    assert result.exit_code == 0, result.stdout


def test_hide_shows_only_right_or_wrong() -> None:
    result = invoke("check", *SIMPLE, "--expect", "f=-12", "--expect", "grad.x=7", "--hide")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["right  f", "wrong  grad.x",
                                          "2 answers: 1 right, 1 wrong"]
    assert "-4" not in result.stdout and "7" not in result.stdout.split("\n")[1]


@pytest.mark.parametrize(("typed", "right"), [
    (f"{-DSIGMA:.4f}", True),           # -0.1966, rounded to 4 decimals
    (f"{-DSIGMA:.5f}", True),           # -0.19661
    ("-0.1967", False),                  # off by one in the last digit
    ("-0.19662", False),
    ("-0.2", True),                      # one decimal: judged to one decimal
    ("-1.966e-1", True),
    ("-0.1966119332", True),
    ("-0.196611935", False),
])
def test_a_decimal_answer_is_judged_to_the_digits_typed(typed: str, right: bool) -> None:
    result = invoke("check", "sigmoid(w0*x0 + w1*x1 + w2)", *NEURON_INPUTS,
                    "--expect", f"grad.w0={typed}")
    assert result.exit_code == (0 if right else 1), result.stdout


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(1, 8), st.sampled_from([-2, 2]))
def test_digits_rule_accepts_the_rounded_value_and_refuses_two_units_off(
        value: float, decimals: int, units: int) -> None:
    assume(1e-9 * abs(value) < 10.0 ** -decimals)  # the digits, not double precision, decide
    typed = f"{value:.{decimals}f}"
    tolerance = Tolerance()
    assert agrees(float(typed), value, tolerance.allowed(float(typed), typed))
    off = str(Decimal(typed) + units * Decimal(10) ** -decimals)
    assert not agrees(float(off), value, tolerance.allowed(float(off), off))


def test_a_value_exactly_halfway_rounds_either_way() -> None:
    for typed in ("1.2", "1.3"):
        assert invoke("check", "f = x", "x=1.25", "--expect", f"f={typed}").exit_code == 0
    assert invoke("check", "f = x", "x=1.25", "--expect", "f=1.4").exit_code == 1


def test_half_unit_of_the_typed_digits() -> None:
    assert digits_half_unit("-0.1966") == pytest.approx(5e-5)
    assert digits_half_unit("1.5e-3") == pytest.approx(5e-5)
    assert digits_half_unit("2.") == pytest.approx(0.5)
    assert digits_half_unit("-4") is None
    assert digits_half_unit("1/4") is None


def test_integers_are_judged_to_double_precision() -> None:
    assert invoke("check", "x/3*3", "x=7", "--expect", "f=7").exit_code == 0
    assert invoke("check", "x/3", "x=7", "--expect", "f=2").exit_code == 1
    assert invoke("check", "x/3", "x=7", "--expect", "f=7/3").exit_code == 0


def test_explicit_tolerance_replaces_the_digits_rule() -> None:
    args = ("sigmoid(w0*x0 + w1*x1 + w2)", *NEURON_INPUTS, "--expect", "grad.w0=-0.1966")
    assert invoke("check", *args).exit_code == 0
    assert invoke("check", *args, "--atol", "1e-6").exit_code == 1
    assert invoke("check", *args, "--rtol", "1e-3").exit_code == 0


def test_exact_comparison() -> None:
    args = ("x/y", "x=1", "y=4", "--exact")
    assert invoke("check", *args, "--expect", "f=0.25", "--expect", "grad.y=-1/16").exit_code == 0
    assert invoke("check", *args, "--expect", "f=0.2500001").exit_code == 1
    result = invoke("check", "1/(1+exp(-s))", "s=1", "--exact", "--expect", "f=1/(1+e^-1)",
                    "--expect", "grad.s=e/(1+e)^2")
    assert result.exit_code == 0, result.stdout
    assert invoke("check", "1/(1+exp(-s))", "s=1", "--exact",
                  "--expect", "f=0.7310585786300049").exit_code == 1


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_circuit_passes_its_own_expectations(name: str) -> None:
    result = invoke("check", f"circuits/{name}.toml")
    assert result.exit_code == 0, result.stdout + result.stderr
    expect = tomllib.loads((CIRCUITS / f"{name}.toml").read_text())["expect"]
    count = len(expect) - 1 + len(expect["grad"]) if "grad" in expect else len(expect)
    *answers, last = result.stdout.splitlines()
    assert len(answers) == count and all(line.startswith("right  ") for line in answers)
    assert last == f"{count} answers: {count} right, 0 wrong"


def test_command_line_expectations_replace_the_circuit_file_ones() -> None:
    result = invoke("check", "simple-circuit", "--expect", "grad.z=3")
    assert result.exit_code == 0 and result.stdout.startswith("right  grad.z")
    assert "1 answer:" in result.stdout


def test_circuit_answers_do_not_apply_to_other_inputs() -> None:
    result = invoke("check", "simple-circuit", "x=3")
    assert result.exit_code == 2
    assert "for its own inputs" in result.stderr
    assert invoke("check", "simple-circuit", "x=-2").exit_code == 0  # the same value is fine


@pytest.mark.parametrize(("args", "message"), [
    (("--expect", "grad.nosuch=1"), "no node named 'nosuch'"),
    (("--expect", "dx=-4"), "the gradient with respect to x is written grad.x"),
    (("--expect", "grad.x"), "NAME=VALUE"),
    (("--expect", "grad[0]=1"), "is not an answer the tool shows"),
    (("--expect", "dg/dx=1"), "the output is f, so its gradients are df/dNAME"),
    (("--expect", "edge.f.q.local=1"), "no edge from f back to 'q'"),
    (("--expect", "edge.f.z.formula=1"), "is not an answer the tool shows"),
    (("--expect", "f=(1"), "never closed"),
    (("--expect", "f=__import__"), "not allowed"),
    ((), "nothing to check"),
])
def test_bad_expectations_exit_2(args: tuple[str, ...], message: str) -> None:
    result = invoke("check", *SIMPLE, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_answers_file_with_several_problems_gives_one_report() -> None:
    result = invoke("check", "--answers", str(DATA / "homework.toml"))
    assert result.exit_code == 1, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "problem 1a: circuits/simple-circuit.toml"
    assert [line.split()[:2] for line in out if line.startswith("  ")] == [
        ["right", "f"], ["right", "grad.x"], ["wrong", "grad.z"],
        ["right", "f"], ["right", "grad.x"], ["right", "grad.y"],
        ["right", "grad.w0"], ["right", "grad.x0"]]
    assert out[-1] == "3 problems, 8 answers: 7 right, 1 wrong; wrong answers in 1a"


def test_answers_file_as_the_source_and_hidden() -> None:
    result = invoke("check", str(DATA / "homework.toml"), "--hide")
    assert result.exit_code == 1
    assert "expected" not in result.stdout and "  wrong  grad.z" in result.stdout


def test_answers_file_in_json_from_stdin(tmp_path: Path) -> None:
    sheet = {"problems": [
        {"name": "a", "program": "x*y", "inputs": {"x": 2, "y": "1/3"},
         "expect": {"grad.x": 0.3333, "grad": {"y": 2}}},
        {"name": "b", "circuit": "mul-gate"},
    ]}
    result = invoke("check", "--answers", "-", input=json.dumps(sheet))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "2 problems, 5 answers: 5 right, 0 wrong"


def test_a_broken_problem_is_reported_and_the_rest_still_checked(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.json"
    sheet.write_text(json.dumps({"problems": [
        {"name": "ok", "program": "x*y", "inputs": {"x": 2, "y": 3}, "expect": {"f": 6}},
        {"name": "bad", "program": "log(x)", "inputs": {"x": 0}, "expect": {"f": 1}},
        {"name": "wrong", "program": "x+y", "inputs": {"x": 2, "y": 3}, "expect": {"f": 6}},
    ]}))
    result = invoke("check", "--answers", str(sheet))
    assert result.exit_code == 1
    assert "problem bad" in result.stderr and "log is undefined" in result.stderr
    assert "  right  f" in result.stdout and "  wrong  f" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "3 problems, 2 answers: 1 right, 1 wrong; wrong answers in wrong; 1 problem could not "
        "be checked: bad (errors on standard error)")


def test_answers_file_tolerances(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.toml"
    sheet.write_text('atol = 0.01\n[[problems]]\nprogram = "x/3"\ninputs = {x = 1}\n'
                     'expect = {f = 0.33}\n[[problems]]\nprogram = "x/3"\ninputs = {x = 1}\n'
                     'atol = 0.001\nexpect = {f = 0.33}\n')
    result = invoke("check", str(sheet))
    assert [line.split()[0] for line in result.stdout.splitlines()[1::2][:2]] == \
        ["right", "wrong"]


@pytest.mark.parametrize(("entry", "message"), [
    ("expect = {f = 1}\n", "either circuit"),
    ("circuit = \"nosuch\"\n", "no circuit file or bundled circuit"),
    ("circuit = \"missing.toml\"\n", "no such circuit file: 'missing.toml'"),
    ("program = \"x\"\ncolour = 1\n", "unknown key 'colour'"),
    ("program = \"x\"\ninputs = 3\n", "inputs and expect must be tables"),
])
def test_a_broken_problem_between_good_ones_is_named_and_exits_1(tmp_path: Path, entry: str,
                                                                  message: str) -> None:
    good = '[[problems]]\nname = "{}"\nprogram = "x*y"\ninputs = {{x = 2, y = 3}}\n' \
        'expect = {{f = 6, grad.x = 3}}\n'
    sheet = tmp_path / "sheet.toml"
    sheet.write_text(good.format("a") + '[[problems]]\nname = "broken"\n' + entry +
                     good.format("c"))
    result = invoke("check", str(sheet))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: {sheet}, problem broken: ")
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout.count("  right  ") == 4
    assert result.stdout.splitlines()[-1] == (
        "3 problems, 4 answers: 4 right, 0 wrong; 1 problem could not be checked: broken "
        "(errors on standard error)")
    document = json.loads(invoke("check", str(sheet), "--format", "json").stdout)
    assert [problem["error"] is None for problem in document["problems"]] == [True, False, True]


@pytest.mark.parametrize(("text", "message"), [
    ("title = \"empty\"\n", "has no problems"),
    ("colour = 1\n[[problems]]\nprogram = \"x\"\n", "unknown key 'colour'"),
    ("problems = [\n", "not valid TOML"),
])
def test_malformed_answers_file_exits_2(tmp_path: Path, text: str, message: str) -> None:
    sheet = tmp_path / "sheet.toml"
    sheet.write_text(text)
    result = invoke("check", "--answers", str(sheet))
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_answers_file_refuses_command_line_expectations() -> None:
    result = invoke("check", "--answers", str(DATA / "homework.toml"), "--expect", "f=1")
    assert result.exit_code == 2 and "answers file" in result.stderr


def test_json_report() -> None:
    result = invoke("check", *SIMPLE, "--expect", "f=-12", "--expect", "grad.x=1",
                    "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["schema"] == "backprop-check/1" and (doc["right"], doc["wrong"]) == (1, 1)
    answer = doc["problems"][0]["answers"][1]
    assert answer["key"] == "grad.x" and answer["expected"] == 1 and answer["computed"] == -4


def test_comparison_is_elementwise_on_arrays() -> None:
    import numpy as np

    expected = np.array([4.0, 0.0, 5.0, 0.0])
    tolerance = Tolerance()
    assert agrees(expected, np.array([4.0, 0.0, 5.0, 1e-13]), tolerance.allowed(expected, ""))
    assert not agrees(expected, np.array([4.0, 0.1, 5.0, 0.0]), tolerance.allowed(expected, ""))
    assert not agrees(expected, np.array([4.0, 0.0, 5.0]), tolerance.allowed(expected, ""))


def installed_backprop() -> str:
    found = shutil.which("backprop", path=str(Path(sys.executable).parent))
    assert found, "the backprop command is not installed in this environment"
    return found


def test_installed_check_exit_codes() -> None:
    base = [installed_backprop(), "check", *SIMPLE]
    right = subprocess.run([*base, "--expect", "grad.z=3"], capture_output=True, text=True,
                           timeout=60)
    wrong = subprocess.run([*base, "--expect", "grad.z=-3"], capture_output=True, text=True,
                           timeout=60)
    assert (right.returncode, wrong.returncode) == (0, 1)
    assert "\x1b[" not in wrong.stdout and wrong.stdout.startswith("wrong  grad.z")


# the lecture's circuit f = (x + y) * z at x=-2, y=5, z=-4, worked by hand: q = x + y = 3,
# df/dq = z = -4, df/dz = q = 3, df/dx = df/dy = df/dq * 1 = -4
LECTURE = {"f": "-12", "t1": "3", "value": "-12", "upstream": "1",
           "grad.x": "-4", "df/dx": "-4", "dL/dy": "-4", "df/dz": "3", "grad.t1": "-4",
           "node.t1.value": "3", "node.t1.grad": "-4", "node.f.grad": "1",
           "edge.f.t1.upstream": "1", "edge.f.t1.local": "-4", "edge.f.t1.downstream": "-4",
           "edge.f.z.local": "3", "edge.f.z.downstream": "3",
           "edge.t1.x.upstream": "-4", "edge.t1.x.local": "1", "edge.t1.y.downstream": "-4",
           "edge.f.0.local": "-4", "edge.f.1.local": "3"}


@pytest.mark.parametrize(("key", "value"), sorted(LECTURE.items()))
def test_every_quantity_the_tool_shows_can_be_expected(key: str, value: str) -> None:
    right = invoke("check", *SIMPLE, "--expect", f"{key}={value}")
    assert right.exit_code == 0, right.stdout + right.stderr
    assert right.stdout.split()[:2] == ["right", key]
    wrong = invoke("check", *SIMPLE, "--expect", f"{key}={int(value) + 1}")
    assert wrong.exit_code == 1 and wrong.stdout.split()[:2] == ["wrong", key]


def test_the_labels_of_the_gradients_table_are_answers() -> None:
    """What eval prints (df/dx, ...) is what check takes."""
    labels = [line.split()[0] for line in invoke("eval", *SIMPLE).stdout.splitlines()
              if line.strip().startswith("df/d")]
    assert labels == ["df/dx", "df/dy", "df/dz"]
    result = invoke("check", *SIMPLE, *(f"--expect={label}=0" for label in labels))
    assert result.exit_code == 1 and [line.split()[1] for line in
                                      result.stdout.splitlines()[:3]] == labels


def test_edge_answers_in_a_circuit_file_and_an_answers_file(tmp_path: Path) -> None:
    circuit = tmp_path / "c.toml"
    circuit.write_text('program = "f = (x + y) * z"\n[inputs]\nx = -2\ny = 5\nz = -4\n'
                       '[expect]\n"df/dz" = 3\nedge.f.z.local = 3\nedge.t1.x.upstream = -4\n')
    result = invoke("check", str(circuit))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()[:3]] == [
        "df/dz", "edge.f.z.local", "edge.t1.x.upstream"]
    answers = tmp_path / "hw.toml"
    answers.write_text('[[problems]]\nname = "1"\ncircuit = "c.toml"\n'
                       '[problems.expect]\nedge.f.t1.local = -4\nnode.t1.grad = 4\n')
    result = invoke("check", str(answers))
    assert result.exit_code == 1
    assert "right  edge.f.t1.local" in result.stdout and "wrong  node.t1.grad" in result.stdout


def test_a_forgotten_expect_points_at_expect() -> None:
    for answer in ("grad.x=-4", "df/dx=-4", "edge.f.z.local=3"):
        result = invoke("check", *SIMPLE, answer)
        assert result.exit_code == 2
        assert result.stderr == (f"error: {answer} is an answer to check, not an input: "
                                 f"write --expect {answer}\n")
        assert "attribute access" not in result.stderr
