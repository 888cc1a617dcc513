"""Output options every command shares (``--format``, ``--table``, ``--color``) and printing.

Wiring a command takes two lines, e.g. for a command with a report and a JSON document::

    @click.command("check")
    @circuit_options
    @output_options                      # adds fmt, table, color
    def check_command(..., fmt: str, table: str | None, color: str) -> None:
        ...
        emit(View(report=lambda math: check_report(result),
                  document=lambda: check_document(result), tables={"checks": None}),
             fmt, table, color)

Without a document, ``View(report=...)`` alone serves every format but ``json`` (the flat
formats then use the report's sections). See ``render/formats.py``.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

import click

from ..numformat import FULL, LECTURE, Rounding
from ..render.formats import (
    FLAT_FORMATS,
    FORMATS,
    View,
    check_selection,
    render_pieces,
    selected_report,
)

F = TypeVar("F", bound=Callable[..., Any])

COLOR_CHOICES = ("auto", "always", "never")
WIDE = 100_000  # the console width for a table going to a pipe or file: never wrap a cell


EVAL_RECORDS = "per node, edge and gradient; with --rows: per input row, csv by default"
EVAL_TABLES = "nodes, edges or gradients"


@overload
def output_options(function: F) -> F: ...


@overload
def output_options(*, records: str = ..., tables: str = ...) -> Callable[[F], F]: ...


def output_options(function: F | None = None, *, records: str = EVAL_RECORDS,
                   tables: str = EVAL_TABLES) -> F | Callable[[F], F]:
    """Add ``--format``, ``--table`` and ``--color`` to a command; ``records`` says what one
    csv/tsv/jsonl record is, ``tables`` which tables ``--table`` keeps (both default to
    eval's). Used bare (``@output_options``) or called (``@output_options(records=...)``)."""
    decorators = [
        click.option("--format", "fmt", type=click.Choice(("auto", *FORMATS)), default="auto",
                     show_default=True,
                     help="auto: a table in a terminal, plain text otherwise. markdown and "
                          "latex: tables to paste into a report; csv, tsv, jsonl: one record "
                          f"per table row ({records})."),
        click.option("--table", "table", metavar="KEY",
                     help=f"Show one table only ({tables})."),
        click.option("--color", "color", type=click.Choice(COLOR_CHOICES), default="auto",
                     show_default=True,
                     help="Colour the terminal table. auto: only on a terminal, and not when "
                          "NO_COLOR is set (FORCE_COLOR forces it)."),
    ]

    def decorate(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate if function is None else decorate(function)


def wants_color(choice: str) -> bool:
    """--color wins; else NO_COLOR (non-empty) turns colour off, FORCE_COLOR on; else a
    terminal on stdout decides."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stdout_is_terminal()


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def terminal_width() -> int | None:
    """The terminal's width when stdout is one (COLUMNS first), else None."""
    if not stdout_is_terminal():
        return None
    import shutil  # with zlib, bz2 and lzma: only for a terminal

    return shutil.get_terminal_size().columns


def choose_format(fmt: str, color: str) -> str:
    """``auto``: the table when output goes to a terminal or colour is forced, else plain."""
    if fmt != "auto":
        return fmt
    forced = color == "always" or (color == "auto" and not os.environ.get("NO_COLOR")
                                   and bool(os.environ.get("FORCE_COLOR")))
    return "table" if stdout_is_terminal() or forced else "plain"


def rounding_for(fmt: str, rounding: Rounding | None) -> Rounding:
    """The rounding asked for; else full precision in what a program reads (json, csv, tsv,
    jsonl) and 4 significant digits in what a person reads."""
    if rounding is not None:
        return rounding
    return FULL if fmt in ("json", *FLAT_FORMATS) else LECTURE
TABLE_MAX_ROWS = 5_000


def emit(view: View, fmt: str, table: str | None = None, color: str = "auto") -> None:
    """Print the view on stdout in the chosen format."""
    fmt = choose_format(fmt, color)
    if fmt != "table":
        for piece in render_pieces(view, fmt, table, terminal_width()):
            click.echo(piece, nl=False)
        return
    if table is not None:
        check_selection(view, fmt, table)
    report = selected_report(view, False, table)
    rows = sum(len(section.rows) for section in report.sections)
    if rows > TABLE_MAX_ROWS:  # rich lays a table out whole: 10^4 rows took 16 s of CPU
        click.echo(f"warning: {rows:,} rows are written as plain text, not as a boxed table "
                   f"(more than {TABLE_MAX_ROWS:,} would take minutes to lay out); "
                   "--format plain, csv or json choose a format", err=True)
        for piece in render_pieces(view, "plain", table):
            click.echo(piece, nl=False)
        return
    print_table(report, wants_color(color))


def print_table(report: Any, color: bool) -> None:
    """The report as rich tables: coloured or not; never wrapped when not on a terminal."""
    from rich.console import Console

    from ..render.table import print_report

    terminal = stdout_is_terminal()
    options: dict[str, Any] = {"highlight": False, "soft_wrap": False,
                               "force_terminal": color or terminal, "no_color": not color,
                               "color_system": "auto" if color else None}
    if terminal:
        print_report(report, Console(**options))
        return
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=WIDE, **options))
    lines = buffer.getvalue().splitlines()
    click.echo("".join(line.rstrip(" ") + "\n" for line in lines), nl=False, color=color)
