"""micrograd's own test program (karpathy/micrograd, test/test_engine.py) runs as written:
names a to g (``e`` included), ``+=`` and relu. micrograd compares with PyTorch; here the
oracle is sympy: the same program built from sympy expressions by hand, differentiated
exactly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy as sp

from conftest import eval_json, invoke


def relu(x: sp.Expr) -> sp.Expr:
    return sp.Max(0, x)


def more_ops(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """test_more_ops, statement by statement (micrograd's += is x = x + ...)."""
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / sp.Rational(2)
    g = g + 10 / f
    return g


def sanity_check(x: sp.Expr) -> sp.Expr:
    """test_sanity_check."""
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


SANITY_PROGRAM = """
z = 2 * x + 2 + x
q = relu(z) + z * x
h = relu(z * z)
y = h + q + q * x
"""


def oracle(build: Callable[..., sp.Expr],
           point: dict[str, int]) -> tuple[float, dict[str, float]]:
    """The value and the gradients of ``build`` at ``point``, exactly, then as floats."""
    symbols = {name: sp.Symbol(name, real=True) for name in point}
    expr = build(**symbols)
    at = {symbols[name]: value for name, value in point.items()}
    return float(expr.subs(at)), {name: float(sp.diff(expr, symbol).subs(at))
                                  for name, symbol in symbols.items()}


def test_micrograd_more_ops_runs_as_written_and_agrees_with_sympy() -> None:
    document = eval_json("micrograd")
    value, grads = oracle(more_ops, {"a": -4, "b": 2})
    assert document["value"] == pytest.approx(value, rel=1e-12)
    assert document["gradients"] == pytest.approx(grads, rel=1e-12)
    # micrograd's README prints these to 4 decimals
    assert round(document["value"], 4) == 24.7041
    assert round(document["gradients"]["a"], 4) == 138.8338
    assert round(document["gradients"]["b"], 4) == 645.5773


def test_micrograd_program_as_text_with_e_assigned_gives_one_note() -> None:
    result = invoke("eval", "micrograd", "--format", "json")
    assert result.exit_code == 0
    assert [line for line in result.stderr.splitlines() if line.startswith("note:")] == [
        "note: e is assigned at line 7, column 1: from there on e is that value, not the "
        "constant e (2.718...)"]


def test_micrograd_sanity_check_agrees_with_sympy() -> None:
    document = eval_json(SANITY_PROGRAM, "x=-4")
    value, grads = oracle(sanity_check, {"x": -4})
    assert document["value"] == pytest.approx(value, rel=1e-12)
    assert document["gradients"] == pytest.approx(grads, rel=1e-12)


def test_the_installed_command_runs_micrograds_program() -> None:
    """Through the installed ``backprop``, as a user runs it: the note, and the answers
    micrograd's README gives."""
    command = Path(sys.executable).with_name("backprop")
    done = subprocess.run([str(command), "eval", "micrograd", "--get", "grad.a"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert round(float(done.stdout), 4) == 138.8338
    assert done.stderr.count("note: e is assigned") == 1
    done = subprocess.run([str(command), "eval", "f = e * x", "x=2", "e=3", "--get", "grad.e"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and float(done.stdout) == 2.0
    assert "the input e shadows the constant e" in done.stderr
