"""``backprop eval SOURCE --rows FILE``: the same circuit for every row of a file.

Per row, an input's value comes from the row; inputs the file does not have come from
NAME=VALUE on the command line, then from the circuit file's defaults. (A CSV column that is
also given on the command line is an error: one of the two would be ignored.)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import IO, Any

import click

from ..api import compile_circuit
from ..engine.batch import NUMPY_GATES, Batch, BatchResult, check_chunks, chunk_rows
from ..engine.reference import check_inputs, needed_nodes
from ..errors import CircuitError, InputError
from ..gates.kinks import KINKS
from ..graph.graph import CONST, INPUT, Graph
from ..inputs.rows import BadRow, RowReader
from ..inputs.values import coerce_value, coerce_values, parse_assignments
from ..numformat import FULL, Rounding
from ..render.rows import RowWriter
from .common import load_circuit, warn
from .progress import Progress

ROW_FORMATS = ("csv", "tsv", "jsonl")
SHOWN_BAD_ROWS = 3


def run_rows(ctx: click.Context, source: str, assignments: tuple[str, ...],
             output: str | None, upstream: str | None, exact: bool, fmt: str,
             table: str | None, rounding: Rounding | None, get: str | None, rows: str,
             on_error: str, transform: Callable[[Graph], Graph] | None = None,
             no_grad: str = "") -> None:
    """Evaluate the circuit for every row of ``rows`` and stream the results to stdout."""
    fmt = _check_options(exact, fmt, table, get, source, rows)
    circuit = load_circuit(source)
    graph = compile_circuit(circuit, output)
    if transform is not None:
        graph = transform(graph)
    given = _numbers(parse_assignments(assignments))
    graph = graph.with_constants_as_inputs(given)
    held = [name.strip() for name in no_grad.split(",") if name.strip()]
    if held:
        graph = graph.without_gradients(held)
    _check_scalar_graph(graph)
    check_inputs(graph, {**{name: 0.0 for name in graph.inputs}, **given})
    defaults = _numbers({name: value for name, value in coerce_values(circuit.inputs).items()
                         if name in graph.inputs})
    raw_upstream = upstream if upstream is not None else circuit.upstream
    gradient_in = None if raw_upstream is None else \
        _numbers({"the upstream gradient": coerce_value("the upstream gradient",
                                                          raw_upstream)})["the upstream gradient"]
    with ExitStack() as stack:
        stream, where, size = _open_rows(rows, stack)
        reader = RowReader(stream, where, list(graph.inputs), {**defaults, **given},
                           chunk_rows(graph), skip=on_error == "skip")
        _check_layout(reader, given)
        layout = reader.layout
        given_text = len(layout.used) if layout.kind != "jsonl" and fmt != "jsonl" else 0
        differentiated = [name for name in layout.order
                          if graph.requires_grad[graph.inputs[name]]]
        writer = RowWriter(fmt, layout.order, graph.names[graph.output], rounding or FULL,
                           given_text, differentiated)
        progress = Progress(size, enabled=_stderr_only_terminal())
        _stream(graph, reader, Batch(graph, gradient_in), writer, progress)


def _check_scalar_graph(graph: Graph) -> None:
    """The batch engine evaluates numbers through the built-in gates' numpy table."""
    unknown = [gate for gate in graph.gates if gate not in (INPUT, CONST) and
               (gate not in NUMPY_GATES or gate in graph.user_gates)]
    if not unknown and not graph.uses_arrays:
        return
    if unknown and unknown[0] in graph.user_gates:
        what = f"the user-defined gate {unknown[0]}: write it out with --expand"
    else:
        what = f"the array gate {unknown[0]}" if unknown else "arrays"
    raise InputError(f"--rows evaluates circuits of numbers with the built-in gates; this "
                     f"one uses {what}")


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    """Command-line and default values as floats; an array has no place in a row."""
    result = {}
    for name, value in values.items():
        if getattr(value, "ndim", 0) or isinstance(value, list | tuple):
            raise InputError(f"{name} is an array: --rows gives every input one number per "
                             "row")
        result[name] = float(value)
    return result


def _check_options(exact: bool, fmt: str, table: str | None, get: str | None, source: str,
                   rows: str) -> str:
    if exact:
        raise click.UsageError("--exact evaluates one point at a time; it cannot be combined "
                               "with --rows")
    if get is not None or table is not None:
        option = "--get" if get is not None else "--table"
        raise click.UsageError(f"{option} cannot be combined with --rows, which prints one "
                               "row per input row")
    fmt = "csv" if fmt == "auto" else fmt
    if fmt not in ROW_FORMATS:
        raise click.UsageError(f"with --rows, --format is csv (the default), tsv or jsonl, "
                               f"not {fmt}")
    if source == "-" and rows == "-":
        raise click.UsageError("standard input cannot hold both the program and the rows")
    return fmt


def _open_rows(rows: str, stack: ExitStack) -> tuple[IO[bytes], str, int | None]:
    """The rows stream (binary), its name for messages, and its size when known."""
    if rows == "-":
        stream: IO[bytes] = sys.stdin.buffer
        where = "standard input"
    else:
        try:
            stream = stack.enter_context(open(rows, "rb"))  # noqa: SIM115
        except OSError as error:
            raise CircuitError(f"cannot read rows file {rows!r}: "
                               f"{error.strerror or error}") from None
        where = rows
    try:
        status = os.fstat(stream.fileno())
        size = status.st_size if _is_regular(status.st_mode) else None
    except (OSError, ValueError, AttributeError):
        size = None
    return stream, where, size


def _stderr_only_terminal() -> bool:
    """A progress bar only where it does not mix with the rows: stderr on a terminal, stdout
    going elsewhere."""
    try:
        return sys.stderr.isatty() and not sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def _check_layout(reader: RowReader, given: dict[str, float]) -> None:
    layout = reader.layout
    both = [name for name in layout.used if name in given]
    if both and layout.kind != "jsonl":
        raise InputError(f"{both[0]} is a column of {reader.where} and is also given as "
                         f"{both[0]}=VALUE: drop one of them")
    if layout.extra:
        plural = "s" if len(layout.extra) > 1 else ""
        what = "key" if layout.kind == "jsonl" else "column"
        warn(f"{what}{plural} {', '.join(layout.extra)} of {reader.where} "
             f"{'are' if plural else 'is'} not an input of the circuit; ignored")


def _stream(graph: Graph, reader: RowReader, batch: Batch, writer: RowWriter,
            progress: Progress) -> None:
    out = sys.stdout
    out.write(writer.header())
    totals = _Totals(graph)
    chunks = 0
    try:
        for chunk in reader.chunks():
            chunks += 1
            check_chunks(graph, chunks, totals.rows + chunk.rows)
            result = batch.run(chunk.columns, chunk.rows)
            out.write(writer.chunk(chunk, result))
            out.flush()
            totals.add(result, chunk.bad)
            progress.update(reader.bytes_read, totals.rows)
    finally:
        progress.close()
    totals.report(reader.where)


class _Totals:
    """What to tell on stderr at the end: skipped rows, errors, kinks, infinite gradients."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.rows = 0
        self.errors = 0
        self.first_error: str | None = None
        self.bad: list[BadRow] = []
        self.skipped = 0
        self.kinks: dict[int, int] = {}
        self.non_finite: dict[str, int] = {}
        self.ieee_rows = 0
        self.first_ieee: tuple[int, str] | None = None

    def add(self, result: BatchResult, bad: list[BadRow]) -> None:
        self.rows += len(result.value)
        self.errors += len(result.errors)
        if result.errors and self.first_error is None:
            self.first_error = result.errors[min(result.errors)]
        self.skipped += len(bad)
        self.bad += bad[:SHOWN_BAD_ROWS - len(self.bad)]
        for node, count in result.kink_rows.items():
            self.kinks[node] = self.kinks.get(node, 0) + count
        for name, count in result.non_finite.items():
            self.non_finite[name] = self.non_finite.get(name, 0) + count
        if result.first_ieee is not None and self.first_ieee is None:
            row, message = result.first_ieee
            self.first_ieee = (self.rows - len(result.value) + row, message)
        self.ieee_rows += result.ieee_rows

    def report(self, where: str) -> None:
        graph = self.graph
        needed = needed_nodes(graph)
        for name, node in graph.inputs.items():
            if not needed[node] and graph.requires_grad[node]:
                warn(f"input {name} does not affect the output; its gradient is 0")
        for node, count in self.kinks.items():
            if count:
                kink = KINKS[graph.gates[node]]
                warn(f"{graph.names[node]} = {graph.describe(node)}: {graph.gates[node]} is not "
                     f"differentiable at {kink.where}; using {kink.convention}, as PyTorch "
                     f"does ({_rows(count)})")
        for name, count in self.non_finite.items():
            warn(f"the gradient at {name} is not finite in {_rows(count)}")
        if self.first_ieee is not None:  # docs/numerics.md
            row, message = self.first_ieee
            warn(f"IEEE-754 overflow, underflow, inf or nan in {_rows(self.ieee_rows)}; the "
                 f"first, row {row + 1}: {message}")
        if self.errors:
            warn(f"{_rows(self.errors)} could not be evaluated (see the error column); "
                 f"the first: {self.first_error}")
        if self.skipped:
            shown = "; ".join(f"line {bad.line}: {bad.message}" for bad in self.bad)
            more = "; ..." if self.skipped > len(self.bad) else ""
            warn(f"skipped {_rows(self.skipped)} of {where} that could not be read "
                 f"({shown}{more})")


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")
