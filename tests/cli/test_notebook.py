"""Jupyter: a notebook executed by a real kernel (ipykernel, driven by nbclient).

A Trace displays as its tables (HTML, values green and gradients red), ``trace.draw()`` as
SVG, and ``%load_ext backprop_cli`` adds ``%%backprop`` and ``%backprop``; a user's error is
the ``error:`` line with its caret on stderr, and no cell ends in a traceback. The numbers are
checked against the lecture's (f = (x + y) * z at -2, 5, -4: f = -12, gradients -4, -4, 3).
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

SVG_TEXT = "{http://www.w3.org/2000/svg}text"
GREEN, RED = "#1a7f37", "#cf222e"
PROGRAM = "q = x + y\nf = q * z"

CELLS = [
    "from backprop_cli import run\n"
    "trace = run('q = x + y; f = q * z', {'x': -2, 'y': 5, 'z': -4})\ntrace",
    "trace.draw(precision=2)",
    "run('sigmoid-neuron-grouped').draw(expand=True, grads=False)",
    "%load_ext backprop_cli",
    f"%%backprop x=-2 y=5 z=-4\n{PROGRAM}",
    "%%backprop x=1 --exact\nf = 1 / (1 + exp(-x))",
    f"%%backprop draw x=-2 y=5 z=-4\n{PROGRAM}",
    f"%%backprop x=-2 y=5 z=-4 --steps\n{PROGRAM}",
    "%backprop simple-circuit --format json",
    "%backprop '(x+y)*z' x=-2 y=5 z=-4 --upstream 2",
    "%%backprop x=-2 y=5\nq = x + \nf = q * z",
    f"%%backprop x=-2 --bogus\n{PROGRAM}",
    "%%backprop draw x=2 y=3 --format=html\nf = x * y",
    "import gc\ngc.isenabled()",
]


@pytest.fixture(scope="module")
def outputs() -> list[list[dict[str, Any]]]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   allow_errors=True).execute()
    return [cell.outputs for cell in notebook.cells]


def data(cell: list[dict[str, Any]], mime: str) -> Any:
    found = [out["data"][mime] for out in cell if mime in out.get("data", {})]
    assert len(found) == 1, cell
    return found[0]


def stderr(cell: list[dict[str, Any]]) -> str:
    return "".join(out["text"] for out in cell
                   if out["output_type"] == "stream" and out["name"] == "stderr")


def cells_of_table(html: str, colour: str) -> list[str]:
    return re.findall(rf'<td style="[^"]*color:{colour}">([^<]*)</td>', html)


def test_no_cell_ends_in_a_traceback(outputs: list[list[dict[str, Any]]]) -> None:
    for source, cell in zip(CELLS, outputs, strict=True):
        assert not [out for out in cell if out["output_type"] == "error"], source
        assert "Traceback" not in stderr(cell), source


def test_a_trace_displays_as_its_tables_in_the_lecture_colours(
        outputs: list[list[dict[str, Any]]]) -> None:
    for index in (0, 4):  # the library's trace and the cell magic's
        html = data(outputs[index], "text/html")
        assert "Forward pass" in html and "Backward pass" in html
        assert "Gradients of f = -12" in html
        values = cells_of_table(html, GREEN)
        grads = cells_of_table(html, RED)
        assert values[:5] == ["-2", "5", "3", "-4", "-12"]  # x, y, q, z, f
        assert grads[-3:] == ["-4", "-4", "3"]  # df/dx, df/dy, df/dz
        assert outputs[index][0]["output_type"] == "execute_result"
        assert data(outputs[index], "text/plain") == "<Trace f = -12: 5 nodes, 4 edges>"


def svg_texts(svg: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(svg).iter(SVG_TEXT)]


def test_draw_displays_as_svg(outputs: list[list[dict[str, Any]]]) -> None:
    texts = svg_texts(data(outputs[1], "image/svg+xml"))
    for number in ("-2.00", "5.00", "-4.00", "3.00", "-12.00", "1.00"):  # precision=2 decimals
        assert number in texts
    expanded = svg_texts(data(outputs[2], "image/svg+xml"))
    assert "exp" in expanded and "sigmoid" not in expanded
    assert "0.7311" in expanded and "-0.1966" not in expanded  # values only
    magic = svg_texts(data(outputs[6], "image/svg+xml"))
    assert "-12" in magic and "f" in magic


def test_options_as_on_the_command_line(outputs: list[list[dict[str, Any]]]) -> None:
    exact = data(outputs[5], "text/html")
    assert "e/(1 + e)**2 (0.1966)" in exact  # sigmoid' at 1 = e / (1 + e)^2, 4 digits
    # rich prints the tables itself in a notebook (in colour): one output per table
    steps = re.sub(r"\x1b\[[0-9;]*m", "", "".join(out["data"]["text/plain"]
                                                 for out in outputs[7]))
    assert "1. start at the output f = -12" in steps
    assert "upstream -4 × local 1 → downstream df/dx = -4" in steps
    assert '"value": -12' in data(outputs[8], "text/plain").replace(" ", " ")
    upstream = data(outputs[9], "text/html")
    assert cells_of_table(upstream, RED)[-3:] == ["-8", "-8", "6"]


def test_user_errors_are_one_error_line_with_a_caret(outputs: list[list[dict[str, Any]]]) -> None:
    parse = stderr(outputs[10])
    assert parse.startswith("error: expected a value, found end of line at line 1, column 9\n")
    assert parse.splitlines()[1:] == ["  q = x + ", "          ^"]
    assert [out["output_type"] for out in outputs[10]] == ["stream"]
    usage = stderr(outputs[11])
    assert usage.startswith("error: No such option") and usage.count("\n") == 1


def test_the_page_shows_in_a_frame_and_the_kernel_keeps_its_collector(
        outputs: list[list[dict[str, Any]]]) -> None:
    frame = data(outputs[12], "text/html")
    assert frame.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in frame
    assert data(outputs[13], "text/plain") == "True"


def test_ipython_is_not_imported_at_run_time() -> None:
    code = ("import sys, backprop_cli\n"
            "from backprop_cli.cli.main import main\n"
            "trace = backprop_cli.run('(x+y)*z', {'x': -2, 'y': 5, 'z': -4})\n"
            "assert 'Forward pass' in trace._repr_html_()\n"
            "assert trace.draw(expand=True)._repr_svg_().startswith('<svg')\n"
            "main(['draw', 'simple-circuit', '--format', 'html'])\n"
            "assert 'IPython' not in sys.modules, 'IPython was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
