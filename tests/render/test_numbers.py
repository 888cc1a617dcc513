"""Numbers a person reads: 4 significant digits by default, --digits, --decimals (old spelling
--precision), --full; never a nonzero value written as 0. Numbers a program reads (JSON,
--get, CSV, --rows) keep full precision unless asked.

The expected texts come from the lecture (CS231n Lecture 4 writes the sigmoid neuron's
gradients as -0.20, 0.39, -0.39, -0.59, 0.20, its output as 0.73) and from Python's own
``format`` of the double, not from the tool's output."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from backprop_cli.numformat import (
    DECIMALS,
    DIGITS,
    FULL,
    LECTURE,
    Rounding,
    exact_text,
    format_apart,
    format_float,
)

from conftest import eval_json, invoke

BIN = Path(sys.executable).parent
SIGMOID_GRADIENTS = {"w0": -0.19661193324148188, "x0": 0.39322386648296376,
                     "w1": -0.39322386648296376, "x1": -0.5898357997244457,
                     "w2": 0.19661193324148188}
LECTURE_TWO_DECIMALS = {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}
SEVENTEEN = re.compile(r"\d\.\d{12,}")  # a number written with many more digits than 4

finite = st.floats(allow_nan=False, allow_infinity=False)
nonzero = finite.filter(lambda x: x != 0)


@pytest.mark.parametrize(("value", "text"), [
    (-0.19661193324148188, "-0.1966"), (0.7310585786300049, "0.7311"), (-12.0, "-12"),
    (1.2346e-06, "1.235e-06"), (0.2, "0.2"), (0.0, "0"), (-0.0, "0"), (2.0, "2"),
    (float("inf"), "inf"), (float("nan"), "nan"),
])
def test_four_significant_digits_by_default(value: float, text: str) -> None:
    assert format_float(value, LECTURE) == text
    assert Rounding(DIGITS, 4) == LECTURE


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (-0.19661193324148188, 2, "-0.20"), (0.39322386648296376, 2, "0.39"), (-12.0, 2, "-12.00"),
    (-0.000199, 3, "-1.990e-04"), (1.2345e-6 * 3e-7, 4, "3.7035e-13"), (0.6, 0, "1"),
    (0.4, 0, "4e-01"), (0.5, 0, "5e-01"),  # Python rounds 0.5 to the even 0: not for a person
])
def test_decimals_keep_trailing_zeros_and_never_write_zero(value: float, decimals: int,
                                                          text: str) -> None:
    assert format_float(value, Rounding(DECIMALS, decimals)) == text


@given(nonzero, st.integers(1, 17))
def test_digits_never_write_a_nonzero_value_as_zero(value: float, digits: int) -> None:
    text = format_float(value, Rounding(DIGITS, digits))
    assert Decimal(text) != 0
    assert abs(Decimal(text) - Decimal(value)) <= \
        abs(Decimal(value)) * Decimal(0.5 * 10 ** (1 - digits) + 1e-15)


@given(nonzero, st.integers(0, 17))
def test_decimals_never_write_a_nonzero_value_as_zero(value: float, decimals: int) -> None:
    text = format_float(value, Rounding(DECIMALS, decimals))
    assert Decimal(text) != 0
    if "e" not in text:
        assert text.partition(".")[2] == "" if decimals == 0 else \
            len(text.partition(".")[2]) == decimals  # trailing zeros kept
        assert abs(float(text) - value) <= 0.5 * 10 ** -decimals * (1 + 1e-9) + \
            abs(value) * 1e-15


@given(finite)
def test_full_reads_back_to_the_same_double(value: float) -> None:
    assert float(format_float(value, FULL)) == value
    assert format_float(value) == format_float(value, FULL)  # the library's default


def test_a_wrong_answer_never_reads_as_the_computed_value() -> None:
    assert format_apart(-0.19662, -0.19661193324148188, LECTURE) == ("-0.19662", "-0.19661")
    assert format_apart(0.1, 0.1, LECTURE) == ("0.1", "0.1")  # the same double: no digits added
    assert format_apart(0.1, 0.1 + 2 ** -56, LECTURE) == ("0.10000000000000001",
                                                          "0.10000000000000002")
    assert format_apart(1.0, 1.0 + 2 ** -52, LECTURE) == ("1", "1.0000000000000002")


def test_exact_values_write_e_as_the_language_does() -> None:
    assert exact_text(sympy.E / (1 + sympy.E)) == "e/(1 + e)"
    assert exact_text(sympy.pi * sympy.E) == "e*pi"
    assert exact_text(sympy.Rational(-1, 4)) == "-1/4"


def table_numbers(text: str, column: str) -> dict[str, str]:
    """The ``gradients`` section's value cells by input name (plain format)."""
    lines = text.split("Gradients of")[1].splitlines()[2:]
    return {line.split()[0].split("/d")[1]: line.split()[1] for line in lines if line.strip()}


def test_eval_reads_as_the_lecture() -> None:
    shown = invoke("eval", "sigmoid-neuron").stdout
    assert not SEVENTEEN.search(shown), shown
    wanted = {name: f"{value:.4g}" for name, value in SIGMOID_GRADIENTS.items()}
    assert table_numbers(shown, "value") == wanted
    assert "Gradients of f = 0.7311" in shown and "0.3679" in shown
    two = invoke("eval", "sigmoid-neuron", "--decimals", "2").stdout
    assert table_numbers(two, "value") == LECTURE_TWO_DECIMALS
    assert "Gradients of f = 0.73" in two
    assert invoke("eval", "sigmoid-neuron", "--precision", "2").stdout == two
    full = invoke("eval", "sigmoid-neuron", "--full").stdout
    assert table_numbers(full, "value") == {k: repr(v) for k, v in SIGMOID_GRADIENTS.items()}
    five = invoke("eval", "sigmoid-neuron", "--digits", "5").stdout
    assert table_numbers(five, "value")["w0"] == "-0.19661"


@pytest.mark.parametrize("fmt", ["plain", "table", "markdown", "latex"])
def test_every_text_format_has_four_digits(fmt: str) -> None:
    shown = invoke("eval", "sigmoid-neuron", "--format", fmt).stdout
    assert "-0.1966" in shown and "0.7311" in shown
    assert "0.19661" not in shown and "0.73105" not in shown


def test_what_a_program_reads_keeps_full_precision() -> None:
    document = eval_json("sigmoid-neuron", "--decimals", "2")
    assert document["gradients"] == SIGMOID_GRADIENTS
    assert invoke("eval", "sigmoid-neuron", "--get", "grad.w0").stdout == \
        repr(SIGMOID_GRADIENTS["w0"]) + "\n"
    assert invoke("eval", "sigmoid-neuron", "--get", "grad.w0", "--decimals", "2").stdout == \
        "-0.20\n"
    rows = invoke("eval", "sigmoid-neuron", "--format", "csv", "--table", "gradients").stdout
    assert {r["input"]: float(r["grad"]) for r in csv.DictReader(io.StringIO(rows))} == \
        SIGMOID_GRADIENTS
    jsonl = invoke("eval", "sigmoid-neuron", "--format", "jsonl", "--table", "gradients",
                   "--digits", "2").stdout
    assert {json.loads(line)["input"]: json.loads(line)["grad"]
            for line in jsonl.splitlines()} == SIGMOID_GRADIENTS


def test_rows_keep_full_precision_and_never_round_to_zero() -> None:
    program = ("f = x * y", "--rows", "-")
    full = invoke("eval", *program, input="x,y\n-0.000199,1\n0.5,3\n").stdout
    assert full.splitlines()[1:] == ["-0.000199,1,-0.000199,1,-0.000199,", "0.5,3,1.5,3,0.5,"]
    rounded = invoke("eval", *program, "--decimals", "3",
                     input="x,y\n-0.000199,1\n0.5,3\n").stdout
    assert rounded.splitlines()[1:] == ["-0.000199,1,-1.990e-04,1.000,-1.990e-04,",
                                        "0.5,3,1.500,3.000,0.500,"]
    digits = invoke("eval", *program, "--digits", "2", input="x,y\n0.123456,1\n").stdout
    assert digits.splitlines()[1] == "0.123456,1,0.12,1,0.12,"


def test_tiny_values_at_few_decimals_are_not_zero() -> None:
    shown = invoke("eval", "f = x*y", "x=1.2345e-6", "y=3e-7", "--precision", "4").stdout
    cells = [cell for line in shown.splitlines() for cell in line.split()]
    assert "0" not in cells and "0.0000" not in cells and "-0.0000" not in cells
    assert "3.7035e-13" in cells


COMMANDS = {  # every command that shows computed numbers to a person
    "eval": ["eval", "sigmoid-neuron"],
    "check": ["check", "sigmoid-neuron", "--expect", "grad.w0=-0.1966"],
    "gradcheck": ["gradcheck", "sigmoid-neuron"],
    "draw": ["draw", "sigmoid-neuron", "--format", "dot"],
    "step": ["step", "sigmoid-neuron", "--params", "w0", "--lr", "0.1"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_takes_the_same_options(command: str) -> None:
    args = COMMANDS[command]
    default = invoke(*args)
    assert default.exit_code == 0, default.stderr
    assert "-0.1966" in default.stdout and not SEVENTEEN.search(default.stdout)
    assert invoke(*args, "--digits", "4").stdout == default.stdout
    two = invoke(*args, "--decimals", "2")
    assert "-0.20" in two.stdout and "-0.1966" not in two.stdout
    assert invoke(*args, "--precision", "2").stdout == two.stdout
    assert "-0.19661193324148188" in invoke(*args, "--full").stdout
    both = invoke(*args, "--digits", "3", "--decimals", "2")
    assert both.exit_code == 2 and "--digits and --decimals" in both.stderr


def test_eval_full_with_digits_rounds_the_numbers() -> None:
    shown = invoke("eval", "sigmoid-neuron", "--full", "--digits", "3").stdout
    assert "-0.197" in shown and not SEVENTEEN.search(shown)


def test_exact_output_writes_e() -> None:
    shown = invoke("eval", "f = 1/(1+exp(-s))", "s=1", "--exact").stdout
    assert "e/(1 + e) (0.7311)" in shown and "E" not in shown
    assert invoke("eval", "f = 1/(1+exp(-s))", "s=1", "--exact", "--get", "value").stdout == \
        "e/(1 + e)\n"


def test_installed_command_reads_as_the_lecture() -> None:
    done = subprocess.run([str(BIN / "backprop"), "eval", "sigmoid-neuron", "--decimals", "2",
                           "--table", "gradients"], capture_output=True, text=True, timeout=60,
                          env={"PATH": str(BIN), "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert table_numbers(done.stdout, "value") == LECTURE_TWO_DECIMALS


def test_check_shows_a_wrong_answer_with_the_digits_that_tell_it_apart() -> None:
    result = invoke("check", "sigmoid-neuron", "--expect", "grad.w0=-0.19662",
                    "--expect", "grad.x0=0.3932")
    assert result.exit_code == 1
    wrong, right = result.stdout.splitlines()[:2]
    assert wrong.split()[:6] == ["wrong", "grad.w0", "expected", "-0.19662", "computed",
                                 "-0.19661"]
    assert right.split() == ["right", "grad.x0", "expected", "0.3932", "computed", "0.3932"]
