"""The JSON writer of large float traces (``render.json_text``) writes exactly the bytes of
``json.dumps(trace_document(trace))``, and the CLI streams it for large graphs."""

from __future__ import annotations

import json

import pytest
from expression_gen import points, program_text, trees
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import run
from backprop_cli.api import compile_program
from backprop_cli.engine.evaluate import evaluate
from backprop_cli.engine.trace import Trace
from backprop_cli.errors import DomainError
from backprop_cli.render.json import document_head, render_json, trace_document
from backprop_cli.render.json_text import json_chunks

from conftest import invoke


def streamed(trace: Trace) -> str:
    pieces = json_chunks(trace, document_head(trace))
    assert pieces is not None
    return "".join(pieces)


def assert_same_bytes(trace: Trace) -> None:
    assert streamed(trace) == json.dumps(trace_document(trace)) + "\n"


@pytest.mark.parametrize(("program", "inputs"), [
    ("(x+y)*z", {"x": -2, "y": 5, "z": -4}),
    ("c = x; c = c*-3 + 2; d = -c; -(2)**c - 1/d", {"x": 0.3}),
    ("sqrt(x) + relu(y) + abs(y) + max(x, y) + min(y, x)", {"x": 0, "y": 0}),
    ("a = x ^ 2; b = pow(a, y); exp(b) / log(x + 2) - sigmoid(-x) * tanh(y)",
     {"x": 1.5, "y": -0.25}),
    ("f = x * 1e300; f * 1e10", {"x": 1.0}),
    ("def g(a, b): a*b + a\ng(x, y) * g(y, -1)", {"x": 2, "y": 3}),
    ("y = 2*w\nw", {"w": 1.0}),
    ("f = pi * x + e", {"x": 1e-320}),
    ("\n".join(f"a{i} = x * 0\nb{i} = -a{i}\nc{i} = b{i} + a{i} * y" for i in range(30)),
     {"x": -1.5, "y": 5e-324}),
])
def test_same_bytes_as_the_json_module(program: str, inputs: dict[str, float]) -> None:
    assert_same_bytes(run(program, inputs))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.data())
def test_same_bytes_on_random_programs(data: st.DataObject) -> None:
    tree = data.draw(trees(max_depth=4))
    graph = compile_program(program_text(tree, data.draw(st.sampled_from(["bare", "assign"]))))
    point = data.draw(points(frozenset(graph.inputs)))
    try:
        trace = evaluate(graph, point)
    except DomainError:
        return
    assert_same_bytes(trace)


def test_exact_and_array_traces_are_left_to_the_json_module() -> None:
    exact = run("x / 3", {"x": 1}, exact=True)
    arrays = run("sum(x * x)", {"x": [1.0, 2.0]})
    for trace in (exact, arrays):
        assert json_chunks(trace, document_head(trace)) is None


def test_a_large_graph_is_streamed_by_the_cli() -> None:
    program = "\n".join(["c = x"] + ["c = tanh(c*1.01 + 0.1)"] * 300)
    result = invoke("eval", program, "x=0.5", "--format", "json")
    assert result.exit_code == 0
    trace = run(program, {"x": 0.5})
    assert result.stdout == json.dumps(trace_document(trace)) + "\n" == render_json(trace)
    document = json.loads(result.stdout)
    assert len(document["nodes"]) == 901 and len(document["edges"]) == 900
