"""Every --format of eval: exact text for the simple circuit, structure for every circuit."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest
import sympy as sp

from backprop_cli import bundled_names, run
from backprop_cli.render.latex import escape as latex_escape
from backprop_cli.render.latex import number as latex_number
from backprop_cli.render.markdown import escape as markdown_escape

from conftest import invoke

SIMPLE = ("circuits/simple-circuit.toml",)

# The lecture's simple circuit: x=-2, y=5, z=-4; q = 3, f = -12; df/dx = df/dy = -4, df/dz = 3.
SIMPLE_MARKDOWN = """\
### Forward pass

| node | gate | computes | value | gradient |
|---|---|---|---:|---:|
| `x` | input | `x` | -2 | -4 |
| `y` | input | `y` | 5 | -4 |
| `q` | add | `x + y` | 3 | -4 |
| `z` | input | `z` | -4 | 3 |
| `f` | mul | `q * z` | -12 | 1 |

### Backward pass: downstream = upstream × local

| gate | input | upstream | local gradient | local | downstream |
|---|---|---:|---|---:|---:|
| `f = q * z` | `q` | 1 | `z` | -4 | -4 |
| `f = q * z` | `z` | 1 | `q` | 3 | 3 |
| `q = x + y` | `x` | -4 | `1` | 1 | -4 |
| `q = x + y` | `y` | -4 | `1` | 1 | -4 |

### Gradients of f = -12

| gradient | value |
|---|---:|
| `df/dx` | -4 |
| `df/dy` | -4 |
| `df/dz` | 3 |
"""

SIMPLE_CSV = """\
section,name,gate,inputs,expression,line,column,value,grad,node,input,position,upstream,\
local_formula,local,downstream
nodes,x,input,,x,1,5,-2,-4,,,,,,,
nodes,y,input,,y,1,9,5,-4,,,,,,,
nodes,q,add,x y,x + y,1,7,3,-4,,,,,,,
nodes,z,input,,z,2,9,-4,3,,,,,,,
nodes,f,mul,q z,q * z,2,7,-12,1,,,,,,,
edges,,,,,,,,,f,q,0,1,z,-4,-4
edges,,,,,,,,,f,z,1,1,q,3,3
edges,,,,,,,,,q,x,0,-4,1,1,-4
edges,,,,,,,,,q,y,1,-4,1,1,-4
gradients,,,,,,,,-4,,x,,,,,
gradients,,,,,,,,-4,,y,,,,,
gradients,,,,,,,,3,,z,,,,,
"""


def cell(text: str) -> object:
    """A CSV cell as the JSON document has it: a number, an array (compact JSON), or text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def out(*args: str) -> str:
    result = invoke("eval", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_markdown_of_the_simple_circuit() -> None:
    assert out(*SIMPLE, "--format", "markdown") == SIMPLE_MARKDOWN


def test_csv_of_the_simple_circuit() -> None:
    assert out(*SIMPLE, "--format", "csv") == SIMPLE_CSV


def test_tsv_is_the_csv_with_tabs() -> None:
    assert out(*SIMPLE, "--format", "tsv") == SIMPLE_CSV.replace(",", "\t")


def test_one_table_has_only_its_own_columns() -> None:
    assert out(*SIMPLE, "--format", "csv", "--table", "gradients") == \
        "input,grad\nx,-4\ny,-4\nz,3\n"
    assert out(*SIMPLE, "--format", "markdown", "--table", "gradients") == \
        SIMPLE_MARKDOWN[SIMPLE_MARKDOWN.index("### Gradients"):]


def test_latex_of_the_simple_circuit() -> None:
    text = out(*SIMPLE, "--format", "latex")
    assert text.count("\\begin{tabular}") == text.count("\\end{tabular}") == 3
    assert "$f = q z$ & $q$ & $1$ & $z$ & $-4$ & $-4$ \\\\" in text
    assert "$q = x + y$ & $x$ & $-4$ & $1$ & $1$ & $-4$ \\\\" in text
    assert "$\\frac{\\partial f}{\\partial z}$ & $3$ \\\\" in text
    assert "\\caption{Backward pass: downstream = upstream $\\times$ local}" in text


@pytest.mark.parametrize("name", bundled_names())
def test_every_format_of_every_lecture_circuit(name: str) -> None:
    trace = run(name)
    nodes = [n for n, gate in zip(trace.graph.names, trace.graph.gates, strict=True)
             if gate != "const"]
    counts = {"nodes": len(nodes), "edges": trace.edge_count(),
              "gradients": len(trace.gradients)}
    document = json.loads(out(name, "--format", "json"))
    assert [n["name"] for n in document["nodes"]] == nodes

    lines = [json.loads(line) for line in out(name, "--format", "jsonl").splitlines()]
    assert [line["section"] for line in lines] == \
        ["nodes"] * counts["nodes"] + ["edges"] * counts["edges"] + \
        ["gradients"] * counts["gradients"]
    assert [line["grad"] for line in lines if line["section"] == "gradients"] == \
        list(document["gradients"].values())

    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        rows = list(csv.DictReader(io.StringIO(out(name, "--format", fmt)),
                                   delimiter=delimiter))
        assert [r["section"] for r in rows] == [line["section"] for line in lines]
        for row, node in zip(rows, document["nodes"], strict=False):
            assert cell(row["value"]) == node["value"] and cell(row["grad"]) == node["grad"]
        edge_rows = [r for r in rows if r["section"] == "edges"]
        for row, edge in zip(edge_rows, document["edges"], strict=True):
            assert row["local_formula"] == edge["local_formula"]
            assert cell(row["downstream"]) == edge["downstream"]

    markdown = out(name, "--format", "markdown")
    tables = markdown.split("### ")[1:]
    assert [t.count("\n|") - 2 for t in tables] == list(counts.values())

    latex = out(name, "--format", "latex")
    bodies = re.findall(r"\\hline\n(.*?)\\hline\n\\end\{tabular\}", latex, re.S)
    assert [body.count("\\\\") - 1 for body in bodies] == list(counts.values())
    assert latex.count("\\begin{table}") == latex.count("\\end{table}") == 3

    assert out(name, "--format", "plain") == out(name)
    assert "Gradients of" in out(name, "--format", "table")


def test_latex_local_gradients_are_sympys_derivatives() -> None:
    """The sigmoid neuron's 1/x gate: d(1/t3)/dt3 typeset as sympy typesets it (but for
    spaces: the tool typesets without sympy)."""
    text = out("circuits/sigmoid-neuron.toml", "--format", "latex", "--table", "edges")
    t3 = sp.Symbol("t3")
    expected = sp.latex(sp.diff(1 / t3, t3)).replace(" ", "")
    assert f"$f = \\frac{{1}}{{t_{{3}}}}$ & $t_{{3}}$ & $1$ & ${expected}$ &" in text
    t1 = sp.Symbol("t1")
    assert f"& ${sp.latex(sp.diff(sp.exp(t1), t1))}$ &" in text


def test_latex_keeps_a_name_used_twice_and_literals() -> None:
    text = out("f = x - x + 2**3 * x", "x=1", "--format", "latex", "--table", "nodes")
    assert "$x - x$" in text and "$2^{3}$" in text


def test_latex_exact_values_and_names() -> None:
    text = out("f = 1/(1+exp(-s))", "s=1", "--exact", "--format", "latex", "--table",
               "gradients")
    assert "\\frac{\\partial f}{\\partial s}" in text
    assert "\\approx 0.1966$" in text and "E" not in text  # e as the language writes it
    full = out("f = 1/(1+exp(-s))", "s=1", "--exact", "--format", "latex", "--table",
               "gradients", "--full")
    assert "\\approx 0.19661193324148185" in full
    text = out("f = sigmoid(w0 * alpha)", "w0=1", "alpha=2", "--format", "latex")
    assert "$w_{0}$" in text and "\\alpha" in text and "\\sigma" in text


def test_latex_and_markdown_escape_text() -> None:
    assert latex_escape("a_b & 50% #1 {x} ~ ^ \\") == \
        "a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}"
    assert latex_number("1e+20") == "$1 \\times 10^{20}$"
    assert latex_number("-2.5e-07") == "$-2.5 \\times 10^{-7}$"
    assert latex_number("-inf") == "$-\\infty$"
    assert markdown_escape("a|b*c_d") == "a\\|b\\*c\\_d"


def test_precision_rounds_csv_but_not_json_lines() -> None:
    rows = out("1/3 * x", "x=1", "--format", "csv", "--table", "gradients", "--precision", "3")
    assert rows == "input,grad\nx,0.333\n"
    line = out("1/3 * x", "x=1", "--format", "jsonl", "--table", "gradients",
               "--precision", "3")
    assert json.loads(line)["grad"] == 1 / 3


def test_exact_mode_adds_exact_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(out("x/3", "x=1", "--exact", "--format", "csv",
                                               "--table", "nodes"))))
    assert rows[-1]["value_exact"] == "1/3" and float(rows[-1]["value"]) == 1 / 3


def test_unknown_table_names_the_choices() -> None:
    result = invoke("eval", *SIMPLE, "--format", "csv", "--table", "edge")
    assert result.exit_code == 2
    assert "no table 'edge': choose one of nodes, edges, gradients" in result.stderr
    result = invoke("eval", *SIMPLE, "--format", "json", "--table", "edges")
    assert result.exit_code == 2 and "jsonl" in result.stderr


def test_formats_other_than_latex_do_not_import_sympy() -> None:
    code = ("import sys; from backprop_cli.cli.main import main; "
            "[main(['eval', '(x+y)*z', 'x=1', 'y=2', 'z=3', '--format', f]) "
            "for f in ('markdown', 'csv', 'jsonl', 'tsv', 'plain', 'json')]; "
            "print('sympy' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "False False"


def test_large_graph_summary_in_markdown_and_csv_has_everything() -> None:
    program = "c = x\n" + "c = c * 1.001 + 0.001\n" * 150
    markdown = out(program, "x=1", "--format", "markdown")
    assert markdown.count("### ") == 1 and "--full" in markdown
    rows = out(program, "x=1", "--format", "csv", "--table", "nodes").splitlines()
    assert len(rows) == 1 + 1 + 300  # header, x, 150 * (mul, add)


def test_a_view_with_only_a_report_serves_every_format_but_json() -> None:
    """What check/gradcheck get by wiring a report alone: the flat formats use its cells."""
    from backprop_cli.errors import InputError
    from backprop_cli.render.formats import View, render
    from backprop_cli.render.report import Report, Section

    section = Section("Checks", ["check", "expected", "got", "ok"], numeric=frozenset({1, 2}),
                      key="checks")
    section.rows = [["grad.x", "-4", "-4", "yes"], ["f", "-12", "-11", "no | off"]]
    view = View(report=lambda math: Report([section]))
    assert render(view, "csv") == \
        "check,expected,got,ok\ngrad.x,-4,-4,yes\nf,-12,-11,no | off\n"
    assert render(view, "tsv").splitlines()[1] == "grad.x\t-4\t-4\tyes"
    assert json.loads(render(view, "jsonl").splitlines()[1]) == \
        {"section": "checks", "check": "f", "expected": "-12", "got": "-11", "ok": "no | off"}
    assert "| f | -12 | -11 | no \\| off |" in render(view, "markdown")
    assert "grad.x & $-4$ & $-4$ & yes \\\\" in render(view, "latex")
    assert render(view, "plain").startswith("Checks\n  check   expected  got  ok")
    assert render(view, "csv", "checks") == render(view, "csv")
    with pytest.raises(InputError, match="no JSON output"):
        render(view, "json")
    with pytest.raises(InputError, match="choose one of checks"):
        render(view, "csv", "nodes")
