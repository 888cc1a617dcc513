"""Every output format behind one function: ``render(view, fmt)``.

A command describes what it shows as a ``View``: a report (titled sections of text cells)
and, when it has one, a JSON document; each is built only if the chosen format needs it.

    table, plain, markdown, latex   the report's sections (table is drawn by the CLI, in rich)
    json                            the document
    csv, tsv, jsonl                 flat records: the document's tables when the view names
                                    them (``tables``), otherwise the report's sections

``select`` (the ``--table`` option) keeps one section or table, by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..numformat import FULL, Rounding
from .report import Report

if TYPE_CHECKING:
    from .records import Table

FORMATS = ("table", "plain", "json", "jsonl", "csv", "tsv", "markdown", "latex")
REPORT_FORMATS = ("table", "plain", "markdown", "latex")
FLAT_FORMATS = ("csv", "tsv", "jsonl")


@dataclass
class View:
    """What a command shows, in the forms the formats need.

    ``report(math_cells)`` builds the sections (with math cells for LaTeX and Markdown);
    ``document()`` the JSON document; ``tables`` maps document keys to flat tables (see
    ``records.document_tables``); ``compact`` prints JSON on one line (large results);
    ``rounding`` rounds CSV/TSV numbers (full unless asked; JSON keeps full precision);
    ``json_pieces``, when given, writes the compact document as pieces of text without
    building it (None: it does not apply, use ``document``).
    """

    report: Callable[[bool], Report]
    document: Callable[[], dict[str, Any]] | None = None
    tables: Mapping[str, tuple[str, str] | None] = field(default_factory=dict)
    compact: bool = False
    rounding: Rounding = FULL
    json_pieces: Callable[[], Iterator[str] | None] | None = None

    def keys(self) -> list[str]:
        """The names ``--table`` accepts."""
        if self.tables and self.document is not None:
            return list(self.tables)
        return [section.key for section in self.report(False).sections]


def render_pieces(view: View, fmt: str, select: str | None = None,
                  width: int | None = None) -> Iterator[str]:
    """``render`` in pieces: a large JSON document is written as it is produced."""
    if fmt == "json" and select is None and view.json_pieces is not None:
        pieces = view.json_pieces()
        if pieces is not None:
            return pieces
    return iter([render(view, fmt, select, width)])


def render(view: View, fmt: str, select: str | None = None, width: int | None = None) -> str:
    """The view as text in format ``fmt`` (any of FORMATS but ``table``); ``width``: the
    terminal's, which plain text fits (None: a pipe)."""
    if fmt == "json" and select is None and view.json_pieces is not None:
        pieces = view.json_pieces()
        if pieces is not None:
            return "".join(pieces)
    if select is not None:
        check_selection(view, fmt, select)
    if fmt == "json":
        if view.document is None:
            raise InputError("this command has no JSON output")
        indent = None if view.compact else 2
        import json

        return json.dumps(view.document(), indent=indent) + "\n"
    if fmt in FLAT_FORMATS:
        from . import records

        tables = flat_tables(view, select)
        if fmt == "jsonl":
            return records.render_jsonl(tables)
        return records.render_delimited(tables, "," if fmt == "csv" else "\t", view.rounding)
    report = selected_report(view, fmt in ("markdown", "latex"), select)
    if fmt == "plain":
        from .plain import render_plain

        return render_plain(report, width)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(report)
    if fmt == "latex":
        from .latex import render_latex

        return render_latex(report)
    raise ValueError(f"unknown format {fmt!r}")


def check_selection(view: View, fmt: str, select: str) -> None:
    """``--table KEY`` must name one of the view's tables and suit the format."""
    if fmt == "json":
        raise InputError("--table does not apply to --format json (try jsonl or csv)")
    keys = view.keys() if fmt in FLAT_FORMATS else \
        [section.key for section in view.report(False).sections]
    if select not in keys:
        raise InputError(f"no table {select!r}: choose one of {', '.join(keys)}")


def selected_report(view: View, math_cells: bool, select: str | None) -> Report:
    """The report, or only its section ``select``."""
    report = view.report(math_cells)
    if select is None:
        return report
    return replace(report, sections=[s for s in report.sections if s.key == select])


def flat_tables(view: View, select: str | None) -> list[Table]:
    from . import records

    if view.tables and view.document is not None:
        tables = records.document_tables(view.document(), view.tables)
    else:
        tables = records.report_tables(view.report(False))
    return [table for table in tables if select is None or table.key == select]
