"""``backprop draw`` through the command line: DOT and Mermaid of the lecture circuits (golden
files and the lecture's numbers), options, output files, and escaping of user text."""

from __future__ import annotations

from pathlib import Path

import pytest
from draw_helpers import LECTURE_EDGES, check_golden, dot_edges

from backprop_cli.inputs.circuits import bundled_names
from backprop_cli.render.mermaid import escape, yaml_string

from conftest import invoke


def draw(*args: str, input: str | None = None) -> str:
    result = invoke("draw", *args, input=input)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("name", bundled_names())
def test_dot_of_every_bundled_circuit_matches_its_golden_file(name: str) -> None:
    check_golden(f"{name}.dot", draw(name, "--format", "dot"))


@pytest.mark.parametrize("name", bundled_names())
def test_mermaid_of_every_bundled_circuit_matches_its_golden_file(name: str) -> None:
    check_golden(f"{name}.mmd", draw(name, "--format", "mermaid"))


@pytest.mark.parametrize("name", sorted(LECTURE_EDGES))
def test_dot_wires_carry_the_lecture_values_and_gradients(name: str) -> None:
    edges = dot_edges(draw(name, "--format", "dot"))  # 4 significant digits by default
    assert sorted(edges) == sorted(LECTURE_EDGES[name])


def test_dot_of_a_typed_expression_matches_the_circuit_file() -> None:
    typed = draw("q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--format", "dot")
    bundled = draw("simple-circuit", "--format", "dot", "--title", "")
    assert typed == bundled


def test_dot_structure() -> None:
    dot = draw("simple-circuit", "--format", "dot")
    assert dot.startswith("digraph backprop {\n") and dot.endswith("}\n")
    assert "rankdir=LR" in dot
    assert "{ rank=source; n0; n1; n3; }" in dot  # the inputs x, y, z on the left
    assert 'label="The simple circuit f = (x + y) * z"' in dot
    assert 'tooltip="q = x + y"' in dot and 'tooltip="f = q * z"' in dot


def test_grouped_sigmoid_expanded_draws_the_gate_by_gate_neuron() -> None:
    for fmt in ("dot", "mermaid", "terminal"):
        grouped = draw("sigmoid-neuron-grouped", "--expand", "--format", fmt, "--title", "")
        fine = draw("sigmoid-neuron", "--format", fmt, "--title", "")
        assert grouped == fine
    assert "sigmoid" in draw("sigmoid-neuron-grouped", "--format", "dot")


def test_no_values_and_no_grads() -> None:
    both = dot_edges(draw("simple-circuit", "--format", "dot"))
    grads = dot_edges(draw("simple-circuit", "--format", "dot", "--no-values"))
    values = dot_edges(draw("simple-circuit", "--format", "dot", "--no-grads"))
    bare = draw("simple-circuit", "--format", "dot", "--no-values", "--no-grads")
    assert [texts[1:] for _, _, texts in both] == [texts for _, _, texts in grads]
    assert [texts[:1] for _, _, texts in both] == [texts for _, _, texts in values]
    assert "label=<" not in bare and "n4 -> out;" in bare
    terminal = draw("simple-circuit", "--no-grads")
    assert "-12" in terminal and "-4" in terminal
    assert "each wire" not in terminal
    mermaid = draw("simple-circuit", "--format", "mermaid", "--no-values", "--no-grads")
    assert "n0 --> n2" in mermaid and "span" not in mermaid


def test_precision_rounds_to_decimals_and_default_is_four_significant_digits() -> None:
    two = dot_edges(draw("sigmoid-neuron", "--format", "dot", "--precision", "2"))
    assert ("exp", "+1", ["0.37", "-0.53"]) in two
    assert ("x0", "*", ["-1.00", "0.39"]) in two  # fixed decimals, as the lecture's figure
    assert two == dot_edges(draw("sigmoid-neuron", "--format", "dot", "--decimals", "2"))
    default = dot_edges(draw("sigmoid-neuron", "--format", "dot"))
    assert ("+1", "1/x", ["1.368", "-0.5344"]) in default


def test_only_what_the_output_depends_on_is_drawn() -> None:
    dot = draw("q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--output", "q", "--format",
               "dot")
    assert sorted(dot_edges(dot)) == [("+", "q", ["3", "1"]), ("x", "+", ["-2", "1"]),
                                      ("y", "+", ["5", "1"])]
    assert 'label="z"' not in dot


def test_upstream_and_exact() -> None:
    dot = draw("f = x * y", "x=2", "y=3", "--upstream", "5", "--format", "dot")
    assert ("*", "f", ["6", "5"]) in dot_edges(dot)
    exact = draw("f = 1/(1+exp(-s))", "s=1", "--exact", "--format", "dot")
    assert ("1/x", "f", ["e/(1 + e)", "1"]) in dot_edges(exact)  # e, never sympy's E
    assert ("s", "-x", ["1", "e/(1 + e)**2"]) in dot_edges(exact)  # sigmoid'(1)
    assert ("exp", "+1", ["exp(-1)", "≈-0.5344"]) in dot_edges(exact)  # long: a decimal


def test_program_from_stdin_is_read_once() -> None:
    dot = draw("-", "x=-2", "y=5", "z=-4", "--format", "dot", input="q = x + y\nf = q * z\n")
    assert ("*", "f", ["-12", "1"]) in dot_edges(dot)


def test_output_file_format_follows_the_extension(tmp_path: Path) -> None:
    expected = {".dot": draw("simple-circuit", "--format", "dot"),
                ".gv": draw("simple-circuit", "--format", "dot"),
                ".mmd": draw("simple-circuit", "--format", "mermaid"),
                ".mermaid": draw("simple-circuit", "--format", "mermaid"),
                ".txt": draw("simple-circuit", "--format", "terminal")}
    for suffix, text in expected.items():
        path = tmp_path / f"picture{suffix}"
        result = invoke("draw", "simple-circuit", "-o", str(path))
        assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
        assert path.read_text("utf-8") == text
    markdown = tmp_path / "picture.md"
    assert invoke("draw", "simple-circuit", "--out", str(markdown)).exit_code == 0
    assert markdown.read_text("utf-8") == f"```mermaid\n{expected['.mmd']}```\n"


def test_explicit_format_wins_over_the_extension_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "picture.txt"
    result = invoke("draw", "simple-circuit", "--format", "dot", "-o", str(path))
    assert result.exit_code == 0
    assert path.read_text("utf-8").startswith("digraph backprop {")
    assert result.stderr.startswith("warning: writing dot into ")


def test_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "picture.jpeg"
    result = invoke("draw", "simple-circuit", "-o", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert "cannot tell the format from" in result.stderr and "--format" in result.stderr
    assert not path.exists()
    assert invoke("draw", "simple-circuit", "--format", "gif").exit_code == 2


@pytest.mark.parametrize("name", ["out.png", "picture.dot", "pictures/out"])
def test_a_file_given_to_output_asks_did_you_mean_o(tmp_path: Path, name: str) -> None:
    """--output names the node to differentiate; -o (--out) the file."""
    result = invoke("draw", "simple-circuit", "--output", name)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: no node named {name!r}: --output names the "
                                    "node to differentiate; did you mean -o ")
    path = tmp_path / "picture.dot"
    assert invoke("draw", "simple-circuit", "-o", str(path)).exit_code == 0
    assert path.read_text("utf-8").startswith("digraph backprop {")
    node = invoke("draw", "simple-circuit", "--output", "q", "--format", "dot")
    assert node.exit_code == 0 and "did you mean" not in node.stderr
    unknown = invoke("draw", "simple-circuit", "--output", "nope")
    assert unknown.exit_code == 2 and "did you mean -o" not in unknown.stderr


def test_unwritable_output_file_is_one_line_error(tmp_path: Path) -> None:
    result = invoke("draw", "simple-circuit", "-o", str(tmp_path / "missing" / "a.dot"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write ") and result.stderr.count("\n") == 1


def test_bad_program_is_reported_like_eval() -> None:
    result = invoke("draw", "(x+", "x=1", "--format", "dot")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "^" in result.stderr


def test_kink_warnings_go_to_stderr() -> None:
    result = invoke("draw", "f = relu(x)", "x=0", "--format", "dot")
    assert result.exit_code == 0 and "warning: " in result.stderr
    assert "warning" not in result.stdout


HOSTILE = 'a "quoted" \\N back\\slash <b>bold</b> & #35; `tick` | pipe %% 50%\nnext line'


def test_user_title_is_escaped_in_dot() -> None:
    dot = draw("simple-circuit", "--format", "dot", "--title", HOSTILE)
    title_line = next(line for line in dot.splitlines() if "label=\"a " in line)
    assert ('label="a \\"quoted\\" \\\\N back\\\\slash <b>bold</b> & #35; `tick` | pipe '
            '%% 50% next line"') in title_line
    assert dot.count("\n") == draw("simple-circuit", "--format", "dot").count("\n")


def test_user_title_is_escaped_in_mermaid() -> None:
    mermaid = draw("simple-circuit", "--format", "mermaid", "--title", HOSTILE)
    lines = mermaid.splitlines()
    assert lines[0] == "---" and lines[2] == "---" and lines[3] == "flowchart LR"
    assert lines[1] == ('title: "a \\"quoted\\" \\\\N back\\\\slash <b>bold</b> & #35; '
                        '`tick` | pipe %% 50% next line"')


def test_mermaid_label_escaping() -> None:
    assert escape('a"b|c<d>e#f`g%h&i') == "a#quot;b#124;c#lt;d#gt;e#35;f#96;g#37;h#amp;i"
    assert escape("x\ny\tz") == "x y z"
    assert yaml_string('say "hi" \\ there') == '"say \\"hi\\" \\\\ there"'


def test_mermaid_shape() -> None:
    mermaid = draw("simple-circuit", "--format", "mermaid")
    assert 'n2(("+"))' in mermaid and 'n0["x"]' in mermaid and 'out["f"]' in mermaid
    assert "n2 -->|\"<span style='color:#2da44e'>3</span><br>" in mermaid
    copy = draw("copy-gate", "--format", "mermaid")
    assert "n1 ---|" in copy and "c1 -->|" in copy


def test_png_is_not_written_to_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from backprop_cli.cli import draw_cmd

    terminal = SimpleNamespace(stdout=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr(draw_cmd, "sys", terminal)
    result = invoke("draw", "simple-circuit", "--format", "png")
    assert result.exit_code == 2 and result.stdout == ""
    assert "PNG is binary: write it with -o FILE" in result.stderr


def test_drawing_a_scalar_circuit_imports_neither_sympy_nor_numpy() -> None:
    import subprocess
    import sys

    code = ("import sys; from backprop_cli.cli.main import main; "
            "main(['draw', '(x+y)*z', 'x=-2', 'y=5', 'z=-4']); "
            "main(['draw', 'sigmoid-neuron-grouped', '--expand', '--format', 'dot']); "
            "print('sympy' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr.strip().splitlines()[-1] == "False False"
