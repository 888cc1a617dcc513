"""IEEE-754 semantics (docs/numerics.md): overflow and underflow carry on with a warning
naming the first node; ``--strict`` makes them errors; operations without a real value are
domain errors either way; sigmoid, softmax and log_softmax are stable at +-1000; the
conventions for powers of 0; integer against float inputs."""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
from pathlib import Path

import mpmath
import numpy as np
import pytest
from test_check import installed_backprop

from backprop_cli import run
from backprop_cli.cli.main import cli
from backprop_cli.engine.ieee import strict
from backprop_cli.errors import DomainError, InputError

from conftest import invoke


def eval_json(*args: str) -> tuple[dict[str, object], str]:
    result = invoke("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def strict_error(*args: str) -> str:
    result = invoke("eval", *args, "--strict")
    assert result.exit_code == 2 and result.stdout == "", (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    return result.stderr.splitlines()[0]


# ----------------------------------------------------------------------------- overflow

def test_exp_overflow_carries_on_as_inf_and_names_the_node() -> None:
    document, stderr = eval_json("exp(x)", "x=1000")
    assert document["value"] == "inf" and document["gradients"] == {"x": "inf"}
    warnings = stderr.splitlines()
    assert warnings[0] == ("warning: f = exp(x): overflow: the value is inf (with x = 1000); "
                           "IEEE-754 arithmetic carries it on; --strict makes this an error")
    assert "df/dx = inf" in warnings[1]
    assert document["warnings"][0].startswith("f = exp(x): overflow: the value is inf")


def test_exp_overflow_is_an_error_when_strict() -> None:
    line = strict_error("exp(x)", "x=1000")
    assert line == ("error: overflow: the value is inf at node f = exp(x) (with x = 1000); "
                    "--strict refuses it at line 1, column 1")


def test_overflow_without_an_exception_is_found_too() -> None:
    document, stderr = eval_json("y = x * 1e308\nf = y * 10", "x=1")
    assert document["value"] == "inf"
    assert stderr.startswith("warning: f = y * 10: overflow: the value is inf (with y = 1e+308)")
    assert "node f = y * 10" in strict_error("y = x * 1e308\nf = y * 10", "x=1")


def test_the_first_node_is_named_not_the_ones_it_spoils() -> None:
    document, stderr = eval_json("a = exp(x)\nb = a - a\nc = sin(b)\nf = c + 1", "x=800")
    assert document["value"] == "nan"
    first = stderr.splitlines()[0]
    assert first.startswith("warning: a = exp(x): overflow: the value is inf (with x = 800); "
                            "the output f is nan")
    assert "node a = exp(x)" in strict_error("a = exp(x)\nb = a - a\nc = sin(b)\nf = c + 1",
                                             "x=800")


def test_an_inf_operand_of_a_math_function_follows_ieee() -> None:
    """sin(inf) raises ValueError in Python's math module; IEEE-754 says nan."""
    document, stderr = eval_json("sin(x * 1e308 * 10)", "x=1")
    assert document["value"] == "nan"
    assert "t2 = t1 * 10: overflow" in stderr
    assert "node t2 = t1 * 10" in strict_error("sin(x * 1e308 * 10)", "x=1")


def test_written_out_sigmoid_at_minus_1000_warns_instead_of_a_silent_nan() -> None:
    document, stderr = eval_json("1/(1+exp(-x))", "x=-1000")
    assert document["value"] == 0 and document["gradients"] == {"x": "nan"}
    lines = stderr.splitlines()
    assert lines[0].startswith("warning: t2 = exp(t1): overflow: the value is inf "
                               "(with t1 = 1000)")
    assert lines[1].startswith("warning: t2 = exp(t1): the gradient is not finite from "
                               "here: upstream 0 × local gradient inf = nan for t1; so "
                               "df/dx = nan")
    line = strict_error("1/(1+exp(-x))", "x=-1000")
    assert "overflow" in line and "node t2 = exp(t1)" in line and "column 6" in line


def test_written_out_sigmoid_on_the_array_path_warns_the_same_way() -> None:
    document, stderr = eval_json("sum(1/(1+exp(-x)))", "x=[-1000, 0]")
    assert document["gradients"] == {"x": ["nan", 0.25]}
    assert stderr.startswith("warning: t2 = exp(t1): overflow: the value is inf at element "
                             "[0] (with t1[0] = 1000; 1 of 2 elements)")
    assert "df/dx = nan at [0]" in stderr
    assert "at element [0]" in strict_error("sum(1/(1+exp(-x)))", "x=[-1000, 0]")


def test_an_overflowing_local_gradient_is_inf_not_a_division_by_zero() -> None:
    """d(x/y)/dy = -x/y**2 = -1e400 overflows; it was refused as a division by zero."""
    document, stderr = eval_json("x / y", "x=1", "y=1e-200")
    assert document["gradients"] == {"x": 1e200, "y": "-inf"}
    assert "upstream 1 × local gradient -inf = -inf for y" in stderr
    assert "the gradient is not finite at node f = x / y" in \
        strict_error("x / y", "x=1", "y=1e-200")


def test_a_local_gradient_that_raises_takes_its_ieee_value() -> None:
    """math.pow raises OverflowError for d/dx x**-1 = -x**-2 at x = 1e-300."""
    document, stderr = eval_json("x ** -1", "x=1e-300")
    assert document["value"] == pytest.approx(1e300) and document["gradients"] == {"x": "-inf"}
    assert "local gradient -inf" in stderr
    assert "overflow: the local gradient is -inf at node f = x ** (-1)" in \
        strict_error("x ** -1", "x=1e-300")


def test_a_representable_local_gradient_does_not_overflow_inside() -> None:
    """-x/y**2 with y**2 below the smallest double: evaluated as -(x/y)/y."""
    assert run("x / y", {"x": 1e-300, "y": 1e-200}).gradients["y"] == -1e100
    assert list(run("sum(x / y)", {"x": [1e-300], "y": [1e-200]}).gradients["y"]) == [-1e100]


def test_matmul_overflow_is_reported_not_an_internal_error() -> None:
    args = ("sum(x @ y)", "x=[[1e200, 1e200]]", "y=[[1e200], [1e200]]")
    document, stderr = eval_json(*args)
    assert document["value"] == "inf"
    assert stderr.startswith("warning: t1 = x @ y: overflow: the value is inf at element [0, 0]")
    assert "node t1 = x @ y at element [0, 0]" in strict_error(*args)


def test_a_domain_error_wins_over_an_overflow_in_the_same_array() -> None:
    result = invoke("eval", "sum(x / y)", "x=[1e308, 1]", "y=[1e-10, 0]")
    assert result.exit_code == 2
    assert "division by zero at node t1 = x / y at element [1]" in result.stderr


@pytest.mark.parametrize(("program", "value"), [
    ("log(x)", "0"), ("log(x)", "-1"), ("sqrt(x)", "-1"), ("1 / x", "0"), ("x ** -1", "0"),
    ("x ** 0.5", "-4"),
])
def test_undefined_operations_stay_errors_with_or_without_strict(program: str,
                                                                 value: str) -> None:
    for extra in ((), ("--strict",)):
        result = invoke("eval", program, f"x={value}", *extra)
        assert result.exit_code == 2 and "at node" in result.stderr, result.stderr
    array = invoke("eval", f"sum({program})", f"x=[2, {value}]")
    assert array.exit_code == 2 and "at element [1]" in array.stderr, array.stderr


def test_log_of_a_zero_made_by_cancellation_is_a_domain_error() -> None:
    result = invoke("eval", "log(x - x)", "x=3")
    assert result.exit_code == 2 and "log is undefined for inputs <= 0" in result.stderr


# ----------------------------------------------------------------------------- underflow

def test_underflow_to_zero_is_named_once_and_kept_in_json() -> None:
    document, stderr = eval_json("exp(x) * 2", "x=-1000")
    assert document["value"] == 0
    assert stderr == ("warning: t1 = exp(x): underflow: the value rounds to 0, though its "
                      "exact value is not 0 (with x = -1000); --strict makes this an error\n")
    assert document["warnings"] == [stderr[len("warning: "):-1]]
    assert "underflow" in strict_error("exp(x) * 2", "x=-1000")


def test_a_subnormal_result_is_an_underflow_too() -> None:
    _, stderr = eval_json("x * y", "x=1e-160", "y=1e-160")
    assert "underflow: the value 1e-320 is below the smallest normal double" in stderr


def test_zero_by_cancellation_is_no_underflow() -> None:
    _, stderr = eval_json("(x - y) * z + relu(-x)", "x=2", "y=2", "z=3")
    assert stderr == ""


def test_division_by_an_underflowed_zero_says_why_it_is_zero() -> None:
    result = invoke("eval", "1 / exp(x)", "x=-1000")
    assert result.exit_code == 2
    assert ("division by zero at node f = 1 / t1 (with t1 = 0); t1 is 0 only because "
            "exp(x) underflowed") in result.stderr


def test_an_array_division_by_underflowed_zeros_says_why() -> None:
    """The written-out softmax at -1000: exp underflows, the sum is 0, 0 / 0 is refused."""
    result = invoke("eval", "sum(exp(x) / sum(exp(x)))", "x=[-1000, -1001]")
    assert result.exit_code == 2
    assert "division by zero at node t4 = t1 / t3 at element [0]" in result.stderr
    assert "t1 has 0s only because exp(x) underflowed" in result.stderr
    assert invoke("eval", "sum(softmax(x) * x)", "x=[-1000, -1001]").exit_code == 0


def test_array_underflow_counts_elements() -> None:
    _, stderr = eval_json("sum(exp(x))", "x=[-1000, 0, -2000]")
    assert ("t1 = exp(x): underflow: the value rounds to 0, though its exact value is not 0 "
            "at element [0] (with x[0] = -1000; 2 of 3 elements)") in stderr


# ----------------------------------------------------------------------------- stable gates

def sigmoid_reference(x: float) -> tuple[float, float]:
    with mpmath.workdps(50):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
        return float(s), float(s * (1 - s))


@pytest.mark.parametrize("x", [-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
def test_sigmoid_is_stable_on_both_paths(x: float) -> None:
    value, slope = sigmoid_reference(x)
    scalar = run("sigmoid(x)", {"x": x})
    array = run("sum(sigmoid(x))", {"x": [x, x]})
    # within one subnormal step: libm's exp is not correctly rounded below 1e-308
    assert scalar.value == value and scalar.gradients["x"] == pytest.approx(slope, abs=1e-323)
    assert array.value == 2 * value
    assert list(array.gradients["x"]) == [scalar.gradients["x"]] * 2


def softmax_reference(row: list[float]) -> tuple[list[float], list[float]]:
    with mpmath.workdps(60):
        exps = [mpmath.exp(mpmath.mpf(v)) for v in row]
        total = sum(exps)
        return [float(e / total) for e in exps], [float(mpmath.mpf(v) - mpmath.log(total))
                                                  for v in row]


ROWS = [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1000.0, 999.0, 998.0]]


@pytest.mark.parametrize("row", ROWS)
def test_softmax_and_log_softmax_are_stable_at_1000(row: list[float]) -> None:
    probabilities, logs = softmax_reference(row)
    weights = [0.5, -2.0, 1.5]
    soft = run("p = softmax(s); f = sum(p * w)", {"s": row, "w": weights})
    assert np.allclose(soft.node_value("p"), probabilities, rtol=1e-15, atol=0)
    # d/ds_i sum_j w_j p_j = p_i (w_i - sum_j w_j p_j)
    mean = sum(w * p for w, p in zip(weights, probabilities, strict=True))
    expected = [p * (w - mean) for w, p in zip(weights, probabilities, strict=True)]
    assert np.allclose(soft.gradients["s"], expected, rtol=1e-12, atol=1e-300)
    logged = run("p = log_softmax(s); f = sum(p * w)", {"s": row, "w": weights})
    # a - logsumexp(a): the rounding error of numbers near 1000, about 1000 * 2**-52
    assert np.allclose(logged.node_value("p"), logs, rtol=0, atol=1e-12)
    total = sum(weights)
    expected = [w - p * total for w, p in zip(weights, probabilities, strict=True)]
    assert np.allclose(logged.gradients["s"], expected, rtol=1e-12)
    assert soft.notes == [] and logged.notes == []


def test_cross_entropy_is_stable_at_1000() -> None:
    trace = run("mean(cross_entropy(s, y))", {"s": ROWS, "y": [1, 0, 2]})
    _, logs = zip(*(softmax_reference(row) for row in ROWS), strict=True)
    loss = -(logs[0][1] + logs[1][0] + logs[2][2]) / 3
    assert trace.value == pytest.approx(loss, rel=1e-15)
    assert np.isfinite(trace.gradients["s"]).all() and trace.notes == []


def test_tanh_saturates_without_warnings() -> None:
    for x in (-1000.0, 1000.0):
        trace = run("tanh(x)", {"x": x})
        assert trace.value == math.copysign(1.0, x) and trace.gradients["x"] == 0.0
        assert trace.notes == []


# ----------------------------------------------------------------------------- powers

@pytest.mark.parametrize(("program", "point", "value", "gradients", "warning"), [
    ("x ** y", {"x": 0, "y": 0}, 1.0, {"x": 0.0, "y": 0.0}, "d/db = 0 at 0 ** 0"),
    ("x ** 0", {"x": 0}, 1.0, {"x": 0.0}, None),
    ("0 ** y", {"y": 0}, 1.0, {"y": 0.0}, "d/db = 0 at 0 ** 0"),
    ("x ** y", {"x": 0, "y": 2}, 0.0, {"x": 0.0, "y": 0.0}, None),
    ("x ** y", {"x": 0, "y": 1}, 0.0, {"x": 1.0, "y": 0.0}, None),
    ("x ** 0.5", {"x": 0}, 0.0, {"x": math.inf}, "d/da = inf for 0 < b < 1"),
    ("x ** 3", {"x": -2}, -8.0, {"x": 12.0}, None),
    ("x ** -2", {"x": -2}, 0.25, {"x": 0.25}, None),
    ("x ** 2.0", {"x": -3}, 9.0, {"x": -6.0}, None),
])
def test_powers_of_zero_and_of_negative_bases(program: str, point: dict[str, float],
                                              value: float, gradients: dict[str, float],
                                              warning: str | None) -> None:
    for exact in (False, True):
        trace = run(program, point, exact=exact)
        assert float(trace.value) == value
        assert {k: float(v) for k, v in trace.gradients.items()} == gradients
        messages = " ".join(note.message for note in trace.notes)
        assert (warning in messages) if warning else "not differentiable" not in messages
    array = run(f"sum({program})", {k: [v, v] for k, v in point.items()})
    for name, gradient in gradients.items():
        assert list(array.gradients[name]) == [gradient, gradient]


@pytest.mark.parametrize(("program", "point", "message"), [
    ("x ** y", {"x": -8, "y": 1 / 3}, "a negative base needs an integer exponent"),
    ("x ** (1/3)", {"x": -8}, "a negative base needs an integer exponent"),
    ("x ** y", {"x": -2, "y": 2}, "the derivative of a ** b with respect to b needs a > 0"),
    ("x ** y", {"x": 0, "y": -1}, "0 cannot be raised to a negative power"),
])
def test_powers_without_a_real_value_are_domain_errors(program: str, point: dict[str, float],
                                                       message: str) -> None:
    with pytest.raises(DomainError, match=re.escape(message)):
        run(program, point)


def test_power_conventions_on_the_command_line() -> None:
    document, stderr = eval_json("x ** y", "x=0", "y=0")
    assert document["value"] == 1 and document["gradients"] == {"x": 0, "y": 0}
    assert "pow is not differentiable at a = 0 with 0 <= b < 1" in stderr
    _, quiet = eval_json("x ** 2 + x ** 0", "x=0")
    assert quiet == ""


# ----------------------------------------------------------------------------- int vs float

@pytest.mark.parametrize(("program", "integer", "decimal"), [
    ("x ** 2 / 3", "x=2", "x=2.0"), ("x / 3", "x=1", "x=1.0"), ("x ** y", "x=2", "x=2.0"),
])
def test_integer_and_float_inputs_are_the_same_double(program: str, integer: str,
                                                      decimal: str) -> None:
    extra = ("y=3",) if "y" in program else ()
    assert eval_json(program, integer, *extra) == eval_json(program, decimal, *extra)
    assert run(program, {"x": 2} | ({"y": 3} if extra else {})).value == \
        run(program, {"x": 2.0} | ({"y": 3.0} if extra else {})).value


def test_exact_mode_reads_decimals_as_the_fractions_they_spell() -> None:
    trace = run("x * y", {"x": "0.1", "y": "3"}, exact=True)
    assert str(trace.value) == "3/10"
    assert str(run("x * 3", {"x": 0.1}, exact=True).value) == "3/10"
    assert run("x * 3", {"x": 0.1}).value == 0.30000000000000004


def test_huge_integers_need_exact_mode() -> None:
    with pytest.raises(InputError, match="too large for a double"):
        run("x + 1", {"x": 10**400})
    assert run("x + 1", {"x": 10**400}, exact=True).value == 10**400 + 1
    result = invoke("eval", "x + 1", "x=1e400")
    assert result.exit_code == 2 and "too large for a double" in result.stderr


@pytest.mark.parametrize("value", ["exp(1000)", "1e308 * 10"])
def test_an_input_value_must_be_finite(value: str) -> None:
    result = invoke("eval", "x + 1", f"x={value}")
    assert result.exit_code == 2 and "overflow" in result.stderr
    assert "in the value of x" in result.stderr


# ----------------------------------------------------------------------------- plumbing

def test_strict_from_the_library() -> None:
    assert run("exp(x)", {"x": 1000}).value == math.inf
    with pytest.raises(DomainError, match="overflow"):
        run("exp(x)", {"x": 1000}, strict=True)
    with strict(), pytest.raises(DomainError, match="underflow"):
        run("exp(x)", {"x": -1000})
    assert run("exp(x)", {"x": -1000}).value == 0


def test_every_command_that_evaluates_has_strict() -> None:
    for name, command in cli.commands.items():
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--limit" in options:
            assert "--strict" in options, name


def test_draw_takes_strict() -> None:
    assert invoke("draw", "exp(x)", "x=1000", "--format", "dot").exit_code == 0
    result = invoke("draw", "exp(x)", "x=1000", "--format", "dot", "--strict")
    assert result.exit_code == 2 and "overflow" in result.stderr


def test_installed_command_carries_on_or_refuses() -> None:
    carried = subprocess.run([installed_backprop(), "eval", "exp(x)", "x=1000", "--format", "json"],
                             capture_output=True, text=True, check=False)
    assert carried.returncode == 0 and json.loads(carried.stdout)["value"] == "inf"
    assert carried.stderr.startswith("warning: f = exp(x): overflow")
    refused = subprocess.run([installed_backprop(), "eval", "exp(x)", "x=1000", "--strict"],
                             capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("error: overflow")


def test_the_readme_numerics_example_is_what_the_tool_prints() -> None:
    readme = (Path(__file__).resolve().parents[2] / "docs" / "numerics.md").read_text("utf-8")
    section = readme.split("## Overflow, underflow, inf and nan (IEEE-754)\n", 1)[1] \
        .split("\n## ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    commands = re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]
    assert len(commands) == 2
    for command in commands:
        line, _, shown = command.partition("\n")
        arguments = shlex.split(line.replace(">/dev/null", ""))
        result = invoke(*arguments[1:])
        assert result.stderr == shown, line


def test_no_numpy_warning_leaks_after_an_overflow() -> None:
    """numpy's own RuntimeWarnings never reach stderr: only the tool's warnings do."""
    for args in (("z = exp(x) * 2", "x=[1000, 1]", "--upstream", "[1, 0]", "--jacobian"),
                 ("sum(exp(x) * w - exp(x) * w)", "x=[1000, 1]", "w=[1, 2]"),
                 ("sum(softmax(x * 1e308))", "x=[1, 3]")):
        result = invoke("eval", *args)
        assert result.exit_code == 0, result.stderr
        assert all(line.startswith("warning: ") for line in result.stderr.splitlines()), \
            result.stderr


def test_rows_follow_eval_row_by_row() -> None:
    rows = "x,y\n1000,1\n1,2\n-1000,3\n"
    carried = invoke("eval", "exp(x) * y", "--rows", "-", input=rows)
    assert carried.exit_code == 0, carried.stderr
    lines = carried.stdout.splitlines()
    assert lines[1].startswith("1000,1,inf,inf,inf,") and lines[3].startswith("-1000,3,0,0,0,")
    assert ("IEEE-754 overflow, underflow, inf or nan in 2 rows; the first, row 1: "
            "t1 = exp(x): overflow: the value is inf (with x = 1000)") in carried.stderr
    refused = invoke("eval", "exp(x) * y", "--rows", "-", "--strict", input=rows)
    assert refused.exit_code == 0  # the rows that fail carry their error, as for log(0)
    assert refused.stdout.splitlines()[1].endswith("--strict refuses it")
    assert "underflow" in refused.stdout.splitlines()[3]


def test_step_stops_when_the_descent_diverges() -> None:
    result = invoke("step", "(w*x - y)**2", "x=2", "y=1", "w=0", "--params", "w", "--lr", "10",
                    "--iters", "400")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: after step ") and "overflow: the value is inf" in first
    assert "the descent diverged (try a smaller --lr)" in first


SOFTPLUS = "def softplus(t): log(1 + exp(t))\n"


def test_a_user_gate_that_overflows_inside_carries_on() -> None:
    """softplus written out: exp(1000) overflows inside the gate; its value is inf and its
    local gradient exp(t) / (1 + exp(t)) is inf / inf = nan, an overflow, not undefined."""
    document, stderr = eval_json(SOFTPLUS + "f = softplus(x)", "x=1000")
    assert document["value"] == "inf" and document["gradients"] == {"x": "nan"}
    assert stderr.startswith("warning: f = softplus(x): overflow: the value is inf")
    array, _ = eval_json(SOFTPLUS + "f = sum(softplus(x))", "x=[1000, 1]")
    assert array["gradients"]["x"][0] == "nan"
    assert "overflow" in strict_error(SOFTPLUS + "f = softplus(x)", "x=1000")


@pytest.mark.parametrize(("program", "values"), [
    ("def p(a, b): a ** b\nf = p(x, y)", ("x=-2", "y=2")),
    ("def p(a, b): a ** b\nf = sum(p(x, y))", ("x=[-2, 2]", "y=[2, 2]")),
    ("f = x ** y", ("x=-0.7", "y=-1e300")),
    ("f = sum(x ** y)", ("x=[-0.7]", "y=[-1e300]")),
])
def test_a_local_gradient_without_a_real_value_is_an_error_on_both_paths(
        program: str, values: tuple[str, ...]) -> None:
    result = invoke("eval", program, *values)
    assert result.exit_code == 2
    assert result.stderr.startswith(("error: the local gradient of p is undefined here",
                                     "error: the derivative of a ** b with respect to b"))


def test_the_quick_scans_find_what_the_full_scans_find() -> None:
    """first_non_finite sums first (a sum that overflows must not hide or invent an inf);
    first_underflow looks at min and max first (mixed signs must still be scanned)."""
    from backprop_cli.engine.ieee import first_non_finite, first_underflow

    assert first_non_finite([1e308, 1e308, -1e308]) is None  # the sum overflows: look
    assert first_non_finite([1.0, math.inf, -math.inf]) == 1
    assert first_non_finite([2.0, -3.0, math.nan]) == 2
    graph = run("a = x * y; b = -x; f = a + b", {"x": 1e-200, "y": -1e-200}).graph
    values = [1e-200, -1e-200, -0.0, -1e-200, -1e-200]  # x, y, a = x*y (underflowed), b, f
    assert [graph.gates[n] for n in range(3)] == ["input", "input", "mul"]
    assert first_underflow(graph, values) == 2
    assert first_underflow(graph, [0.5, 0.25, 0.125, -0.5, -0.375]) is None
