"""``backprop code``: the generated Python is executed and must reproduce the tool's numbers."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys

import expression_gen as gen
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_check import installed_backprop

from backprop_cli import bundled_names, compile_program, evaluate, run
from backprop_cli.codegen.write import python_code

from conftest import invoke

STYLES = ("flat", "modular")


def generated(*args: str, style: str = "flat") -> str:
    result = invoke("code", *args, "--style", style)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def printed_numbers(stdout: str) -> dict[str, float]:
    """``f = 0.73`` / ``df/dx = -4`` lines printed by the generated code."""
    numbers = {}
    for line in stdout.splitlines():
        name, _, value = line.partition(" = ")
        numbers[name] = float(value)
    return numbers


def run_python(code: str) -> dict[str, float]:
    """Run generated code in a fresh interpreter, as a user would."""
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr + code
    return printed_numbers(done.stdout)


def exec_generated(code: str) -> dict[str, float]:
    """Execute the tool's own generated text in-process (for the many random cases)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<generated>", "exec"), {"__name__": "generated"})
    return printed_numbers(out.getvalue())


def tool_numbers(*args: str) -> dict[str, float]:
    result = invoke("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    numbers = {doc["output"]: float(doc["value"])}
    numbers.update({f"d{doc['output']}/d{name}": float(g)
                    for name, g in doc["gradients"].items()})  # "inf" as JSON text
    return numbers


def assert_same(code_numbers: dict[str, float], tool: dict[str, float]) -> None:
    assert code_numbers.keys() == tool.keys()
    for key, value in tool.items():
        assert math.isclose(code_numbers[key], value, rel_tol=1e-12, abs_tol=1e-300) or \
            code_numbers[key] == value, (key, code_numbers[key], value)


def scalar_circuits() -> list[str]:
    """The bundled circuits of numbers (code for arrays: test_code_arrays.py)."""
    return [name for name in bundled_names() if not run(name).arrays]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", scalar_circuits())
def test_code_of_every_bundled_circuit_runs_and_reproduces_the_numbers(name: str,
                                                                        style: str) -> None:
    code = generated(name, style=style)
    assert code.startswith("import math\n") and "import" not in code[len("import math"):]
    assert_same(run_python(code), tool_numbers(name))


def test_flat_code_is_the_lecture_code() -> None:
    """Lecture section 8: the sigmoid neuron's flat forward and backward lines."""
    code = generated("sigmoid-neuron-grouped")
    lines = code.splitlines()
    forward = lines[lines.index("# forward pass") + 1: lines.index("# backward pass") - 1]
    assert forward == ["s0 = w0 * x0", "s1 = w1 * x1", "s2 = s0 + s1", "s3 = s2 + w2",
                       "f = sigmoid(s3)"]
    helper = code[code.index("def sigmoid(x):"):code.index("# inputs")]
    assert "return 1 / (1 + math.exp(-x))" in helper  # the lecture's formula, for x >= 0
    backward = lines[lines.index("# backward pass") + 1:]
    backward = backward[:backward.index("")]
    assert backward[0] == "grad_f = 1.0"
    # the lecture's (1 - f) * f, with 1 - f as sigmoid(-s3), the tool's own stable form
    assert backward[1] == "grad_s3 = grad_f * f*sigmoid(-s3)"
    assert sorted(backward[2:]) == sorted([
        "grad_w2 = grad_s3", "grad_s2 = grad_s3", "grad_s0 = grad_s2", "grad_s1 = grad_s2",
        "grad_w1 = grad_s1 * x1", "grad_x1 = grad_s1 * w1", "grad_w0 = grad_s0 * x0",
        "grad_x0 = grad_s0 * w0"])


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("program", "x"), [("f = sigmoid(x)", -1000), ("f = sigmoid(x)", 1000),
                                            ("f = tanh(x)", 800), ("f = tanh(exp(x*x))", 3),
                                            ("f = sigmoid(x) * tanh(x)", -720)])
def test_code_runs_where_math_exp_would_overflow(program: str, x: float, style: str) -> None:
    """sigmoid(-1000) and tanh'(800) are 0 in the tool; the code must not raise
    OverflowError on the way (math.exp(1000) does, where IEEE-754 gives inf)."""
    code = generated(program, f"x={x}", style=style)
    assert code.count("def ") - code.count("    def ") <= 2  # only the helpers it calls
    trace = evaluate(compile_program(program), {"x": float(x)})
    numbers = run_python(code)
    assert numbers["f"] == trace.value and numbers["df/dx"] == trace.grads[trace.graph.inputs["x"]]


def test_fan_out_accumulates_with_plus_equals() -> None:
    code = generated("copy-gate")
    assert "grad_x = grad_b * 2" in code and "grad_x += grad_a * 4" in code
    modular = generated("copy-gate", style="modular")
    assert "grad_x += down[1]" in modular


def test_modular_gate_caches_only_what_backward_needs() -> None:
    code = generated("sigmoid-neuron-grouped", style="modular")
    add = code[code.index("class AddGate:"):code.index("class SigmoidGate:")]
    assert "self." not in add.split("def backward")[0]
    sigmoid = code[code.index("class SigmoidGate:"):].split("# inputs")[0]
    assert "self.out = sigmoid(a)" in sigmoid
    assert "return upstream * self.out*sigmoid(-self.a)" in sigmoid
    mul = code[code.index("class MulGate:"):code.index("class AddGate:")]
    assert "self.a = a" in mul and "self.b = b" in mul
    assert "return upstream * self.b, upstream * self.a" in mul


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("source", "inputs"), [
    ("relu(x) + abs(y) + max(x, y) + min(x, z)", ("x=0", "y=0", "z=0")),
    ("sqrt(x) + y", ("x=0", "y=1")),
    ("x**2 + 2**y + y**x + (-2)**3 * x", ("x=-3", "y=2")),
    ("grad_x = x * 2; math = grad_x + x; down = math * print; f = down + 1",
     ("x=3", "print=2")),
    ("q = x + y; f = q * z", ("x=-2", "y=5", "z=-4", "--output", "q")),
    ("x * 2 + 0 * y", ("x=1", "y=2")),
    ("tan(x) + log(x) + cos(x) * sin(x) / tanh(x) - exp(-x) + pi * e", ("x=0.5",)),
    ("x * x * x", ("x=1.5",)),
    ("def r(t, u): relu(t) * abs(u) + max(t, u) + sigmoid(t) * log(1 + t * t)\nf = r(x, y)",
     ("x=0", "y=0")),
    ("def r(t, u): relu(t) * abs(u) + max(t, u) + sigmoid(t) * log(1 + t * t)\nf = r(x, y)",
     ("x=0.5", "y=-2")),
])
def test_code_runs_at_kinks_and_with_awkward_names(source: str, inputs: tuple[str, ...],
                                                   style: str) -> None:
    code = generated(source, *inputs, style=style)
    assert_same(run_python(code), tool_numbers(source, *inputs))


def test_expanded_code_writes_the_sigmoid_out() -> None:
    code = generated("sigmoid-neuron-grouped", "--expand")
    assert "t2 = math.exp(t1)" in code and "sigmoid" not in code
    assert_same(run_python(code), tool_numbers("sigmoid-neuron-grouped"))


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from(STYLES))
def test_random_circuits_generated_code_reproduces_the_tool(data: st.DataObject,
                                                           style: str) -> None:
    tree = data.draw(gen.trees(max_depth=4))
    assume(tree.has_inputs())
    point = data.draw(gen.points(tree.variables()))
    assume(gen.walk(tree, point).status == gen.OK)
    trace = evaluate(compile_program(gen.program_text(tree, final="assign")), point)
    numbers = exec_generated(python_code(trace, style))
    out = trace.graph.names[trace.output]  # "x" for the program "f = x"
    assert math.isclose(numbers[out], trace.value, rel_tol=1e-12, abs_tol=1e-300)
    # the code may round differently (grad / x for grad * (1/x)); where contributions
    # cancel, the difference is measured against the size of what was summed
    summed = [0.0] * len(trace.graph)
    for edge in trace.edges():
        summed[edge.source] += abs(edge.downstream)
    for name, node in trace.graph.inputs.items():
        got, want = numbers[f"d{out}/d{name}"], trace.grads[node]
        assert abs(got - want) <= 1e-11 * max(abs(want), summed[node]) or got == want, \
            (name, got, want)


def test_installed_code_piped_into_python() -> None:
    code = subprocess.run([installed_backprop(), "code", "(x+y)*z", "x=-2", "y=5", "z=-4"],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    done = subprocess.run([sys.executable, "-I", "-"], input=code, capture_output=True,
                          text=True, timeout=60, check=True)
    assert printed_numbers(done.stdout) == {"f": -12, "df/dx": -4, "df/dy": -4, "df/dz": 3}


def test_the_command_line_does_not_import_sympy_for_eval() -> None:
    """Registering ``backprop code`` (which prints with sympy) must not slow down eval."""
    code = ("import sys\nfrom backprop_cli.cli.main import main\n"
            "main(['eval', '(x+y)*z', 'x=-2', 'y=5', 'z=-4', '--steps'])\n"
            "print('sympy' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stderr.split() == ["False", "False"]


def test_code_warns_where_the_tool_took_inf() -> None:
    """exp(1000) is inf in the tool; the printed code cannot be inf in plain Python."""
    result = invoke("code", "exp(x)", "x=1000")
    assert result.exit_code == 0
    assert "raises OverflowError at these inputs" in result.stderr
    assert "math.exp(x)" in result.stdout
    assert "OverflowError" not in invoke("code", "exp(x)", "x=10").stderr
