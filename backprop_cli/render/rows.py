"""Writing batch results: one output row per input row, in CSV, TSV or JSON Lines.

Columns: every input (by name), the output's value (named after the output node, e.g.
``f``), ``grad.NAME`` for every input, and ``error`` (empty, or why ``eval`` would refuse
the row; that row's value and gradients are then empty, or null in JSON Lines). Numbers are
written in the shortest form that reads back to the same double (``-2``, ``0.1``,
``0.7310585786300049``), as JSON and ``--get`` write them; ``--digits`` or ``--decimals``
round the CSV and TSV cells (never a nonzero value to ``0``); JSON Lines stay in full.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from ..engine.batch import BatchResult
from ..inputs.rows import RowChunk
from ..numformat import FULL, Rounding, format_float


def column_names(inputs: Sequence[str], output: str,
                 differentiated: Sequence[str] | None = None) -> list[str]:
    """The output header: inputs, value, gradients (of the inputs that take one), error."""
    value = output if output not in inputs else "value"
    grads = inputs if differentiated is None else differentiated
    names = [*inputs, value, *(f"grad.{name}" for name in grads)]
    error = "error"
    while error in names:
        error += "_"
    return [*names, error]


def format_numbers(values: np.ndarray, rounding: Rounding = FULL) -> list[str]:
    """Each double in its shortest round-trip form; integers without ``.0``; or rounded."""
    numbers = values.tolist()
    if rounding != FULL:
        return [format_float(x, rounding) for x in numbers]
    texts = list(map(repr, numbers))
    whole = np.flatnonzero((values == np.trunc(values)) & (np.abs(values) < 1e16))
    for index in whole.tolist():
        text = texts[index][:-2]  # "-2.0" -> "-2"
        texts[index] = "0" if text == "-0" else text
    return texts


class RowWriter:
    """Formats chunks of results; ``fmt`` is csv, tsv or jsonl.

    ``inputs`` are in output order: first the ones a CSV/TSV rows file gave as text (copied
    as written, ``given`` of them), then the others, written as numbers.
    """

    def __init__(self, fmt: str, inputs: Sequence[str], output: str,
                 rounding: Rounding = FULL, given: int = 0,
                 differentiated: Sequence[str] | None = None) -> None:
        self.fmt, self.inputs, self.rounding = fmt, list(inputs), rounding
        self.given = given
        self.differentiated = self.inputs if differentiated is None else list(differentiated)
        self.names = column_names(self.inputs, output, self.differentiated)

    def header(self) -> str:
        if self.fmt == "jsonl":
            return ""
        return _DELIMITER[self.fmt].join(self.names) + "\n"

    def chunk(self, chunk: RowChunk, result: BatchResult) -> str:
        """The text of one chunk of rows."""
        if chunk.rows == 0:
            return ""
        if self.fmt == "jsonl":
            return self._jsonl(chunk.columns, result)
        delimiter = _DELIMITER[self.fmt]
        outputs = [format_numbers(result.value, self.rounding)]
        outputs += [format_numbers(result.grads[name], self.rounding)
                    for name in self.differentiated]
        errors = [""] * chunk.rows
        for row, message in result.errors.items():
            for column in outputs:
                column[row] = ""
            errors[row] = _cell(message, self.fmt)
        inputs = self._input_cells(chunk, delimiter)
        return "\n".join(map(delimiter.join, zip(*inputs, *outputs, errors, strict=True))) + "\n"

    def _input_cells(self, chunk: RowChunk, delimiter: str) -> list[list[str]]:
        """Per input column, its cells; the given ones as one column of joined text."""
        if chunk.text is None or not self.given:
            return [format_numbers(chunk.columns[name]) for name in self.inputs]
        text = chunk.text if delimiter == "," else \
            [row.replace(",", delimiter) for row in chunk.text]
        rest = self.inputs[self.given:]
        if rest:
            suffix = delimiter + delimiter.join(format_numbers(chunk.columns[name][:1])[0]
                                                for name in rest)
            text = [row + suffix for row in text]
        return [text]

    def _jsonl(self, columns: dict[str, np.ndarray], result: BatchResult) -> str:
        """One JSON object per row, keys as the CSV header; non-finite numbers as strings;
        full precision, as every JSON output."""
        cells = [[_json_number(t) for t in format_numbers(columns[name])]
                 for name in self.inputs]
        outputs = [[_json_number(t) for t in format_numbers(result.value)]]
        outputs += [[_json_number(t) for t in format_numbers(result.grads[name])]
                    for name in self.differentiated]
        errors = ["null"] * len(result.value)
        for row, message in result.errors.items():
            for column in outputs:
                column[row] = "null"
            errors[row] = json.dumps(message)
        keys = [json.dumps(name) + ": " for name in self.names]
        template = "{{" + ", ".join(key + "{}" for key in keys) + "}}"
        return "\n".join(template.format(*row)
                         for row in zip(*cells, *outputs, errors, strict=True)) + "\n"


_DELIMITER = {"csv": ",", "tsv": "\t"}
_NON_FINITE = {"inf": '"inf"', "-inf": '"-inf"', "nan": '"nan"'}


def _json_number(text: str) -> str:
    return _NON_FINITE.get(text, text)


def _cell(message: str, fmt: str) -> str:
    """An error message as one CSV or TSV cell."""
    message = message.replace("\r", " ").replace("\n", " ")
    if fmt == "tsv":
        return message.replace("\t", " ")
    if any(char in message for char in ',"'):
        return '"' + message.replace('"', '""') + '"'
    return message
