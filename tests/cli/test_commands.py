"""Every command documents itself with an example; the installed command really runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_cli.cli.main import cli

from conftest import invoke


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_help_has_an_example(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "backprop " in result.stdout.split("Example:")[1]


@pytest.mark.parametrize(("command", "records", "tables"), [
    ("eval", "per node, edge and gradient", "nodes, edges or gradients"),
    ("check", "one per answer", "answers"),
    ("gradcheck", "one per input", "inputs"),
])
def test_format_and_table_help_describe_the_commands_own_output(command: str, records: str,
                                                                tables: str) -> None:
    text = " ".join(invoke(command, "--help").stdout.split())  # unwrapped
    assert f"one record per table row ({records}" in text
    assert f"--table KEY Show one table only ({tables}" in text
    if command != "eval":
        assert "eval" not in text.split("Options:")[1] and "nodes, edges" not in text


@pytest.mark.parametrize(("command", "key"), [("gradcheck", "inputs"), ("check", "answers")])
def test_table_lists_the_tables_that_exist(command: str, key: str) -> None:
    wrong = invoke(command, "simple-circuit", "--table", "nodes")
    assert wrong.exit_code == 2
    assert wrong.stderr.startswith(f"error: no table 'nodes': choose one of {key}\n")
    for fmt in ("plain", "csv"):
        kept = invoke(command, "simple-circuit", "--table", key, "--format", fmt)
        assert kept.exit_code == 0 and "simple-circuit" not in kept.stderr, kept.stderr
    lines = invoke(command, "simple-circuit", "--format", "jsonl").stdout.splitlines()
    assert {json.loads(line)["section"] for line in lines} == {key}


def test_version() -> None:
    assert invoke("--version").stdout.startswith("backprop, version ")


def _installed_backprop() -> str:
    found = shutil.which("backprop", path=str(Path(sys.executable).parent)) or \
        shutil.which("backprop")
    assert found, "the backprop command is not installed in this environment"
    return found


def test_installed_command_in_a_subprocess() -> None:
    command = [_installed_backprop(), "eval", "(x+y)*z", "x=-2", "y=5", "z=-4",
               "--format", "json"]
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradients"] == {"x": -4, "y": -4, "z": 3}


def test_installed_command_reports_bad_input_with_exit_2() -> None:
    done = subprocess.run([_installed_backprop(), "eval", "(x+", "x=1"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", "x*y", "x=2", "y=3",
                           "--format", "json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["value"] == 6


def test_piped_output_is_plain_text() -> None:
    done = subprocess.run([_installed_backprop(), "eval", "x*y", "x=2", "y=3"],
                          capture_output=True, text=True, timeout=60)
    assert "\x1b[" not in done.stdout and "│" not in done.stdout and "━" not in done.stdout
    assert "Gradients of f = 6" in done.stdout
