"""Every scalar worked example of CS231n Lecture 4, through the command line, to the digits
given in shared/reference/lecture-examples.md."""

from __future__ import annotations

import pytest

from conftest import eval_json, invoke

SIGMOID_INPUTS = ("w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")
SIGMOID_GRADS = {"w0": -0.19661, "x0": 0.39322, "w1": -0.39322, "x1": -0.58984, "w2": 0.19661}


def node(document: dict, name: str) -> dict:
    return next(n for n in document["nodes"] if n["name"] == name)


def test_simple_circuit_expression() -> None:
    doc = eval_json("(x+y)*z", "x=-2", "y=5", "z=-4")
    assert doc["value"] == -12
    assert doc["gradients"] == {"x": -4, "y": -4, "z": 3}


def test_simple_circuit_program_names_q() -> None:
    doc = eval_json("q = x + y; f = q * z", "x=-2", "y=5", "z=-4")
    assert node(doc, "q")["value"] == 3
    assert node(doc, "q")["grad"] == -4
    assert node(doc, "f")["grad"] == 1
    edges = {(e["node"], e["input"]): e for e in doc["edges"]}
    assert edges["f", "z"]["local"] == 3 and edges["f", "z"]["local_formula"] == "q"
    assert edges["f", "q"]["local"] == -4 and edges["f", "q"]["local_formula"] == "z"
    assert edges["q", "x"]["upstream"] == -4 and edges["q", "x"]["downstream"] == -4


def test_simple_circuit_bundled_and_practice_variant() -> None:
    assert eval_json("circuits/simple-circuit.toml")["gradients"] == {"x": -4, "y": -4, "z": 3}
    doc = eval_json("circuits/simple-circuit-practice.toml")
    assert doc["value"] == 4 and node(doc, "q")["value"] == 2
    assert doc["gradients"] == {"x": 2, "y": 2, "z": 2}


def test_simple_circuit_command_line_overrides_file_values() -> None:
    doc = eval_json("circuits/simple-circuit.toml", "x=3", "y=-1", "z=2")
    assert doc["value"] == 4


@pytest.mark.parametrize("source", ["1/(1+exp(-(w0*x0+w1*x1+w2)))",
                                    "sigmoid(w0*x0+w1*x1+w2)"])
def test_sigmoid_neuron_gradients(source: str) -> None:
    doc = eval_json(source, *SIGMOID_INPUTS)
    assert doc["value"] == pytest.approx(0.7311, abs=5e-5)
    for name, expected in SIGMOID_GRADS.items():
        assert doc["gradients"][name] == pytest.approx(expected, abs=5e-6)


def test_sigmoid_neuron_gate_by_gate() -> None:
    """Forward and backward values of every gate the lecture draws."""
    doc = eval_json("circuits/sigmoid-neuron.toml")
    values = [round(n["value"], 4) for n in doc["nodes"] if n["gate"] != "input"]
    assert values == [-2, 6, 4, 1, -1, 0.3679, 1.3679, 0.7311]
    gates = [n["gate"] for n in doc["nodes"] if n["gate"] != "input"]
    assert gates == ["mul", "mul", "add", "add", "neg", "exp", "add", "div"]
    downstream = [round(e["downstream"], 4) for e in doc["edges"][:4]]
    assert downstream == [-0.5344, -0.5344, -0.1966, 0.1966]
    assert doc["edges"][0]["local"] == pytest.approx(-1 / 1.3679**2, abs=1e-4)


def test_sigmoid_gate_local_gradient() -> None:
    doc = eval_json("circuits/sigmoid-neuron-grouped.toml")
    edge = doc["edges"][0]
    assert edge["node"] == "f" and edge["local_formula"] == "sigmoid(s3)*(1 - sigmoid(s3))"
    assert edge["local"] == pytest.approx(0.19661, abs=5e-6)
    assert edge["upstream"] == 1


def test_fine_and_grouped_sigmoid_agree_on_every_input() -> None:
    fine = eval_json("circuits/sigmoid-neuron.toml")["gradients"]
    grouped = eval_json("circuits/sigmoid-neuron-grouped.toml")["gradients"]
    assert fine.keys() == grouped.keys()
    for name in fine:
        assert fine[name] == pytest.approx(grouped[name], rel=1e-12)


@pytest.mark.parametrize(("circuit", "value", "grads"), [
    ("add-gate", 7, {"x": 2, "y": 2}),
    ("mul-gate", 6, {"x": 15, "y": 10}),
    ("copy-gate", 42, {"x": 6}),
    ("max-gate", 5, {"x": 0, "y": 9}),
])
def test_gradient_flow_patterns(circuit: str, value: float, grads: dict) -> None:
    doc = eval_json(f"circuits/{circuit}.toml")
    assert doc["value"] == value
    assert doc["gradients"] == grads


def test_copy_gate_edges_carry_four_and_two() -> None:
    doc = eval_json("circuits/copy-gate.toml")
    into_x = sorted(e["downstream"] for e in doc["edges"] if e["input"] == "x")
    assert into_x == [2, 4]


def test_upstream_option_scales_every_gradient() -> None:
    doc = eval_json("x + y", "x=3", "y=4", "--upstream", "2")
    assert doc["upstream"] == 2 and doc["gradients"] == {"x": 2, "y": 2}


def test_plain_table_shows_the_lecture_rows() -> None:
    result = invoke("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4")
    assert result.exit_code == 0
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "q add x + y 3 -4" in lines
    assert "f = q * z q 1 z -4 -4" in lines
    assert "f = q * z z 1 q 3 3" in lines
    assert "q = x + y x -4 1 1 -4" in lines
    assert "df/dz 3" in lines
    assert "Gradients of f = -12" in lines
