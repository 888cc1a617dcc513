"""Fuzzing: whatever the text, the tool answers with a result or a located error.

The default run is small enough for CI; ``pytest -m slow tests/test_fuzz.py`` runs the large
one (10^5 generated inputs over programs and values). The property: only the documented exit
codes (0, 2), never a traceback, an error line that starts with ``error:``.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import run
from backprop_cli.errors import BackpropError

from conftest import invoke

FAST = int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", "300"))
SLOW = 50_000

PIECES = ["x", "y", "z", "q", "f", "1", "0", "2.5", "1e3", "1e-300", "1e308", "pi", "e",
          "+", "-", "*", "/", "**", "^", "(", ")", ",", "=", "+=", "*=", ";", "\n", " ",
          "exp(", "log(", "sqrt(", "sin(", "tanh(", "sigmoid(", "relu(", "max(", "min(",
          "abs(", "pow(", "tan(", "#", ".", "[", "]", "'", "__", "lambda", "\x00", "\u2212",
          "\t", "\r", "9**9**9", "0/0", "x/0", "-x", "--"]

programs = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
anything = st.text(max_size=40)
values = st.sampled_from(["0", "1", "-1", "0.5", "-2.5", "1e-9", "1e300", "1/3", "-pi/4",
                          "2**-1", "x", "1/0", "exp(1000)", "", "[1]", "nan", "inf"])


def assert_well_behaved(result: object) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.stdout, result.stderr)
    assert "Traceback (most recent call last)" not in result.stderr  # the text may say "Traceback"
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith(("error: ", "warning: ")), result.stderr


def _cli_property(program: str, x: str, y: str) -> None:
    assert_well_behaved(invoke("eval", program, f"x={x}", f"y={y}", "--format", "json"))


def _library_property(program: str) -> None:
    with contextlib.suppress(BackpropError):
        run(program, {"x": 0.5, "y": -1.5, "z": 2.0, "q": 3.0, "f": 1.0})


_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
             "database": None}


@settings(max_examples=FAST, **_SETTINGS)
@given(programs, values, values)
def test_cli_on_grammar_fragments(program: str, x: str, y: str) -> None:
    _cli_property(program, x, y)


@settings(max_examples=FAST, **_SETTINGS)
@given(anything)
def test_cli_on_arbitrary_text(program: str) -> None:
    assert_well_behaved(invoke("eval", program, "x=1"))


@settings(max_examples=FAST, **_SETTINGS)
@given(st.one_of(programs, anything))
def test_library_raises_only_backprop_errors(program: str) -> None:
    _library_property(program)


@settings(max_examples=FAST, **_SETTINGS)
@given(programs)
def test_stdin_programs(program: str) -> None:
    assert_well_behaved(invoke("eval", "-", "x=1", input=program))


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(programs, values, values)
def test_slow_cli_on_grammar_fragments(program: str, x: str, y: str) -> None:
    _cli_property(program, x, y)


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(st.one_of(programs, anything))
def test_slow_library(program: str) -> None:
    _library_property(program)
