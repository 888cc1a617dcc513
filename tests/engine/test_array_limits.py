"""``--limit array-elements``: array values and inferred shapes are bounded, and refused
before anything that big is allocated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_cli import limits, run
from backprop_cli.limits import LimitError, Limits

from conftest import invoke

HINT = "raise it with --limit array-elements=N"


def refused(*args: str) -> str:
    result = invoke("eval", *args)
    assert result.exit_code == 2 and result.stdout == "", result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and HINT in first, first
    assert "Traceback" not in result.stderr
    return first


@pytest.mark.parametrize("value", ["randn(100000, 100000)", "rand(100000, 100000)",
                                   "zeros(50000001)", "ones(8000, 8000)",
                                   "randint(3, 100000, 100000)",
                                   # 2**64 elements: np.prod wrapped to 0 (exit 70 before)
                                   "randn(4294967296, 4294967296)"])
def test_generators_are_refused_before_they_allocate(value: str) -> None:
    first = refused("sum(x)", f"x={value}")
    assert "in the value of x" in first and "exceeds the limit of 50,000,000" in first


def test_nested_lists_and_the_upstream(tmp_path: Path) -> None:
    first = refused("sum(x)", "x=[[1, 2], [3, 4]]", "--limit", "array-elements=3")
    assert first.startswith("error: the number of elements (4) exceeds the limit of 3")
    refused("x * 2", "x=[1, 2]", "--upstream", "[[1, 2], [3, 4]]", "--limit",
            "array-elements=3")
    circuit = tmp_path / "big.toml"
    circuit.write_text('program = "f = sum(x)"\n[inputs]\nx = [[1, 2], [3, 4]]\n')
    assert "the value of x (4)" in refused(str(circuit), "--limit", "array-elements=3")
    assert invoke("eval", str(circuit), "--limit", "array-elements=4").exit_code == 0


def test_files_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    np.save("w.npy", np.ones((3, 4)))
    np.savetxt("w.csv", np.ones((3, 4)), delimiter=",")
    Path("w.json").write_text(json.dumps(np.ones((3, 4)).tolist()))
    for name in ("w.npy", "w.csv", "w.json"):
        assert "(12) exceeds the limit of 11" in refused("sum(w)", f"w=@{name}", "--limit",
                                                         "array-elements=11")
        assert invoke("eval", "sum(w)", f"w=@{name}", "--limit",
                      "array-elements=12").exit_code == 0
    result = invoke("eval", "sum(w)", "w=@w.csv", "--limit", "source-bytes=10")
    assert result.exit_code == 2 and "--limit source-bytes=N" in result.stderr


def test_a_huge_npy_header_is_refused_without_reading_the_data(tmp_path: Path) -> None:
    """The header promises 10^10 doubles (80 GB); only the header is read."""
    header = np.lib.format.header_data_from_array_1_0(np.ones(1))
    header["shape"] = (100000, 100000)
    path = tmp_path / "huge.npy"
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(b"\0" * 64)
    first = refused("sum(w)", f"w=@{path}")
    assert "10,000,000,000" in first


@pytest.mark.parametrize(("program", "values", "shape"), [
    ("sum(x @ y)", ("x=randn(100000, 1)", "y=randn(1, 100000)"), "(100000, 100000)"),
    ("sum(x + y)", ("x=randn(10000, 1)", "y=randn(1, 10000)"), "(10000, 10000)"),
    ("sum(x * y.T)", ("x=randn(10000, 1)", "y=randn(10000, 1)"), "(10000, 10000)"),
])
def test_inferred_shapes_are_checked_before_computing(program: str, values: tuple[str, ...],
                                                      shape: str) -> None:
    first = refused(program, *values)
    assert f"of shape {shape}" in first and "at line 1, column" in first


def test_the_limit_can_be_raised_for_an_inferred_shape() -> None:
    args = ("sum(x + y)", "x=randn(2000, 1)", "y=randn(1, 2000)")
    refused(*args, "--limit", "array-elements=1000000")
    assert invoke("eval", *args, "--limit", "array-elements=4000000").exit_code == 0


def test_library_limits() -> None:
    with limits.using(Limits(array_elements=3)):
        for value in ([[1, 2], [3, 4]], np.ones((2, 2)), "zeros(4)"):
            with pytest.raises(LimitError, match="array-elements"):
                run("sum(x)", {"x": value})
        with pytest.raises(LimitError, match="of shape \\(2, 2\\)"):
            run("sum(x + y.T)", {"x": [1, 2], "y": [[1, 2]]})
