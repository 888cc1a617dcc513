"""``backprop eval --steps``: the backward walk as sentences with the lecture's numbers;
``--pause`` in a terminal only; ``--expand`` shows the inner gates of a composite."""

from __future__ import annotations

import json
import math
import re

import expression_gen as gen
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate, run
from backprop_cli.analysis.walk import DONE, EDGE, START, SUM, backward_steps
from backprop_cli.cli import walk

from conftest import invoke


def walk_lines(*args: str) -> list[str]:
    result = invoke("eval", *args, "--steps")
    assert result.exit_code == 0, result.stderr
    text = result.stdout.split("Backward pass, step by step\n")[1].split("\n\n")[0]
    return [line.strip().split(". ", 1)[1] for line in text.splitlines()]


def test_simple_circuit_walk_has_the_lecture_sentences() -> None:
    assert walk_lines("q = x + y; f = q * z", "x=-2", "y=5", "z=-4") == [
        "start at the output f = -12: df/df = 1",
        "mul q*z → q: upstream 1 × local z = -4 → downstream df/dq = -4",
        "mul q*z → z: upstream 1 × local q = 3 → downstream df/dz = 3",
        "add x+y → x: upstream -4 × local 1 → downstream df/dx = -4",
        "add x+y → y: upstream -4 × local 1 → downstream df/dy = -4",
        "done: df/dx = -4, df/dy = -4, df/dz = 3",
    ]


def test_fan_out_shows_the_sum() -> None:
    lines = walk_lines("circuits/copy-gate.toml")
    sums = [line for line in lines if "is used" in line]
    assert sums == ["x is used 2 times: its gradient df/dx is the sum 2 + 4 = 6"]
    assert lines.index(sums[0]) == len(lines) - 2  # right after the last branch arrives


def test_negative_parts_are_parenthesised() -> None:
    lines = walk_lines("x*y - x", "x=3", "y=2")
    assert "x is used 2 times: its gradient df/dx is the sum (-1) + 2 = 1" in lines


def test_upstream_start_sentence() -> None:
    assert walk_lines("max-gate")[0] == "start at the output f = 5: the upstream gradient 9 arrives"


def test_expanded_sigmoid_walk_has_the_lecture_numbers() -> None:
    result = invoke("eval", "sigmoid-neuron-grouped", "--expand", "--steps")
    assert result.exit_code == 0
    edges = [line for line in result.stdout.splitlines() if "→ downstream" in line]
    downstream = [float(line.rsplit(" ", 1)[1]) for line in edges]
    assert downstream[:4] == [-0.5344, -0.5344, -0.1966, 0.1966]
    assert [line.split()[1] for line in edges[:4]] == ["div", "add", "exp", "neg"]
    unexpanded = walk_lines("sigmoid-neuron-grouped")
    assert unexpanded[1] == ("sigmoid sigmoid(s3) → s3: upstream 1 × local "
                             "sigmoid(s3)*(1 - sigmoid(s3)) = 0.1966 → downstream "
                             "df/ds3 = 0.1966")


# f = b*a, b = a + x, a = x*y at x=2, y=3: a = 6, b = 8, f = 48; by hand df/db = a = 6,
# df/da = b + df/db = 14 (a is used twice), df/dx = df/db + y*df/da = 48, df/dy = x*df/da = 28
TWICE = ("a = x*y; b = a + x; f = b*a", "x=2", "y=3")
TWICE_GRADIENTS = {"b": 6, "a": 14, "x": 48, "y": 28}


@pytest.mark.parametrize("fmt", ["plain", "table"])
def test_the_forward_table_shows_values_only(fmt: str) -> None:
    result = invoke("eval", *TWICE, "--steps", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    forward = result.stdout.split("Backward pass, step by step")[0]
    assert "value" in forward and "gradient" not in forward
    numbers = set(re.findall(r"-?\d+", forward))
    assert {"2", "3", "6", "8", "48"} <= numbers  # the values
    assert not {"14", "28"} & numbers  # gradients that are no value


def test_each_gradient_first_appears_at_the_step_that_computes_it() -> None:
    lines = walk_lines(*TWICE)
    for name, gradient in TWICE_GRADIENTS.items():
        first = next(i for i, line in enumerate(lines) if f"df/d{name} " in line)
        line = lines[first]
        assert f"df/d{name} " in line and line.endswith(f" = {gradient}"), line
        completes = (line.startswith(f"{name} is used") or
                     line.endswith(f"→ downstream df/d{name} = {gradient}"))
        assert completes, line
        # the step that completes it is its sum, or the edge that is its only arrival
        arrivals = [i for i, text in enumerate(lines) if f"→ {name}:" in text]
        assert first == arrivals[-1] + (len(arrivals) > 1), (name, lines)
    assert lines[-1] == "done: df/dx = 48, df/dy = 28"


def test_in_a_pipe_every_step_prints_without_waiting() -> None:
    result = invoke("eval", "simple-circuit", "--steps", "--pause", input="")
    assert result.exit_code == 0
    assert "Enter" not in result.stderr
    assert result.stdout.count("→ downstream") == 4


def test_pause_waits_for_enter_between_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(walk, "interactive", lambda: True)
    result = invoke("eval", "simple-circuit", "--pause", input="\n" * 10)
    assert result.exit_code == 0
    assert result.stderr.count("next step, q: show the rest]") == 5  # between 6 steps
    stopped = invoke("eval", "simple-circuit", "--pause", input="\nq\n")
    assert stopped.stderr.count("next step, q: show the rest]") == 2
    assert stopped.stdout.count("→ downstream") == 4  # the rest still prints


def test_steps_in_json() -> None:
    result = invoke("eval", "copy-gate", "--steps", "--format", "json")
    doc = json.loads(result.stdout)
    kinds = [step["kind"] for step in doc["steps"]]
    assert kinds == [START, EDGE, EDGE, EDGE, EDGE, SUM, DONE]
    assert doc["steps"][5]["parts"] == [2, 4] and doc["steps"][5]["gradient"] == 6
    assert doc["gradients"] == {"x": 6}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_steps_carry_every_edge_and_sums_match_the_gradients(data: st.DataObject) -> None:
    tree = data.draw(gen.trees(max_depth=4))
    assume(tree.has_inputs())
    point = data.draw(gen.points(tree.variables()))
    assume(gen.walk(tree, point).status == gen.OK)
    trace = evaluate(compile_program(gen.program_text(tree)), point)
    steps = backward_steps(trace)
    edges = [s for s in steps if s.kind == EDGE]
    assert len(edges) == trace.edge_count()
    for step in edges:
        assert step.downstream == step.upstream * step.local
    for step in (s for s in steps if s.kind == SUM):
        assert math.isclose(sum(step.parts), step.total, rel_tol=1e-12, abs_tol=1e-300)
    assert steps[-1].parts == tuple(trace.gradients.values())


def test_library_walk() -> None:
    steps = backward_steps(run("(x+y)*z", {"x": -2, "y": 5, "z": -4}))
    assert [s.kind for s in steps] == [START, EDGE, EDGE, EDGE, EDGE, DONE]


def test_a_section_without_a_column_keeps_the_others_in_place() -> None:
    from backprop_cli.numformat import LECTURE
    from backprop_cli.render.report import forward_section

    full = forward_section(run("(x+y)*z", {"x": -2, "y": 5, "z": -4}), LECTURE)
    values = full.without("gradient")
    assert values.headers == ["node", "gate", "computes", "value"]
    assert [row[:4] for row in full.rows] == values.rows
    assert values.numeric == {3} and values.styles == {3: "green"}
    assert values.key == full.key == "nodes" and values.title == full.title
    assert full.headers[-1] == "gradient"  # the original is left as it was
    middle = full.without("gate")
    assert middle.numeric == {2, 3} and middle.styles == {2: "green", 3: "red"}
