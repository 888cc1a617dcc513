"""``--exact`` in fractions (gates/rational.py) against the all-sympy arithmetic it replaces
for rational circuits: the same text, JSON and errors on random circuits, and no sympy import
while every value stays rational."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.gates import rational
from backprop_cli.gates.exact import sympy_arithmetic

from conftest import invoke

VARIABLES = ("x", "y", "z")
BINARY = ("+", "-", "*", "/")
CALLS = ("max", "min", "leaky_relu")
UNARY = ("relu", "abs", "-")
RARE = ("exp", "sqrt")  # a value that is not rational: the sympy fallback, then back


def _constant() -> st.SearchStrategy[str]:
    return st.sampled_from(("0", "1", "2", "0.5", "0.25", "3", "1e-1", "10"))


def _tree(depth: int, transcendental: bool) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(VARIABLES), _constant())
    if depth == 0:
        return leaf
    sub = _tree(depth - 1, transcendental)
    unary = UNARY + (RARE if transcendental else ())
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(BINARY), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub, st.integers(-3, 4)).map(lambda t: f"({t[0]}) ** {t[1]}"),
        st.tuples(st.sampled_from(CALLS), sub, sub).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(st.sampled_from(unary), sub).map(
            lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"({t[0]}) ** ({t[1]})"),
    )


def _assignments(program: str, values: tuple[str, ...]) -> list[str]:
    return [f"{name}={value}" for name, value in zip(VARIABLES, values, strict=True)
            if re.search(rf"\b{name}\b", program)]


_VALUES = st.sampled_from(("0", "1", "-1", "2", "-3", "1/2", "-2/3", "0.75", "5/7"))


@contextmanager
def _all_sympy() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rational, "exact_arithmetic", sympy_arithmetic)
        yield


def _both(*args: str) -> None:
    fractions = invoke(*args)
    with _all_sympy():
        sympy = invoke(*args)
    assert (fractions.exit_code, fractions.stdout, fractions.stderr) == \
        (sympy.exit_code, sympy.stdout, sympy.stderr)


@settings(max_examples=60, deadline=None)
@given(program=_tree(3, False), values=st.tuples(_VALUES, _VALUES, _VALUES))
def test_fractions_print_what_sympy_prints(program: str, values: tuple[str, str, str]) -> None:
    _both("eval", program, *_assignments(program, values), "--exact")
    _both("eval", program, *_assignments(program, values), "--exact", "--format", "json")


@settings(max_examples=30, deadline=None)
@given(program=_tree(3, True), values=st.tuples(_VALUES, _VALUES, _VALUES))
def test_fractions_and_sympy_values_mix_as_sympy_alone(program: str,
                                                       values: tuple[str, str, str]) -> None:
    _both("eval", program, *_assignments(program, values), "--exact", "--format", "json")


@pytest.mark.parametrize("args", [
    ("1/x", "x=0"),  # division by zero
    ("x ** -1", "x=0"),
    ("9 ** 9 ** 9",),  # too many digits
    ("x ** 100000", "x=10"),
    ("x ** -48", "x=0.1"),  # at exact-digits=50 the value fits and its derivative does not
    ("x ** 0.5", "x=-4"),  # not real
    ("sqrt(x) * y", "x=4", "y=1/3"),  # sympy's rational result comes back as a fraction
    ("max(x, y) + abs(x) + relu(x) + x ** 2", "x=0", "y=0"),  # every kink
])
def test_fractions_keep_sympy_errors_and_kinks(args: tuple[str, ...]) -> None:
    _both("eval", *args, "--exact")
    _both("eval", *args, "--exact", "--limit", "exact-digits=50")


def test_digits_limit_counts_fractions_as_sympy_did() -> None:
    args = ("eval", "x * x * x * x * x * x", "x=123456789/987654321", "--exact",
            "--limit", "exact-digits=40")
    _both(*args)
    assert invoke(*args).exit_code == 2


def test_rational_values_are_fractions() -> None:
    arithmetic = rational.exact_arithmetic()
    half = arithmetic.literal("0.5")
    assert half == Fraction(1, 2) and type(half) is Fraction
    assert arithmetic.forwards["pow"](Fraction(2, 3), Fraction(-2)) == Fraction(9, 4)
    assert type(arithmetic.forwards["sqrt"](Fraction(9, 4))) is Fraction


RATIONAL_COMMANDS = [
    ["eval", "(x+y)*z / w ** 2 - max(x, relu(y))", "x=-2", "y=5/3", "z=-4", "w=0.5", "--exact"],
    ["eval", "simple-circuit", "--exact", "--format", "json"],
    ["eval", "simple-circuit", "--exact", "--format", "markdown"],
    ["eval", "simple-circuit", "--exact", "--steps"],
    ["step", "(w*x - y)**2", "x=2", "y=1", "w=0", "--params", "w", "--lr", "1/16", "--exact"],
    ["check", "(x+y)*z", "x=-2", "y=5", "z=-4", "--expect", "f=-12", "--exact"],
    ["draw", "(x+y)*z", "x=-2", "y=5", "z=-4", "--exact"],
]


def _sympy_imported_after(commands: list[list[str]]) -> tuple[bool, str]:
    """Run the commands in one fresh interpreter (each must succeed); whether sympy was
    imported by then, and what they printed."""
    code = ("import sys\n"
            "from backprop_cli.cli.main import cli\n"
            f"for args in {commands!r}:\n"
            "    try:\n"
            "        cli(args)\n"
            "    except SystemExit as stop:\n"
            "        assert stop.code == 0, args\n"
            "print('sympy' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    *printed, last = done.stdout.splitlines()
    return last == "True", "\n".join(printed)


def test_rational_exact_commands_do_not_import_sympy() -> None:
    imported, printed = _sympy_imported_after(RATIONAL_COMMANDS)
    assert not imported
    assert "df/dx" in printed


def test_a_transcendental_exact_eval_does_import_sympy() -> None:
    assert _sympy_imported_after([["eval", "exp(x)", "x=1", "--exact"]])[0]
