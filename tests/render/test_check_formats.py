"""``check`` and ``gradcheck`` speak every output format, as ``eval`` does."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import invoke

FORMATS = ["table", "plain", "json", "jsonl", "csv", "tsv", "markdown", "latex"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_in_every_format(fmt: str) -> None:
    result = invoke("check", "(x+y)*z", "x=-2", "y=5", "z=-4", "--expect", "f=-12",
                    "--expect", "grad.x=4", "--format", fmt)
    assert result.exit_code == 1, result.stderr  # grad.x is -4: one answer wrong
    assert "grad.x" in result.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_gradcheck_in_every_format(fmt: str) -> None:
    result = invoke("gradcheck", "circuits/sigmoid-neuron.toml", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert "w0" in result.stdout


def test_check_csv_rows_are_the_answers() -> None:
    result = invoke("check", "(x+y)*z", "x=-2", "y=5", "z=-4", "--expect", "f=-12",
                    "--expect", "grad.x=4", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["answer"], r["verdict"], r["expected"], r["computed"]) for r in rows] == \
        [("f", "right", "-12", "-12"), ("grad.x", "wrong", "4", "-4")]


def test_check_hide_keeps_values_out_of_every_format() -> None:
    for fmt in ("csv", "markdown", "json"):
        result = invoke("check", "(x+y)*z", "x=-2", "y=5", "z=-4", "--expect", "grad.x=4",
                        "--hide", "--format", fmt)
        assert "-4" not in result.stdout, fmt


def test_gradcheck_jsonl_one_record_per_input() -> None:
    result = invoke("gradcheck", "x*y", "x=2", "y=3", "--format", "jsonl")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in records] == ["x", "y"]
    assert all(r["verdict"] == "good" for r in records)
