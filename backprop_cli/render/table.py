"""Rich tables for the terminal, in the lecture's colours (values green, gradients red).

A table never wraps a cell: one wider than the console is narrowed or stacked first
(``render/fit.py``), so a number is never cut across lines.
"""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .fit import Fitted, block_lines, fit_section, matrix_rows
from .report import Report, Section

UNLIMITED = 1_000_000


def section_table(section: Section) -> Table:
    """The section's rows as a rich table, every cell on its own lines (never wrapped)."""
    table = Table(header_style="bold")
    for index, header in enumerate(section.headers):
        table.add_column(Text(header), justify="right" if index in section.numeric else "left",
                         style=section.styles.get(index), no_wrap=True, overflow="ellipsis")
    for row in section.rows:
        table.add_row(*(_cell(cell) for cell in row))
    return table


def _cell(cell: str) -> Text:
    """A matrix one row per line (left-justified), anything else as it is."""
    lines = matrix_rows(cell)
    return Text(lines, justify="left") if lines != cell else Text(cell)


def table_width(section: Section, console: Console) -> int:
    """How many columns the section's table takes, drawn on ``console`` (however wide)."""
    options = console.options.update_width(UNLIMITED)
    return Measurement.get(console, options, section_table(section)).maximum


def print_section(section: Section, console: Console) -> None:
    """The title, then the table as it fits the console (narrowed, or one block per row)."""
    fitted = fit_section(section, console.width, lambda s: table_width(s, console))
    console.print(Text(section.title, style="bold"))
    if fitted.note is not None:
        console.print(Text(fitted.note, style="dim"))
    if fitted.blocks is None:
        console.print(section_table(fitted.section), crop=False)
    else:
        _print_blocks(fitted, console)


def _print_blocks(fitted: Fitted, console: Console) -> None:
    styles = fitted.section.styles
    for block in fitted.blocks or []:
        console.print(Text(block.heading, style="bold"), no_wrap=True, crop=False)
        for label, text, column in block_lines(block, console.width):
            line = Text(label)
            line.append(text, style=styles.get(column))
            console.print(line, no_wrap=True, crop=False)


def print_report(report: Report, console: Console) -> None:
    """Print every section as it fits the console, then the footer lines."""
    for section in report.sections:
        print_section(section, console)
    for line in report.footer:
        console.print(Text(line, style="dim"))
