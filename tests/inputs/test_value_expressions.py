"""Constant expressions over random draws as input values (``W=0.01*randn(3, 4)``,
``b=zeros(4)+0.1``), on the command line, in circuit files and through the API: the same
per-name stream as a bare generator call, read by the language's own parser."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from backprop_cli.inputs.values import parse_value

from conftest import eval_json, invoke


def inputs_of(*args: str) -> dict[str, object]:
    doc = eval_json("f = sum(W) + sum(b)", *args)
    inputs = doc["inputs"]
    assert isinstance(inputs, dict)
    return inputs


def test_a_scaled_draw_is_the_same_draw_scaled() -> None:
    """0.01*randn(3, 4) for W is 0.01 times what randn(3, 4) gives W (the name's stream)."""
    plain = np.array(inputs_of("W=randn(3, 4)", "b=0")["W"])
    scaled = np.array(inputs_of("W=0.01*randn(3, 4)", "b=0")["W"])
    np.testing.assert_allclose(scaled, 0.01 * plain, rtol=1e-15)
    assert np.array(inputs_of("W=randn(3, 4)", "b=0", "--seed", "5")["W"]).tolist() != \
        plain.tolist()


def test_constant_expressions_around_generators() -> None:
    got = inputs_of("W=2 * ones(2, 2) - 1/4", "b=zeros(4) + 0.1")
    assert got["W"] == [[1.75, 1.75], [1.75, 1.75]]
    assert got["b"] == [0.1, 0.1, 0.1, 0.1]


def test_two_draws_in_one_value_continue_the_stream() -> None:
    """randn(2) + randn(2): the second call continues the name's stream (numpy's own)."""
    value = parse_value("v", "randn(2) + 10 * randn(2)", seed=0)
    rng = np.random.default_rng([0, zlib.crc32(b"v")])
    first, second = rng.standard_normal(2), rng.standard_normal(2)
    np.testing.assert_allclose(value, first + 10 * second, rtol=1e-15)


def test_a_value_expression_in_a_circuit_file(tmp_path: Path) -> None:
    circuit = tmp_path / "layer.toml"
    circuit.write_text('program = "f = sum(x @ W + b)"\n[inputs]\nx = [[1, 2]]\n'
                       'W = "0.5 * ones(2, 3)"\nb = "zeros(3) + 0.1"\n', encoding="utf-8")
    doc = eval_json(str(circuit))
    assert float(doc["value"]) == pytest.approx(3 * (1.5 + 0.1))  # x @ W = [1.5, 1.5, 1.5]


@pytest.mark.parametrize(("value", "message", "column"), [
    ("0.01*randn(3, x)", "the sizes of randn() must be positive integer literals", 15),
    ("randn(2) + x", "expected a constant, found the name 'x'", 12),
    ("randn(2) @ ones(3)", "do not fit", 10),
    ("2 * randn(2", "'(' is never closed", 10),
])
def test_bad_value_expressions_are_one_error_with_the_position(value: str, message: str,
                                                               column: int) -> None:
    result = invoke("eval", "f = sum(W)", f"W={value}")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error:") and message in first and "the value of W" in first
    assert f"column {column}" in first


def test_nothing_is_evaluated_as_python(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = invoke("eval", "f = sum(W)", f"W=randn(2) + __import__('os').system('touch "
                    f"{marker}')")
    assert result.exit_code == 2
    assert not marker.exists()
