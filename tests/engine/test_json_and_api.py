"""The JSON document carries what the table shows; the Python API works as documented."""

from __future__ import annotations

import json

import backprop_cli
from backprop_cli import Trace, compile_program, run
from backprop_cli.numformat import FULL
from backprop_cli.render.report import build_report

from conftest import eval_json, invoke


def test_json_schema_top_level() -> None:
    doc = eval_json("(x+y)*z", "x=-2", "y=5", "z=-4")
    assert doc["schema"] == "backprop/1"
    assert isinstance(doc["value"], float)
    assert set(doc["gradients"]) == {"x", "y", "z"}
    assert all(isinstance(v, float) for v in doc["gradients"].values())
    assert {"nodes", "edges", "warnings", "inputs", "output", "upstream"} <= set(doc)


def test_json_carries_every_number_the_table_shows() -> None:
    args = ("circuits/sigmoid-neuron.toml",)
    doc = eval_json(*args)
    report = build_report(run("circuits/sigmoid-neuron.toml"), FULL)
    forward, backward, grads = report.sections
    assert [row[0] for row in forward.rows] == [n["name"] for n in doc["nodes"]]
    for row, node in zip(forward.rows, doc["nodes"], strict=True):
        assert float(row[3]) == node["value"] and float(row[4]) == node["grad"]
    assert len(backward.rows) == len(doc["edges"])
    for row, edge in zip(backward.rows, doc["edges"], strict=True):
        assert row[1] == edge["input"] and row[3] == edge["local_formula"]
        assert [float(row[i]) for i in (2, 4, 5)] == \
            [edge["upstream"], edge["local"], edge["downstream"]]
    assert [float(row[1]) for row in grads.rows] == list(doc["gradients"].values())


def test_precision_rounds_display_but_not_json() -> None:
    shown = invoke("eval", "1/3 * x", "x=1", "--precision", "3").stdout
    assert "0.333" in shown and "0.3333" not in shown
    doc = json.loads(invoke("eval", "1/3 * x", "x=1", "--precision", "3", "--format",
                            "json").stdout)
    assert doc["value"] == 1 / 3


def test_output_option_differentiates_another_node() -> None:
    doc = eval_json("q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--output", "q")
    assert doc["output"] == "q" and doc["value"] == 3
    assert doc["gradients"] == {"x": 1, "y": 1, "z": 0}


def test_stdin_program() -> None:
    doc = eval_json("-", "x=-2", "y=5", "z=-4", input="q = x + y  # the add gate\nf = q * z\n")
    assert doc["value"] == -12


def test_reassignment_makes_new_nodes() -> None:
    doc = eval_json("c = x * 2\nc += 1\nc *= c", "x=1")
    assert [n["name"] for n in doc["nodes"]] == ["x", "c", "c_2", "c_3"]
    assert doc["value"] == 9 and doc["gradients"] == {"x": 12}


def test_public_api_example() -> None:
    trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    assert isinstance(trace, Trace)
    assert trace.value == -12 and trace.gradients == {"x": -4, "y": -4, "z": 3}
    graph = compile_program("q = x + y; f = q * z")
    trace = backprop_cli.evaluate(graph, {"x": -2.0, "y": 5.0, "z": -4.0})
    assert trace.grad("q") == -4 and trace.node_value("q") == 3
    edge = trace.edges()[0]
    assert (trace.local_formula(edge), edge.upstream, edge.local, edge.downstream) == \
        ("z", 1, -4, -4)


def test_api_takes_text_values_and_circuits() -> None:
    assert run("x*3", {"x": "1/3"}).value == 1.0
    assert run("circuits/simple-circuit.toml").value == -12
    assert run("simple-circuit", {"z": 1}).gradients["z"] == 3


def test_circuits_lists_one_per_line() -> None:
    lines = invoke("circuits").stdout.splitlines()
    assert any(line.startswith("sigmoid-neuron ") for line in lines)
    assert len(lines) == len(backprop_cli.bundled_names()) >= 8


def test_gates_lists_every_gate_with_derivatives() -> None:
    text = invoke("gates", "--format", "plain").stdout
    for gate in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "max",
                 "min", "abs", "pow"):
        assert f"\n  {gate} " in text
    assert "d/da = sign(a)" in text
    assert "sigmoid(a)*(1 - sigmoid(a))" in text
    doc = json.loads(invoke("gates", "--format", "json").stdout)
    assert doc["mul"]["local_gradients"] == {"a": "b", "b": "a"}
