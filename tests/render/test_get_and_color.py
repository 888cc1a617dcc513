"""--get prints one value (several: one a line); --color, NO_COLOR and FORCE_COLOR decide
the colour."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from backprop_cli.cli.main import cli

from conftest import eval_json, invoke

SIMPLE = ("q = x + y; f = q * z", "x=-2", "y=5", "z=-4")


@pytest.mark.parametrize(("path", "expected"), [
    ("value", "-12"),
    ("upstream", "1"),
    ("grad.x", "-4"),
    ("grad.z", "3"),
    ("grad.q", "-4"),
    ("node.q.value", "3"),
    ("node.q.grad", "-4"),
    ("node.f.grad", "1"),
    ("edge.f.q.local", "-4"),
    ("edge.f.z.local", "3"),
    ("edge.f.q.upstream", "1"),
    ("edge.q.x.downstream", "-4"),
    ("edge.f.q.formula", "z"),
    ("edge.f.1.local", "3"),
])
def test_get_prints_exactly_one_value(path: str, expected: str) -> None:
    result = invoke("eval", *SIMPLE, "--get", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected + "\n"


def test_get_full_precision_rounding_and_exact() -> None:
    args = ("f = 1/(1+exp(-s))", "s=1")
    full = eval_json(*args)["gradients"]["s"]
    assert abs(full - 0.19661193324148185) < 1e-16
    assert invoke("eval", *args, "--get", "grad.s").stdout == repr(full) + "\n"
    assert invoke("eval", *args, "--get", "grad.s", "--precision", "3").stdout == "0.197\n"
    assert invoke("eval", *args, "--get", "grad.s", "--exact").stdout == "e/(1 + e)**2\n"
    assert invoke("eval", *args, "--get", "grad.s", "--digits", "2").stdout == "0.2\n"
    assert invoke("eval", *args, "--get", "grad.s", "--decimals", "2").stdout == "0.20\n"


def test_get_names_nodes_as_the_tables_show_them() -> None:
    args = ("c = x * 2\nc += 1", "x=1")
    assert invoke("eval", *args, "--get", "node.c.value").stdout == "2\n"
    assert invoke("eval", *args, "--get", "node.c_2.value").stdout == "3\n"


@pytest.mark.parametrize(("path", "message"), [
    ("bogus", "unknown path 'bogus' for --get: use one of value, upstream, grad.NAME"),
    ("grad.w", "no node named 'w' in --get grad.w: the nodes are x, y, q, z, f"),
    ("node.q.size", "unknown field 'size' in --get node.q.size: use one of value, grad"),
    ("edge.f.x.local", "no edge from f back to 'x' in --get edge.f.x.local: its edges go to "
                       "q, z"),
    ("edge.f.q.slope", "use one of upstream, local, downstream, formula"),
    ("grad", "unknown path 'grad'"),
])
def test_get_unknown_paths_name_the_choices(path: str, message: str) -> None:
    result = invoke("eval", *SIMPLE, "--get", path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr


def test_get_a_name_used_twice_asks_for_the_position() -> None:
    result = invoke("eval", "x * x", "x=3", "--get", "edge.f.x.local")
    assert result.exit_code == 2
    assert "edge.f.0.local, edge.f.1.local" in result.stderr
    assert invoke("eval", "x * x", "x=3", "--get", "edge.f.0.local").stdout == "3\n"


def test_get_refuses_format_and_table() -> None:
    for extra in (("--format", "json"), ("--table", "nodes")):
        result = invoke("eval", *SIMPLE, "--get", "value", *extra)
        assert result.exit_code == 2 and "--get prints values only" in result.stderr


def test_several_gets_print_every_value_one_a_line_in_order() -> None:
    # the lecture's circuit: f = -12, df/dx = df/dy = z = -4, df/dz = q = 3
    result = invoke("eval", *SIMPLE, "--get", "grad.z", "--get", "value", "--get", "grad.x",
                    "--get", "edge.f.q.formula", "--get", "grad.z")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "3\n-12\n-4\nz\n3\n"
    arrays = invoke("eval", "f = sum(x * x)", "x=[1,2]", "--get", "grad.x", "--get", "value")
    assert arrays.stdout == "[2, 4]\n5\n"


def test_a_bad_path_among_several_prints_nothing() -> None:
    result = invoke("eval", *SIMPLE, "--get", "grad.x", "--get", "grad.w")
    assert result.exit_code == 2 and result.stdout == ""
    assert "no node named 'w' in --get grad.w" in result.stderr


def colour_run(*args: str, env: dict[str, str | None] | None = None) -> str:
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", *SIMPLE, *args], env=env or {},
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


NO_ENV: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None}


def test_piped_auto_is_plain_without_colour() -> None:
    text = colour_run(env=NO_ENV)
    assert "\x1b[" not in text and text.startswith("Forward pass\n  node")


def test_color_always_draws_the_coloured_table_even_in_a_pipe() -> None:
    text = colour_run("--color", "always", env=NO_ENV)
    assert "\x1b[32m" in text and "┃" in text


def test_force_color_forces_and_no_color_wins_over_it() -> None:
    assert "\x1b[" in colour_run(env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert "\x1b[" not in colour_run(env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in colour_run("--color", "never", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in colour_run("--color", "always", env={"NO_COLOR": "1"})


def test_table_without_colour_in_a_pipe_has_no_escape_codes() -> None:
    text = colour_run("--format", "table", "--color", "never", env=NO_ENV)
    assert "\x1b[" not in text and "┃" in text


def test_piped_table_never_wraps_a_cell() -> None:
    names = [f"a_long_input_name_{i}_" + "x" * 40 for i in range(2)]
    args = (f"f = sigmoid({' * '.join(names)} + 1)", *(f"{n}=1" for n in names))
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", *args, "--format", "table"], env=NO_ENV)
    assert result.exit_code == 0
    assert any(" * ".join(names) in line for line in result.stdout.splitlines())
    assert all(line == line.rstrip() for line in result.stdout.splitlines())
    plain = runner.invoke(cli, ["eval", *args, "--format", "plain"], env=NO_ENV).stdout
    assert any(" * ".join(names) in line for line in plain.splitlines())


def test_gates_table_in_a_pipe_never_wraps() -> None:
    text = CliRunner().invoke(cli, ["gates", "--format", "table"], env=NO_ENV).stdout
    assert any("d/da = [a > b]; d/db = [b > a]" in line
               for line in text.splitlines())
    assert "\x1b[" not in text
