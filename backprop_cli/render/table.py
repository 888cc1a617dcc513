"""Rich tables for the terminal, in the lecture's colours (values green, gradients red)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .report import Report, Section


def section_table(section: Section) -> Table:
    table = Table(title=Text(section.title, style="bold"), title_justify="left",
                  header_style="bold")
    for index, header in enumerate(section.headers):
        table.add_column(Text(header), justify="right" if index in section.numeric else "left",
                         style=section.styles.get(index), overflow="fold")
    for row in section.rows:
        table.add_row(*(_cell(cell) for cell in row))
    return table


def _cell(cell: str) -> Text:
    """A matrix written ``[[1, 2], [3, 4]]`` is shown one row per line in a terminal."""
    if cell.startswith("[["):
        return Text(cell.replace("], [", "],\n ["), justify="left")
    return Text(cell)


def print_report(report: Report, console: Console) -> None:
    """Print every section as a rich table, then the footer lines."""
    console.print(Group(*(section_table(section) for section in report.sections)))
    for line in report.footer:
        console.print(Text(line, style="dim"))
