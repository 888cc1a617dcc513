"""``--expand``: composite gates opened into primitive gates, with the same values and gradients."""

from __future__ import annotations

import math

import pytest
from expression_gen import points, program_text, trees
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate, run
from backprop_cli.api import arithmetic_for, compile_circuit
from backprop_cli.engine.ieee import strict
from backprop_cli.errors import BackpropError
from backprop_cli.graph.expand import COMPOSITES, expand_composites
from backprop_cli.graph.graph import Graph
from backprop_cli.inputs.circuits import resolve

from conftest import invoke

STRUCTURE = ("names", "gates", "args", "requires_grad", "literals", "inputs", "bindings",
             "output")


def structure(graph: Graph) -> dict[str, object]:
    return {key: getattr(graph, key) for key in STRUCTURE}


def test_grouped_neuron_expands_to_the_gate_by_gate_neuron() -> None:
    grouped = expand_composites(compile_circuit(resolve("sigmoid-neuron-grouped")))
    fine = compile_circuit(resolve("sigmoid-neuron"))
    assert structure(grouped) == structure(fine)
    assert grouped.gates[-4:] == ["neg", "exp", "add", "div"]


def test_graph_without_composites_is_returned_as_is() -> None:
    graph = compile_program("(x+y)*z")
    assert expand_composites(graph) is graph


def test_inner_nodes_take_fresh_names_and_the_composite_position() -> None:
    graph = compile_program("t1 = x * 2\nf = sigmoid(t1) + sigmoid(sigmoid(x))")
    expanded = expand_composites(graph)
    assert "sigmoid" not in expanded.gates
    named = [n for n in expanded.names if not n.replace(".", "").isdigit()]
    assert len(named) == len(set(named))
    assert expanded.names[expanded.output] == "f"
    exp_nodes = [i for i, gate in enumerate(expanded.gates) if gate == "exp"]
    assert [expanded.lines[i] for i in exp_nodes] == [2, 2, 2]
    assert [expanded.columns[i] for i in exp_nodes] == [5, 27, 19]  # inner call first


def test_output_inside_an_expanded_gate_keeps_its_name() -> None:
    trace = run(expand_composites(compile_program("s = sigmoid(x); f = s * 2", "s")),
                {"x": 0.5})
    sigma = 1 / (1 + math.exp(-0.5))
    assert trace.graph.names[trace.output] == "s"
    assert trace.value == pytest.approx(sigma, rel=1e-15)
    assert trace.gradients["x"] == pytest.approx(sigma * (1 - sigma), rel=1e-13)


def test_exact_expansion_agrees_exactly() -> None:
    import sympy

    graph = compile_program("f = sigmoid(a * b)")
    arithmetic = arithmetic_for(True)
    point = {"a": sympy.Rational(1, 3), "b": sympy.Integer(2)}
    grouped = evaluate(graph, point, arithmetic)
    expanded = evaluate(expand_composites(graph), point, arithmetic)
    assert sympy.simplify(grouped.value - expanded.value) == 0
    for name in point:
        assert sympy.simplify(grouped.gradients[name] - expanded.gradients[name]) == 0


@settings(max_examples=150, deadline=None)
@given(tree=trees(), data=st.data())
def test_random_circuits_keep_their_values_and_gradients(tree: object,
                                                         data: st.DataObject) -> None:
    text = program_text(tree)  # type: ignore[arg-type]
    point = data.draw(points(tree.variables()))  # type: ignore[attr-defined]
    graph = compile_program(text)
    try:  # strict: overflow is an error, not the IEEE-754 nan the expanded form may get
        with strict():
            before = evaluate(graph, point)
            after = evaluate(expand_composites(graph), point)
    except BackpropError:
        assume(False)
        return
    assert after.value == pytest.approx(before.value, rel=1e-9, abs=1e-12)
    for name, grad in before.gradients.items():  # nan: inf * 0 at a kink, as in PyTorch
        assert after.gradients[name] == pytest.approx(grad, rel=1e-7, abs=1e-10, nan_ok=True)


def test_every_composite_definition_uses_only_primitive_gates() -> None:
    for gate, text in COMPOSITES.items():
        graph = compile_program(text)
        assert set(graph.inputs) == {"a"} and gate not in graph.gates
        assert not set(graph.gates) & set(COMPOSITES)


def test_overflow_inside_an_expansion_points_at_the_composite() -> None:
    grouped = invoke("draw", "f = sigmoid(x)", "x=-1000", "--format", "dot")
    assert grouped.exit_code == 0 and "overflow" not in grouped.stderr
    result = invoke("draw", "f = sigmoid(x)", "x=-1000", "--expand", "--format", "dot",
                    "--strict")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: overflow") and "exp(" in result.stderr
    assert "at line 1, column 5" in result.stderr
    carried = invoke("draw", "f = sigmoid(x)", "x=-1000", "--expand", "--format", "dot")
    assert carried.exit_code == 0 and carried.stdout
    assert carried.stderr.startswith("warning: ") and "overflow: the value is inf" in \
        carried.stderr and "nan" in carried.stderr
