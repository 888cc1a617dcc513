"""``backprop eval``: forward values, every edge's gradients, and the input gradients."""

from __future__ import annotations

import click

from ..numformat import format_value
from ..paths import get_path
from ..render.trace_view import trace_view
from .common import circuit_options, print_notes, run_circuit
from .output import emit, output_options


@click.command("eval")
@circuit_options
@output_options
@click.option("--precision", type=click.IntRange(0, 17), metavar="N",
              help="Round displayed numbers to N decimals (JSON keeps full precision).")
@click.option("--full", is_flag=True, help="Show every node and edge even for a large graph.")
@click.option("--get", "get", metavar="PATH",
              help="Print one value only: value, grad.NAME, node.NAME.value, node.NAME.grad, "
                   "edge.NODE.INPUT.local (or .upstream, .downstream, .formula).")
@click.option("--rows", "rows", metavar="FILE",
              help="Evaluate once per row of FILE (CSV with a header, TSV, or JSON Lines; "
                   "- for stdin) and print one row per input row: inputs, value, gradients.")
@click.option("--on-error", "on_error", type=click.Choice(("fail", "skip")), default="fail",
              show_default=True, help="With --rows: stop at a bad row, or skip it (counted "
                                      "on stderr).")
@click.pass_context
def eval_command(ctx: click.Context, source: str, assignments: tuple[str, ...],
                 output: str | None, upstream: str | None, exact: bool, fmt: str,
                 table: str | None, color: str, precision: int | None, full: bool,
                 get: str | None, rows: str | None, on_error: str) -> None:
    """Evaluate a circuit forward and backward and show every gradient.

    SOURCE is an expression, a program (assignments separated by newlines or ';'),
    a circuit file, a bundled circuit name, or - for standard input.

    \b
    Example:
      backprop eval "(x+y)*z" x=-2 y=5 z=-4
      backprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --format json
      backprop eval circuits/sigmoid-neuron.toml --format markdown
      backprop eval "(x+y)*z" x=-2 y=5 z=-4 --get grad.x
      backprop eval sigmoid-neuron --rows inputs.csv > gradients.csv
    """
    if rows is not None:
        from .rows_mode import run_rows

        run_rows(ctx, source, assignments, output, upstream, exact, fmt, table, precision,
                 get, rows, on_error)
        return
    _check_get(ctx, get, table)
    trace = run_circuit(source, assignments, output, upstream, exact)
    print_notes(trace)
    if get is not None:
        click.echo(got_text(get_path(trace, get), precision, exact))
        return
    emit(trace_view(trace, precision, full), fmt, table, color)


def _check_get(ctx: click.Context, get: str | None, table: str | None) -> None:
    if get is None:
        return
    if ctx.get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--get prints one value: it cannot be combined with --format")
    if table is not None:
        raise click.UsageError("--get prints one value: it cannot be combined with --table")


def got_text(value: object, precision: int | None, exact: bool) -> str:
    """A --get answer: a formula as it is, an exact value without its decimal, a float in
    shortest exact form (or rounded)."""
    if isinstance(value, str):
        return value
    if exact:
        return str(value)
    return format_value(value, precision)
