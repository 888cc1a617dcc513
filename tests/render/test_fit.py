"""Tables that fit the terminal (rich's Console(width=...)): no number is ever cut across
lines; too wide, columns are shortened or left out first (one line says so), then each row
becomes a block. The pseudo-terminal runs of the installed command are in
tests/cli/test_terminal_width.py."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from width_helpers import WIDTHS, assert_numbers_whole, numbers_in, shown_numbers

from backprop_cli import run
from backprop_cli.inputs.circuits import bundled_names
from backprop_cli.numformat import FULL, LECTURE, Rounding
from backprop_cli.render.fit import Block, block_lines, break_at_spaces, fit_section
from backprop_cli.render.json import trace_document
from backprop_cli.render.report import Report, Section, build_report
from backprop_cli.render.table import print_report, table_width


def drawn(report: Report, width: int) -> str:
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=width, highlight=False))
    return buffer.getvalue()


@pytest.mark.parametrize("rounding", [LECTURE, FULL], ids=str)
@pytest.mark.parametrize("name", bundled_names())
def test_no_bundled_circuit_cuts_a_number(name: str, rounding: Rounding) -> None:
    trace = run(name)
    document = json.loads(json.dumps(trace_document(trace)))
    wanted = shown_numbers(document, rounding)
    for width in WIDTHS:
        assert_numbers_whole(drawn(build_report(trace, rounding), width), wanted, width)


def test_the_lecture_neuron_is_narrowed_and_says_so_in_one_line() -> None:
    text = drawn(build_report(run("sigmoid-neuron")), 80)
    assert "columns:" not in text  # at 4 significant digits every column fits in 80
    full = drawn(build_report(run("sigmoid-neuron"), FULL), 100)
    notes = [line for line in full.splitlines() if line.startswith("(100 columns:")]
    assert notes == ["(100 columns: gate shortened, local gradient left out)"]
    assert "-0.534446645388523" in full and "0.36787944117144233" in full
    narrow = drawn(build_report(run("sigmoid-neuron"), FULL), 80)
    assert "(80 columns: one block per edge)" in narrow


def test_at_60_columns_full_digits_stack_one_block_per_edge() -> None:
    text = drawn(build_report(run("sigmoid-neuron"), FULL), 60)
    assert "(60 columns: one block per edge)" in text
    block = text.split("(60 columns: one block per edge)\n")[1].splitlines()[:6]
    assert [line.split()[0] for line in block[1:]] == ["input", "upstream", "local", "local",
                                                       "downstream"]
    assert block[0] == "f = 1 / t3" and block[-1].split()[-1] == "-0.534446645388523"


def test_a_table_that_fits_is_left_as_it_is() -> None:
    section = build_report(run("simple-circuit")).sections[1]
    for width in (len_measure(section), *WIDTHS[1:]):
        fitted = fit_section(section, width, len_measure)
        assert fitted.section is section and fitted.note is None and fitted.blocks is None


def len_measure(section: Section) -> int:
    """The width of the plain rendering: two spaces before and between the columns."""
    rows = [section.headers, *section.rows]
    return 2 + sum(max(len(row[i]) for row in rows) + 2 for i in range(len(section.headers)))


def test_least_needed_columns_go_first_numbers_never() -> None:
    section = build_report(run("sigmoid-neuron"), FULL).sections[1]
    natural = len_measure(section)
    shortened = fit_section(section, natural - 1, len_measure)
    assert shortened.section.headers[0] == "node" and shortened.note is not None
    assert [row[0] for row in shortened.section.rows][:2] == ["f", "t3"]
    dropped = fit_section(section, len_measure(shortened.section) - 1, len_measure)
    assert "local gradient" not in dropped.section.headers
    assert dropped.note == f"({len_measure(shortened.section) - 1} columns: gate shortened, " \
                           "local gradient left out)"
    assert dropped.section.numeric == frozenset({2, 3, 4})  # renumbered, all still there
    stacked = fit_section(section, len_measure(dropped.section) - 1, len_measure)
    assert stacked.blocks is not None and len(stacked.blocks) == len(section.rows)


def test_rich_width_is_what_is_drawn() -> None:
    section = build_report(run("sigmoid-neuron"), FULL).sections[1]
    console = Console(file=io.StringIO(), width=500)
    console.print(section_table_only(section))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert max(len(line) for line in lines) == table_width(section, console)


def section_table_only(section: Section) -> object:
    from backprop_cli.render.table import section_table

    return section_table(section)


def test_long_cells_break_at_spaces_only() -> None:
    assert break_at_spaces("[0.1234, -0.5678, 0.9012]", 18) == ["[0.1234, -0.5678,", "0.9012]"]
    assert break_at_spaces("-0.19661193324148188", 5) == ["-0.19661193324148188"]
    block = Block("f = x * y", [("value", "[1.5, -2.25, 3.125]", 1), ("gradient", "1", 2)])
    lines = block_lines(block, 24)
    assert [label + text for label, text, _ in lines] == [
        "  value     [1.5, -2.25,", "            3.125]", "  gradient  1"]


def test_gradcheck_and_descent_tables_fit() -> None:
    from backprop_cli.analysis.gradcheck import gradcheck
    from backprop_cli.api import compile_circuit
    from backprop_cli.inputs.circuits import resolve
    from backprop_cli.render.gradcheck import gradcheck_report

    circuit = resolve("sigmoid-neuron")
    graph = compile_circuit(circuit, None)
    result = gradcheck(graph, {k: float(v) for k, v in circuit.inputs.items()}, 1e-5, 1e-4)
    wanted = numbers_in([v for item in result.inputs for v in (item.analytic, item.numerical)],
                        FULL)
    for width in WIDTHS:
        assert_numbers_whole(drawn(gradcheck_report(result, FULL), width), wanted, width)
