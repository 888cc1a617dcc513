"""Reading a rows file in chunks: CSV or TSV with a header line, or JSON Lines.

The kind is recognised from the content: a first line starting with ``{`` is JSON Lines; a
header with tabs and no commas is TSV; anything else is CSV. Each chunk becomes one float
array per input column, so memory stays flat however long the file is. A cell is a decimal
number (``-2``, ``0.5``, ``1e-3``); anything else, a row with the wrong number of fields,
invalid UTF-8 or a NUL byte makes the row bad: an error naming its line, or (``skip``) a
row left out and reported.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import IO, Any

import numpy as np

from ..errors import InputError, Span, inert

_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_BOM = b"\xef\xbb\xbf"


@dataclass
class BadRow:
    """A row that could not be read: its line number and why."""

    line: int
    message: str


@dataclass
class RowChunk:
    """Some consecutive rows: one float array per input, and the bad rows left out.

    ``text`` (CSV and TSV) holds, per row, the input cells as they were written in the file,
    joined by commas, in the order of ``Layout.used``: they are copied to the output as given.
    """

    columns: dict[str, np.ndarray]
    rows: int
    bad: list[BadRow] = field(default_factory=list)
    text: list[str] | None = None


@dataclass
class Layout:
    """What the header says: the file's kind, its columns, and which of them are inputs."""

    kind: str  # "csv", "tsv" or "jsonl"
    columns: list[str]
    used: list[str]  # inputs found among the columns, in file order (all, for JSON Lines)
    extra: list[str]  # columns that are not inputs (ignored)
    filled: list[str] = field(default_factory=list)  # inputs that are not columns

    @property
    def order(self) -> list[str]:
        """The inputs in output order: the file's columns, then the filled ones."""
        return self.used + self.filled


class RowReader:
    """Reads ``stream`` (bytes) chunk by chunk, for the circuit's ``inputs``.

    ``fills`` gives values for inputs a row does not have (a missing CSV column, a missing
    JSON key). ``skip`` leaves bad rows out instead of raising ``InputError``.
    """

    def __init__(self, stream: IO[bytes], where: str, inputs: Sequence[str],
                 fills: Mapping[str, float], chunk_rows: int, skip: bool) -> None:
        self.stream, self.where, self.inputs = stream, where, list(inputs)
        self.fills, self.chunk_rows, self.skip = dict(fills), chunk_rows, skip
        self.line = 0  # lines read so far
        self.bytes_read = 0
        self.failure: InputError | None = None  # the first bad row, when not skipping
        self.utf8_errors: dict[int, str] = {}  # line -> why it could not be decoded
        self.pending: tuple[int, str] | None = None  # a JSON line read to find the header
        self.layout = self._read_header()

    # ------------------------------------------------------------------ the header

    def _read_header(self) -> Layout:
        raw = self._next_line()
        while raw is not None and not raw.strip():
            raw = self._next_line()
        if raw is None:
            raise InputError(f"{self.where} is empty: expected a header line naming the "
                             "columns, or JSON Lines")
        if self.line == 1 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(f"{self.where} is UTF-16: save it as UTF-8")
        text = self._decode(raw.removeprefix(_BOM) if self.line == 1 else raw, strict=True)
        if text.lstrip().startswith("{"):
            self.pending = (self.line, text)
            return Layout("jsonl", list(self.inputs), list(self.inputs), _json_keys(text,
                                                                                  self.inputs))
        kind = "tsv" if "\t" in text and "," not in text else "csv"
        columns = [name.strip() for name in next(csv.reader([text], delimiter=_DELIM[kind]))]
        self._check_header(columns, text)
        used = [name for name in columns if name in self.inputs]
        extra = [name for name in columns if name not in self.inputs]
        missing = [name for name in self.inputs if name not in used and name not in self.fills]
        if missing:
            raise InputError(f"{self.where} has no column for input {missing[0]} (its columns "
                             f"are {', '.join(columns)}): add one, or give {missing[0]}=VALUE")
        filled = [name for name in self.inputs if name not in used]
        return Layout(kind, columns, used, extra, filled)

    def _check_header(self, columns: list[str], text: str) -> None:
        seen: set[str] = set()
        for name in columns:
            if not name:
                raise self._error("the header has an empty column name", text)
            if name in seen:
                raise self._error(f"column {name!r} appears twice in the header", text)
            seen.add(name)

    # ------------------------------------------------------------------ lines

    def _next_line(self) -> bytes | None:
        raw = self.stream.readline()
        if not raw:
            return None
        self.line += 1
        self.bytes_read += len(raw)
        return raw

    def _decode(self, raw: bytes, strict: bool = False) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self._error(f"not valid UTF-8 (byte {error.start + 1} of the line)", "",
                              self.line) from None
        if "\x00" in text and strict:
            raise self._error("the line contains a NUL byte", text, self.line,
                              text.index("\x00") + 1)
        return text.rstrip("\r\n")

    def _error(self, message: str, text: str, line: int | None = None,
               column: int = 1, width: int = 1) -> InputError:
        line = self.line if line is None else line
        return InputError(message, source=text or None,
                          span=Span(line, column, width), where=self.where)

    def _bad(self, bad: list[BadRow], line: int, message: str, text: str,
             column: int = 1, width: int = 1) -> None:
        """Record a bad row to skip; or, failing, keep its error for after the rows before it."""
        if self.skip:
            bad.append(BadRow(line, message))
        elif self.failure is None:
            self.failure = self._error(message, text, line, column, width)

    # ------------------------------------------------------------------ chunks

    def chunks(self) -> Iterator[RowChunk]:
        """The rows, chunk by chunk, until the end of the stream."""
        read = self._jsonl_chunk if self.layout.kind == "jsonl" else self._delimited_chunk
        while True:
            first = self.line + 1
            raws = list(islice(self.stream, self.chunk_rows))
            self.line += len(raws)
            self.bytes_read += sum(map(len, raws))
            texts = self._decode_lines(raws, first)
            if self.pending is not None:
                first, text = self.pending
                texts.insert(0, text)
                self.pending = None
            if not texts:
                return
            yield read(texts, first)
            if self.failure is not None:
                raise self.failure

    def _decode_lines(self, raws: list[bytes], first: int) -> list[str | None]:
        """Lines as text without their line ends; None for a line that is not UTF-8."""
        if not raws:
            return []
        try:
            text = b"".join(raws).decode("utf-8")
        except UnicodeDecodeError:
            return [self._decode_or_none(raw, first + offset) for offset, raw in enumerate(raws)]
        lines: list[str | None] = text.replace("\r\n", "\n").split("\n")  # type: ignore[assignment]
        if raws and raws[-1].endswith(b"\n"):
            lines.pop()
        return lines

    def _decode_or_none(self, raw: bytes, line: int) -> str | None:
        try:
            return raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            self.utf8_errors[line] = f"not valid UTF-8 (byte {error.start + 1} of the line)"
            return None

    # ------------------------------------------------------------------ CSV and TSV

    def _delimited_chunk(self, texts: list[str | None], first: int) -> RowChunk:
        layout = self.layout
        delimiter = _DELIM[layout.kind]
        fast = self._fast_delimited(texts, delimiter)
        if fast is not None:
            return fast
        bad: list[BadRow] = []
        values: dict[str, list[float]] = {name: [] for name in layout.used}
        given: list[str] = []
        rows = 0
        for line, text in self._readable_lines(texts, first, bad):
            parsed = self._parse_delimited(text, line, delimiter, bad)
            if parsed is not None:
                rows += 1
                row, cells = parsed
                given.append(",".join(cells))
                for name, value in zip(layout.used, row, strict=True):
                    values[name].append(value)
        columns = {name: np.array(v, dtype=np.float64) for name, v in values.items()}
        return self._filled(RowChunk(columns, rows, bad, given))

    def _readable_lines(self, texts: list[str | None], first: int,
                        bad: list[BadRow]) -> Iterator[tuple[int, str]]:
        """(line number, text) of each line that is not blank, until a row fails the run;
        a line that is not valid UTF-8 is reported as a bad row."""
        for offset, text in enumerate(texts):
            line = first + offset
            if self.failure is not None:
                return
            if text is None:
                self._bad(bad, line, self.utf8_errors.pop(line, "not valid UTF-8"), "")
            elif text.strip():
                yield line, text

    def _fast_delimited(self, texts: list[str | None], delimiter: str) -> RowChunk | None:
        """The whole chunk through numpy's C reader, when every line is plain and numeric."""
        layout = self.layout
        if any(text is None for text in texts):
            return None
        lines: list[str] = texts  # type: ignore[assignment]
        expected = len(layout.columns) - 1
        counts = list(map(str.count, lines, [delimiter] * len(lines)))
        if any(count != expected for count in counts) or not all(lines) or \
                any('"' in line for line in lines):
            return None
        if not layout.used:
            return self._filled(RowChunk({}, len(lines), text=[""] * len(lines)))
        usecols = [layout.columns.index(name) for name in layout.used]
        try:
            block = np.loadtxt(lines, delimiter=delimiter, comments=None, ndmin=2,
                               usecols=usecols, dtype=np.float64)
        except ValueError:
            return None
        if not np.isfinite(block).all():
            return None
        columns = {name: np.ascontiguousarray(block[:, i]) for i, name in enumerate(layout.used)}
        return self._filled(RowChunk(columns, block.shape[0], text=self._given(lines, usecols)))

    def _given(self, lines: list[str], usecols: list[int]) -> list[str]:
        """The input cells of plain lines, as written, joined by commas."""
        delimiter = _DELIM[self.layout.kind]
        if usecols == list(range(len(self.layout.columns))):
            return lines if delimiter == "," else [line.replace(delimiter, ",") for line in lines]
        pick = itemgetter(*usecols)
        if len(usecols) == 1:
            return [pick(line.split(delimiter)).strip() for line in lines]
        return [",".join(pick(line.split(delimiter))) for line in lines]

    def _parse_delimited(self, text: str, line: int, delimiter: str,
                         bad: list[BadRow]) -> tuple[list[float], list[str]] | None:
        """The row's input values and their cells as written; None for a bad row."""
        layout = self.layout
        if "\x00" in text:
            self._bad(bad, line, "the line contains a NUL byte", text, text.index("\x00") + 1)
            return None
        fields = next(csv.reader([text], delimiter=delimiter))
        if len(fields) != len(layout.columns):
            self._bad(bad, line, f"expected {len(layout.columns)} fields as in the header, "
                                 f"found {len(fields)}", text, 1, len(text))
            return None
        row, cells = [], []
        for name in layout.used:
            index = layout.columns.index(name)
            cell = fields[index]
            cells.append(cell.strip())
            value = _number(cell)
            if value is None:
                column = _field_column(text, delimiter, index)
                what = "is empty" if not cell.strip() else \
                    f"is not a number: {inert(cell.strip())!r}"
                self._bad(bad, line, f"the value of {name} {what}", text, column,
                          max(len(cell), 1))
                return None
            row.append(value)
        return row, cells

    # ------------------------------------------------------------------ JSON Lines

    def _jsonl_chunk(self, texts: list[str | None], first: int) -> RowChunk:
        bad: list[BadRow] = []
        values: dict[str, list[float]] = {name: [] for name in self.inputs}
        rows = 0
        for line, text in self._readable_lines(texts, first, bad):
            row = self._parse_json(text, line, bad)
            if row is not None:
                rows += 1
                for name, value in zip(self.inputs, row, strict=True):
                    values[name].append(value)
        return RowChunk({name: np.array(v, dtype=np.float64) for name, v in values.items()},
                        rows, bad)

    def _parse_json(self, text: str, line: int, bad: list[BadRow]) -> list[float] | None:
        if "\x00" in text:
            self._bad(bad, line, "the line contains a NUL byte", text, text.index("\x00") + 1)
            return None
        try:
            record = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            column = getattr(error, "colno", 1)
            message = getattr(error, "msg", str(error))
            self._bad(bad, line, f"not valid JSON: {message}", text, column)
            return None
        if not isinstance(record, dict):
            self._bad(bad, line, "expected a JSON object such as {\"x\": 1}", text)
            return None
        row = []
        for name in self.inputs:
            value = record.get(name, self.fills.get(name))
            if value is None:
                self._bad(bad, line, f"no value for input {name}", text, 1, len(text))
                return None
            number = _json_number(value)
            if number is None:
                self._bad(bad, line, f"the value of {name} is not a finite number: "
                                     f"{inert(json.dumps(value))}", text, 1, len(text))
                return None
            row.append(number)
        return row

    # ------------------------------------------------------------------ assembling

    def _filled(self, chunk: RowChunk) -> RowChunk:
        """Inputs that are not columns of the file get their fill value on every row."""
        for name in self.inputs:
            if name not in chunk.columns:
                chunk.columns[name] = np.full(chunk.rows, self.fills[name])
        return chunk


_DELIM = {"csv": ",", "tsv": "\t"}


def _number(cell: str) -> float | None:
    if _NUMBER.fullmatch(cell) is None:
        return None
    value = float(cell)
    return value if math.isfinite(value) else None


def _json_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _json_keys(text: str, inputs: Sequence[str]) -> list[str]:
    """The keys of the first JSON line that are not inputs (to warn about them once)."""
    try:
        record = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        return []
    return [key for key in record if key not in inputs] if isinstance(record, dict) else []


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def _field_column(text: str, delimiter: str, index: int) -> int:
    """1-based column where field ``index`` starts (for unquoted lines; else 1)."""
    if '"' in text:
        return 1
    parts = text.split(delimiter)
    return sum(len(part) + 1 for part in parts[:index]) + 1
