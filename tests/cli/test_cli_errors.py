"""Error behaviour through the command line.

The contract: exit code 2, nothing on stdout, and on stderr a first line
``error: <what> ... at line L, column C``, then the source line and a caret line whose caret
sits under column C. Never a Python traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from backprop_cli.cli.main import cli, main

# --------------------------------------------------------------------------- helpers


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    """Run ``backprop ARGS`` in-process, catching anything so a crash is seen, not raised."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=True)


def failed(*args: str, input: str | bytes | None = None) -> Result:
    """Run the command and check the error contract that holds for every bad input."""
    result = invoke(*args, input=input)
    detail = f"exit {result.exit_code}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.exit_code == 2, detail
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == "", detail
    for stream in (result.output, result.stderr):
        assert "Traceback" not in stream
    assert result.stderr.startswith("error: "), detail
    return result


def headline(result: Result) -> str:
    return result.stderr.splitlines()[0]


def assert_points_at(result: Result, line: int, column: int, char: str | None = None,
                     source_line: str | None = None) -> None:
    """The headline names (line, column); the excerpt shows the line with a caret under it."""
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f" at line {line}, column {column}"), lines[0]
    assert len(lines) >= 3, result.stderr
    excerpt, caret = lines[1], lines[2]
    assert excerpt.startswith("  ") and caret.startswith("  ")
    assert set(caret.strip()) == {"^"}, caret
    at = caret.index("^")
    assert at == 2 + column - 1, (excerpt, caret)
    if source_line is not None:
        assert excerpt == "  " + source_line
    if char is not None:
        assert len(excerpt) > at and excerpt[at] == char, (excerpt, caret)


def eval_failed(source: str, *inputs: str, input: str | bytes | None = None) -> Result:
    return failed("eval", source, *inputs, input=input)


# --------------------------------------------------------------------------- syntax errors

# (program, line, column, the character under the caret, fragment of the headline)
SYNTAX = [
    ("x.y", 1, 2, ".", "attribute access"),
    ("x[y:2]", 1, 4, ":", "subscript"),
    ("exp(x)[x:1]", 1, 9, ":", "subscript"),
    ("lambda: 1", 1, 1, "l", "'lambda'"),
    ("[x for x in y]", 1, 4, "f", "'for'"),
    ("sum(x for x in y)", 1, 7, "f", "'for'"),
    ('"a"', 1, 1, '"', "string"),
    ("f'{x}'", 1, 2, "'", "string"),
    ("max(a=1, b=2)", 1, 5, "a", "no keyword arguments"),
    ("(y := 2)", 1, 4, ":", ":="),
    ("max(*a)", 1, 5, "*", "expected a value"),
    ("import os", 1, 1, "i", "'import'"),
    ("class A", 1, 1, "c", "'class'"),
    ("for x in y", 1, 1, "f", "'for'"),
    ("while x", 1, 1, "w", "'while'"),
    ("with x", 1, 1, "w", "'with'"),
    ("def f", 1, 6, None, "expected '(' in def NAME(PARAMS)"),  # def defines gates (issue 3)
    ("__import__('os')", 1, 1, "_", "__"),
    ("y = 2 * __x", 1, 9, "_", "__"),
    ("foo(x)", 1, 1, "f", "unknown gate 'foo'"),
    ("y = 1 + bar(x)", 1, 9, "b", "unknown gate 'bar'"),
    ("max(x, x, x)", 1, 1, "m", "max()"),
    ("exp(x, x)", 1, 1, "e", "exp() takes 1 argument, got 2"),
    ("(x + 1", 1, 1, "(", "never closed"),
    ("x + 1)", 1, 6, ")", "unmatched ')'"),
    ("2x", 1, 2, "x", "missing operator"),
    ("y = 3 x", 1, 7, "x", "missing operator"),
    ("exp = x", 1, 1, "e", "'exp' is a gate"),
    ("x; y = x", 1, 1, "x", "bare expression"),
    ("x \u2212 y", 1, 3, "\u2212", "use -"),
    ("x \u00d7 y", 1, 3, "\u00d7", "use *"),
    ("x\u00b2", 1, 2, "\u00b2", "use **2"),
    ("x + 1 +", 1, 8, None, "end of input"),
    ("y = 1 == x == 2", 1, 12, "=", "do not chain"),
    ("x % 2", 1, 3, "%", "'%'"),
]


@pytest.mark.parametrize(("program", "line", "column", "char", "fragment"), SYNTAX,
                         ids=[repr(case[0]) for case in SYNTAX])
def test_syntax_error_as_argument(program: str, line: int, column: int, char: str | None,
                                  fragment: str) -> None:
    result = eval_failed(program, "x=1")
    assert fragment in headline(result)
    assert_points_at(result, line, column, char, source_line=program)


@pytest.mark.parametrize("program", [case[0] for case in SYNTAX])
def test_syntax_errors_are_the_same_on_stdin(program: str) -> None:
    from_argument = eval_failed(program, "x=1")
    from_stdin = eval_failed("-", "x=1", input=program)
    assert from_stdin.stderr == from_argument.stderr


def test_error_headline_is_a_single_line_and_the_whole_message_is_three() -> None:
    result = eval_failed("q = x + y\nf = q ** * z", "x=1", "y=2", "z=3")
    assert result.stderr == (
        "error: expected a value, found '*' at line 2, column 10\n"
        "  f = q ** * z\n"
        "           ^\n"
    )


def test_caret_width_underlines_the_whole_token() -> None:
    result = eval_failed("y = 2 * unknowngate(x)", "x=1")
    caret = result.stderr.splitlines()[2]
    assert caret == "  " + " " * 8 + "^" * len("unknowngate")


def test_multiline_program_on_stdin_points_at_the_right_line() -> None:
    program = "# a sigmoid neuron\ns = w0*x0 + w1*x1 + w2\n\nf = 1/(1+exp(-s)))\n"
    result = eval_failed("-", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3", input=program)
    assert "unmatched ')'" in headline(result)
    assert_points_at(result, 4, 18, ")", source_line="f = 1/(1+exp(-s)))")


def test_error_after_a_line_continued_in_parentheses() -> None:
    program = "a = (x +\n     1)\nb = a.c\n"
    result = eval_failed("-", "x=1", input=program)
    assert_points_at(result, 3, 6, ".", source_line="b = a.c")


def test_lookalike_on_a_later_line_of_stdin() -> None:
    program = "q = x + y\nf = q \u00d7 z\n"
    result = eval_failed("-", "x=1", "y=2", "z=3", input=program)
    assert "U+00D7" in headline(result) and "use *" in headline(result)
    assert_points_at(result, 2, 7, "\u00d7", source_line="f = q \u00d7 z")


def test_tabs_keep_the_caret_aligned() -> None:
    result = eval_failed("-", "x=1", input="\ty =\tx.z\n")
    assert_points_at(result, 1, 7, ".")


def test_windows_line_endings() -> None:
    result = eval_failed("-", "x=1", input="a = x\r\nb = a[1]\r\n")
    assert_points_at(result, 2, 6, "[", source_line="b = a[1]")


def test_nul_byte_on_stdin() -> None:
    result = eval_failed("-", input=b"x = 1\ny = x \x00 2\n")
    assert "NUL" in headline(result)
    lines = result.stderr.splitlines()
    assert lines[0].endswith(" at line 2, column 7")
    assert "\x00" not in result.stderr
    assert lines[2].index("^") == 2 + 6 and lines[1][8] == "\\"


def test_unicode_minus_on_stdin_as_utf8_bytes() -> None:
    result = eval_failed("-", "x=1", input="y = 1 \u2212 x\n".encode())
    assert "U+2212" in headline(result) and "use -" in headline(result)
    assert_points_at(result, 1, 7, "\u2212")


@pytest.mark.parametrize("program", ["", "   ", "\n\n"])
def test_empty_stdin(program: str) -> None:
    result = eval_failed("-", input=program)
    assert "empty" in headline(result)


@pytest.mark.parametrize("program", ["# just a comment\n", ";;\n", " ; \n"])
def test_empty_program(program: str) -> None:
    result = eval_failed("-", input=program)
    assert "empty" in headline(result)
    assert headline(result).endswith(" at line 1, column 1")


def test_empty_program_argument() -> None:
    result = eval_failed("")
    assert "empty" in headline(result)


def test_invalid_utf8_on_stdin() -> None:
    result = eval_failed("-", input=b"x = 1\n\xff\xfe\n")
    assert "UTF-8" in headline(result)


def test_ten_thousand_unclosed_parentheses_on_stdin() -> None:
    depth = 10_000
    result = eval_failed("-", "x=1", input="(" * depth + "x" + ")" * (depth - 1))
    assert "never closed" in headline(result)
    assert headline(result).endswith(" at line 1, column 1")


def test_ten_thousand_levels_of_parentheses_on_stdin_succeed() -> None:
    depth = 10_000
    result = invoke("eval", "-", "x=3", "--format", "json",
                    input="f = " + "(" * depth + "x" + ")" * depth + " * 2\n")
    assert result.exit_code == 0, result.stderr
    assert '"value": 6' in result.stdout


# --------------------------------------------------------------------------- excerpt fidelity

# The tokenizer counts lines at "\n" only; the excerpt must show that same line, with the
# caret under the offending character, whatever other characters the line holds.
EXCERPTS = [
    ("x = 1\r\ny = a.b", 2, 6, "."),
    ("x = 1 \r y = a.b", 1, 14, "."),
    ("x = 1 \f y = a.b", 1, 14, "."),
    ("x = (1 +\f\n2 + a.b)", 2, 6, "."),
]


@pytest.mark.parametrize(("program", "line", "column", "char"), EXCERPTS,
                         ids=[repr(case[0]) for case in EXCERPTS])
def test_excerpt_shows_the_line_and_column_of_the_headline(program: str, line: int,
                                                           column: int, char: str) -> None:
    result = eval_failed("-", "a=1", input=program)
    assert_points_at(result, line, column, char)


def test_error_at_end_of_input_after_a_final_newline_shows_that_line() -> None:
    # The headline says line 2; the excerpt must not show line 1 with a caret under '('.
    result = eval_failed("-", input="(1 +\n")
    lines = result.stderr.splitlines()
    assert lines[0].endswith(" at line 2, column 1")
    assert lines[1].strip() == ""


# --------------------------------------------------------------------------- circuit files


def test_program_file_error_names_the_file_and_points_into_it(tmp_path: Path) -> None:
    path = tmp_path / "neuron.bp"
    path.write_text("s = w * x + b\n\nf = sigmoid(s, 1)\n", encoding="utf-8")
    result = failed("eval", str(path), "w=1", "x=2", "b=3")
    assert str(path) in headline(result)
    assert "sigmoid() takes 1 argument, got 2" in headline(result)
    assert_points_at(result, 3, 5, "s", source_line="f = sigmoid(s, 1)")


def test_txt_program_file(tmp_path: Path) -> None:
    path = tmp_path / "prog.txt"
    path.write_text("y = x.real\n", encoding="utf-8")
    result = failed("eval", str(path), "x=1")
    assert_points_at(result, 1, 6, ".")


def test_toml_circuit_file_error_points_into_its_program(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('title = "bad"\nprogram = """\nq = x + y\nf = q * z[y:1]\n"""\n'
                    "[inputs]\nx = 1\ny = 2\nz = 3\n", encoding="utf-8")
    result = failed("eval", str(path))
    assert "subscript" in headline(result) and str(path) in headline(result)
    assert_points_at(result, 2, 12, ":", source_line="f = q * z[y:1]")


def test_toml_circuit_file_with_a_domain_error(tmp_path: Path) -> None:
    path = tmp_path / "log.toml"
    path.write_text('program = "f = log(x)"\n[inputs]\nx = 0\n', encoding="utf-8")
    result = failed("eval", str(path))
    assert "log" in headline(result) and "x = 0" in headline(result)


@pytest.mark.parametrize(("content", "fragment"), [
    ('program = "x"\n[inputs]\nx = "1/0"\n', "division by zero"),
    ('program = "x"\n[inputs]\nx = "y"\n', "'y'"),
    ('program = "x"\n[inputs]\nx = true\n', "must be a number"),
    ('program = "x"\n[inputs]\nx = [1, "a"]\n', "x"),
    ('program = "x"\n[inputs]\nx = "2x"\n', "missing operator"),
])
def test_bad_input_values_in_a_circuit_file(tmp_path: Path, content: str,
                                            fragment: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(content, encoding="utf-8")
    result = failed("eval", str(path))
    assert fragment in headline(result)
    assert "the value of x" in headline(result)


@pytest.mark.parametrize(("content", "fragment"), [
    ("program = \n", "not valid TOML"),
    ('program = "x"\nbogus = 1\n', "unknown key 'bogus'"),
    ('title = "no program"\n', "no program"),
    ('program = "x"\ninputs = 3\n', "must be a table"),
])
def test_malformed_circuit_files(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(content, encoding="utf-8")
    result = failed("eval", str(path), "x=1")
    assert fragment in headline(result)


def test_missing_circuit_file(tmp_path: Path) -> None:
    result = failed("eval", str(tmp_path / "nope.toml"))
    assert "nope.toml" in headline(result)


def test_binary_program_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.bp"
    path.write_bytes(b"x = 1\n\x00\x01\x02")
    result = failed("eval", str(path))
    assert "NUL" in headline(result)
    assert headline(result).endswith(" at line 2, column 1")


def test_non_utf8_program_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bp"
    path.write_bytes("y = x \u00d7 2\n".encode("latin-1"))
    result = failed("eval", str(path), "x=1")
    assert "UTF-8" in headline(result) and "byte 6" in headline(result)


def test_program_file_with_a_bom_counts_columns_after_it(tmp_path: Path) -> None:
    path = tmp_path / "bom.bp"
    path.write_bytes(b"\xef\xbb\xbfy = x.z\n")
    result = failed("eval", str(path), "x=1")
    assert_points_at(result, 1, 6, ".", source_line="y = x.z")


# --------------------------------------------------------------------------- inputs


def test_missing_input_is_named() -> None:
    result = eval_failed("(x+y)*z", "x=1", "z=2")
    assert "missing" in headline(result) and re.search(r"\by\b", headline(result))
    assert "y=VALUE" in headline(result)


def test_several_missing_inputs_are_named() -> None:
    result = eval_failed("(x+y)*z")
    assert "x, y, z" in headline(result)


def test_unknown_input_is_named() -> None:
    result = eval_failed("x*2", "x=1", "w=2")
    assert "unknown input 'w'" in headline(result)


def test_gate_given_as_input_is_refused() -> None:
    result = eval_failed("x*2", "x=1", "tanh=3")
    assert "'tanh' is a gate" in headline(result)


def test_input_given_twice_is_named() -> None:
    result = eval_failed("x*2", "x=1", "x=2")
    assert re.search(r"\bx\b.*twice", headline(result))


@pytest.mark.parametrize(("item", "fragment"), [
    ("x", "NAME=VALUE"),
    ("3", "NAME=VALUE"),
    ("x=", "x has no value"),
    ("=1", "not a valid input name"),
    ("exp=1", "'exp' is a gate, not an input name"),
    ("x.y=1", "attribute access"),
])
def test_malformed_input_items(item: str, fragment: str) -> None:
    result = eval_failed("x*2", item)
    assert fragment in headline(result)


@pytest.mark.parametrize(("item", "column", "char", "fragment"), [
    ("x=1/0", 2, "/", "division by zero"),
    ("x=2x", 2, "x", "missing operator"),
    ("x=__import__('os')", 1, "_", "__"),
    ("x=y", 1, "y", "'y'"),
    ("x=1 \u2212 2", 3, "\u2212", "use -"),
    ("x=log(0)", 1, "l", "log"),
    ("x=(1", 1, "(", "never closed"),
])
def test_bad_input_value_points_into_the_value(item: str, column: int, char: str,
                                               fragment: str) -> None:
    result = eval_failed("x*2", item)
    assert fragment in headline(result)
    assert "in the value of x" in headline(result)
    assert_points_at(result, 1, column, char, source_line=item.partition("=")[2])


def test_input_value_that_is_a_program_is_refused() -> None:
    # "x=y=2" is neither a number nor a constant expression.
    eval_failed("x*2", "x=y=2")


@pytest.mark.parametrize("item", ["x=1/3", "x=-pi/4", "x=2^3", "x=.5", "x=1e-3", "x=-(-2)"])
def test_constant_expression_inputs_are_accepted(item: str) -> None:
    result = invoke("eval", "x*2", item, "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_bad_upstream_gradient() -> None:
    result = eval_failed("x*2", "x=1", "--upstream", "1/0")
    assert "upstream" in headline(result) and "division by zero" in headline(result)


def test_unknown_output_name() -> None:
    result = eval_failed("a = x*2\nb = a+1", "x=1", "--output", "nope")
    assert "'nope'" in headline(result)


# --------------------------------------------------------------------------- domain errors


DOMAIN = [
    # (program, input, node, how it is computed, its input's value, line, column)
    ("log(x)", "x=0", "f", "log(x)", r"x = 0(\.0)?\b", 1, 1),
    ("log(x)", "x=-1", "f", "log(x)", r"x = -1(\.0)?\b", 1, 1),
    ("1/x", "x=0", "f", "1 / x", r"x = 0(\.0)?\b", 1, 2),
    ("sqrt(x)", "x=-1", "f", "sqrt(x)", r"x = -1(\.0)?\b", 1, 1),
    ("exp(x)", "x=1000 --strict", "f", "exp(x)", r"x = 1000(\.0)?\b", 1, 1),
    ("a = x - 1\nb = log(a)\nc = b * 2", "x=1", "b", "log(a)", r"a = 0(\.0)?\b", 2, 5),
    ("q = x * 0\nr = 3 / q", "x=7", "r", "3 / q", r"q = 0(\.0)?\b", 2, 7),
]


@pytest.mark.parametrize(("program", "item", "node", "formula", "operand", "line", "column"),
                         DOMAIN)
def test_domain_errors_name_node_gate_and_inputs(program: str, item: str, node: str,
                                                 formula: str, operand: str, line: int,
                                                 column: int) -> None:
    result = eval_failed(program, *item.split())
    first = headline(result)
    assert f"node {node} = {formula}" in first
    assert re.search(operand, first), first
    assert_points_at(result, line, column, source_line=program.split("\n")[line - 1])


def test_constant_division_by_zero() -> None:
    result = eval_failed("1/0")
    assert "division by zero" in headline(result) and "1 / 0" in headline(result)
    assert_points_at(result, 1, 2, "/")


def test_exp_overflow_says_so() -> None:
    result = eval_failed("exp(x)", "x=1000", "--strict")
    assert "overflow" in headline(result)
    assert_points_at(result, 1, 1, "e")


def test_overflow_to_infinity_without_an_exception() -> None:
    result = eval_failed("y = x * 1e308\nf = y * 10", "x=1", "--strict")
    assert "node f = y * 10" in headline(result)
    assert_points_at(result, 2, 7, "*")


@pytest.mark.parametrize("program", ["log(0)", "sqrt(-1)", "1/0", "0**-1",
                                     "(-8)**(1/3)", "log(x) * 0"])
def test_domain_errors_never_leak_a_traceback(program: str) -> None:
    eval_failed(program, *(["x=0"] if "x" in program else []))


# --------------------------------------------------------------------------- entry point


@pytest.mark.parametrize("args", [
    ["eval", "log(x)", "x=0"],
    ["eval", "x.y", "x=1"],
    ["eval", "x*2"],
    ["eval", "x*2", "x=1", "x=2"],
    ["eval", "foo(x)", "x=1"],
])
def test_main_returns_2_without_a_traceback(args: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("command", ["eval", "draw", "code", "gradcheck"])
def test_a_misspelt_circuit_name_is_named_not_subtracted(command: str) -> None:
    result = invoke(command, "two-layer-softmax")
    assert result.exit_code == 2
    assert "no bundled circuit is named 'two-layer-softmax' (did you mean " \
           "two-layer-softmax-l2?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hyphenated_program_still_reads_as_subtraction() -> None:
    assert float(invoke("eval", "x-y", "x=1", "y=2", "--get", "value").stdout) == -1
    result = invoke("eval", "x-y", "x=1")
    assert result.exit_code == 2 and "missing value for input y" in result.stderr


def test_a_circuit_without_inputs_says_so() -> None:
    forgot = invoke("eval", "x=1")
    assert forgot.exit_code == 0
    assert "the circuit has no inputs" in forgot.stderr
    assert "write the program first: backprop eval PROGRAM x=1" in forgot.stderr
    constants = invoke("eval", "2*3", "--get", "value")
    assert float(constants.stdout) == 6 and "no inputs" in constants.stderr
    assert "no inputs" not in invoke("eval", "2*x", "x=3").stderr


# --------------------------------------------------------------------------- one error style

COMMANDS = sorted(cli.commands)


def assert_one_style(stderr: str, usage: str | None = None) -> None:
    """``error: ...`` on one line, then at most the usage line; never click's own block."""
    lines = stderr.splitlines()
    assert lines[0].startswith("error: "), stderr
    assert not any(line.startswith(("Error:", "Usage:", "Try ")) for line in lines), stderr
    assert len(lines) <= 2, stderr
    if usage is not None:
        assert lines[1].startswith(f"  usage: {usage} "), stderr
        assert lines[1].endswith(f"(more: {usage.split(' [')[0]} --help)"), stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_of_every_command_is_one_error_line(command: str) -> None:
    result = failed(command, "--no-such-option")
    assert headline(result).startswith("error: no such option '--no-such-option'")
    assert_one_style(result.stderr, f"backprop {command}")


def _takes_an_argument(command: str) -> bool:
    return any(isinstance(param, click.Argument) and param.required
               for param in cli.commands[command].params)


@pytest.mark.parametrize("command", [c for c in COMMANDS if _takes_an_argument(c)])
def test_a_missing_argument_of_every_command_is_one_error_line(command: str) -> None:
    result = failed(command)
    assert headline(result).startswith("error: missing argument '")
    assert_one_style(result.stderr, f"backprop {command}")


@pytest.mark.parametrize("args", [
    ["eval", "x", "--format", "nope"],  # a bad choice
    ["quiz", "--level", "9"],  # out of range
    ["circuits", "extra"],  # an extra argument
    ["eval", "x", "x=1", "--limit", "nope=3"],  # a callback's BadParameter
    ["eval", "x", "x=1", "--get", "value", "--table", "nodes"],  # the command's UsageError
    ["no-such-command"],
    ["--no-such-option"],
])
def test_click_errors_take_the_tools_style(args: list[str]) -> None:
    result = failed(*args)
    assert_one_style(result.stderr)
    assert not headline(result).endswith(".")


def test_the_entry_point_and_the_installed_command_use_the_same_style(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--no-such-option", "x"]) == 2
    assert_one_style(capsys.readouterr().err, "backprop eval")
    done = subprocess.run([sys.executable, "-m", "backprop_cli", "draw"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: missing argument 'SOURCE'\n")
    assert_one_style(done.stderr, "backprop draw")


def test_no_arguments_still_shows_the_help() -> None:
    result = invoke()
    assert "Commands:" in result.output and "eval" in result.output


# --------------------------------------------------------------------------- the forgotten -

FORGOT = ("x=-2", "y=5", "z=-4")
READ_WITH_DASH = ("error: 'x=-2' is an input's value, not a program: read the program from "
                  "standard input with -: ... | backprop eval - x=-2 y=5 z=-4\n")


def test_a_piped_program_without_the_dash_says_read_it_with_dash() -> None:
    result = failed("eval", *FORGOT, input="(x+y)*z\n")
    assert result.stderr == READ_WITH_DASH
    right = invoke("eval", "-", *FORGOT, "--get", "grad.x", input="(x+y)*z\n")
    assert right.stdout == "-4\n"  # the lecture's df/dx = z


def test_values_without_a_program_say_give_the_program_first() -> None:
    result = failed("eval", *FORGOT)
    assert headline(result) == ("error: 'x=-2' is an input's value, not a program: give the "
                                "program first (backprop eval PROGRAM x=-2 y=5 z=-4), or read "
                                "it from standard input with -")
    assert failed("gradcheck", *FORGOT).stderr.startswith("error: 'x=-2' is an input's value")


def test_a_program_that_looks_like_an_assignment_still_runs_with_stdin_full() -> None:
    assert invoke("eval", "f=x*y", "x=2", "y=3", "--get", "value", input="junk\n").stdout \
        == "6\n"
    assert invoke("eval", "x=a", "a=3", "--get", "value", input="junk\n").stdout == "3\n"
    alone = invoke("eval", "x=1", input="")
    assert alone.exit_code == 0 and "write the program first" in alone.stderr


def test_the_installed_command_reads_a_real_pipe_and_a_file(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "backprop_cli", "eval", *FORGOT]
    piped = subprocess.run(command, input="(x+y)*z\n", capture_output=True, text=True,
                           timeout=60)
    assert piped.returncode == 2 and piped.stdout == "" and piped.stderr == READ_WITH_DASH
    program = tmp_path / "program.txt"
    program.write_text("(x+y)*z\n")
    with program.open() as stdin:
        from_file = subprocess.run(command, stdin=stdin, capture_output=True, text=True,
                                   timeout=60)
    assert from_file.returncode == 2 and from_file.stderr == READ_WITH_DASH
    nothing = subprocess.run([*command[:4], "x=1"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=60)
    assert nothing.returncode == 0 and "write the program first" in nothing.stderr


# --------------------------------------------------------------------------- unknown gates


@pytest.mark.parametrize(("program", "guess", "column"), [
    ("ln(x)", "log", 1),  # an alias a newcomer types
    ("sigma(x)", "sigmoid", 1),
    ("y = 2 * ReLU(x)", "relu", 9),  # the name in lower case
    ("tanhh(x)", "tanh", 1),  # a typo
    ("softmx(x)", "softmax", 1),  # an array gate
    ("def double(t): 2*t\nf = doubel(x)", "double", 5),  # a gate the program defines
])
def test_an_unknown_gate_suggests_the_closest(program: str, guess: str, column: int) -> None:
    result = eval_failed(program, "x=1")
    name = program.split("(")[0].split()[-1] if "\n" not in program else "doubel"
    assert headline(result).startswith(f"error: unknown gate {name!r} (did you mean {guess}? "
                                       "see `backprop gates`)")
    assert_points_at(result, program.count("\n") + 1, column)


def test_an_unknown_gate_in_a_definition_suggests_too() -> None:
    result = eval_failed("def g(t): ln(t)\nf = g(x)", "x=2")
    assert headline(result) == ("error: unknown gate 'ln' (did you mean log? gates must be "
                                "defined before use) at line 1, column 11")


def test_nothing_close_suggests_nothing() -> None:
    assert headline(eval_failed("foo(x)", "x=1")) == \
        "error: unknown gate 'foo' (see `backprop gates`) at line 1, column 1"


@pytest.mark.parametrize("megabytes", [350, 400, 450])
def test_running_out_of_address_space_is_out_of_memory_not_an_internal_error(
        megabytes: int) -> None:
    """fuzz/mixed.py, seed 2026, in a worker under a 4 GB cap: a 10^5-term sum's TSV ran out
    of address space inside C code, which raised SystemError ("error return without
    exception set") instead of MemoryError (exit 70). Under ``ulimit -v`` both are the
    out-of-memory error line."""
    import resource

    program = "f = " + " + ".join(f"x*{k}" for k in range(100_000))

    def cap() -> None:
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    done = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", "-", "x=0.5",
                           "--format", "tsv"], input=program, capture_output=True, text=True,
                          preexec_fn=cap, timeout=120)
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stderr.startswith("error: out of memory before the tool's own limits"), \
        done.stderr[-500:]


def test_a_system_error_with_room_to_spare_is_still_an_internal_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an exhausted address space turns a SystemError into the out-of-memory line; any
    other is a bug and says so (exit 70)."""
    from backprop_cli.cli import eval_cmd
    from backprop_cli.cli import main as main_module

    def broken(*args: object, **kwargs: object) -> None:
        raise SystemError("error return without exception set")

    monkeypatch.setattr(eval_cmd, "emit", broken)
    assert main(["eval", "x*2", "x=1"]) == 70
    monkeypatch.setattr(main_module, "_address_space_ran_out", lambda: True)
    assert main(["eval", "x*2", "x=1"]) == 2


def test_out_of_memory_while_saying_so_still_ends_as_the_line(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """fuzz/mixed.py, seed 2026, case 225326, in a worker under a 4 GB cap after 225,000
    inputs: a MemoryError left main() (a traceback) because writing the error line needed
    memory too. Now the line is written without allocating and the exit is 2."""
    from backprop_cli.cli import eval_cmd
    from backprop_cli.cli import main as main_module

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(eval_cmd, "emit", exhausted)
    monkeypatch.setattr(main_module.click, "echo", exhausted)
    assert main(["eval", "x*2", "x=1"]) == 2
    assert capfd.readouterr().err.startswith("error: out of memory before the tool's own")
