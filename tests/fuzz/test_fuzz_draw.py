"""Fuzzing ``backprop draw``: random programs through ``--format dot``, ``mermaid`` and
``terminal`` answer with a picture (exit 0) or a located error (exit 2), never a traceback.

Three sources: fragments of the grammar (arrays included) and arbitrary text, given a value
for every input the text turns out to use (so that parseable ones are drawn, not refused
for a missing input); random valid scalar circuits (``expression_gen``); random valid array
circuits (``array_gen``, with their upstream gradients).

``BACKPROP_FUZZ_EXAMPLES`` (default 300) per property; the slow mark runs 10^5 in all.
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest
from array_gen import circuits
from array_gen import program_text as array_program
from expression_gen import points, program_text, trees
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import PIECES

from backprop_cli import compile_program
from backprop_cli.errors import BackpropError

from conftest import invoke

FAST = int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", "300"))
SLOW = 25_000
OUTCOMES: Counter[int] = Counter()
ARRAY_PIECES = ["@", ".T", "[", "]", ":", "::", "sum(", "mean(", "amax(", "softmax(",
                "log_softmax(", "cross_entropy(", "hinge(", "l2(", "reshape(", "transpose(",
                "matmul(", "0", "-1", "x[0]", "x @ x.T", "sum(x, 1)"]
FORMATS = ("dot", "mermaid", "terminal")

fragments = st.lists(st.sampled_from(PIECES + ARRAY_PIECES), max_size=25).map("".join)
values = st.sampled_from(["0", "1", "-2.5", "1e300", "1/3", "[1, -2]", "[[1, 2], [3, 4]]",
                          "randn(2, 2)", "exp(1000)", "[0, 0]", "nan"])
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
             "database": None}


def assert_drawn_or_refused(result: object, fmt: str) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith(("error: ", "warning: ")), result.stderr
    elif fmt != "terminal":
        assert result.stdout.strip(), "exit 0 without a picture"


def input_names(program: str) -> list[str]:
    try:
        return list(compile_program(program).inputs)
    except BackpropError:
        return ["x", "y"]


def _draw(program: str, values: list[str], fmt: str, extra: tuple[str, ...] = ()) -> None:
    """Draw ``program`` with the values given, in turn, to the inputs it uses."""
    names = input_names(program)
    assignments = [f"{name}={values[i % len(values)]}" for i, name in enumerate(names)]
    result = invoke("draw", "--format", fmt, *extra, "--", program, *assignments)
    OUTCOMES[result.exit_code] += 1
    assert_drawn_or_refused(result, fmt)


@settings(max_examples=FAST, **_SETTINGS)
@given(fragments, st.lists(values, min_size=1, max_size=3), st.sampled_from(FORMATS))
def test_draw_on_grammar_fragments(program: str, given_values: list[str], fmt: str) -> None:
    _draw(program, given_values, fmt)


@settings(max_examples=FAST // 3, **_SETTINGS)
@given(st.text(max_size=40), st.sampled_from(FORMATS))
def test_draw_on_arbitrary_text(program: str, fmt: str) -> None:
    _draw(program, ["1", "2"], fmt)


OPTIONS = [(), ("--expand",), ("--no-values",), ("--no-grads",), ("--strict",),
           ("--width", "20"), ("--precision", "0")]  # (--exact: sympy, seconds per case)


@settings(max_examples=FAST, **_SETTINGS)
@given(trees(), st.data(), st.sampled_from(FORMATS), st.sampled_from(OPTIONS))
def test_draw_random_scalar_circuits(tree: object, data: st.DataObject, fmt: str,
                                     extra: tuple[str, ...]) -> None:
    point = data.draw(points(tree.variables()))  # type: ignore[attr-defined]
    text = program_text(tree)  # type: ignore[arg-type]
    args = ["draw", "--format", fmt, *extra, "--", text,
            *(f"{name}={value!r}" for name, value in point.items())]
    result = invoke(*args)
    OUTCOMES[result.exit_code] += 1
    assert_drawn_or_refused(result, fmt)


def _array_text(array: np.ndarray) -> str:
    return repr(float(array)) if array.ndim == 0 else str(array.tolist())


@settings(max_examples=FAST // 2, **_SETTINGS)
@given(circuits(), st.sampled_from(FORMATS), st.sampled_from(OPTIONS))
def test_draw_random_array_circuits(circuit: object, fmt: str, extra: tuple[str, ...]) -> None:
    text = array_program(circuit.tree)  # type: ignore[attr-defined]
    args = ["draw", "--format", fmt, *extra, "--", text,
            *(f"{n}={_array_text(v)}" for n, v in circuit.point.items())]  # type: ignore
    if circuit.upstream is not None:  # type: ignore[attr-defined]
        args[1:1] = ["--upstream", _array_text(circuit.upstream)]  # type: ignore
    result = invoke(*args)
    OUTCOMES[result.exit_code] += 1
    assert_drawn_or_refused(result, fmt)


def test_the_draw_fuzz_drew_pictures() -> None:
    """Runs after the properties above: a good share really drew (not only refusals)."""
    if not OUTCOMES:
        pytest.skip("the draw properties did not run in this session")
    assert OUTCOMES[0] >= sum(OUTCOMES.values()) // 4, OUTCOMES


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(fragments, st.lists(values, min_size=1, max_size=3), st.sampled_from(FORMATS))
def test_slow_draw_on_grammar_fragments(program: str, given_values: list[str],
                                        fmt: str) -> None:
    _draw(program, given_values, fmt)


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(st.one_of(fragments, st.text(max_size=60)), st.sampled_from(FORMATS))
def test_slow_draw_on_any_text(program: str, fmt: str) -> None:
    _draw(program, ["1", "[1, 2]"], fmt)


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(trees(), st.data(), st.sampled_from(FORMATS), st.sampled_from(OPTIONS))
def test_slow_draw_random_scalar_circuits(tree: object, data: st.DataObject, fmt: str,
                                          extra: tuple[str, ...]) -> None:
    test_draw_random_scalar_circuits.hypothesis.inner_test(tree, data, fmt, extra)


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(circuits(), st.sampled_from(FORMATS), st.sampled_from(OPTIONS))
def test_slow_draw_random_array_circuits(circuit: object, fmt: str,
                                         extra: tuple[str, ...]) -> None:
    test_draw_random_array_circuits.hypothesis.inner_test(circuit, fmt, extra)
