"""The engine's tape path (``engine.tape_passes``, what ``evaluate`` runs in float arithmetic)
against the reference loop (``reference.forward`` then ``reference.backward``): the same values,
gradients, edges (all four lists), notes and errors, double for double, on random programs
with kinks and ties, fan-out, literals, overflow to inf, underflow, strict mode, an upstream
gradient other than 1, and outputs that leave nodes unneeded."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from expression_gen import points, program_text, trees
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli.api import compile_program
from backprop_cli.engine import evaluate as dispatch
from backprop_cli.engine import ieee, tape
from backprop_cli.engine import reference as loop
from backprop_cli.engine import tape_passes as tapepath
from backprop_cli.engine.trace import Trace
from backprop_cli.errors import DomainError
from backprop_cli.gates.arithmetic import FLOAT
from backprop_cli.graph.graph import Graph

from conftest import invoke


def _bits(value: Any) -> str:
    return repr(value)  # -0.0 vs 0.0 and nan vs nan told apart, as the output would


def summary(trace: Trace) -> tuple[Any, ...]:
    """Everything a renderer can read from a scalar trace."""
    return (trace.edge_count(),  # first: a TapeTrace counts its edges before working them out
            list(map(_bits, trace.values)), list(map(_bits, trace.grads)),
            list(trace.edge_nodes), list(trace.edge_positions),
            list(map(_bits, trace.edge_locals)), list(map(_bits, trace.edge_downstreams)),
            list(trace.notes), trace.exact, trace.arrays)


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "trace", summary(run())
    except DomainError as error:
        return "error", (str(error), error.span)


def reference(graph: Graph, inputs: dict[str, float], upstream: float | None) -> Trace:
    return loop.backward(graph, loop.forward(graph, inputs), FLOAT, upstream)


def assert_same(graph: Graph, inputs: dict[str, float], upstream: float | None,
                strict: bool) -> str:
    with ieee.strict(strict), mock.patch.object(dispatch, "TAPE_MIN_NODES", 0):
        expected = outcome(lambda: reference(graph, inputs, upstream))
        actual = outcome(lambda: dispatch.evaluate(graph, inputs, upstream=upstream))
        split = outcome(lambda: tapepath.backward_on_tape(
            graph, tapepath.forward_on_tape(graph, inputs), upstream))
    assert actual == expected
    assert split == expected
    return expected[0]


ON_KINKS = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5])
# magnitudes that overflow exp, products and powers, or underflow to subnormals and 0
SCALES = st.sampled_from([1.0, 1.0, 1.0, 1e-160, 1e-300, 60.0, 710.0, 1e154, 1e200, 1e308])
UPSTREAMS = st.one_of(st.none(), st.sampled_from([1.0, -1.0, 0.0, -0.0, 2.5, 1e-300, 1e300,
                                                  math.inf]),
                      st.floats(-10, 10, allow_nan=False))


def random_case(data: st.DataObject) -> tuple[Graph, dict[str, float]]:
    tree = data.draw(trees())
    graph = compile_program(program_text(tree, data.draw(st.sampled_from(["bare", "assign"]))))
    point = data.draw(points(frozenset(graph.inputs)))
    if data.draw(st.booleans()):  # land on kinks and ties
        point = {name: data.draw(st.one_of(ON_KINKS, st.just(value)))
                 for name, value in point.items()}
    scale = data.draw(SCALES)
    point = {name: value * scale for name, value in point.items()}
    return held_or_other_output(data, graph), point


def held_or_other_output(data: st.DataObject, graph: Graph) -> Graph:
    """The graph with some inputs held constant, and maybe another node as its output."""
    held = data.draw(st.lists(st.sampled_from(sorted(graph.inputs)), unique=True)) \
        if graph.inputs else []
    if held and len(held) < len(graph.inputs):
        graph = graph.without_gradients(held)
    nodes = [name for name in graph.names if name in graph.bindings]
    if nodes and data.draw(st.booleans()):
        graph = graph.with_output(data.draw(st.sampled_from(nodes)))
    return graph


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_programs(data: st.DataObject) -> None:
    graph, point = random_case(data)
    assert_same(graph, point, data.draw(UPSTREAMS), data.draw(st.booleans()))


CASES = [
    ("exp(x) * y", {"x": 1000.0, "y": 2.0}),  # exp raises OverflowError: settled to inf
    ("x * y * 1e300", {"x": 1e10, "y": 1e10}),  # overflows without an exception
    ("exp(x) - exp(x)", {"x": 800.0}),  # inf - inf = nan
    ("x * 1e-200 * y", {"x": 1e-200, "y": 3.0}),  # underflow to 0
    ("log(x) + y", {"x": -1.0, "y": 1.0}),  # a domain error
    ("x / y", {"x": 1.0, "y": 0.0}),  # division by zero
    ("x ** y", {"x": 0.0, "y": 0.5}),  # the pow kink: the tape raises, the reference settles
    ("x ** y", {"x": 0.0, "y": 0.0}),
    ("x ** 3 + 2 ** x", {"x": 0.0}),
    ("sqrt(x) + relu(x) + abs(x) + max(x, 0) + min(0, x)", {"x": 0.0}),
    ("a = x * 3; b = a + x; c = tanh(b) * sigmoid(a); d = c / (x + 2); d", {"x": 0.7}),
    ("1 / (x * 1e-300)", {"x": 1e-10}),  # a local gradient overflows in backward
    ("sin(x) * y", {"x": math.inf, "y": 1.0}),  # sin(inf) raises; an input already inf
    ("x * 1e308 + y * 1e308", {"x": 1e-10, "y": 1e-10}),  # finite gradients, their sum inf
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("upstream", [None, -3.0])
@pytest.mark.parametrize(("program", "inputs"), CASES)
def test_chosen_cases(program: str, inputs: dict[str, float], upstream: float | None,
                      strict: bool) -> None:
    assert_same(compile_program(program), inputs, upstream, strict)


def test_the_cases_reach_both_outcomes() -> None:
    """The chosen cases take the tape through and fall back, and both traces and errors
    are compared (so the test above cannot pass by comparing nothing)."""
    kinds = {assert_same(compile_program(p), i, None, False) for p, i in CASES}
    assert kinds == {"trace", "error"}
    graph = compile_program(LONG)
    assert isinstance(dispatch.evaluate(graph, {"x": 1.0, "y": 2.0}), tapepath.TapeTrace)
    settled = dispatch.evaluate(graph, {"x": 1000.0, "y": 2.0})
    assert not isinstance(settled, tapepath.TapeTrace) and settled.value == math.inf


LONG = "c = exp(x) * y\n" + "c = max(c * 0.5, relu(x - 1)) + y\n" * 20  # 100+ nodes


def test_small_graphs_take_the_reference_loop() -> None:
    """Below TAPE_MIN_NODES the tape is not even imported (start-up time)."""
    small, long = compile_program("(x+y)*z"), compile_program(LONG)
    assert len(small) < dispatch.TAPE_MIN_NODES <= len(long)
    trace = dispatch.evaluate(small, {"x": -2.0, "y": 5.0, "z": -4.0})
    assert type(trace) is Trace and trace.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_edges_are_worked_out_on_first_access() -> None:
    graph = compile_program("f = (x + y) * max(x, y)")
    trace = tapepath.evaluate_on_tape(graph, {"x": 2.0, "y": 2.0})
    assert isinstance(trace, tapepath.TapeTrace) and trace.edge_count() == 6
    assert trace.edges() == reference(graph, {"x": 2.0, "y": 2.0}, None).edges()
    trace.edge_locals = [9.0]  # an assignment replaces the list, as on a plain Trace
    assert trace.edge_locals == [9.0] and trace.edge_nodes == [4, 4, 3, 3, 2, 2]


def test_integer_inputs_take_the_reference_loop() -> None:
    graph = compile_program("x * y")
    assert not tapepath.usable(graph, {"x": 2, "y": 3.0})
    assert dispatch.evaluate(graph, {"x": 2, "y": 3}).value == 6


@pytest.mark.parametrize("args", [
    ("relu(x) * max(x, y) + u", "x=0", "y=0", "u=1", "--output", "t2"),
    ("exp(x) * y", "x=1000", "y=-2", "--upstream", "0.5"),
    ("f = sqrt(x) + x * 1e-320", "x=0"),
    ("f = (x + y) * z", "x=-2", "y=5", "z=-4", "--strict"),
    ("f = exp(x) * 1e300", "x=1000", "--strict"),
])
@pytest.mark.parametrize("fmt", ["json", "plain", "table"])
def test_cli_output_is_the_reference_output(monkeypatch: pytest.MonkeyPatch,
                                            args: tuple[str, ...], fmt: str) -> None:
    """Every renderer shows the same bytes (and exit code, and warnings) either way."""
    monkeypatch.setattr(dispatch, "TAPE_MIN_NODES", 0)
    fast = invoke("eval", *args, "--format", fmt)
    monkeypatch.setattr(tape, "forward_tape", lambda graph: None)
    slow = invoke("eval", *args, "--format", fmt)
    assert (fast.exit_code, fast.stdout, fast.stderr) == \
        (slow.exit_code, slow.stdout, slow.stderr)
    assert fast.stdout or fast.exit_code == 2


def test_installed_command_matches_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real command (on the tape) prints what the reference loop gives in process."""
    found = shutil.which("backprop", path=str(Path(sys.executable).parent))
    assert found, "the backprop command is not installed in this environment"
    args = ["eval", LONG, "x=1", "y=0", "--format", "json"]
    done = subprocess.run([found, *args], capture_output=True, text=True, check=False)
    monkeypatch.setattr(tape, "forward_tape", lambda graph: None)
    slow = invoke(*args)
    assert (done.returncode, done.stdout, done.stderr) == \
        (slow.exit_code, slow.stdout, slow.stderr)
    assert "not differentiable" in done.stderr
