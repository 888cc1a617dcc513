"""User-defined gates: ``def`` in programs and ``[gates]`` in circuit files; sympy-derived
local gradients evaluated without eval/lambdify; expansion; wrong gates caught."""

from __future__ import annotations

import json
import math
from pathlib import Path

import expression_gen as gen
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate, run
from backprop_cli.errors import BackpropError, GraphError
from backprop_cli.gates import user_gates
from backprop_cli.graph.expand import expand_composites

from conftest import eval_json, invoke

DATA = Path(__file__).parents[1] / "data"
SOFTPLUS = "def softplus(t): log(1 + exp(t))\nf = softplus(w * x + b)"


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def test_softplus_in_a_program() -> None:
    doc = eval_json(SOFTPLUS, "w=2", "x=-1", "b=0.5")
    s = 2 * -1 + 0.5
    assert doc["value"] == pytest.approx(math.log1p(math.exp(s)), rel=1e-15)
    assert doc["gradients"] == pytest.approx({"w": -sigmoid(s), "x": 2 * sigmoid(s),
                                              "b": sigmoid(s)}, rel=1e-14)
    edge = next(e for e in doc["edges"] if e["node"] == "f")
    assert edge["local_formula"] == "exp(t2)/(1 + exp(t2))"  # sympy's, in the node's names
    node = next(n for n in doc["nodes"] if n["name"] == "f")
    assert node["gate"] == "softplus" and node["expression"] == "softplus(t2)"


def test_several_parameters_and_gates_built_on_gates() -> None:
    program = ("def sq(t): t * t\ndef dist(a, b): sqrt(sq(a) + sq(b))\n"
               "f = dist(x - 1, y + 2)")
    doc = eval_json(program, "x=4", "y=2")
    assert doc["value"] == pytest.approx(5.0, rel=1e-15)
    assert doc["gradients"] == pytest.approx({"x": 3 / 5, "y": 4 / 5}, rel=1e-14)
    gates = [n["gate"] for n in eval_json(program, "x=4", "y=2", "--expand")["nodes"]]
    assert "dist" not in gates and "sq" not in gates and "sqrt" in gates


def test_exact_mode_uses_sympy_substitution() -> None:
    doc = eval_json(SOFTPLUS, "w=2", "x=-1", "b=1/2", "--exact")
    assert doc["value_exact"] == "log(exp(-3/2) + 1)"
    assert sp.simplify(sp.Rational(1, 1) / (1 + sp.exp(sp.Rational(3, 2)))
                       - _parse_exact(doc["gradients_exact"]["b"])) == 0


def _parse_exact(text: str) -> sp.Expr:
    """Test-only: read back sympy's own printing of an exact result (tool output, not user
    input)."""
    return sp.sympify(text)


def test_kink_conventions_hold_inside_user_gates() -> None:
    doc = eval_json("def r(t): relu(t) + abs(t) + max(t, 0)\nf = r(x)", "x=0")
    assert doc["gradients"]["x"] == 0.5  # relu'(0) = 0, abs'(0) = 0, max tie 0.5
    expanded = eval_json("def r(t): relu(t) + abs(t) + max(t, 0)\nf = r(x)", "x=0",
                         "--expand")
    assert expanded["gradients"]["x"] == 0.5


def test_circuit_file_gates_table_with_a_correct_hand_written_gradient() -> None:
    result = invoke("eval", "softplus-gate")
    assert result.exit_code == 0 and result.stderr == ""
    assert "sigmoid(s)" in result.stdout  # the hand-written local gradient is shown
    assert invoke("gradcheck", "softplus-gate").exit_code == 0


def test_gradcheck_catches_a_deliberately_wrong_user_gate() -> None:
    path = str(DATA / "wrong-gate.toml")
    result = invoke("eval", path)
    assert "gate cube: the given local gradient d/dt = 2 * t ** 2 is not sympy's " \
        "derivative 3*t**2" in result.stderr
    check = invoke("gradcheck", path, "--format", "json")
    assert check.exit_code == 1
    doc = json.loads(check.stdout)
    x, y = doc["inputs"]
    assert (x["name"], x["passed"], x["verdict"]) == ("x", False, "probably wrong")
    assert x["analytic"] == pytest.approx(2 * 1.5**2) and x["numerical"] == \
        pytest.approx(3 * 1.5**2, rel=1e-8)
    assert y["passed"] and y["verdict"] == "good"
    text = invoke("gradcheck", path)
    assert text.stdout.splitlines()[-1].startswith("FAILED: x (1 of 2 inputs")
    # written out, the gate's body is differentiated by the engine: right again
    assert eval_json(path, "--expand")["gradients"]["x"] == pytest.approx(3 * 1.5**2)


def test_hand_written_gradient_may_use_out(tmp_path: Path) -> None:
    circuit = tmp_path / "c.toml"
    circuit.write_text('program = "f = sp(x)"\n[inputs]\nx = 0.3\n[gates.sp]\n'
                       'params = ["t"]\nbody = "log(1 + exp(t))"\ngrad.t = "1 - exp(-out)"\n')
    result = invoke("eval", str(circuit), "--format", "json")
    assert result.stderr == ""  # sympy confirms 1 - exp(-out) = sigmoid(t)
    assert json.loads(result.stdout)["gradients"]["x"] == pytest.approx(sigmoid(0.3))


def test_gates_command_lists_user_gates() -> None:
    result = invoke("gates", str(DATA / "wrong-gate.toml"))
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("  cube"))
    assert "t**3" in row and "d/dt = 2*t**2 (given; sympy: 3*t**2)" in row
    doc = json.loads(invoke("gates", SOFTPLUS, "--format", "json").stdout)
    assert doc["softplus"]["local_gradients"] == {"t": "exp(t)/(1 + exp(t))"}


def test_generated_code_of_a_user_gate_runs() -> None:
    from test_code import assert_same, run_python, tool_numbers

    for style in ("flat", "modular"):
        code = invoke("code", SOFTPLUS, "w=2", "x=-1", "b=0.5", "--style", style).stdout
        assert_same(run_python(code), tool_numbers(SOFTPLUS, "w=2", "x=-1", "b=0.5"))
    assert "class SoftplusGate:" in invoke("code", SOFTPLUS, "w=2", "x=-1", "b=0.5",
                                           "--style", "modular").stdout


@pytest.mark.parametrize(("program", "message", "column"), [
    ("def g(t): t * y\nf = g(x)", "uses 'y', which is not one of its parameters (t)", 15),
    ("def g(t): g(t)\nf = g(x)", "cannot use itself", 11),
    ("def g(t): h(t)\nf = g(x)", "unknown gate 'h'", 11),
    ("def g(out): out\nf = g(x)", "cannot be a parameter name", 5),
    ("def g(t): t\ndef g(u): u\nf = g(x)", "already defined", 5),
    ("def g(t): t\nf = g(x, y)", "g() takes 1 argument, got 2", 5),
    ("def g(t): t\ng = x", "is a gate and cannot be assigned to", 1),
    ("def g(t): t.real\nf = g(x)", "attribute access", 12),
    ("def g(t): __import__('os')\nf = g(x)", "not allowed", 11),
    ("f = x + def", "'def' must start a statement", 9),
    # exact arithmetic and the engine's doubles would choose differently: refused, as the
    # written-out body (floats) and the gate (sympy folds sin(pi) to 0) would disagree
    ("def g(t): where(sin(pi), -0.25, t)\nf = g(x)", "0 in exact arithmetic but 1.22465e-16",
     11),
    ("def g(t): sign(sin(pi)) * t\nf = g(x)", "sign chooses on a number", 11),
    ("def g(t): where(0.1 + 0.2 > 0.3, 1, t)\nf = g(x)", "difference is 0 in exact", 27),
    ("def h(a, t): where(a, 1, t)\ndef g(t): h(sin(pi), t)\nf = g(x)", "h chooses", 11),
])
def test_bad_definitions_are_refused_with_their_position(program: str, message: str,
                                                         column: int) -> None:
    result = invoke("eval", program, "x=1", "y=2")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and message in first, result.stderr
    assert f"column {column}" in first
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("body", [
    "where(0, -0.25, t) + where(1 - 1, 2, t) + where(pi - pi, 1, t)",
    "(0.5 > 0.25) + (pi > 3) + sign(-2) * t + where(sin(1), t, 3)",
    "h(0.5, t) + h(1 / 3, t) + h(0, t)",
])
def test_choices_on_numbers_both_ways_decide_alike_in_a_gate_and_written_out(
        body: str) -> None:
    """A choice on numbers that exact and double arithmetic decide alike is kept: the gate
    agrees with its written-out body (value and gradient)."""
    program = f"def h(a, t): where(a, 1, t)\ndef g(t): {body}\nf = g(x)"
    graph = compile_program(program)
    gate, written = evaluate(graph, {"x": -0.75}), evaluate(expand_composites(graph),
                                                            {"x": -0.75})
    assert gate.value == pytest.approx(written.value, abs=1e-15)
    assert gate.gradients["x"] == pytest.approx(written.gradients["x"], abs=1e-15)


@pytest.mark.parametrize(("table", "message"), [
    ('[gates.g]\nbody = "t"\n', "params must be a list of names"),
    ('[gates.g]\nparams = ["t"]\nbody = "t +"\n', "expected a value"),
    ('[gates.g]\nparams = ["t"]\nbody = "t"\ncolour = 1\n', "unknown key 'colour'"),
    ('[gates.g]\nparams = ["t"]\nbody = "t"\ngrad.u = "1"\n', "'u' is not a parameter of g"),
    ('[gates.g]\nparams = ["t"]\nbody = "t"\ngrad.t = "q"\n', "not one of its parameters"),
])
def test_bad_gates_tables_exit_2(tmp_path: Path, table: str, message: str) -> None:
    circuit = tmp_path / "c.toml"
    circuit.write_text(f'program = "f = g(x)"\n[inputs]\nx = 1\n{table}')
    result = invoke("eval", str(circuit))
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_sympy_never_sees_user_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tool builds every sympy expression itself: no sympify, parse_expr or lambdify."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("sympy was asked to parse or compile text")

    import sympy.parsing.sympy_parser as parser

    for name in ("sympify", "lambdify", "parse_expr", "S"):
        monkeypatch.setattr(sp, name, refuse)
    monkeypatch.setattr(parser, "parse_expr", refuse)
    program = "def g(a, b): a * exp(-b) / (1 + a ** 2)\nf = g(x, y)"
    trace = run(program, {"x": 0.7, "y": 0.2})
    assert trace.value == pytest.approx(0.7 * math.exp(-0.2) / 1.49)


USER_VARIABLES = ("x", "y", "z", "w")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.data())
def test_random_user_gates_agree_with_their_expansion_and_with_sympy(
        data: st.DataObject) -> None:
    """A random body as a gate g(x, y, z, w): its sympy-derived local gradients (evaluated
    on the tape) agree with the engine's chain rule through the written-out body and with
    sympy's derivative of the whole expression."""
    tree = data.draw(gen.trees(max_depth=4))
    assume(tree.has_inputs())
    point = data.draw(gen.points(frozenset(USER_VARIABLES)))
    assume(gen.walk(tree, point).status == gen.OK)
    body = gen.program_text(tree, separator=";").split(";")
    assume(len(body) == 1)  # a gate body is one expression (no hoisted statements)
    program = f"def g(x, y, z, w): {body[0]}\nf = g(a, b, c, d)"
    inputs = {"a": point["x"], "b": point["y"], "c": point["z"], "d": point["w"]}
    try:
        graph = compile_program(program)
    except GraphError as error:  # a choice whose derivative sympy folds into nested
        # conditions (ITE) or pieces of nan, or a comparison sympy cannot make (log of a
        # comparison is zoo where it is 0), or a choice on a number that exact and double
        # arithmetic decide differently: the definition is refused, never misread
        assert any(reason in error.message for reason in (
            "Piecewise", "recursion limit", "cannot be computed here",
            "choose differently")), error.message
        assume(False)
    gate, written = evaluate(graph, inputs), evaluate(expand_composites(graph), inputs)
    oracle = gen.sympy_gradient(tree)
    assert math.isclose(gate.value, written.value, rel_tol=1e-12, abs_tol=1e-12)
    for name, variable in zip(inputs, USER_VARIABLES, strict=True):
        expected = _number(oracle[variable].subs({gen.symbol(v): point[v] for v in point})) \
            if variable in oracle else 0.0
        for got in (gate.gradients[name], written.gradients[name]):
            assert math.isclose(got, expected, rel_tol=1e-8, abs_tol=1e-9), \
                (program, name, got, expected)


def _number(expr: sp.Expr) -> float:
    """A number from the oracle; a step's argument (and its derivative's, DiracDelta) is
    evaluated first: sympy leaves Heaviside(0.25**tan(exp(1/4))) and, depending on its
    cache, DiracDelta(-1/2 + tan(exp(1/4))) alone, not knowing the sign of a tan."""
    steps = expr.replace(lambda node: isinstance(node, sp.Heaviside | sp.DiracDelta),
                         lambda node: node.func(*[sp.N(arg, 30) for arg in node.args]))
    return float(steps.evalf(30))


def test_installed_gradcheck_fails_the_wrong_gate() -> None:
    import subprocess

    from test_check import installed_backprop

    done = subprocess.run([installed_backprop(), "gradcheck", str(DATA / "wrong-gate.toml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1].startswith("FAILED: x")
    assert "warning: gate cube" in done.stderr


NESTED = "\n".join(["def g1(t): t * t + t",
                    *(f"def g{i}(t): g{i - 1}(g{i - 1}(t))" for i in range(2, 6)),
                    "f = g5(x)"])


def test_gates_built_on_gates_are_bounded() -> None:
    """Each level doubles the written-out size: the definition is refused with its position
    instead of sympy differentiating for minutes."""
    result = invoke("eval", NESTED, "x=0.1")
    assert result.exit_code == 2
    assert "gate g5 written out as a tree" in result.stderr
    assert "--limit gate-terms=N" in result.stderr and "line 5, column 5" in result.stderr
    small = NESTED.replace("f = g5(x)", "f = g3(x)").split("\n")
    del small[3:5]
    assert invoke("eval", "\n".join(small), "x=0.1").exit_code == 0


def test_expansion_respects_the_gates_limit() -> None:
    program = "def g(t): t * t * t * t\nf = g(x) + g(y)"
    assert invoke("eval", program, "x=1", "y=2", "--limit", "gates=8").exit_code == 0
    result = invoke("eval", program, "x=1", "y=2", "--expand", "--limit", "gates=8")
    assert result.exit_code == 2 and "after expanding composite gates" in result.stderr


@pytest.mark.parametrize("command", [
    ("check", "--expect", "f=1"), ("gradcheck",), ("step", "--params", "x")])
def test_learning_commands_take_limits(command: tuple[str, ...]) -> None:
    result = invoke(command[0], "x*y + x", "x=1", "y=2", *command[1:], "--limit", "gates=2")
    assert result.exit_code == 2 and "--limit gates=N" in result.stderr


def test_a_value_cannot_define_a_gate() -> None:
    result = invoke("eval", "x*2", "x=def g(t): t; 3")
    assert result.exit_code == 2 and "single expression" in result.stderr


def test_a_definition_shadows_the_built_in_gate_of_its_name() -> None:
    """``def exp(t): t`` replaces exp within the program, as a def in Python would."""
    doc = eval_json("def exp(t): 2 * t\nf = exp(x)", "x=3")
    assert float(doc["value"]) == 6.0 and float(doc["gradients"]["x"]) == 2.0
    builtin = eval_json("f = exp(x)", "x=0")
    assert float(builtin["value"]) == 1.0


def test_a_definition_sympy_cannot_derive_is_a_located_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """sympy recursed without end simplifying a nested choice (found by hypothesis:
    ``where(where(abs(1.5 / w), 0.5, 1.5 ^ y == max(x, .5)), (x < softplus(z)) * z, 1.5)``,
    whether it recurses depends on sympy's cache): one error line at the definition, never
    an internal error. sympy's recursion is forced here, so the test does not depend on the
    order the tests run in."""
    def recurse(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(user_gates.sp, "powsimp", recurse)
    program = "def g(x, y): where(x, y, 1.5) * x\nf = g(a, b)"
    result = invoke("eval", program, "a=1", "b=2")
    assert result.exit_code == 2, result.stderr
    assert "recursion limit" in result.stderr and "line 1, column 5" in result.stderr
    assert result.stderr.count("error:") == 1


@pytest.mark.parametrize(("value", "expected", "slope"), [("0", "1", "0"), ("-0.25", "-1", "-4")])
def test_a_choice_computes_only_the_value_it_chooses(value: str, expected: str,
                                                     slope: str) -> None:
    """sympy writes 0.25 / where(c, 0.25, x) as a choice between 1 and 0.25/x: at x = 0
    the value not chosen divides by 0, and must not make g undefined (found by
    hypothesis)."""
    program = "def g(x): 0.25 / where(-(0.25 + x), 0.25, x)\nf = g(a)"
    result = invoke("eval", program, f"a={value}", "--get", "value", "--get", "grad.a")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [expected, slope]


def test_a_comparison_sympy_cannot_make_is_refused_in_the_courses_words() -> None:
    """log(x > 0.25) is log(0) where the comparison is 0: sympy cannot say whether 0.25 is
    greater (its "Invalid comparison of non-real zoo"); the definition is refused at the
    comparison, without sympy's names."""
    result = invoke("eval", "def g(x): (0.25 > log(x > 0.25))\nf = g(a)", "a=1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: gate g: > cannot be computed here (one side is "
                                    "not a real number everywhere, as log(0) or 1/0 is not)")
    assert "zoo" not in result.stderr and "line 1, column" in result.stderr


_CONSTANT_LEAVES = st.sampled_from(["pi", "e", "0", "1", "2", "0.1", "0.2", "0.3", "1/3",
                                    "1e-300"])
_CONSTANT_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu")


def _constant_texts() -> st.SearchStrategy[str]:
    """Text of constant expressions: the numbers exact and double arithmetic fold apart."""
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({' '.join(t)})"),
            st.tuples(st.sampled_from(_CONSTANT_FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"))
    return st.recursive(_CONSTANT_LEAVES, extend, max_leaves=5)


@settings(max_examples=150, deadline=None)
@given(constant=_constant_texts(), choice=st.sampled_from([
    "where({c}, 1, t)", "sign({c}) * t", "({c} > 0.5) + t", "({c} == 1) * t",
    "({c} <= pi / 4) - t", "max({c}, 0) * t"]))
def test_a_choice_on_numbers_in_a_gate_agrees_with_the_written_out_body_or_is_refused(
        constant: str, choice: str) -> None:
    """sympy folds a gate's numbers exactly, the written-out body computes them in doubles:
    a choice on such a number (sin(pi) is 0 against 1.2e-16) is either decided alike (same
    value and gradient) or the definition is refused (never answered two ways)."""
    program = f"def g(t): {choice.format(c=constant)}\nf = g(x)"
    try:
        graph = compile_program(program)
        written = evaluate(expand_composites(graph), {"x": 2.0})
    except BackpropError:  # a number outside a domain, too large or too long: refused
        assume(False)
        return
    gate = evaluate(graph, {"x": 2.0})
    assert math.isclose(gate.value, written.value, rel_tol=1e-12, abs_tol=1e-12), program
    assert math.isclose(gate.gradients["x"], written.gradients["x"], rel_tol=1e-12,
                        abs_tol=1e-12), program  # a constant may differ in its last digits
