"""Size is no limit: the parser and both passes are iterative (no timing asserted here;
timings live in bench/)."""

from __future__ import annotations

import math

import pytest

from backprop_cli import compile_program, evaluate, run

from conftest import eval_json


def test_program_of_100k_gates() -> None:
    statements = 100_000 // 3
    program = "c = x\n" + "c = tanh(c*1.01 + 0.1)\n" * statements
    graph = compile_program(program)
    assert graph.gate_count() == 3 * statements
    trace = evaluate(graph, {"x": 0.5})
    # the same recurrence in plain Python, value and derivative (chain rule by hand)
    value, slope = 0.5, 1.0
    for _ in range(statements):
        value = math.tanh(value * 1.01 + 0.1)
        slope *= 1.01 * (1 - value**2)
    assert trace.value == pytest.approx(value, rel=1e-12)
    assert trace.gradients["x"] == pytest.approx(slope, rel=1e-9, abs=1e-300)


def test_single_expression_of_100k_terms() -> None:
    terms = 100_000
    expression = "+".join(f"x*{i % 7}" if i % 2 else f"y*{i % 5}" for i in range(terms))
    trace = run(expression, {"x": 1.5, "y": -2.0})
    expected_dx = sum(i % 7 for i in range(terms) if i % 2)
    expected_dy = sum(i % 5 for i in range(terms) if not i % 2)
    assert trace.gradients == {"x": expected_dx, "y": expected_dy}


def test_ten_thousand_levels_of_parentheses() -> None:
    depth = 10_000
    expression = "(" * depth + "x" + "*1.0001)" * depth
    trace = run(expression, {"x": 2.0})
    assert trace.gradients["x"] == pytest.approx(1.0001**depth, rel=1e-9)


def test_deep_nesting_through_the_cli() -> None:
    depth = 10_000
    doc = eval_json("(" * depth + "x" + ")" * depth + "*2", "x=3")
    assert doc["value"] == 6 and doc["gradients"] == {"x": 2}


def test_large_graph_terminal_output_is_a_summary() -> None:
    from conftest import invoke

    program = "c = x\n" + "c = c * 1.5 + 1\n" * 500
    result = invoke("eval", program, "x=1")
    assert result.exit_code == 0
    assert "use --full" in result.stdout
    assert len(result.stdout.splitlines()) < 10
    full = invoke("eval", program, "x=1", "--full")
    assert len(full.stdout.splitlines()) > 1000
