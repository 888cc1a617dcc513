"""What a plain numeric ``backprop eval`` loads at start-up: not sympy, numpy or rich (the
table renderer), and not the other commands. Times are measured in bench/, not here."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from backprop_cli.errors import BackpropError
from backprop_cli.gates.arithmetic import FLOAT
from backprop_cli.inputs.circuits import NAME_RE, bundled_names
from backprop_cli.inputs.values import constant_value

PROBE = ("import sys; from backprop_cli.cli.main import main; code = main({args!r}); "
         "print(sorted(m for m in {modules!r} if m in sys.modules), file=sys.stderr)")
HEAVY = ("sympy", "numpy", "rich.console", "tomllib", "backprop_cli.cli.draw_cmd",
         "backprop_cli.cli.check_cmd", "backprop_cli.cli.walk")


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_a_numeric_eval_loads_nothing_heavy(fmt: str) -> None:
    args = ["eval", "(x+y)*z", "x=-2", "y=5", "z=-4", "--format", fmt]
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args, modules=HEAVY)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


LAZY = ("pathlib", "urllib.parse", "fractions", "decimal", "shutil", "lzma", "bz2", "signal",
        "shlex", "select", "difflib", "backprop_cli.render.fit", "backprop_cli.render.mathcells")
LAZY_PROBE = ("import sys; before = set(sys.modules); from backprop_cli.cli.main import main; "
              "code = main({args!r}); print(sorted(m for m in {modules!r} "
              "if m in sys.modules and m not in before), file=sys.stderr)")


def test_a_plain_eval_leaves_the_lazy_imports_alone() -> None:
    """Modules imported only where they are needed (a circuit file, a fraction that is not an
    integer, a terminal's width, --exact's alarm, a wrong name, LaTeX's math cells): a plain
    eval whose stdout is not a terminal loads none of them. (Modules the interpreter loaded
    before the tool, such as an editable install's pathlib, do not count.)"""
    args = ["eval", "(x+y)*z", "x=-2", "y=5", "z=-4"]
    done = subprocess.run([sys.executable, "-c", LAZY_PROBE.format(args=args, modules=LAZY)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_lazy_imports_still_load_when_needed() -> None:
    """The same probe sees them when the job needs them: it is not blind."""
    args = ["eval", "circuits/simple-circuit.toml", "--exact", "--format", "latex"]
    done = subprocess.run([sys.executable, "-c", LAZY_PROBE.format(args=args, modules=LAZY)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    loaded = set(ast.literal_eval(done.stderr.strip().splitlines()[-1]))
    assert {"fractions", "signal", "backprop_cli.render.mathcells"} <= loaded


def test_bundled_names_are_recognised_as_names() -> None:
    assert bundled_names() and all(NAME_RE.fullmatch(name) for name in bundled_names())


@pytest.mark.parametrize("text", ["-2", "+2", " 5 ", "0.5", ".5", "2.", "-0", "1e-3", "-1E+300",
                                  "007", "\t3\f", "1e999", "-1e999", "1e-400"])
def test_plain_numbers_read_as_the_parser_reads_them(text: str) -> None:
    from backprop_cli.engine.reference import forward
    from backprop_cli.graph.builder import build
    from backprop_cli.language.parser import parse_expression

    try:
        graph = build(parse_expression(text))
        expected = forward(graph, {}, FLOAT)[graph.output]
    except BackpropError as error:
        with pytest.raises(BackpropError) as raised:
            constant_value(text)
        assert raised.value.message == error.message
        return
    got = constant_value(text)
    assert repr(got) == repr(expected) and type(got) is float


@pytest.mark.parametrize("args", [
    ["eval", "sigmoid-neuron", "--format", "latex"],
    ["eval", "f = x**2 + relu(y) + max(x, y) + e**x", "x=1", "y=2", "--format", "latex"],
    ["eval", "sigmoid-neuron", "--format", "markdown"],
    ["code", "sigmoid-neuron"],
    ["code", "sigmoid-neuron-grouped", "--style", "modular"],
    ["code", "f = x**2 + relu(y) + max(x, y) + e**x + sqrt(x)", "x=1", "y=2"],
    ["gates"],
    ["gates", "--format", "json"],
])
def test_built_in_gates_need_neither_sympy_nor_numpy(args: list[str]) -> None:
    """LaTeX, code and the gate list come from the text generated once per gate."""
    probe = PROBE.format(args=args, modules=("sympy", "numpy"))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_user_defined_gate_still_uses_sympy() -> None:
    args = ["code", "def sp(t): log(1 + exp(t))\nf = sp(x)", "x=1"]
    probe = PROBE.format(args=args, modules=("sympy",))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr.strip().splitlines()[-1] == "['sympy']"
