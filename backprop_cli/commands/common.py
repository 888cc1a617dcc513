"""What every command shares: reading the circuit, inputs and options, and output streams."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..api import arithmetic_for, compile_circuit
from ..circuits import Circuit, decode, resolve
from ..engine import evaluate
from ..errors import BackpropError, InputError, inert
from ..trace import Trace
from ..values import coerce_value, coerce_values, parse_assignments

F = TypeVar("F", bound=Callable[..., Any])


def read_stdin() -> str:
    """Standard input as text: UTF-8, BOM stripped, NUL bytes refused by the parser."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else \
        sys.stdin.read().encode("utf-8")
    text = decode(data, "standard input")
    if not text.strip():
        raise InputError("standard input is empty: give a program on stdin or as an argument")
    return text


def load_circuit(source: str) -> Circuit:
    """Resolve SOURCE: ``-`` reads the program from stdin."""
    return resolve(source, read_stdin() if source == "-" else None)


def complete_source(ctx: click.Context, param: click.Parameter,
                    incomplete: str) -> list[Any]:
    """Shell completion for SOURCE: files, and the bundled circuits by name."""
    from click.shell_completion import CompletionItem

    from ..circuits import bundled_names

    return [CompletionItem(incomplete, type="file"),
            *(CompletionItem(name) for name in bundled_names() if name.startswith(incomplete))]


def circuit_options(function: F) -> F:
    """SOURCE, NAME=VALUE inputs, and the options that choose what is differentiated."""
    decorators = [
        click.argument("source", shell_complete=complete_source),
        click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]..."),
        click.option("--output", "output", metavar="NAME",
                     help="Differentiate this node instead of the last assignment."),
        click.option("--upstream", metavar="VALUE",
                     help="Gradient arriving at the output (default 1)."),
        click.option("--exact", is_flag=True,
                     help="Exact values and gradients (fractions, e, pi) with decimals."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def run_circuit(source: str, assignments: tuple[str, ...], output: str | None,
                upstream: str | None, exact: bool) -> Trace:
    """Load, build and evaluate: the circuit file's inputs, overridden on the command line."""
    arithmetic = arithmetic_for(exact)
    circuit = load_circuit(source)
    graph = compile_circuit(circuit, output)
    given = parse_assignments(assignments, arithmetic)
    values = {**coerce_values(circuit.inputs, arithmetic), **given}
    raw_upstream = upstream if upstream is not None else circuit.upstream
    gradient_in = None if raw_upstream is None else \
        coerce_value("the upstream gradient", raw_upstream, arithmetic)
    return evaluate(graph, values, arithmetic, gradient_in)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def print_notes(trace: Trace) -> None:
    graph = trace.graph
    for note in trace.notes:
        node = note.node
        where = f"{graph.names[node]} = {graph.describe(node)}" if graph.args[node] else \
            graph.names[node]
        warn(f"{where}: {note.message}")


def echo_error(error: BackpropError) -> None:
    """``error: ...`` on one line, then the source line and a caret, on stderr."""
    click.echo(f"error: {inert(error.headline())}", err=True)
    excerpt = error.source_excerpt()
    if excerpt is not None:
        line, caret = excerpt
        click.echo(f"  {line}\n  {caret}", err=True)
