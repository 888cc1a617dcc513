"""A program that starts with a minus is an argument, not an unknown option."""

from __future__ import annotations

import subprocess

import pytest
from test_check import installed_backprop

from conftest import invoke


@pytest.mark.parametrize(("args", "value", "grad_x"), [
    (("-x*y", "x=2", "y=3"), -6.0, -3.0),
    (("-2*x", "x=5"), -10.0, -2.0),
    (("-(x+1)**2", "x=1"), -4.0, -4.0),
])
def test_leading_minus_program(args: tuple[str, ...], value: float, grad_x: float) -> None:
    got = invoke("eval", *args, "--get", "value")
    assert got.exit_code == 0, got.stderr
    assert float(got.stdout) == value
    assert float(invoke("eval", *args, "--get", "grad.x").stdout) == grad_x


def test_options_before_and_after_keep_their_values() -> None:
    """--upstream -3 is a value of --upstream; -h is still help."""
    result = invoke("eval", "--upstream", "-3", "-2*x", "x=1", "--get", "grad.x")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == 6.0
    assert "SOURCE [NAME=VALUE]..." in invoke("eval", "-h").stdout.splitlines()[0]
    assert "no such option '--formt'" in invoke("eval", "-x", "x=1", "--formt", "json").stderr


def test_error_positions_are_those_of_the_text_typed() -> None:
    result = invoke("eval", "-x*", "x=1")
    assert result.exit_code == 2
    assert "line 1, column 4" in result.stderr
    assert result.stderr.splitlines()[1:] == ["  -x*", "     ^"]


def test_an_input_that_looks_like_an_option_is_named() -> None:
    result = invoke("eval", "-x", "-x")
    assert result.exit_code == 2 and "expected NAME=VALUE, got '-x'" in result.stderr


def test_installed_command_takes_a_leading_minus() -> None:
    done = subprocess.run([installed_backprop(), "gradcheck", "-x*x", "x=3", "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"passed": true' in done.stdout
