"""eval --rows through the command line: formats, filling, bad rows, bad bytes, options."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backprop_cli import compile_program
from backprop_cli.cli.main import cli
from backprop_cli.engine import batch

from conftest import eval_json

NEURON = "circuits/sigmoid-neuron.toml"
NEURON_INPUTS = ("w0", "x0", "w1", "x1", "w2")


def rows_run(*args: str, data: str | bytes | None = None) -> Result:
    """``backprop eval ARGS`` with ``data`` on stdin (bytes kept as they are)."""
    return CliRunner().invoke(cli, ["eval", *args], input=data, catch_exceptions=False)


def table(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_every_row_matches_eval_of_that_row(tmp_path: Path) -> None:
    points = [(2, -1, -3, -2, -3), (1, 1, 1, 1, 1), (0.5, -0.25, 3, 1e-3, 0), (-4, 2, 7, 1, 2)]
    source = tmp_path / "in.csv"
    source.write_text("w0,x0,w1,x1,w2\n" + "".join(",".join(map(str, p)) + "\n"
                                                  for p in points))
    result = rows_run(NEURON, "--rows", str(source))
    assert result.exit_code == 0, result.stderr
    rows = table(result.stdout)
    assert list(rows[0]) == [*NEURON_INPUTS, "f", *(f"grad.{n}" for n in NEURON_INPUTS),
                             "error"]
    for point, row in zip(points, rows, strict=True):
        document = eval_json(NEURON, *(f"{n}={v}" for n, v in zip(NEURON_INPUTS, point,
                                                                     strict=True)))
        assert float(row["f"]) == document["value"]
        for name in NEURON_INPUTS:
            assert abs(float(row[f"grad.{name}"]) - document["gradients"][name]) <= \
                1e-15 * max(1.0, abs(document["gradients"][name]))
        assert row["error"] == ""


def test_the_lecture_row_gives_the_lecture_gradients() -> None:
    result = rows_run(NEURON, "--rows", "-", data="w0,x0,w1,x1,w2\n2,-1,-3,-2,-3\n")
    row = table(result.stdout)[0]
    assert abs(float(row["f"]) - 0.7310585786300049) < 1e-15
    expected = {"w0": -0.19661193324148185, "x0": 0.3932238664829637,
                "w1": -0.3932238664829637, "x1": -0.5898357997244456, "w2": 0.19661193324148185}
    for name, value in expected.items():
        assert abs(float(row[f"grad.{name}"]) - value) < 1e-15


def test_inputs_are_copied_as_written() -> None:
    result = rows_run("x*y", "--rows", "-", data="x,y\n1e1,0.50\n")
    assert result.stdout == "x,y,f,grad.x,grad.y,error\n1e1,0.50,5,0.5,10,\n"


def test_tsv_and_json_lines_in_and_out() -> None:
    tsv = rows_run("x*y", "--rows", "-", "--format", "tsv", data="x\ty\n2\t3\n")
    assert tsv.stdout == "x\ty\tf\tgrad.x\tgrad.y\terror\n2\t3\t6\t3\t2\t\n"
    lines = rows_run("x*y", "--rows", "-", "--format", "jsonl",
                     data='{"x": 2, "y": 3}\n\n{"y": 0.5, "x": -1}\n').stdout.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"x": 2, "y": 3, "f": 6, "grad.x": 3, "grad.y": 2, "error": None},
        {"x": -1, "y": 0.5, "f": -0.5, "grad.x": 0.5, "grad.y": -1, "error": None}]
    mixed = rows_run("x*y", "--rows", "-", data='{"x": 2, "y": 3}\n')
    assert mixed.stdout == "x,y,f,grad.x,grad.y,error\n2,3,6,3,2,\n"


def test_missing_columns_come_from_the_command_line_then_the_circuit() -> None:
    result = rows_run(NEURON, "--rows", "-", "w2=0", data="x0,w1,x1\n-1,-3,-2\n")
    assert result.exit_code == 0, result.stderr
    row = table(result.stdout)[0]
    assert (row["w0"], row["w2"]) == ("2", "0")  # w0 from the circuit file, w2 given
    assert list(row)[:5] == ["x0", "w1", "x1", "w0", "w2"]
    single = eval_json(NEURON, "w2=0")
    assert float(row["f"]) == single["value"]


def test_a_column_also_given_on_the_command_line_is_refused() -> None:
    result = rows_run("x*y", "--rows", "-", "x=1", data="x,y\n1,2\n")
    assert result.exit_code == 2
    assert "x is a column of standard input and is also given as x=VALUE" in result.stderr


def test_json_lines_fill_missing_keys_per_row() -> None:
    result = rows_run("x*y", "--rows", "-", "y=10", data='{"x": 1}\n{"x": 1, "y": 2}\n')
    assert [r["f"] for r in table(result.stdout)] == ["10", "2"]


def test_unknown_and_missing_inputs() -> None:
    result = rows_run("x*y", "--rows", "-", data="x\n1\n")
    assert result.exit_code == 2
    assert "standard input has no column for input y (its columns are x): add one, or " \
           "give y=VALUE" in result.stderr
    result = rows_run("x*y", "--rows", "-", "q=1", data="x,y\n1,2\n")
    assert result.exit_code == 2 and "unknown input 'q'" in result.stderr


def test_extra_columns_are_ignored_with_a_warning() -> None:
    result = rows_run("x*y", "--rows", "-", data="id,x,label,y\na,1,cat,2\n")
    assert result.exit_code == 0
    assert result.stdout == "x,y,f,grad.x,grad.y,error\n1,2,2,2,1,\n"
    assert "columns id, label of standard input are not an input of the circuit" in \
        result.stderr


def test_a_bad_row_fails_naming_its_line_after_the_rows_before_it() -> None:
    result = rows_run("x*y", "--rows", "-", data="x,y\n1,2\n3,abc\n5,6\n")
    assert result.exit_code == 2
    assert result.stdout == "x,y,f,grad.x,grad.y,error\n1,2,2,2,1,\n"
    assert result.stderr == ("error: the value of y is not a number: 'abc' in standard input "
                             "at line 3, column 3\n  3,abc\n    ^^^\n")


@pytest.mark.parametrize(("data", "message"), [
    ("x,y\n1\n", "expected 2 fields as in the header, found 1 in standard input at line 2"),
    ("x,y\n1,\n", "the value of y is empty in standard input at line 2, column 3"),
    ("x,y\n1,2,3\n", "expected 2 fields as in the header, found 3"),
    ("x,y\n1,inf\n", "the value of y is not a number: 'inf'"),
    ("x,y\n1,nan\n", "the value of y is not a number: 'nan'"),
    ("x,y\n1,1_0\n", "the value of y is not a number: '1_0'"),
    ("x,y\n1,2\x00\n", "the line contains a NUL byte in standard input at line 2, column 4"),
    ('{"x": 1, "y": "2"}\n', "the value of y is not a finite number: \"2\""),
    ('{"x": 1, "y": true}\n', "the value of y is not a finite number: true"),
    ('{"x": 1, "y": NaN}\n', "not valid JSON: NaN is not a finite number"),
    ('{"x": 1, "y": 1e999}\n', "the value of y is not a finite number"),
    ('{"x": 1}\n', "no value for input y"),
    ('{"x": 1, "y": 2}\n[1, 2]\n', "expected a JSON object"),
    ('{"x": 1, "y": 2}\n{"x": 1,\n', "not valid JSON: Expecting property name"),
])
def test_bad_rows_are_named(data: str, message: str) -> None:
    result = rows_run("x*y", "--rows", "-", data=data)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_skip_leaves_bad_rows_out_and_counts_them() -> None:
    data = "x,y\n1,2\n3,abc\n\n5,6\n7\n"
    result = rows_run("x*y", "--rows", "-", "--on-error", "skip", data=data)
    assert result.exit_code == 0
    assert [r["x"] for r in table(result.stdout)] == ["1", "5"]
    assert "warning: skipped 2 rows of standard input that could not be read (line 3: the " \
           "value of y is not a number: 'abc'; line 6: expected 2 fields" in result.stderr


def test_a_domain_error_marks_its_row_not_the_run() -> None:
    result = rows_run("f = log(x) * y", "--rows", "-", data="x,y\n1,2\n-1,2\n2,3\n")
    assert result.exit_code == 0
    rows = table(result.stdout)
    assert [r["error"] for r in rows][::2] == ["", ""]
    assert rows[1]["f"] == rows[1]["grad.x"] == ""
    assert rows[1]["error"].startswith("log is undefined for inputs <= 0 at node t1 = log(x)")
    assert "1 row could not be evaluated" in result.stderr
    lines = rows_run("f = log(x) * y", "--rows", "-", "--format", "jsonl",
                     data="x,y\n-1,2\n").stdout
    record = json.loads(lines)
    assert record["f"] is None and record["error"].startswith("log is undefined")


def test_kinks_are_counted_on_stderr() -> None:
    result = rows_run("relu(x)", "--rows", "-", data="x\n0\n1\n0\n")
    assert [r["grad.x"] for r in table(result.stdout)] == ["0", "1", "0"]
    assert "relu is not differentiable at input = 0; using relu'(0) = 0, as PyTorch does " \
           "(2 rows)" in result.stderr


@pytest.mark.parametrize(("data", "message"), [
    (b"", "standard input is empty"),
    (b"\n\n", "standard input is empty"),
    (b"x,y\n\xff\xfe,1\n", "not valid UTF-8 (byte 1 of the line) in standard input at line 2"),
    (b"\xff\xfex\x00,\x00y\x00\n\x00", "standard input is UTF-16: save it as UTF-8"),
    (b"x,\xffy\n1,2\n", "not valid UTF-8"),
    (b"x,x\n1,2\n", "column 'x' appears twice in the header"),
    (b"x,,y\n1,2,3\n", "the header has an empty column name"),
])
def test_bad_bytes_and_headers(data: bytes, message: str) -> None:
    result = rows_run("x*y", "--rows", "-", data=data)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_bom_crlf_quotes_and_blank_lines_are_handled() -> None:
    data = b'\xef\xbb\xbfx,y\r\n"1",2\r\n\r\n3, 4\r\n'
    result = rows_run("x*y", "--rows", "-", data=data)
    assert result.exit_code == 0, result.stderr
    assert [r["f"] for r in table(result.stdout)] == ["2", "12"]


def test_invalid_utf8_row_can_be_skipped() -> None:
    result = rows_run("x*y", "--rows", "-", "--on-error", "skip", data=b"x,y\n1,2\n\xff,1\n")
    assert result.exit_code == 0 and len(table(result.stdout)) == 1
    assert "line 3: not valid UTF-8" in result.stderr


def test_header_only_gives_the_header() -> None:
    result = rows_run("x*y", "--rows", "-", data="x,y\n")
    assert result.exit_code == 0 and result.stdout == "x,y,f,grad.x,grad.y,error\n"


def test_precision_upstream_and_output() -> None:
    result = rows_run("q = x / 3; f = q * y", "--rows", "-", "--precision", "3",
                      "--upstream", "2", "--output", "q", data="x,y\n1,1\n")
    assert result.stdout == "x,y,q,grad.x,grad.y,error\n1,1,0.333,0.667,0,\n"


@pytest.mark.parametrize(("extra", "message"), [
    (("--exact",), "--exact evaluates one point at a time"),
    (("--format", "markdown"), "with --rows, --format is csv (the default), tsv or jsonl"),
    (("--format", "json"), "with --rows, --format is csv"),
    (("--get", "value"), "--get cannot be combined with --rows"),
    (("--table", "nodes"), "--table cannot be combined with --rows"),
])
def test_options_that_do_not_go_with_rows(extra: tuple[str, ...], message: str) -> None:
    result = rows_run("x*y", "--rows", "-", *extra, data="x,y\n1,2\n")
    assert result.exit_code == 2 and message in result.stderr


def test_program_and_rows_cannot_both_come_from_stdin() -> None:
    result = rows_run("-", "--rows", "-", data="x*y\n")
    assert result.exit_code == 2 and "standard input cannot hold both" in result.stderr


def test_a_missing_rows_file() -> None:
    result = rows_run("x*y", "--rows", "no/such/file.csv")
    assert result.exit_code == 2
    assert "cannot read rows file 'no/such/file.csv'" in result.stderr


def test_many_chunks_stream_and_fail_at_the_right_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "MAX_CHUNK_ROWS", 7)
    lines = [f"{i},{i % 5 - 2}" for i in range(1, 101)]
    result = rows_run("f = x / y", "--rows", "-", data="x,y\n" + "\n".join(lines) + "\n")
    rows = table(result.stdout)
    assert len(rows) == 100
    assert [r["error"] != "" for r in rows] == [i % 5 == 2 for i in range(1, 101)]
    assert all(float(r["f"]) == int(r["x"]) / int(r["y"]) for r in rows if not r["error"])
    lines[60] = "61,oops"
    result = rows_run("f = x / y", "--rows", "-", data="x,y\n" + "\n".join(lines) + "\n")
    assert result.exit_code == 2 and "at line 62" in result.stderr
    assert len(table(result.stdout)) == 60


def test_json_keys_that_are_not_inputs_are_named_once() -> None:
    result = rows_run("x*y", "--rows", "-", data='{"x": 1, "y": 2, "id": 7}\n{"x": 2, "y": 2}\n')
    assert result.exit_code == 0 and len(table(result.stdout)) == 2
    assert result.stderr.count("key id of standard input is not an input") == 1


def test_output_that_is_an_input_gets_a_value_column() -> None:
    result = rows_run("q = x * 2; f = q + 1", "--output", "x", "--rows", "-", data="x\n3\n")
    assert result.stdout == "x,value,grad.x,error\n3,3,1,\n"


def test_held_inputs_have_no_gradient_column() -> None:
    result = rows_run("f = x * y", "--rows", "-", "--no-grad", "x", data="x,y\n1,2\n")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == "x,y,f,grad.y,error\n1,2,2,1,\n"


def test_user_gates_and_arrays_are_refused_or_expanded() -> None:
    program = "def softplus(t): log(1 + exp(t)); f = softplus(x) * y"
    result = rows_run(program, "--rows", "-", data="x,y\n1,2\n")
    assert result.exit_code == 2 and "write it out with --expand" in result.stderr
    expanded = rows_run(program, "--rows", "-", "--expand", data="x,y\n1,2\n")
    assert expanded.exit_code == 0
    document = eval_json(program, "x=1", "y=2")
    assert float(table(expanded.stdout)[0]["f"]) == pytest.approx(document["value"], rel=1e-15)
    arrays = rows_run("f = sum(x * y)", "--rows", "-", "x=[1,2]", data="y\n1\n")
    assert arrays.exit_code == 2 and "array" in arrays.stderr


def test_rows_of_a_large_graph_stop_at_the_node_evaluations_limit(tmp_path: Path) -> None:
    """200 rows of a 10^5-term sum ran 86 s (chunks of 6 rows, every node of every chunk):
    chunks × nodes × 10 is bounded by node-evaluations; rows already written stay written,
    the error says which limit stopped the rest."""
    program = "f = " + " + ".join(f"x*{k}" for k in range(1, 101))  # 300 nodes
    assert batch.chunk_rows(compile_program(program)) == 6990
    data = tmp_path / "rows.csv"
    data.write_text("x\n" + "".join(f"{k}\n" for k in range(7000)), encoding="utf-8")
    args = (program, "--rows", str(data), "--format", "csv")
    stopped = rows_run(*args, "--limit", "node-evaluations=5999")
    assert stopped.exit_code == 2
    assert len(table(stopped.stdout)) == 6990  # the first chunk
    assert stopped.stderr.startswith("error: the node evaluations of 7,000 rows over 300 "
                                     "nodes (2 chunks of at most 6,990 rows, each node of a "
                                     "chunk counted as 10) (6,000) exceeds the limit of 5,999")
    finished = rows_run(*args, "--limit", "node-evaluations=6000")
    assert finished.exit_code == 0, finished.stderr
    assert len(table(finished.stdout)) == 7000
