"""The terminal drawing: golden file, colours, folding to the width, the indented fallback."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from draw_helpers import check_golden
from expression_gen import points, program_text, trees
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rich.console import Console

from backprop_cli import run
from backprop_cli.cli import draw_cmd
from backprop_cli.cli.draw_cmd import drawing_text
from backprop_cli.errors import BackpropError
from backprop_cli.numformat import DECIMALS, Rounding
from backprop_cli.render import diagram
from backprop_cli.render.diagram import CONTINUED, Drawing, render_diagram
from backprop_cli.render.picture import Options, build_picture

from conftest import invoke

SIMPLE_TITLE = "The simple circuit f = (x + y) * z"


def drawing_of(source: str, width: int = 80, title: str = "", **inputs: float) -> Drawing:
    return render_diagram(build_picture(run(source, inputs or None), title=title), width)


def role_texts(drawing: Drawing, role: str) -> Counter[str]:
    return Counter(text.strip() for line in drawing.lines for text, r in line if r == role)


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)


def test_simple_circuit_golden(plain_env: None) -> None:
    result = invoke("draw", "simple-circuit", "--width", "80")
    assert result.exit_code == 0 and result.stderr == ""
    check_golden("simple-circuit.txt", result.stdout)
    console = Console(width=80, file=io.StringIO(), force_terminal=True, color_system=None)
    console.print(drawing_text(drawing_of("simple-circuit", title=SIMPLE_TITLE)))
    assert isinstance(console.file, io.StringIO)
    assert console.file.getvalue() == result.stdout


def test_sigmoid_neuron_golden_folded_at_80_columns(plain_env: None) -> None:
    result = invoke("draw", "sigmoid-neuron", "--width", "80")
    assert result.exit_code == 0
    check_golden("sigmoid-neuron-80.txt", result.stdout)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert CONTINUED in result.stdout


def test_width_limits_agree() -> None:
    assert draw_cmd.MIN_WIDTH == diagram.MIN_WIDTH


def test_values_and_gradients_are_the_lecture_numbers() -> None:
    drawing = drawing_of("simple-circuit", title=SIMPLE_TITLE)
    assert role_texts(drawing, "value") == Counter(["-2", "5", "3", "-4", "-12"])
    assert role_texts(drawing, "grad") == Counter(["-4", "-4", "-4", "3", "1"])
    assert role_texts(drawing, "title") == Counter([SIMPLE_TITLE])


def test_colours_values_green_gradients_red() -> None:
    console = Console(width=80, file=io.StringIO(), force_terminal=True,
                      color_system="standard")
    console.print(drawing_text(drawing_of("simple-circuit")))
    assert isinstance(console.file, io.StringIO)
    out = console.file.getvalue()
    assert "\x1b[32m-12\x1b[0m" in out and "\x1b[31m1\x1b[0m" in out


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = invoke("draw", "simple-circuit").stdout
    assert "\x1b[32m" in coloured and "\x1b[31m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    plain = invoke("draw", "simple-circuit").stdout
    assert "\x1b[32m" not in plain and "\x1b[31m" not in plain


def test_no_grads_and_no_values_leave_out_their_runs() -> None:
    trace = run("simple-circuit")
    no_grads = render_diagram(build_picture(trace, Options(grads=False)), 80)
    no_values = render_diagram(build_picture(trace, Options(values=False)), 80)
    assert not role_texts(no_grads, "grad") and role_texts(no_grads, "value")
    assert not role_texts(no_values, "value") and role_texts(no_values, "grad")


def test_copy_gate_note_adds_the_branch_gradients() -> None:
    notes = role_texts(drawing_of("copy-gate"), "note")
    assert "x feeds 2 wires: its gradient is 4 + 2 = 6" in notes
    notes = role_texts(drawing_of("a = 3 * x; b = -2 * x; f = a + b", x=1), "note")
    assert "x feeds 2 wires: its gradient is 3 - 2 = 1" in notes


def test_shared_gate_is_drawn_once_and_referenced_by_name() -> None:
    text = drawing_of("h = tanh(x); f = h * h + h", 200, x=0.5).plain()
    assert text.count("tanh") == 1 and "┌─h" in text and text.count("↑h") == 2


def test_sigmoid_neuron_folds_to_every_width() -> None:
    trace = run("sigmoid-neuron")
    numbers = ["0.7311", "1.368", "0.3679", "-0.5344", "-0.1966", "0.1966", "0.3932",
               "-0.5898", "-0.3932"]
    natural = max(len(line) for line in render_diagram(build_picture(trace), 1000).plain()
                  .splitlines())
    for width in range(30, 200, 7):
        text = render_diagram(build_picture(trace), width).plain()
        body = text.splitlines()[:-1]  # without the legend
        assert max(len(line) for line in body) <= width
        assert all(number in text for number in numbers)
        assert (CONTINUED in text) == (width < natural)


def test_fifty_gate_chain_is_legible_at_80_columns() -> None:
    program = "c = x\n" + "c = tanh(c * 1.01 + 0.1)\n" * 17  # 51 gates
    drawing = drawing_of(program, 80, x=0.5)
    lines = drawing.plain().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum(line.count("┤ tanh ├") for line in lines) == 17
    assert len(role_texts(drawing, "grad")) > 1


def test_indented_tree_for_a_large_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram, "MAX_DRAWN", 5)
    lines = drawing_of("sigmoid-neuron", title="neuron").plain().splitlines()
    assert lines[0] == "neuron"
    assert lines[1].split() == ["value", "gradient"]
    assert lines[2].split() == ["f", "=", "1", "/", "t3", "0.7311", "1"]
    assert lines[6].split() == ["s3", "=", "s2", "+", "w2", "1", "0.1966"]
    assert lines[7].startswith("├─ s2 = s0 + s1")
    assert lines[9].split() == ["│", "│", "├─", "w0", "2", "-0.1966"]
    assert lines[14].split() == ["└─", "w2", "-3", "0.1966"]


def test_indented_tree_when_a_label_is_wider_than_the_terminal() -> None:
    picture = build_picture(run("f = x * y", {"x": -0.000123456789012345678, "y": 2}),
                            Options(rounding=Rounding(DECIMALS, 17)))
    text = render_diagram(picture, 20).plain()
    assert "┤" not in text and "f = x * y" in text and "-0.00012345678901235" in text
    assert "┤" in render_diagram(picture, 40).plain()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(), width=st.integers(20, 160), data=st.data())
def test_random_circuits_draw_within_the_width(tree: object, width: int,
                                               data: st.DataObject) -> None:
    text = program_text(tree)  # type: ignore[arg-type]
    point = data.draw(points(tree.variables()))  # type: ignore[attr-defined]
    try:
        trace = run(text, point)
    except BackpropError:
        assume(False)
        return
    picture = build_picture(trace)
    drawing = render_diagram(picture, width)
    plain = drawing.plain()
    if "┤" in plain:  # drawn (not the indented tree): strips fit the width (prose may wrap)
        drawn = ["".join(text for text, _ in line) for line in drawing.lines
                 if not any(role in ("note", "title") for _, role in line)]
        assert max(len(line) for line in drawn) <= width
    for wire in picture.wires:
        assert wire.value is not None and wire.value in plain
        assert wire.grad is None or wire.grad in plain
    for box in picture.boxes:
        assert box.kind == "copy" or box.label in plain or box.title in plain
