"""Any name: a program may assign, or take as input, any identifier, ``e`` and ``pi``
included; from there on the name is the program's value, and one note on stderr says so."""

from __future__ import annotations

import math

import pytest

from backprop_cli import run
from backprop_cli.graph.graph import CONST, INPUT

from conftest import eval_json, invoke


@pytest.mark.parametrize("name", ["e", "pi"])
def test_an_assigned_constant_name_is_the_programs_value_from_there_on(name: str) -> None:
    # before the assignment the name is the constant, after it the program's value
    program = f"u = {name} * x; {name} = x + 1; f = u + {name} * 2"
    result = invoke("eval", program, "x=3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    constant = math.e if name == "e" else math.pi
    document = eval_json(program, "x=3")
    assert document["value"] == pytest.approx(constant * 3 + (3 + 1) * 2)
    assert document["gradients"] == {"x": pytest.approx(constant + 2)}
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and f"{name} is assigned at line 1" in notes[0]


@pytest.mark.parametrize("name", ["e", "pi"])
def test_an_input_named_like_a_constant_shadows_it(name: str) -> None:
    result = invoke("eval", f"f = {name} * x", f"{name}=3", "x=5", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("note:") == 1 and f"the input {name} shadows" in result.stderr
    document = eval_json(f"f = {name} * x", f"{name}=3", "x=5")
    assert document["value"] == 15.0
    assert document["gradients"] == {name: 5.0, "x": 3.0}


def test_without_a_value_the_constant_stays_a_constant_and_no_note() -> None:
    result = invoke("eval", "f = e * x", "x=1", "--format", "json")
    assert result.exit_code == 0 and "note:" not in result.stderr
    assert eval_json("f = e * x", "x=1")["gradients"] == {"x": pytest.approx(math.e)}


def test_the_library_shadows_too() -> None:
    trace = run("f = e * x", {"e": 2, "x": 5})
    graph = trace.graph
    assert graph.gates[graph.inputs["e"]] == INPUT and CONST not in graph.gates
    assert trace.gradients == {"e": 5.0, "x": 2.0}
    assert graph.notes == ["the input e shadows the constant e (2.718...)"]


def test_gates_stay_reserved() -> None:
    result = invoke("eval", "exp = x + 1", "x=1")
    assert result.exit_code == 2 and "'exp' is a gate" in result.stderr
    result = invoke("eval", "f = x + 1", "x=1", "exp=2")
    assert result.exit_code == 2 and "'exp' is a gate" in result.stderr


def test_a_shadowed_name_works_in_rows_mode() -> None:
    result = invoke("eval", "f = e * x", "--rows", "-", "--format", "csv", input="e,x\n2,3\n")
    assert result.exit_code == 0, result.stderr
    assert "6" in result.stdout.splitlines()[-1]
