"""The picture model: gate labels, wire text for numbers, exact values and arrays."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from backprop_cli import compile_program, run
from backprop_cli.gates.registry import GATES
from backprop_cli.numformat import DECIMALS, DIGITS, FULL, Rounding
from backprop_cli.render.picture import build_picture, gate_label, gate_symbol, wire_text


@pytest.mark.parametrize(("value", "text"), [
    (-12.0, "-12"), (0.7310585786300049, "0.7311"), (1.3678794411714423, "1.368"),
    (-0.0, "0"), (0.0, "0"), (123456.789, "1.235e5"), (1.5e-7, "1.5e-7"),
    (float("inf"), "inf"), (3, "3"), (np.float64(0.25), "0.25"),
])
def test_numbers_have_four_significant_digits(value: float, text: str) -> None:
    assert wire_text(value) == text


def test_decimals_as_in_eval() -> None:
    assert wire_text(0.7310585786300049, Rounding(DECIMALS, 2)) == "0.73"
    assert wire_text(-0.5344466183179583, Rounding(DECIMALS, 4)) == "-0.5344"
    assert wire_text(123456.789, Rounding(DECIMALS, 1)) == "123456.8"
    assert wire_text(-1.0, Rounding(DECIMALS, 2)) == "-1.00"
    assert wire_text(1.5e-7, Rounding(DECIMALS, 2)) == "1.50e-7"  # never 0.00


def test_digits_and_full() -> None:
    assert wire_text(0.7310585786300049, Rounding(DIGITS, 2)) == "0.73"
    assert wire_text(0.7310585786300049, FULL) == "0.7310585786300049"


def test_exact_values_stay_exact_when_short() -> None:
    assert wire_text(sympy.Rational(1, 3)) == "1/3"
    assert wire_text(sympy.E / (1 + sympy.E)) == "e/(1 + e)"  # as the language writes e
    assert wire_text(1 / (1 + sympy.exp(-1)) ** 2) == "≈0.5344"


def test_arrays_show_small_values_and_large_shapes() -> None:
    assert wire_text(np.array([1.0, -2.0, 3.0, -1.0])) == "[1, -2, 3, -1]"
    assert wire_text(np.array([[2.0, 1.0], [0.5, 1 / 3]])) == "[[2, 1], [0.5, 0.3333]]"
    assert wire_text(np.zeros((64, 4096))) == "64×4096"
    assert wire_text(np.array(2.5)) == "2.5"


def test_gate_symbols() -> None:
    expected = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "neg": "-x",
                "max": "max", "sigmoid": "sigmoid", "exp": "exp"}
    for gate, symbol in expected.items():
        assert gate_symbol(gate) == symbol
    assert all(gate_symbol(gate) for gate in GATES)


@pytest.mark.parametrize(("program", "label"), [
    ("f = 1 + x", "+1"), ("f = x + 1", "+1"), ("f = x * -1", "*-1"), ("f = -1 * x", "*-1"),
    ("f = 1 / x", "1/x"), ("f = x / 2", "/2"), ("f = 1 - x", "1-x"), ("f = x - 1", "-1"),
    ("f = x ** 2", "**2"), ("f = 2 ** x", "2**x"), ("f = max(0, x)", "max(0, x)"),
    ("f = x * pi", "*pi"), ("f = x * y", "*"), ("f = exp(x)", "exp"),
])
def test_constants_fold_into_the_gate_label(program: str, label: str) -> None:
    graph = compile_program(program)
    assert gate_label(graph, graph.output) == label


def test_constant_only_gate_is_labelled_with_its_constants() -> None:
    picture = build_picture(run("f = x + 2 * 3", {"x": 1}))
    labels = {box.label for box in picture.boxes}
    assert "2 * 3" in labels and "+" in labels
    wire = next(w for w in picture.wires if w.source == "n3")
    assert (wire.value, wire.grad) == ("6", None)  # constants have no gradient


def test_copy_point_for_a_value_used_twice() -> None:
    picture = build_picture(run("f = x * x", {"x": 3}))
    assert [box.kind for box in picture.boxes] == ["input", "copy", "gate", "output"]
    assert [(w.source, w.target, w.value, w.grad) for w in picture.wires] == [
        ("n0", "c0", "3", "6"), ("c0", "n1", "3", "3"), ("c0", "n1", "3", "3"),
        ("n1", "out", "9", "1")]


def test_input_as_output() -> None:
    picture = build_picture(run("f = x; g = 2 * x", {"x": 3}, output="f"))
    assert [(w.source, w.target, w.value, w.grad) for w in picture.wires] == [
        ("n0", "out", "3", "1")]


def test_constant_output_shows_its_literal() -> None:
    picture = build_picture(run("f = 3"))
    assert [(box.kind, box.label) for box in picture.boxes] == [("const", "3"), ("output", "f")]
