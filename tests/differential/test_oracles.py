"""Oracle tests: random expression trees over the whole gate set, evaluated by the tool,
checked against sympy and against central differences.

For every generated tree the test builds, on its own, (a) the program text fed to the tool
and (b) a sympy expression made node by node from the tree (never by parsing text). At a
random point, the tool's value and every input gradient must agree with sympy's value and
``sympy.diff`` of the whole expression, and each gradient with a central difference of the
tool's own forward values. Points near a kink (relu, abs, max, min), a domain edge (log,
sqrt, a power of a base near zero), a small denominator, a pole of tan, or where some
intermediate value exceeds 1e6 are discarded. Points where some gate is evaluated outside
its real domain must make the tool raise ``DomainError``, and sympy must agree that the gate
(or a local derivative the backward pass needs) is not a finite real number there.

Examples per property: ``BACKPROP_ORACLE_EXAMPLES`` (default 200) for the library and a fifth
of that (default 40) through the command line.
"""

from __future__ import annotations

import json
import math
import os
import sys

import pytest
from click.testing import CliRunner
from expression_gen import (
    DISCARD,
    GATES,
    OK,
    OUTSIDE,
    Node,
    gate_off_domain_in_sympy,
    is_real_finite,
    points,
    program_text,
    sympy_gradient,
    sympy_number,
    to_sympy,
    trees,
    walk,
)
from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, run
from backprop_cli.cli.main import cli
from backprop_cli.engine.trace import Trace
from backprop_cli.errors import DomainError
from backprop_cli.gates import registry

EXAMPLES = int(os.environ.get("BACKPROP_ORACLE_EXAMPLES", "200"))
settings.register_profile(
    "oracles", max_examples=EXAMPLES, deadline=None,
    # the explain phase traces every line of sympy: minutes, for a report we do not need
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile(
    "oracles-cli", parent=settings.get_profile("oracles"), max_examples=max(EXAMPLES // 5, 1))
LIBRARY_SETTINGS = settings.get_profile("oracles")
CLI_SETTINGS = settings.get_profile("oracles-cli")

SYMPY_REL, SYMPY_ABS = 1e-6, 1e-9  # tool (double precision) vs sympy (30 digits)
FD_REL, FD_ABS = 1e-4, 1e-7  # tool gradient vs central difference of the tool's forward
FD_ROUNDING = 4 * sys.float_info.epsilon  # times the forward pass's rounding-error scale
FD_STEP = 1e-6  # relative step of the central difference
GRADIENT_LIMIT = 1e6  # larger gradients are too ill-conditioned to compare


def close(actual: float, expected: float, rel: float, abs_: float) -> bool:
    return math.isfinite(actual) and abs(actual - expected) <= max(rel * abs(expected), abs_)


class Case:
    """One tree at one point, with the program text and what sympy says there."""

    def __init__(self, tree: Node, point: dict[str, float], text: str) -> None:
        self.tree, self.point, self.text = tree, point, text
        self.verdict = walk(tree, point)

    def expected(self) -> tuple[float, dict[str, float]]:
        """sympy's value and gradient (discarding too ill-conditioned points)."""
        value = sympy_number(to_sympy(self.tree), self.point)
        assert is_real_finite(value), f"sympy value {value} at a point inside every domain"
        assert value is not None
        walked = float(self.verdict.value)
        assert close(value.real, walked, 1e-12, 1e-30), "the two oracles disagree"
        gradient: dict[str, float] = {}
        for name, derivative in sympy_gradient(self.tree).items():
            number = sympy_number(derivative, self.point)
            assert is_real_finite(number), f"sympy d/d{name} = {number} inside every domain"
            assert number is not None
            gradient[name] = number.real
        assume(all(abs(g) <= GRADIENT_LIMIT for g in gradient.values()))
        return value.real, gradient

    def check_outside(self) -> None:
        """A gate is off its domain: sympy must agree (the tool must then refuse)."""
        assert self.verdict.offending is not None
        node, operands = self.verdict.offending
        assert gate_off_domain_in_sympy(node, operands), (
            f"the walk says {self.verdict.reason}, but sympy finds {node.kind} fine "
            f"at {operands}")

    def check(self, value: float, gradient: dict[str, float]) -> dict[str, float]:
        """Value and gradient against sympy; returns sympy's gradient."""
        expected_value, expected_gradient = self.expected()
        note(f"tool: value={value!r} gradient={gradient!r}")
        note(f"sympy: value={expected_value!r} gradient={expected_gradient!r}")
        assert close(value, expected_value, SYMPY_REL, SYMPY_ABS), (
            f"value {value!r} != sympy {expected_value!r} for {self.text!r} at {self.point}")
        assert set(gradient) == set(expected_gradient), (
            f"gradients for {sorted(gradient)}, inputs are {sorted(expected_gradient)}")
        for name, expected in expected_gradient.items():
            assert close(gradient[name], expected, SYMPY_REL, SYMPY_ABS), (
                f"d/d{name} = {gradient[name]!r} != sympy {expected!r} "
                f"for {self.text!r} at {self.point}")
        return expected_gradient

    def check_central_differences(self, trace: Trace, expected: dict[str, float]) -> None:
        """Each gradient against (f(v + h) - f(v - h)) / 2h of the tool's forward value.

        Points where the central difference itself is inaccurate (in 50-digit arithmetic
        it misses sympy's derivative by more than 1e-6), or where v +- h crosses a kink or
        leaves a domain, are discarded. The tolerance allows for the rounding error of the
        forward pass, eps * sum |d f / d node * node|, divided by the step.
        """
        graph = compile_program(self.text)
        gradient = trace.gradients
        rounding = sum(abs(g * v) for g, v in zip(trace.grads, trace.values, strict=True))
        for name in sorted(gradient):
            step = FD_STEP * max(1.0, abs(self.point[name]))
            tool_values, exact_values = [], []
            for sign in (1, -1):
                shifted = {**self.point, name: self.point[name] + sign * step}
                moved = walk(self.tree, shifted)
                assume(moved.status == OK and moved.branches == self.verdict.branches)
                exact_values.append(moved.value)
                tool_values.append(run(graph, shifted).value)
            actual_step = (self.point[name] + step) - (self.point[name] - step)
            exact = float((exact_values[0] - exact_values[1]) / actual_step)
            assume(close(exact, expected[name], 1e-6, 1e-9))
            difference = (tool_values[0] - tool_values[1]) / actual_step
            allowed = FD_ABS + FD_ROUNDING * rounding / actual_step
            assert close(gradient[name], difference, FD_REL, allowed), (
                f"d/d{name} = {gradient[name]!r} but the central difference is "
                f"{difference!r} for {self.text!r} at {self.point}")


styles = st.tuples(st.sampled_from(("bare", "assign")), st.sampled_from(("\n", "; ")))


def draw_case(data: st.DataObject) -> Case:
    tree = data.draw(trees(), label="tree")
    point = data.draw(points(tree.variables()), label="point")
    text = program_text(tree, *data.draw(styles, label="style"))
    note(f"program: {text!r}")
    case = Case(tree, point, text)
    note(f"walk: {case.verdict.status} {case.verdict.reason}")
    assume(case.verdict.status != DISCARD)
    event(case.verdict.status)
    return case


@LIBRARY_SETTINGS
@given(data=st.data())
def test_library_gradients_match_sympy_and_central_differences(data: st.DataObject) -> None:
    case = draw_case(data)
    if case.verdict.status == OUTSIDE:
        case.check_outside()
        with pytest.raises(DomainError):
            run(case.text, case.point)
        return
    trace = run(case.text, case.point)
    expected = case.check(trace.value, trace.gradients)
    case.check_central_differences(trace, expected)


def cli_eval(text: str, point: dict[str, float]) -> tuple[int, str, str]:
    """``backprop eval TEXT NAME=VALUE... --format json``: exit code, stdout, stderr."""
    assignments = [f"{name}={value!r}" for name, value in point.items()]
    if text.startswith("-"):  # it would be read as an option: end the options first
        args = ["eval", "--format", "json", "--", text, *assignments]
    else:
        args = ["eval", text, *assignments, "--format", "json"]
    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@CLI_SETTINGS
@given(data=st.data())
def test_cli_json_matches_sympy(data: st.DataObject) -> None:
    case = draw_case(data)
    code, stdout, stderr = cli_eval(case.text, case.point)
    if case.verdict.status == OUTSIDE:
        case.check_outside()
        assert code == 2 and stderr.startswith("error:"), (code, stdout, stderr)
        with pytest.raises(DomainError):  # and not, say, a parse error
            run(case.text, case.point)
        return
    assert code == 0, stderr
    document = json.loads(stdout)
    case.check(document["value"], document["gradients"])
    trace = run(case.text, case.point)
    assert document["value"] == trace.value
    assert document["gradients"] == trace.gradients


# ----------------------------------------------------------------------------- fixed cases

NEURON_POINT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
NEURON_GRADIENT = {"w0": -0.19661193324, "x0": 0.39322386648, "w1": -0.39322386648,
                   "x1": -0.58983579972, "w2": 0.19661193324}
NEURON_SOURCES = ["1/(1+exp(-(w0*x0+w1*x1+w2)))", "sigmoid(w0*x0+w1*x1+w2)",
                  "s = w0*x0 + w1*x1 + w2\nf = 1 / (1 + exp(-s))"]


@pytest.mark.parametrize("source", NEURON_SOURCES)
def test_sigmoid_neuron_from_the_lecture(source: str) -> None:
    trace = run(source, NEURON_POINT)
    assert trace.value == pytest.approx(0.7310585786300049, rel=1e-12)
    assert trace.gradients.keys() == NEURON_GRADIENT.keys()
    for name, expected in NEURON_GRADIENT.items():
        assert trace.gradients[name] == pytest.approx(expected, abs=1e-11), name


@pytest.mark.parametrize("source", NEURON_SOURCES)
def test_sigmoid_neuron_through_the_cli(source: str) -> None:
    code, stdout, stderr = cli_eval(source, NEURON_POINT)
    assert code == 0, stderr
    gradients = json.loads(stdout)["gradients"]
    for name, expected in NEURON_GRADIENT.items():
        assert gradients[name] == pytest.approx(expected, abs=1e-11), name


@pytest.mark.parametrize(("source", "point", "expected"), [
    ("x*x+x", {"x": 3.0}, {"x": 7.0}),
    ("x*y + x*z + x", {"x": 2.0, "y": 3.0, "z": 5.0}, {"x": 9.0, "y": 2.0, "z": 2.0}),
    ("a = x * x\nb = a * x\nb + a + x", {"x": 2.0}, {"x": 17.0}),
    ("max(x, y) * x", {"x": 3.0, "y": 1.0}, {"x": 6.0, "y": 0.0}),
])
def test_a_reused_name_sums_its_gradients(source: str, point: dict[str, float],
                                          expected: dict[str, float]) -> None:
    assert run(source, point).gradients == expected
    code, stdout, stderr = cli_eval(source, point)
    assert code == 0, stderr
    assert json.loads(stdout)["gradients"] == expected


X, Y, TWO = Node("input", text="x"), Node("input", text="y"), Node("const", text="2")


def _pow(base: Node, exponent: Node, spelling: str = "**") -> Node:
    return Node("pow", (base, exponent), spelling=spelling)


@pytest.mark.parametrize(("tree", "text"), [
    (Node("neg", (_pow(X, TWO),)), "-x ** 2"),
    (_pow(Node("neg", (X,)), TWO, "^"), "(-x) ^ 2"),
    (_pow(X, Node("neg", (Y,))), "x ** -y"),
    (_pow(X, _pow(Y, TWO)), "x ** y ** 2"),
    (_pow(_pow(X, Y), TWO), "(x ** y) ** 2"),
    (_pow(Node("neg", (TWO,)), TWO), "(-2) ** 2"),
    (Node("neg", (_pow(TWO, TWO),)), "-2 ** 2"),
    (Node("sub", (X, Node("sub", (Y, TWO)))), "x - (y - 2)"),
    (Node("div", (X, Node("mul", (Y, X)))), "x / (y * x)"),
    (Node("mul", (X, Node("neg", (Node("neg", (Y,)),)))), "x * --y"),
    (Node("div", (Node("mul", (X, Y), paren=True), Node("mul", (Y, X), hoist=True))),
     "h1 = y * x\n(x * y) / h1"),
    (Node("sub", (X, Node("sub", (Y, TWO), hoist=True, augment=True))),
     "h1 = y\nh1 -= 2\nx - h1"),
    (Node("max", (Node("neg", (TWO,)), _pow(X, Y, "call"))), "max(-2, pow(x, y))"),
])
def test_generated_text_means_the_tree(tree: Node, text: str) -> None:
    """The text writer's parenthesisation, checked by hand, and the tool reading the text
    as the tree means it."""
    assert program_text(tree) == text
    point = {"x": 1.5, "y": 0.75}
    trace = run(text, {k: v for k, v in point.items() if k in tree.variables()})
    expected = sympy_number(to_sympy(tree), point)
    assert expected is not None
    assert trace.value == pytest.approx(expected.real, rel=1e-12)


@pytest.mark.parametrize(("source", "point"), [
    ("log(x)", {"x": -1.0}),
    ("log(x - x)", {"x": 2.0}),
    ("sqrt(x - 3)", {"x": 1.0}),
    ("x ** 0.5", {"x": -2.0}),
    ("x ** y", {"x": -2.0, "y": 2.0}),  # d/dy = x**y * log(x) is not real
    ("y / (x - x)", {"x": 2.0, "y": 1.0}),
])
def test_domain_errors(source: str, point: dict[str, float]) -> None:
    with pytest.raises(DomainError):
        run(source, point)
    code, _, stderr = cli_eval(source, point)
    assert code == 2 and stderr.startswith("error:"), stderr


def test_overflow_is_an_error_only_when_strict() -> None:
    """docs/numerics.md: exp(exp(7)) is inf with a warning; --strict refuses it."""
    assert run("exp(exp(x))", {"x": 7.0}).value == math.inf
    with pytest.raises(DomainError, match="overflow"):
        run("exp(exp(x))", {"x": 7.0}, strict=True)
    code, _, stderr = cli_eval("exp(exp(x))", {"x": 7.0})
    assert code == 0 and stderr.startswith("warning: f = exp(t1): overflow: the value is inf")


def test_a_negative_base_with_an_integer_exponent_is_fine() -> None:
    trace = run("x ** 3 + (-2) ^ 2", {"x": -2.0})
    assert (trace.value, trace.gradients) == (-4.0, {"x": 12.0})


def test_the_generator_covers_every_gate() -> None:
    assert set(GATES) == set(registry.GATES)
