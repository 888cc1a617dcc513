"""Formulas as a student writes them: no sympy insides in anything a person reads.

Every bundled circuit, in every human format (tables, plain text, LaTeX, Markdown, the
terminal drawing, dot, mermaid, with and without --expand), the gate list and the comments of
the generated code, is scanned for sympy's spellings: ``Heaviside``, ``log(e)``, an
exponent left as ``(2 - 1)``, a power ``**1``, and the constant ``E``. The formulas
themselves are checked against sympy in ``tests/gates/test_formula.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_cli.inputs.circuits import bundled_names

from conftest import invoke

SYMPY_INSIDES = re.compile(
    r"Heaviside|log\(e\)|\\log\\left\(e\\right\)|\(\d+(\.\d+)? - 1\)|\*\*1(?![\d.])"
    r"|(?<![\w.\\{])E(?![\w(])")
EVAL_FORMATS = ("table", "plain", "latex", "markdown")
DRAW_FORMATS = ("terminal", "dot", "mermaid")


def insides(text: str) -> list[str]:
    return [match.group(0) for match in SYMPY_INSIDES.finditer(text)]


def output(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("name", bundled_names())
def test_no_sympy_insides_in_any_human_format(name: str) -> None:
    for expand in ([], ["--expand"]):
        for fmt in EVAL_FORMATS:
            text = output("eval", name, "--format", fmt, *expand)
            assert not insides(text), (name, fmt, expand, insides(text))
        for fmt in DRAW_FORMATS:
            text = output("draw", name, "--format", fmt, *expand)
            assert not insides(text), (name, fmt, expand, insides(text))


@pytest.mark.parametrize("name", bundled_names())
def test_no_sympy_insides_in_code_comments(name: str) -> None:
    for style in ("flat", "modular"):
        code = output("code", name, "--style", style)
        comments = "\n".join(line.partition("#")[2] for line in code.splitlines())
        assert not insides(comments), (name, style, insides(comments))
        assert "Heaviside" not in code


def test_no_sympy_insides_in_the_gate_list() -> None:
    for fmt in ("table", "plain", "json"):
        text = output("gates", "--format", fmt)
        assert not insides(text), (fmt, insides(text))
    text = output("gates", "softplus-gate")
    assert not insides(text), insides(text)


@pytest.mark.parametrize("program", [
    "f = x**2 + e**x + relu(x) + max(x, y) + min(x, y) + abs(x) + leaky_relu(x, 0.1)",
    "f = x**1 + x**3 + x**-1 + x**0.5 + 2**x + pi**x + x**e + 1/x + -2/x + y",
    "f = softplus(x) + sigmoid(y) + tanh(x) + sqrt(y) + log(y) + tan(x)",
])
def test_no_sympy_insides_at_any_constant_operand(program: str) -> None:
    for fmt in EVAL_FORMATS:
        text = output("eval", program, "x=0.5", "y=2", "--format", fmt)
        assert not insides(text), (program, fmt, insides(text))


def test_no_sympy_insides_in_exact_mode() -> None:
    for fmt in EVAL_FORMATS:
        text = output("eval", "f = x**2 + e**x + x**-1 + 2**x + relu(x)", "x=1/2", "--exact",
                      "--format", fmt)
        assert not insides(text), (fmt, insides(text))


def test_exact_values_print_e_and_pi() -> None:
    text = output("eval", "f = e**x * pi", "x=1", "--exact", "--format", "plain")
    assert "e*pi" in text.replace(" ", "") or "pi*e" in text.replace(" ", "")
    assert not insides(text)


def test_a_power_of_one_has_local_gradient_one() -> None:
    text = output("eval", "f = x**1", "x=3", "--format", "latex", "--table", "edges")
    assert "$f = x^{1}$ & $x$ & $1$ & $1$ &" in text  # the program's x**1, its gradient 1


def test_the_scan_finds_what_sympy_writes() -> None:
    for text in ("Heaviside(x)", "e**x*log(e)", "x**(2 - 1)*2", "x**1", "E**x", "2*E",
                 "t**(0.5 - 1)"):
        assert insides(text), text
    for text in ("2*x", "e**x", "[x > 0]", "x**10", "x**1.5", "1.235e-06", "Edges", "dE/dx"):
        assert not insides(text), text


def test_the_installed_command_writes_student_formulas() -> None:
    command = Path(sys.executable).with_name("backprop")
    done = subprocess.run([str(command), "eval", "f = x**2 + e**x + relu(x) + max(x, y)",
                           "x=1", "y=2", "--format", "plain", "--table", "edges"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for formula in ("2*x", "e**x", "[x > 0]", "[x > y]", "[y > x]"):
        assert f"  {formula}  " in done.stdout, formula
    assert not insides(done.stdout)
