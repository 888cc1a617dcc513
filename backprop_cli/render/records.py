"""Flat formats: CSV, TSV and JSON Lines, one record per node, edge or gradient.

A command's result becomes named tables of records. From a JSON document, each chosen key
is a table: a list of objects gives one record per object; an object of numbers (such as
``gradients``) gives one record per entry, with two named columns. From a report (when a
command has no document), each section is a table of its text cells.

CSV and TSV print one rectangular table: with several tables, a first ``section`` column
names the table and the columns are the union of the tables' columns, in order of first
appearance (cells that do not apply are empty). JSON Lines prints one object per record,
``{"section": ..., ...}``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..numformat import FULL, Rounding, format_float
from .report import Report

Record = dict[str, Any]


@dataclass
class Table:
    """Records under one name; ``columns`` in order of first appearance."""

    key: str
    columns: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def add(self, record: Record) -> None:
        for column in record:
            if column not in self.columns:
                self.columns.append(column)
        self.records.append(record)


def document_tables(document: Mapping[str, Any],
                    keys: Mapping[str, tuple[str, str] | None]) -> list[Table]:
    """Tables from a JSON document: ``keys`` maps a document key to None (a list of objects)
    or to two column names (an object of name -> value)."""
    tables = []
    for key, pair in keys.items():
        table = Table(key)
        items = document.get(key)
        if pair is None:
            for item in items or []:
                table.add(dict(item))
        else:
            for name, value in (items or {}).items():
                table.add({pair[0]: name, pair[1]: value})
        tables.append(table)
    return tables


def report_tables(report: Report) -> list[Table]:
    """Tables from a report's sections: header -> text cell."""
    tables = []
    for section in report.sections:
        table = Table(section.key or section.title, list(section.headers))
        for row in section.rows:
            table.records.append(dict(zip(section.headers, row, strict=True)))
        tables.append(table)
    return tables


def cell_text(value: Any, rounding: Rounding = FULL) -> str:
    """A value as CSV/TSV text: numbers in shortest exact form (or rounded), names of a list
    joined by spaces, anything else nested as compact JSON, nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_float(float(value), rounding)
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return " ".join(value)
    return json.dumps(value, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _layout(tables: Sequence[Table]) -> tuple[list[str], Iterable[Record]]:
    """One table as it is; several stacked under a leading ``section`` column."""
    if len(tables) == 1:
        return tables[0].columns, tables[0].records
    columns = ["section"]
    for table in tables:
        columns += [c for c in table.columns if c not in columns]
    records = ({"section": table.key, **record} for table in tables
               for record in table.records)
    return columns, records


def render_delimited(tables: Sequence[Table], delimiter: str,
                     rounding: Rounding = FULL) -> str:
    """CSV (RFC 4180 quoting, ``\\n`` line ends) or TSV (tabs and newlines in a cell are
    written as spaces, as TSV has no quoting)."""
    columns, records = _layout(tables)
    buffer = io.StringIO()
    if delimiter == "\t":
        def clean(text: str) -> str:
            return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
        buffer.write("\t".join(map(clean, columns)) + "\n")
        for record in records:
            buffer.write("\t".join(map(clean, _cells(record, columns, rounding))) + "\n")
        return buffer.getvalue()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(_cells(record, columns, rounding))
    return buffer.getvalue()


def _cells(record: dict[str, Any], columns: list[str], rounding: Rounding) -> list[str]:
    """A record's cells in the columns' order (most are empty in a long document)."""
    values = [record.get(column) for column in columns]
    return ["" if value is None else cell_text(value, rounding) for value in values]


def render_jsonl(tables: Sequence[Table]) -> str:
    """One JSON object per record, its table named first as ``section``."""
    lines = []
    for table in tables:
        for record in table.records:
            line = {"section": table.key, **{k: _json_value(v) for k, v in record.items()}}
            lines.append(json.dumps(line, separators=(", ", ": ")))
    return "".join(line + "\n" for line in lines)
