"""Regressions from fuzzing: every input the fuzzers ever crashed on, and the saved corpus.

``fuzz/fuzz_parser.py`` (atheris, coverage-guided) feeds bytes to ``fuzz/fuzz_targets.py``:
parse and build, both engines on small graphs, the drawing renderers, constant and array
values. Only ``BackpropError`` may escape. Every file in ``fuzz/corpus/`` is replayed here
through the same function, and each crash found becomes a named case below, with what it was.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import invoke

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fuzz"))

import fuzz_targets  # noqa: E402  (fuzz/ is not a package)

CORPUS = sorted((ROOT / "fuzz" / "corpus").iterdir())

# (input, what went wrong before the fix)
CRASHES: list[tuple[bytes, str]] = [
    (b"[[1, -2.5], [1/3@ -pi]]", "atheris, run 1: an array operation inside a number value "
                                 "(an entry, or x=1 @ 2) reached the scalar engine, which has "
                                 "no matmul gate: KeyError, exit 70"),
    (b"2 .T", "the same with transpose"),
    (b"sum(2)", "the same with a reduction"),
    ((ROOT / "fuzz" / "corpus" / "crash-gradient-sum-inf-minus-inf").read_bytes(),
     "atheris, run 3 (array inputs): two gradients inf and -inf summed into one node raised "
     "FloatingPointError outside the trapped region of the array backward pass"),
]


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 10


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_input_raises_only_backprop_errors(path: Path) -> None:
    fuzz_targets.run_bytes(path.read_bytes())


@pytest.mark.parametrize(("data", "what"), CRASHES, ids=[c[1][:30] for c in CRASHES])
def test_crash_stays_fixed(data: bytes, what: str) -> None:
    fuzz_targets.run_bytes(data)


@pytest.mark.parametrize("value", ["1 @ 2", "2 .T", "sum(2)", "[1, 1/3 @ 2]"])
def test_an_array_operation_in_a_number_value_is_refused(value: str) -> None:
    result = invoke("eval", "sum(x + 1)", f"x={value}")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: expected a number, found an array operation")


def test_gradients_inf_and_minus_inf_meet_in_one_node() -> None:
    result = invoke("eval", "sum(exp(x) * w - exp(x) * w)", "x=[1000, 1]", "w=[1, 2]",
                    "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "df/dx = nan at [0]" in result.stderr


def test_matmul_overflow_through_the_cli() -> None:
    """Found by hand while working on numerics: an overflow in @ went through the
    elementwise error path, which cannot broadcast a matmul's operands (exit 70, internal
    error, before the fix)."""
    result = invoke("eval", "sum(x @ y)", "x=[[1e200, 1e200]]", "y=[[1e200], [1e200]]")
    assert result.exit_code == 0 and "overflow" in result.stderr
    strict = invoke("eval", "sum(x @ y)", "x=[[1e200, 1e200]]", "y=[[1e200], [1e200]]",
                    "--strict")
    assert strict.exit_code == 2 and strict.stderr.startswith("error: overflow")
