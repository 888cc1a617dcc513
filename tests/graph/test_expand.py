"""Composite gates: the sigmoid gate against its written-out form, and ``--expand``."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate, load_bundled, run
from backprop_cli.api import compile_circuit
from backprop_cli.graph.expand import expand_composites, is_expandable

from conftest import eval_json, invoke

EPS = 2.0**-52
NEURON = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def test_expanded_grouped_neuron_is_the_gate_by_gate_neuron() -> None:
    grouped = compile_circuit(load_bundled("sigmoid-neuron-grouped"))
    fine = compile_circuit(load_bundled("sigmoid-neuron"))
    expanded = expand_composites(grouped)
    assert expanded.gates == fine.gates
    assert expanded.args == fine.args
    assert [expanded.literals[i] for i in sorted(expanded.literals)] == \
        [fine.literals[i] for i in sorted(fine.literals)]
    assert expanded.names == fine.names and expanded.inputs == fine.inputs
    assert not is_expandable(expanded) and is_expandable(grouped)


def test_expansion_keeps_every_named_value_and_gradient() -> None:
    graph = compile_program("s = w0*x0 + w1*x1 + w2; f = sigmoid(s) * sigmoid(-s)")
    plain, written = evaluate(graph, NEURON), evaluate(expand_composites(graph), NEURON)
    for name in ("s", "f"):
        assert math.isclose(plain.node_value(name), written.node_value(name), rel_tol=1e-15)
    for name, grad in plain.gradients.items():
        assert math.isclose(grad, written.gradients[name], rel_tol=1e-13)


@given(st.floats(-36, 36))
def test_sigmoid_gate_and_written_out_form_agree_to_rounding(x: float) -> None:
    """Identical up to rounding: the gate's local gradient out*(1-out) loses relative
    accuracy as out -> 1 (1 - out cancels), so the bound is 4 eps / (1 - sigmoid(x)):
    a few ulps for x <= 0, growing only where 1 - out itself is inexact."""
    gate = run("sigmoid(x)", {"x": x})
    written = run("1/(1+exp(-x))", {"x": x})
    assert math.isclose(gate.value, written.value, rel_tol=4 * EPS)
    sigma = 1 / (1 + math.exp(-x))
    bound = 4 * EPS / (1 - sigma) if sigma < 1 else math.inf
    assert abs(gate.gradients["x"] - written.gradients["x"]) <= \
        bound * abs(written.gradients["x"])


def test_lecture_neuron_grouped_and_fine_agree_to_a_few_ulps() -> None:
    grouped = run("sigmoid-neuron-grouped").gradients
    fine = run("sigmoid-neuron").gradients
    for name in grouped:
        assert math.isclose(grouped[name], fine[name], rel_tol=4 * EPS)


def test_eval_expand_table_shows_inner_gates() -> None:
    doc = eval_json("sigmoid-neuron-grouped", "--expand")
    gates = [node["gate"] for node in doc["nodes"] if node["gate"] != "input"]
    assert gates == ["mul", "mul", "add", "add", "neg", "exp", "add", "div"]
    assert [node["name"] for node in doc["nodes"]][-4:] == ["t1", "t2", "t3", "f"]
    result = invoke("eval", "sigmoid(x)", "x=1", "--expand")
    assert "t2    exp" in result.stdout and "sigmoid" not in result.stdout


def test_inner_names_never_collide_with_program_names() -> None:
    graph = expand_composites(compile_program("t1 = x * 2; t3 = sigmoid(t1); f = sigmoid(t3)"))
    named = [name for name, gate in zip(graph.names, graph.gates, strict=True)
             if gate != "const"]
    assert len(named) == len(set(named))
    assert {"t2", "t4", "t5", "t6"} <= set(named)


def test_expanding_a_graph_without_composites_returns_it() -> None:
    graph = compile_program("q = x + y; f = q * z")
    assert expand_composites(graph) is graph
